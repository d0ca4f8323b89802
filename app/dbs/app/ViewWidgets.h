// The view widgets: each hosts one renderer in a VtkOpenGLWidget and turns Qt input into model
// edits (crosshair, slice, window/level). They hold no image state of their own.
#pragma once

#include <memory>

#include "dbs/app/SceneRenderer3D.h"
#include "dbs/app/SliceRenderer.h"
#include "dbs/app/VtkOpenGLWidget.h"

namespace dbs::app {

class ViewerModel;

class SliceViewWidget : public VtkOpenGLWidget {
  Q_OBJECT
 public:
  SliceViewWidget(SliceOrientation orientation, ViewerModel* model, QWidget* parent = nullptr);
  SliceRenderer& sliceRenderer() { return slice_; }
  // Widget position (logical pixels) <-> RAS on this view's plane.
  Vec3 rasAtWidgetPosition(QPointF widgetPos) const;
  QPointF widgetPositionOfRas(Vec3 pointRas) const;

 signals:
  void hovered(dbs::Vec3 pointRas);

 protected:
  void resizeGL(int w, int h) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;

 private:
  void onVolumeChanged();
  ViewerModel* model_;
  SliceRenderer slice_;
  Qt::MouseButton dragButton_ = Qt::NoButton;
  QPointF dragStart_;
  double dragStartWindow_ = 0, dragStartLevel_ = 0;
};

class SceneViewWidget : public VtkOpenGLWidget {
  Q_OBJECT
 public:
  SceneViewWidget(ViewerModel* model, const std::array<SliceRenderer*, 3>& slices, QWidget* parent = nullptr);
  SceneRenderer3D& sceneRenderer() { return scene_; }

 protected:
  void paintGL() override;

 private:
  ViewerModel* model_;
  std::array<SliceRenderer*, 3> slices_;
  SceneRenderer3D scene_;
  vtkImageData* shownLabels_ = nullptr;  // the label image whose surfaces are built (not owned)
};

}  // namespace dbs::app
