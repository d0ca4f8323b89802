// The view widgets: each hosts one renderer in a VtkOpenGLWidget and turns Qt input into model
// edits (crosshair, slice, window/level) or, on a plan's handles, into drags of a target or an
// entry (reported as signals; the window turns them into plan-session previews and commits). They
// hold no image or plan state of their own. What a mouse drag in a slice view does is decided by
// its interaction modes (InteractionModes.h: crosshair, handle drag, window/level, pan/zoom), one
// chosen per button press.
#pragma once

#include <memory>
#include <optional>

#include "gui/VtkOpenGLWidget.h"
#include "render/SceneRenderer3D.h"
#include "render/SliceRenderer.h"

namespace dbs::app {

class ViewerModel;
class SliceInteractionMode;
class RulerMode;
class HandleDragMode;
class CrosshairMode;
class WindowLevelMode;
class PanZoomMode;

class SliceViewWidget : public VtkOpenGLWidget {
  Q_OBJECT
 public:
  SliceViewWidget(SliceOrientation orientation, ViewerModel* model, QWidget* parent = nullptr);
  ~SliceViewWidget() override;
  SliceRenderer& sliceRenderer() { return slice_; }
  // Widget position (logical pixels) <-> RAS on this view's plane.
  Vec3 rasAtWidgetPosition(QPointF widgetPos) const;
  QPointF widgetPositionOfRas(Vec3 pointRas) const;

  // A lead handle under a widget position (within kHandlePickRadius logical pixels), if any.
  struct Handle {
    std::optional<Side> side;  // none: no handle there
    bool entry = false;
    Vec3 pointRas;
  };
  Handle handleAt(QPointF widgetPos) const;
  static constexpr double kHandlePickRadius = 9.0;
  // Shows the slice at `zoom` (1: the whole slice) centred on `centreRas`' projection.
  void showZoomedAt(double zoom, Vec3 centreRas);
  // Zooms by `factor` (> 1: in) about a widget position (logical pixels): the point there stays.
  void zoomAt(double factor, QPointF widgetPos);
  // Draws (or, with nullopt, takes away) this view's ruler between two RAS points on its plane and
  // says so (rulerChanged).
  void showRuler(const std::optional<std::array<Vec3, 2>>& endsRas);

 signals:
  void hovered(dbs::Vec3 pointRas);
  // A target (entry = false) or entry of `side` dragged to `pointRas` (RAS mm; the in-plane motion
  // of the mouse, the handle's offset along the view normal kept); `finished` on release.
  void handleDragged(Side side, bool entry, dbs::Vec3 pointRas, bool finished);
  // The ruler's length (RAS mm) as it is drawn or dragged; `shown` false when it was taken away.
  void rulerChanged(double lengthMm, bool shown);

 protected:
  void viewResized(int w, int h) override;
  // Mouse: the drag's interaction mode, chosen on the press (see InteractionModes.h); with no
  // button held, the cursor shows whether a handle is under the mouse.
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  // Wheel: one slice per notch (up: superior, anterior or right); Ctrl+wheel (or a pinch) zooms
  // about the mouse (PanZoomMode).
  void wheelEvent(QWheelEvent* e) override;
  // PgUp/Up and PgDn/Down step one slice as the wheel does (five with Shift), + and - zoom about
  // the view's centre,
  // Home shows the whole slice again.
  void keyPressEvent(QKeyEvent* e) override;
  bool event(QEvent* e) override;  // pinch (native zoom gesture)

 private:
  void onVolumeChanged();
  void stepSlices(int slices);
  ViewerModel* model_;
  SliceRenderer slice_;
  // One of each mode, offered a press in this order (a handle before the crosshair).
  std::unique_ptr<RulerMode> ruler_;
  std::unique_ptr<HandleDragMode> handleDrag_;
  std::unique_ptr<CrosshairMode> crosshair_;
  std::unique_ptr<WindowLevelMode> windowLevel_;
  std::unique_ptr<PanZoomMode> panZoom_;
  Qt::MouseButton dragButton_ = Qt::NoButton;   // the button held since the last press, if any
  SliceInteractionMode* activeMode_ = nullptr;  // the mode that took that press (none: no mode)
};

class SceneViewWidget : public VtkOpenGLWidget {
  Q_OBJECT
 public:
  SceneViewWidget(ViewerModel* model, const std::array<SliceRenderer*, 3>& slices, QWidget* parent = nullptr);
  SceneRenderer3D& sceneRenderer() { return scene_; }
  // The RAS point of the scalp risk map drawn at a widget position (logical pixels), if any.
  std::optional<Vec3> riskMapAtWidgetPosition(QPointF widgetPos) const;

 signals:
  // A click (press and release within kClickSlop pixels, the left button) on the scalp risk map:
  // the RAS mm point of the surface under the mouse. A drag rotates the camera as before.
  void riskMapClicked(dbs::Vec3 pointRas);

 protected:
  void renderScene() override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;

 private:
  ViewerModel* model_;
  std::array<SliceRenderer*, 3> slices_;
  SceneRenderer3D scene_;
  vtkImageData* shownLabels_ = nullptr;  // the label image whose surfaces are built (not owned)
  std::optional<QPointF> leftPressAt_;
  static constexpr double kClickSlop = 4.0;
};

}  // namespace dbs::app
