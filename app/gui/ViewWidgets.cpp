#include "gui/ViewWidgets.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QNativeGestureEvent>
#include <QWheelEvent>

#include <cmath>
#include <initializer_list>

#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>

#include "gui/InteractionModes.h"
#include "gui/ViewerModel.h"

namespace dbs::app {

SliceViewWidget::SliceViewWidget(SliceOrientation orientation, ViewerModel* model, QWidget* parent)
    : VtkOpenGLWidget(parent),
      model_(model),
      slice_(orientation),
      ruler_(std::make_unique<RulerMode>(*this, *model)),
      handleDrag_(std::make_unique<HandleDragMode>(*this, *model)),
      crosshair_(std::make_unique<CrosshairMode>(*this, *model)),
      windowLevel_(std::make_unique<WindowLevelMode>(*this, *model)),
      panZoom_(std::make_unique<PanZoomMode>(*this, *model)) {
  renderWindow()->AddRenderer(slice_.renderer());
  setFocusPolicy(Qt::StrongFocus);  // a click gives the keys (slice stepping, zoom) to this view
  connect(model_, &ViewerModel::volumeChanged, this, &SliceViewWidget::onVolumeChanged);
  connect(model_, &ViewerModel::crosshairChanged, this, [this](Vec3 p) {
    slice_.setCrosshair(p);
    update();
  });
  connect(model_, &ViewerModel::windowLevelChanged, this, [this](double w, double l) {
    slice_.setWindowLevel(w, l);
    update();
  });
  connect(model_, &ViewerModel::labelsChanged, this, [this] {
    if (model_->labels())
      slice_.setLabels(model_->labelsIndexSpaceImage(), model_->labels()->geometry);
    else
      slice_.clearLabels();
    slice_.setLabelsVisible(model_->labelsVisible());
    update();
  });
  connect(model_, &ViewerModel::labelAppearanceChanged, this, [this](int value) {
    const auto a = model_->labelAppearance(value);
    slice_.setLabelAppearance(value, a.visible, a.opacity);
    update();
  });
}

SliceViewWidget::~SliceViewWidget() = default;

SliceViewWidget::Handle SliceViewWidget::handleAt(QPointF widgetPos) const {
  Handle best;
  double bestDistance = kHandlePickRadius;
  for (const auto& lead : slice_.leads())
    for (bool entry : {false, true}) {
      const Vec3 p = entry ? lead.entryRas : lead.targetRas;
      const QPointF d = widgetPositionOfRas(p) - widgetPos;
      const double distance = std::hypot(d.x(), d.y());
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = {lead.side, entry, p};
      }
    }
  return best;
}

void SliceViewWidget::onVolumeChanged() {
  if (!model_->volume()) {  // closed
    slice_.clearVolume();
    update();
    return;
  }
  slice_.setVolume(model_->indexSpaceImage(), model_->volume()->geometry);
  slice_.setCrosshair(model_->crosshairRas());
  slice_.setWindowLevel(model_->window(), model_->level());
  const double ratio = devicePixelRatioF();
  slice_.fitToViewport(static_cast<int>(width() * ratio), static_cast<int>(height() * ratio));
  update();
}

void SliceViewWidget::viewResized(int w, int h) {
  VtkOpenGLWidget::viewResized(w, h);
  const double ratio = devicePixelRatioF();
  slice_.fitToViewport(static_cast<int>(w * ratio), static_cast<int>(h * ratio));
}

Vec3 SliceViewWidget::rasAtWidgetPosition(QPointF widgetPos) const {
  const QPointF d = vtkDisplayFromWidget(widgetPos);
  return slice_.rasFromDisplay(d.x(), d.y());
}

void SliceViewWidget::showRuler(const std::optional<std::array<Vec3, 2>>& endsRas) {
  slice_.setRuler(endsRas);
  update();
  emit rulerChanged(endsRas ? norm((*endsRas)[1] - (*endsRas)[0]) : 0.0, endsRas.has_value());
}

