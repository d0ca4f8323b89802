// VtkOpenGLWidget: a plain Qt 6 widget that shows what a vtkGenericOpenGLRenderWindow renders.
//
// Why not VTK's QVTKOpenGLNativeWidget: Debian builds VTK::GUISupportQt against Qt 5, and linking it
// into this Qt 6 program would load two Qt versions. See ../shared/DESIGN.md.
//
// Why not a QOpenGLWidget (as before): a window holding one composes its whole surface, raster
// backing store and every OpenGL widget, with OpenGL on each frame. On software OpenGL that cost
// 21-25 ms a step for four views that only clear (dbs_compose_bench), the drag's largest fixed cost
// (issue 23). Here each view has its own OpenGL context on an off-screen surface; VTK renders into its
// framebuffer objects there, the frame is read back into an image (a copy in memory on software
// OpenGL) and painted as one. The window stays a raster window that flushes only what changed:
// 6.5 ms a step for the same four views. Widgets may lie over the views, and QWidget::grab() sees them.
//
// The widget only hosts a render window; renderers (SliceRenderer, SceneRenderer3D) own the VTK
// pipeline. Subclasses get Qt's input events; the 3D view forwards them to VTK's interactor.
#pragma once

#include <QImage>
#include <QWidget>

#include <memory>

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkSmartPointer.h>

class QOffscreenSurface;
class QOpenGLContext;
class vtkObject;

namespace dbs::app {

class VtkOpenGLWidget : public QWidget {
  Q_OBJECT
 public:
  explicit VtkOpenGLWidget(QWidget* parent = nullptr);
  ~VtkOpenGLWidget() override;

  vtkGenericOpenGLRenderWindow* renderWindow() const { return renderWindow_; }
  vtkGenericRenderWindowInteractor* interactor() const { return interactor_; }

  // Renders the scene as it is now and returns the frame (device pixels), shown or not.
  QImage grabFramebuffer();

  // Converts a widget position (Qt logical pixels, y down) to VTK display pixels (device, y up).
  QPointF vtkDisplayFromWidget(QPointF widgetPos) const;
  QPointF widgetFromVtkDisplay(QPointF displayPos) const;

  // Set true to forward mouse, wheel and key events to VTK's interactor (the 3D view).
  void setForwardEventsToVtk(bool on) { forwardEvents_ = on; }

 signals:
  // A new frame was painted into the window (the drag benchmark's clock stops on it).
  void frameSwapped();

 protected:
  // The view's size changed to `w` x `h` logical pixels (VTK's window already has the new size).
  virtual void viewResized(int w, int h);
  // Renders VTK's window into its framebuffer objects (our context is current). Subclasses that
  // adjust the camera before each frame do so here and call this.
  virtual void renderScene();

  void paintEvent(QPaintEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void keyPressEvent(QKeyEvent* e) override;
  void enterEvent(QEnterEvent* e) override;
  void leaveEvent(QEvent* e) override;

 private:
  // Makes our context current (creating it and VTK's OpenGL state the first time); false when no
  // OpenGL context can be had.
  bool makeCurrent();
  // The widget's size in device pixels (at least 1 x 1): VTK's window size.
  QSize deviceSize() const;
  // Renders a frame at the widget's present size into frame_.
  void renderFrame();
  void onVtkEvent(vtkObject* caller, unsigned long eventId, void* callData);
  void setInteractorEventInformation(QPointF widgetPos, Qt::KeyboardModifiers modifiers, int repeat = 0);

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> renderWindow_;
  vtkSmartPointer<vtkGenericRenderWindowInteractor> interactor_;
  std::unique_ptr<QOpenGLContext> context_;
  std::unique_ptr<QOffscreenSurface> surface_;
  bool vtkInitialised_ = false;
  QImage frame_;  // the last frame read back, top row first, device pixels
  unsigned long observerTags_[3] = {0, 0, 0};
  bool forwardEvents_ = false;
};

}  // namespace dbs::app
