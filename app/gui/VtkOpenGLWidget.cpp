#include "gui/VtkOpenGLWidget.h"

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QWheelEvent>

#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkRenderWindowInteractor.h>

#include "render/VtkGlBlit.h"

namespace dbs::app {

VtkOpenGLWidget::VtkOpenGLWidget(QWidget* parent)
    : QOpenGLWidget(parent),
      renderWindow_(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New()),
      interactor_(vtkSmartPointer<vtkGenericRenderWindowInteractor>::New()) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  // VTK renders into the context Qt makes current; Qt owns the context and the final framebuffer.
  renderWindow_->SetOwnContext(false);
  renderWindow_->SetFrameBlitModeToNoBlit();
  renderWindow_->SetReadyForRendering(false);  // until initializeGL: there is no context before
  renderWindow_->SetForceMaximumHardwareLineWidth(1);
  // No multisampling: VTK's default is 8 samples per pixel, which on software OpenGL made a drag step
  // (three slices and the 3-D view repainted) take 131 ms instead of 75-90 (dbs_drag_bench, issue 23).
  // 2 samples still cost 108 ms, and FXAA in the 3-D view 15 ms a frame. The slices show voxels and
  // lines a pixel or two wide, which need no smoothing; the 3-D view's edges are left as they are.
  renderWindow_->SetMultiSamples(0);
  renderWindow_->SetInteractor(interactor_);
  // The interactor never renders by itself: its render requests become Qt update()s.
  interactor_->SetRenderWindow(renderWindow_);
  interactor_->EnableRenderOff();

  auto callback = [](vtkObject* caller, unsigned long eventId, void* clientData, void* callData) {
    static_cast<VtkOpenGLWidget*>(clientData)->onVtkEvent(caller, eventId, callData);
  };
  vtkNew<vtkCallbackCommand> command;
  command->SetCallback(callback);
  command->SetClientData(this);
  observerTags_[0] = renderWindow_->AddObserver(vtkCommand::WindowMakeCurrentEvent, command);
  observerTags_[1] = renderWindow_->AddObserver(vtkCommand::WindowIsCurrentEvent, command);
  // No observer on WindowFrameEvent: VTK fires it at the end of every Render(), i.e. inside
  // paintGL, and answering it with update() repainted forever (a core busy on an idle window).
  // Repaints are driven by changes only: model signals and interactor render requests.
  observerTags_[2] = interactor_->AddObserver(vtkCommand::RenderEvent, command);
}

VtkOpenGLWidget::~VtkOpenGLWidget() {
  // Release VTK's OpenGL resources while our context still exists.
  renderWindow_->RemoveObserver(observerTags_[0]);
  renderWindow_->RemoveObserver(observerTags_[1]);
  interactor_->RemoveObserver(observerTags_[2]);
  if (context()) {
    makeCurrent();
    renderWindow_->SetIsCurrent(true);
    renderWindow_->ReleaseGraphicsResources(renderWindow_);
    doneCurrent();
  }
}

void VtkOpenGLWidget::onVtkEvent(vtkObject*, unsigned long eventId, void* callData) {
  switch (eventId) {
    case vtkCommand::WindowMakeCurrentEvent:
      // VTK asks for this in the middle of a render. QOpenGLWidget::makeCurrent() would also rebind
      // Qt's framebuffer behind VTK's state cache, and VTK would then attach its textures to Qt's
      // framebuffer. Switch contexts only when another one is current.
      if (context() && QOpenGLContext::currentContext() != context()) makeCurrent();
      break;
    case vtkCommand::WindowIsCurrentEvent:
      if (callData)
        *static_cast<bool*>(callData) = context() && QOpenGLContext::currentContext() == context();
      break;
    case vtkCommand::RenderEvent:
      // The interactor asks for a render (the 3-D view's camera moved): schedule one paint.
      update();
      break;
    default:
      break;
  }
}

void VtkOpenGLWidget::initializeGL() {
  // VTK caches OpenGL state; sync the cache with the fresh Qt context before VTK initialises in it.
  resetVtkStateCache(renderWindow_);
  renderWindow_->SetReadyForRendering(true);
  renderWindow_->OpenGLInitContext();
  interactor_->Initialize();
}

void VtkOpenGLWidget::resizeGL(int w, int h) {
  const double ratio = devicePixelRatioF();
  interactor_->UpdateSize(static_cast<int>(w * ratio), static_cast<int>(h * ratio));
}

