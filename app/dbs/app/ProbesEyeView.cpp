#include "dbs/app/ProbesEyeView.h"

#include <QKeyEvent>
#include <QPainter>
#include <QSlider>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "dbs/app/PlanFigures.h"

namespace dbs::app {

namespace {
// The slider counts steps of kStepMm.
int sliderValue(double depthMm) {
  return static_cast<int>(std::lround(depthMm / ProbesEyeView::kStepMm));
}
}  // namespace

ProbesEyeView::ProbesEyeView(QWidget* parent) : QWidget(parent) {
  setObjectName("probesEyeView");
  setFocusPolicy(Qt::WheelFocus);
  setMinimumSize(220, 200);
  setToolTip(
      "Probe's eye: the image perpendicular to the selected lead, seen from the entry. Wheel, PgUp/PgDn or "
      "Up/Down move along the path (mm from the target, positive towards the entry).");
  slider_ = new QSlider(Qt::Vertical, this);
  slider_->setObjectName("probesEyeDepth");
  slider_->setRange(sliderValue(kDeepestMm), sliderValue(kShallowestMm));
  slider_->setValue(0);
  slider_->setToolTip("Depth along the path: mm from the target, up = towards the entry");
  connect(slider_, &QSlider::valueChanged, this, [this](int value) { setDepthMm(value * kStepMm); });
}

void ProbesEyeView::showTrajectory(const PlanResult* result, const PlannedTrajectory* trajectory) {
  result_ = result;
  if (trajectory)
    trajectory_ = *trajectory;
  else
    trajectory_.reset();
  stale_ = true;
  update();
}

void ProbesEyeView::setDepthMm(double depthMm) {
  const double clamped = std::clamp(std::round(depthMm / kStepMm) * kStepMm, kDeepestMm, kShallowestMm);
  if (clamped == depthMm_) return;
  depthMm_ = clamped;
  {
    const QSignalBlocker blocker(slider_);
    slider_->setValue(sliderValue(depthMm_));
  }
  stale_ = true;
  update();
  emit depthChanged(depthMm_);
}

QRect ProbesEyeView::pictureRect() const {
  const int sliderWidth = slider_->sizeHint().width() + 6;
  const int side = std::max(50, std::min(width() - sliderWidth, height()));
  return QRect((width() - sliderWidth - side) / 2, (height() - side) / 2, side, side);
}

void ProbesEyeView::render() {
  stale_ = false;
  picture_ = QImage();
  if (!result_ || !trajectory_ || !result_->locate.patient.image) return;
  try {
    picture_ = renderProbesEyeView(*result_, *trajectory_, pictureRect().size(), depthMm_);
  } catch (const std::exception&) {
    picture_ = QImage();  // a trajectory without length: nothing to look down
  }
}

QImage ProbesEyeView::picture() {
  if (stale_) render();
  return picture_;
}

void ProbesEyeView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), QColor(20, 22, 26));
  const QImage image = picture();
  if (image.isNull()) {
    painter.setPen(QColor(180, 180, 180));
    painter.drawText(
        rect().adjusted(8, 8, -slider_->width() - 8, -8), Qt::AlignCenter | Qt::TextWordWrap,
        "Probe's eye: plan or open a plan (File > Open plan...) to look down the selected lead.");
    return;
  }
  painter.drawImage(pictureRect().topLeft(), image);
}

void ProbesEyeView::resizeEvent(QResizeEvent*) {
  const int sliderWidth = slider_->sizeHint().width();
  slider_->setGeometry(width() - sliderWidth - 3, 6, sliderWidth, height() - 12);
  stale_ = true;
}

void ProbesEyeView::wheelEvent(QWheelEvent* event) {
  // One notch (120 eighths of a degree) = one step; up = towards the entry.
  const int notches = event->angleDelta().y() / 120;
  if (notches == 0) return;
  setDepthMm(depthMm_ + notches * kStepMm);
  event->accept();
}

void ProbesEyeView::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_PageUp:
      setDepthMm(depthMm_ + 2 * kStepMm);
      break;
    case Qt::Key_PageDown:
      setDepthMm(depthMm_ - 2 * kStepMm);
      break;
    case Qt::Key_Up:
      setDepthMm(depthMm_ + kStepMm);
      break;
    case Qt::Key_Down:
      setDepthMm(depthMm_ - kStepMm);
      break;
    case Qt::Key_Home:
      setDepthMm(0);
      break;
    default:
      QWidget::keyPressEvent(event);
      return;
  }
  event->accept();
}

}  // namespace dbs::app