QPointF SliceViewWidget::widgetPositionOfRas(Vec3 pointRas) const {
  const auto d = slice_.displayFromRas(pointRas);
  return widgetFromVtkDisplay({d[0], d[1]});
}

void SliceViewWidget::mousePressEvent(QMouseEvent* e) {
  if (!model_->volume()) return;
  dragButton_ = e->button();
  // The first mode that takes the press gets the drag: Shift + left measures (a ruler), a left press
  // on a target or entry handle drags it, anywhere else it moves the crosshair; right is
  // window/level, middle pans.
  activeMode_ = nullptr;
  for (SliceInteractionMode* mode : std::initializer_list<SliceInteractionMode*>{
           ruler_.get(), handleDrag_.get(), crosshair_.get(), windowLevel_.get(), panZoom_.get()})
    if (mode->press(*e)) {
      activeMode_ = mode;
      break;
    }
}

void SliceViewWidget::mouseMoveEvent(QMouseEvent* e) {
  if (!model_->volume()) return;
  const Vec3 p = rasAtWidgetPosition(e->position());
  emit hovered(p);
  if (dragButton_ == Qt::NoButton)
    handleDrag_->hover(e->position());
  else if (activeMode_)
    activeMode_->move(*e, p);
}

void SliceViewWidget::mouseReleaseEvent(QMouseEvent* e) {
  // The drag is over before its mode says so (a handle's release commits an edit, which may open a
  // message box and its own event loop).
  SliceInteractionMode* mode = activeMode_;
  activeMode_ = nullptr;
  dragButton_ = Qt::NoButton;
  if (mode) mode->release(*e);
}

void SliceViewWidget::stepSlices(int slices) {
  // Forward is anatomical, whatever side the view is seen from: superior in axial, anterior in
  // coronal, the patient's right in sagittal (the normal's largest component made positive).
  Vec3 forward = slice_.axes().normalRas();
  const double largest = std::abs(forward.x) >= std::max(std::abs(forward.y), std::abs(forward.z))
                             ? forward.x
                             : (std::abs(forward.y) >= std::abs(forward.z) ? forward.y : forward.z);
  if (largest < 0) forward = -1.0 * forward;
  const Vec3 step = slice_.sliceStepMm() * forward;
  model_->setCrosshairRas(model_->crosshairRas() + static_cast<double>(slices) * step);
}

void SliceViewWidget::zoomAt(double factor, QPointF widgetPos) {
  const QPointF d = vtkDisplayFromWidget(widgetPos);
  slice_.zoomAbout(factor, d.x(), d.y());
  update();
}

void SliceViewWidget::showZoomedAt(double zoom, Vec3 centreRas) {
  slice_.resetZoomAndPan();
  if (zoom != 1.0) {
    // Zoom about the point, then pan it to the middle of the view.
    const QPointF at = widgetPositionOfRas(centreRas);
    zoomAt(zoom, at);
    const QPointF delta =
        (QPointF(width() / 2.0, height() / 2.0) - widgetPositionOfRas(centreRas)) * devicePixelRatioF();
    slice_.panByDisplay(delta.x(), -delta.y());
  }
  update();
}

void SliceViewWidget::wheelEvent(QWheelEvent* e) {
  if (!model_->volume()) return;
  const int notches = e->angleDelta().y() / 120;
  if (notches == 0) return;
  if (panZoom_->wheel(*e)) return;  // Ctrl+wheel zooms
  stepSlices(notches);              // one slice per notch along the view's normal
}

void SliceViewWidget::keyPressEvent(QKeyEvent* e) {
  if (!model_->volume()) return VtkOpenGLWidget::keyPressEvent(e);
  const int step = (e->modifiers() & Qt::ShiftModifier) ? 5 : 1;
  const QPointF centre(width() / 2.0, height() / 2.0);
  switch (e->key()) {
    case Qt::Key_PageUp:
    case Qt::Key_Up:
      stepSlices(step);
      return;
    case Qt::Key_PageDown:
    case Qt::Key_Down:
      stepSlices(-step);
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      zoomAt(1.25, centre);
      return;
    case Qt::Key_Minus:
      zoomAt(1 / 1.25, centre);
      return;
    case Qt::Key_Home:
      slice_.resetZoomAndPan();
      update();
      return;
    default:
      VtkOpenGLWidget::keyPressEvent(e);
  }
}

