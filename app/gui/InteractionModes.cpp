#include "gui/InteractionModes.h"

#include <QMouseEvent>
#include <QNativeGestureEvent>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "gui/ViewerModel.h"

namespace dbs::app {

// ---- RulerMode -----------------------------------------------------------------------------------

bool RulerMode::press(const QMouseEvent& e) {
  if (e.button() != Qt::LeftButton || !(e.modifiers() & Qt::ShiftModifier)) return false;
  startRas_ = view_.rasAtWidgetPosition(e.position());
  view_.showRuler({{startRas_, startRas_}});
  return true;
}

void RulerMode::move(const QMouseEvent&, Vec3 pointRas) {
  view_.showRuler({{startRas_, pointRas}});
}

void RulerMode::release(const QMouseEvent& e) {
  const Vec3 end = view_.rasAtWidgetPosition(e.position());
  // A click, not a drag (under half a millimetre): no ruler.
  if (norm(end - startRas_) < 0.5)
    view_.showRuler(std::nullopt);
  else
    view_.showRuler({{startRas_, end}});
}

// ---- HandleDragMode ------------------------------------------------------------------------------

bool HandleDragMode::press(const QMouseEvent& e) {
  if (e.button() != Qt::LeftButton) return false;
  handle_ = view_.handleAt(e.position());
  if (!handle_.side) return false;
  startRas_ = view_.rasAtWidgetPosition(e.position());
  view_.setCursor(Qt::ClosedHandCursor);
  return true;
}

void HandleDragMode::move(const QMouseEvent&, Vec3 pointRas) {
  // Both picks lie on this view's plane, so their difference is the in-plane motion.
  emit view_.handleDragged(*handle_.side, handle_.entry, handle_.pointRas + (pointRas - startRas_), false);
}

void HandleDragMode::release(const QMouseEvent& e) {
  const Vec3 p = view_.rasAtWidgetPosition(e.position());
  const SliceViewWidget::Handle handle = handle_;
  handle_ = {};
  view_.unsetCursor();
  emit view_.handleDragged(*handle.side, handle.entry, handle.pointRas + (p - startRas_), true);
}

void HandleDragMode::hover(QPointF widgetPos) {
  if (view_.handleAt(widgetPos).side.has_value())
    view_.setCursor(Qt::OpenHandCursor);
  else
    view_.unsetCursor();
}

// ---- CrosshairMode -------------------------------------------------------------------------------

bool CrosshairMode::press(const QMouseEvent& e) {
  if (e.button() != Qt::LeftButton) return false;
  model_.setCrosshairRas(view_.rasAtWidgetPosition(e.position()));
  return true;
}

void CrosshairMode::move(const QMouseEvent&, Vec3 pointRas) {
  model_.setCrosshairRas(pointRas);
}

// ---- WindowLevelMode -----------------------------------------------------------------------------

bool WindowLevelMode::press(const QMouseEvent& e) {
  if (e.button() != Qt::RightButton) return false;
  start_ = e.position();
  startWindow_ = model_.window();
  startLevel_ = model_.level();
  return true;
}

void WindowLevelMode::move(const QMouseEvent& e, Vec3) {
  // Horizontal changes the window (contrast), vertical the level (brightness): the image's whole
  // intensity range across the view's width.
  const auto& range = model_.intensityRange();
  const double scale = (range.max - range.min) / std::max(1, view_.width());
  const QPointF delta = e.position() - start_;
  view_.sliceRenderer().setWindowLevelReadoutVisible(true);  // the values while they change
  model_.setWindowLevel(startWindow_ + delta.x() * scale, startLevel_ - delta.y() * scale);
}

void WindowLevelMode::release(const QMouseEvent&) {
  view_.sliceRenderer().setWindowLevelReadoutVisible(false);
  view_.update();
}

// ---- PanZoomMode ---------------------------------------------------------------------------------

bool PanZoomMode::press(const QMouseEvent& e) {
  if (e.button() != Qt::MiddleButton) return false;
  last_ = e.position();
  return true;
}

void PanZoomMode::move(const QMouseEvent& e, Vec3) {
  // The image follows the mouse (display y is up, widget y down).
  const QPointF delta = (e.position() - last_) * view_.devicePixelRatioF();
  view_.sliceRenderer().panByDisplay(delta.x(), -delta.y());
  view_.update();
  last_ = e.position();
}

bool PanZoomMode::wheel(const QWheelEvent& e) {
  if (!(e.modifiers() & Qt::ControlModifier)) return false;
  const int notches = e.angleDelta().y() / 120;
  view_.zoomAt(std::pow(1.25, notches), e.position());
  return true;
}

bool PanZoomMode::pinch(const QNativeGestureEvent& e) {
  if (e.gestureType() != Qt::ZoomNativeGesture) return false;
  view_.zoomAt(1.0 + e.value(), e.position());
  return true;
}

}  // namespace dbs::app