void VtkOpenGLWidget::paintGL() {
  beginVtkRenderInQtContext(renderWindow_);
  renderWindow_->Render();
  // Rendering may have made another context current (e.g. a progress update elsewhere).
  makeCurrent();
  // Blit VTK's display framebuffer into the framebuffer Qt composes this widget from.
  endVtkRenderInQtContext(renderWindow_, defaultFramebufferObject());
}

QPointF VtkOpenGLWidget::vtkDisplayFromWidget(QPointF p) const {
  const double ratio = devicePixelRatioF();
  return {p.x() * ratio, (height() - p.y()) * ratio - 1.0};
}

QPointF VtkOpenGLWidget::widgetFromVtkDisplay(QPointF d) const {
  const double ratio = devicePixelRatioF();
  return {d.x() / ratio, height() - (d.y() + 1.0) / ratio};
}

void VtkOpenGLWidget::setInteractorEventInformation(QPointF widgetPos, Qt::KeyboardModifiers modifiers,
                                                    int repeat) {
  const QPointF d = vtkDisplayFromWidget(widgetPos);
  interactor_->SetEventInformation(static_cast<int>(d.x()), static_cast<int>(d.y()),
                                   (modifiers & Qt::ControlModifier) ? 1 : 0,
                                   (modifiers & Qt::ShiftModifier) ? 1 : 0, 0, repeat);
  interactor_->SetAltKey((modifiers & Qt::AltModifier) ? 1 : 0);
}

void VtkOpenGLWidget::mousePressEvent(QMouseEvent* e) {
  if (!forwardEvents_) return QOpenGLWidget::mousePressEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  switch (e->button()) {
    case Qt::LeftButton:
      interactor_->InvokeEvent(vtkCommand::LeftButtonPressEvent);
      break;
    case Qt::MiddleButton:
      interactor_->InvokeEvent(vtkCommand::MiddleButtonPressEvent);
      break;
    case Qt::RightButton:
      interactor_->InvokeEvent(vtkCommand::RightButtonPressEvent);
      break;
    default:
      break;
  }
}

void VtkOpenGLWidget::mouseReleaseEvent(QMouseEvent* e) {
  if (!forwardEvents_) return QOpenGLWidget::mouseReleaseEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  switch (e->button()) {
    case Qt::LeftButton:
      interactor_->InvokeEvent(vtkCommand::LeftButtonReleaseEvent);
      break;
    case Qt::MiddleButton:
      interactor_->InvokeEvent(vtkCommand::MiddleButtonReleaseEvent);
      break;
    case Qt::RightButton:
      interactor_->InvokeEvent(vtkCommand::RightButtonReleaseEvent);
      break;
    default:
      break;
  }
}

void VtkOpenGLWidget::mouseMoveEvent(QMouseEvent* e) {
  if (!forwardEvents_) return QOpenGLWidget::mouseMoveEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  interactor_->InvokeEvent(vtkCommand::MouseMoveEvent);
}

void VtkOpenGLWidget::wheelEvent(QWheelEvent* e) {
  if (!forwardEvents_) return QOpenGLWidget::wheelEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  interactor_->InvokeEvent(e->angleDelta().y() > 0 ? vtkCommand::MouseWheelForwardEvent
                                                   : vtkCommand::MouseWheelBackwardEvent);
}

void VtkOpenGLWidget::keyPressEvent(QKeyEvent* e) {
  if (!forwardEvents_ || e->text().isEmpty()) return QOpenGLWidget::keyPressEvent(e);
  interactor_->SetKeyCode(e->text().at(0).toLatin1());
  interactor_->InvokeEvent(vtkCommand::KeyPressEvent);
  interactor_->InvokeEvent(vtkCommand::CharEvent);
}

void VtkOpenGLWidget::enterEvent(QEnterEvent* e) {
  if (forwardEvents_) interactor_->InvokeEvent(vtkCommand::EnterEvent);
  QOpenGLWidget::enterEvent(e);
}

void VtkOpenGLWidget::leaveEvent(QEvent* e) {
  if (forwardEvents_) interactor_->InvokeEvent(vtkCommand::LeaveEvent);
  QOpenGLWidget::leaveEvent(e);
}

}  // namespace dbs::app
