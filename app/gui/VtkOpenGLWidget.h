// VtkOpenGLWidget: a Qt 6 QOpenGLWidget that hosts a vtkGenericOpenGLRenderWindow.
//
// Why not VTK's QVTKOpenGLNativeWidget: Debian builds VTK::GUISupportQt against Qt 5, and linking it
// into this Qt 6 program would load two Qt versions. This bridge does the same few things: VTK
// renders into the widget's current context (no context or blit of its own), and we blit VTK's
// display framebuffer into Qt's default framebuffer. See ../shared/DESIGN.md.
//
// The widget only hosts a render window; renderers (SliceRenderer, SceneRenderer3D) own the VTK
// pipeline. Subclasses get Qt's input events; the 3D view forwards them to VTK's interactor.
#pragma once

#include <QOpenGLWidget>

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkNew.h>
#include <vtkSmartPointer.h>

class vtkObject;

namespace dbs::app {

class VtkOpenGLWidget : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit VtkOpenGLWidget(QWidget* parent = nullptr);
  ~VtkOpenGLWidget() override;

  vtkGenericOpenGLRenderWindow* renderWindow() const { return renderWindow_; }
  vtkGenericRenderWindowInteractor* interactor() const { return interactor_; }

  // Converts a widget position (Qt logical pixels, y down) to VTK display pixels (device, y up).
  QPointF vtkDisplayFromWidget(QPointF widgetPos) const;
  QPointF widgetFromVtkDisplay(QPointF displayPos) const;

  // Set true to forward mouse, wheel and key events to VTK's interactor (the 3D view).
  void setForwardEventsToVtk(bool on) { forwardEvents_ = on; }

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;

  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void keyPressEvent(QKeyEvent* e) override;
  void enterEvent(QEnterEvent* e) override;
  void leaveEvent(QEvent* e) override;

 private:
  void onVtkEvent(vtkObject* caller, unsigned long eventId, void* callData);
  void setInteractorEventInformation(QPointF widgetPos, Qt::KeyboardModifiers modifiers, int repeat = 0);

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> renderWindow_;
  vtkSmartPointer<vtkGenericRenderWindowInteractor> interactor_;
  unsigned long observerTags_[3] = {0, 0, 0};
  bool forwardEvents_ = false;
};

}  // namespace dbs::app
