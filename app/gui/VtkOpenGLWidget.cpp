#include "gui/VtkOpenGLWidget.h"

#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>

#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkNew.h>
#include <vtkRenderWindowInteractor.h>

#include "render/VtkGlBlit.h"

namespace dbs::app {

VtkOpenGLWidget::VtkOpenGLWidget(QWidget* parent)
    : QWidget(parent),
      renderWindow_(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New()),
      interactor_(vtkSmartPointer<vtkGenericRenderWindowInteractor>::New()) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  // Every paint covers the whole widget with the frame: Qt need not clear it first.
  setAttribute(Qt::WA_OpaquePaintEvent);
  // VTK renders into the context we make current; we own the context and read the frame back.
  renderWindow_->SetOwnContext(false);
  renderWindow_->SetFrameBlitModeToNoBlit();
  renderWindow_->SetReadyForRendering(false);  // until makeCurrent: there is no context before
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
  // paintEvent, and answering it with update() repainted forever (a core busy on an idle window).
  // Repaints are driven by changes only: model signals and interactor render requests.
  observerTags_[2] = interactor_->AddObserver(vtkCommand::RenderEvent, command);
}

VtkOpenGLWidget::~VtkOpenGLWidget() {
  renderWindow_->RemoveObserver(observerTags_[0]);
  renderWindow_->RemoveObserver(observerTags_[1]);
  interactor_->RemoveObserver(observerTags_[2]);
  // Release VTK's OpenGL resources while our context still exists, then give back whatever context
  // was current before (another view's, or a figure's).
  if (context_ && vtkInitialised_) {
    QOpenGLContext* previous = QOpenGLContext::currentContext();
    QSurface* previousSurface = previous ? previous->surface() : nullptr;
    if (context_->makeCurrent(surface_.get())) {
      renderWindow_->SetIsCurrent(true);
      renderWindow_->ReleaseGraphicsResources(renderWindow_);
      context_->doneCurrent();
    }
    if (previous && previous != context_.get()) previous->makeCurrent(previousSurface);
  }
}

bool VtkOpenGLWidget::makeCurrent() {
  if (!context_) {
    // The default format is VTK's (setDefaultOpenGLSurfaceFormat: 3.2 core, 24-bit depth). The
    // surface is never drawn to: VTK renders into framebuffer objects of its own.
    context_ = std::make_unique<QOpenGLContext>();
    surface_ = std::make_unique<QOffscreenSurface>();
    if (!context_->create()) return false;
    surface_->setFormat(context_->format());
    surface_->create();
  }
  if (QOpenGLContext::currentContext() != context_.get() && !context_->makeCurrent(surface_.get()))
    return false;
  if (!vtkInitialised_) {
    // VTK caches OpenGL state; sync the cache with the fresh context before VTK initialises in it.
    resetVtkStateCache(renderWindow_);
    renderWindow_->SetReadyForRendering(true);
    renderWindow_->OpenGLInitContext();
    interactor_->Initialize();
    vtkInitialised_ = true;
  }
  return true;
}

void VtkOpenGLWidget::onVtkEvent(vtkObject*, unsigned long eventId, void* callData) {
  switch (eventId) {
    case vtkCommand::WindowMakeCurrentEvent:
      // VTK asks for this in the middle of a render too: switch only when another context is current.
      if (context_ && QOpenGLContext::currentContext() != context_.get())
        context_->makeCurrent(surface_.get());
      break;
    case vtkCommand::WindowIsCurrentEvent:
      if (callData)
        *static_cast<bool*>(callData) = context_ && QOpenGLContext::currentContext() == context_.get();
      break;
    case vtkCommand::RenderEvent:
      // The interactor asks for a render (the 3-D view's camera moved): schedule one paint.
      update();
      break;
    default:
      break;
  }
}

QSize VtkOpenGLWidget::deviceSize() const {
  const double ratio = devicePixelRatioF();
  return {std::max(1, static_cast<int>(width() * ratio)), std::max(1, static_cast<int>(height() * ratio))};
}

void VtkOpenGLWidget::resizeEvent(QResizeEvent* e) {
  const QSize device = deviceSize();
  interactor_->UpdateSize(device.width(), device.height());
  viewResized(width(), height());
  QWidget::resizeEvent(e);
}

void VtkOpenGLWidget::viewResized(int, int) {}

void VtkOpenGLWidget::renderScene() {
  renderWindow_->Render();
}

void VtkOpenGLWidget::renderFrame() {
  // A widget never resized since it was made (hidden, say) has not told VTK its size yet.
  const int w = deviceSize().width(), h = deviceSize().height();
  if (renderWindow_->GetSize()[0] != w || renderWindow_->GetSize()[1] != h) interactor_->UpdateSize(w, h);
  if (!makeCurrent()) {
    frame_ = QImage(w, h, QImage::Format_RGB32);
    frame_.fill(Qt::black);
    return;
  }
  beginVtkRenderInQtContext(renderWindow_);
  renderScene();
  // Rendering may have made another context current (a figure rendered elsewhere, say).
  makeCurrent();
  if (frame_.width() != w || frame_.height() != h || frame_.format() != QImage::Format_RGB32)
    frame_ = QImage(w, h, QImage::Format_RGB32);
  // OpenGL's rows run bottom up, the image's top down: read, then flip in place.
  endVtkRenderReadingFrame(renderWindow_, w, h, frame_.bits());
  frame_ = std::move(frame_).mirrored();
  frame_.setDevicePixelRatio(devicePixelRatioF());
}

QImage VtkOpenGLWidget::grabFramebuffer() {
  renderFrame();
  QImage copy = frame_;
  copy.setDevicePixelRatio(1.0);
  return copy;
}

void VtkOpenGLWidget::paintEvent(QPaintEvent*) {
  renderFrame();
  QPainter painter(this);
  painter.setCompositionMode(QPainter::CompositionMode_Source);
  painter.drawImage(QPointF(0, 0), frame_);
  painter.end();
  emit frameSwapped();
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
  if (!forwardEvents_) return QWidget::mousePressEvent(e);
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
  if (!forwardEvents_) return QWidget::mouseReleaseEvent(e);
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
  if (!forwardEvents_) return QWidget::mouseMoveEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  interactor_->InvokeEvent(vtkCommand::MouseMoveEvent);
}

void VtkOpenGLWidget::wheelEvent(QWheelEvent* e) {
  if (!forwardEvents_) return QWidget::wheelEvent(e);
  setInteractorEventInformation(e->position(), e->modifiers());
  interactor_->InvokeEvent(e->angleDelta().y() > 0 ? vtkCommand::MouseWheelForwardEvent
                                                   : vtkCommand::MouseWheelBackwardEvent);
}

void VtkOpenGLWidget::keyPressEvent(QKeyEvent* e) {
  if (!forwardEvents_ || e->text().isEmpty()) return QWidget::keyPressEvent(e);
  interactor_->SetKeyCode(e->text().at(0).toLatin1());
  interactor_->InvokeEvent(vtkCommand::KeyPressEvent);
  interactor_->InvokeEvent(vtkCommand::CharEvent);
}

void VtkOpenGLWidget::enterEvent(QEnterEvent* e) {
  if (forwardEvents_) interactor_->InvokeEvent(vtkCommand::EnterEvent);
  QWidget::enterEvent(e);
}

void VtkOpenGLWidget::leaveEvent(QEvent* e) {
  if (forwardEvents_) interactor_->InvokeEvent(vtkCommand::LeaveEvent);
  QWidget::leaveEvent(e);
}

}  // namespace dbs::app
