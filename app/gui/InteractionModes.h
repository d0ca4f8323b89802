// InteractionModes: what the mouse does in a slice view, one class per mode (as ITK-SNAP's
// GUI/Qt/View/CrosshairsInteractionMode.h and its siblings). A SliceViewWidget owns one of each and,
// on a button press, offers the press to them in turn (press() returns true to take it); the mode
// that takes it gets the drag's moves and its release. Modes hold only the state of their own drag
// and act through the view's and the model's public API:
//   RulerMode        Shift + left drag: a ruler from the press to the mouse, its length in mm, kept
//                    after the release; a Shift + click without a drag takes it away
//   HandleDragMode   left press on a target or entry handle: the handle follows the mouse, reported
//                    as SliceViewWidget::handleDragged (a preview per move, `finished` on release)
//   CrosshairMode    left press elsewhere: the crosshair follows the mouse
//   WindowLevelMode  right drag: horizontal changes the window, vertical the level, their values
//                    drawn in the view while the button is held
//   PanZoomMode      middle drag pans (the image follows the mouse); Ctrl+wheel and a pinch zoom
//                    about the mouse, with no drag
// Any other button takes no mode: the view only reports where the mouse is until it is released.
//
// Coordinate systems used: widget positions in logical pixels (Qt, y down); points in patient RAS
// mm on the view's plane; pans in VTK display pixels (y up).
#pragma once

#include <QPointF>

#include "gui/ViewWidgets.h"

class QMouseEvent;
class QNativeGestureEvent;
class QWheelEvent;

namespace dbs::app {

class ViewerModel;

class SliceInteractionMode {
 public:
  SliceInteractionMode(SliceViewWidget& view, ViewerModel& model) : view_(view), model_(model) {}
  virtual ~SliceInteractionMode() = default;
  SliceInteractionMode(const SliceInteractionMode&) = delete;
  SliceInteractionMode& operator=(const SliceInteractionMode&) = delete;

  // A button pressed on the view (which shows a volume): true when this mode takes the drag.
  virtual bool press(const QMouseEvent& e) = 0;
  // The mouse moved while the drag's button is held; `pointRas` is where it is on the view's plane.
  virtual void move(const QMouseEvent& e, Vec3 pointRas) = 0;
  // The drag's end (the view has already forgotten the drag when this is called).
  virtual void release(const QMouseEvent&) {}
  // A wheel turn, whatever is held: true when this mode used it (the view steps slices otherwise).
  virtual bool wheel(const QWheelEvent&) { return false; }

 protected:
  SliceViewWidget& view_;
  ViewerModel& model_;
};

class RulerMode : public SliceInteractionMode {
 public:
  using SliceInteractionMode::SliceInteractionMode;
  bool press(const QMouseEvent& e) override;
  void move(const QMouseEvent& e, Vec3 pointRas) override;
  void release(const QMouseEvent& e) override;

 private:
  Vec3 startRas_;  // the press, on the view's plane
};

class HandleDragMode : public SliceInteractionMode {
 public:
  using SliceInteractionMode::SliceInteractionMode;
  bool press(const QMouseEvent& e) override;
  void move(const QMouseEvent& e, Vec3 pointRas) override;
  void release(const QMouseEvent& e) override;
  // With no button held: the open hand over a handle (it can be dragged), the usual cursor elsewhere.
  void hover(QPointF widgetPos);

 private:
  SliceViewWidget::Handle handle_;  // the handle dragged, where it was at the press
  Vec3 startRas_;                   // the mouse's point at the press
};

class CrosshairMode : public SliceInteractionMode {
 public:
  using SliceInteractionMode::SliceInteractionMode;
  bool press(const QMouseEvent& e) override;
  void move(const QMouseEvent& e, Vec3 pointRas) override;
};

class WindowLevelMode : public SliceInteractionMode {
 public:
  using SliceInteractionMode::SliceInteractionMode;
  bool press(const QMouseEvent& e) override;
  void move(const QMouseEvent& e, Vec3 pointRas) override;
  void release(const QMouseEvent& e) override;

 private:
  QPointF start_;  // the press, widget pixels
  double startWindow_ = 0, startLevel_ = 0;
};

class PanZoomMode : public SliceInteractionMode {
 public:
  using SliceInteractionMode::SliceInteractionMode;
  bool press(const QMouseEvent& e) override;
  void move(const QMouseEvent& e, Vec3 pointRas) override;
  // Ctrl+wheel: 1.25 times per notch about the mouse (the caller has dropped turns under a notch).
  bool wheel(const QWheelEvent& e) override;
  // A pinch (native zoom gesture) zooms about its centre: true when `e` was one.
  bool pinch(const QNativeGestureEvent& e);

 private:
  QPointF last_;  // the previous mouse position of the pan, widget pixels
};

}  // namespace dbs::app