bool SliceViewWidget::event(QEvent* e) {
  if (e->type() == QEvent::NativeGesture && model_->volume() &&
      panZoom_->pinch(*static_cast<QNativeGestureEvent*>(e)))
    return true;
  return VtkOpenGLWidget::event(e);
}

SceneViewWidget::SceneViewWidget(ViewerModel* model, const std::array<SliceRenderer*, 3>& slices,
                                 QWidget* parent)
    : VtkOpenGLWidget(parent), model_(model), slices_(slices) {
  renderWindow()->SetNumberOfLayers(2);
  renderWindow()->AddRenderer(scene_.renderer());
  renderWindow()->AddRenderer(scene_.orientationRenderer());
  vtkNew<vtkInteractorStyleTrackballCamera> style;
  interactor()->SetInteractorStyle(style);
  setForwardEventsToVtk(true);
  connect(model_, &ViewerModel::volumeChanged, this, [this] {
    if (!model_->volume()) {  // closed
      shownLabels_ = nullptr;
      scene_.clearVolume();
      update();
      return;
    }
    scene_.setVolume(model_->volume()->geometry, slices_);
    update();
  });
  connect(model_, &ViewerModel::crosshairChanged, this, [this] {
    scene_.crosshairMoved();
    update();
  });
  connect(model_, &ViewerModel::windowLevelChanged, this, [this] { update(); });
  connect(model_, &ViewerModel::labelsChanged, this, [this] {
    const bool sameLabels = model_->labelsIndexSpaceImage() == shownLabels_;
    if (!sameLabels) {
      shownLabels_ = model_->labelsIndexSpaceImage();
      if (model_->labels())
        scene_.setLabels(model_->labelsIndexSpaceImage(), model_->labels()->geometry);
      else
        scene_.clearLabels();
    }
    scene_.setLabelsVisible(model_->labelsVisible());
    if (!sameLabels)
      for (int value : model_->presentLabelValues()) {
        const auto a = model_->labelAppearance(value);
        scene_.setLabelAppearance(value, a.visible, a.opacity);
      }
    update();
  });
  connect(model_, &ViewerModel::labelAppearanceChanged, this, [this](int value) {
    const auto a = model_->labelAppearance(value);
    scene_.setLabelAppearance(value, a.visible, a.opacity);
    update();
  });
}

void SceneViewWidget::renderScene() {
  scene_.syncOrientationCamera();
  scene_.renderer()->ResetCameraClippingRange();
  VtkOpenGLWidget::renderScene();
}

std::optional<Vec3> SceneViewWidget::riskMapAtWidgetPosition(QPointF widgetPos) const {
  const QPointF display = vtkDisplayFromWidget(widgetPos);
  return scene_.pickRiskMap(display.x(), display.y());
}

void SceneViewWidget::mousePressEvent(QMouseEvent* e) {
  if (e->button() == Qt::LeftButton) leftPressAt_ = e->position();
  VtkOpenGLWidget::mousePressEvent(e);
}

void SceneViewWidget::mouseReleaseEvent(QMouseEvent* e) {
  VtkOpenGLWidget::mouseReleaseEvent(e);
  if (e->button() != Qt::LeftButton || !leftPressAt_) return;
  const QPointF moved = e->position() - *leftPressAt_;
  leftPressAt_.reset();
  if (std::hypot(moved.x(), moved.y()) > kClickSlop || !scene_.riskMapShown()) return;
  if (const auto point = riskMapAtWidgetPosition(e->position())) emit riskMapClicked(*point);
}

}  // namespace dbs::app
