#include "gui/PlanFigureView.h"

#include <QKeyEvent>
#include <QPainter>
#include <QSlider>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "figures/PlanFigures.h"

namespace dbs::app {

PlanFigureView::Kind PlanFigureView::probesEye() {
  Kind k;
  k.objectName = "probesEyeView";
  k.toolTip =
      "Probe's eye: the image perpendicular to the selected lead, seen from the entry. Wheel, Up/Down (0.5 "
      "mm) or "
      "PgUp/PgDn (1 mm) move along the path (mm from the target, positive towards the entry); Home returns "
      "to "
      "the target.";
  k.sliderToolTip = "Depth along the path: mm from the target, up = towards the entry";
  k.emptyHint = "Probe's eye: plan, or open a plan (File > Open plan...), to look down the selected lead.";
  k.minimum = -10;
  k.maximum = 40;
  k.step = 0.5;
  k.pageStep = 1.0;
  k.render = [](const PlanResult& r, const PlannedTrajectory& t, QSize s, double depthMm) {
    return renderProbesEyeView(r, t, s, depthMm);
  };
  return k;
}

PlanFigureView::Kind PlanFigureView::alongTrajectory() {
  Kind k;
  k.objectName = "alongTrajectoryView";
  k.toolTip =
      "Along the path: the oblique plane that holds the whole selected lead, entry at the top, with its "
      "contacts "
      "and the points where each margin is smallest. Wheel or Up/Down turn it about the lead (5 deg), "
      "PgUp/PgDn "
      "by 15 deg; Home returns to the coronal oblique (0 deg).";
  k.sliderToolTip = "Rotation about the lead: 0 deg coronal oblique, 90 deg sagittal oblique";
  k.emptyHint = "Along the path: plan, or open a plan (File > Open plan...), to see the selected lead whole.";
  k.minimum = 0;
  k.maximum = 180;
  k.step = 5;
  k.pageStep = 15;
  k.render = [](const PlanResult& r, const PlannedTrajectory& t, QSize s, double rotationDeg) {
    return renderAlongTrajectoryView(r, t, s, rotationDeg);
  };
  return k;
}

PlanFigureView::PlanFigureView(Kind kind, QWidget* parent) : QWidget(parent), kind_(std::move(kind)) {
  setObjectName(kind_.objectName);
  setFocusPolicy(Qt::WheelFocus);
  setMinimumSize(220, 200);
  setToolTip(kind_.toolTip);
  slider_ = new QSlider(Qt::Vertical, this);
  slider_->setObjectName(kind_.objectName + "Slider");
  slider_->setRange(sliderValue(kind_.minimum), sliderValue(kind_.maximum));
  slider_->setValue(sliderValue(0));
  slider_->setToolTip(kind_.sliderToolTip);
  connect(slider_, &QSlider::valueChanged, this, [this](int v) { setValue(v * kind_.step); });
}

int PlanFigureView::sliderValue(double value) const {
  return static_cast<int>(std::lround(value / kind_.step));
}

void PlanFigureView::showTrajectory(const PlanResult* result, const PlannedTrajectory* trajectory) {
  result_ = result;
  if (trajectory)
    trajectory_ = *trajectory;
  else
    trajectory_.reset();
  stale_ = true;
  update();
}

void PlanFigureView::setValue(double value) {
  const double clamped =
      std::clamp(std::round(value / kind_.step) * kind_.step, kind_.minimum, kind_.maximum);
  if (clamped == value_) return;
  value_ = clamped;
  {
    const QSignalBlocker blocker(slider_);
    slider_->setValue(sliderValue(value_));
  }
  stale_ = true;
  update();
  emit valueChanged(value_);
}

QRect PlanFigureView::pictureRect() const {
  const int sliderWidth = slider_->sizeHint().width() + 6;
  const int side = std::max(50, std::min(width() - sliderWidth, height()));
  return QRect((width() - sliderWidth - side) / 2, (height() - side) / 2, side, side);
}

void PlanFigureView::render() {
  stale_ = false;
  picture_ = QImage();
  if (!result_ || !trajectory_ || !result_->locate.patient.image) return;
  try {
    picture_ = kind_.render(*result_, *trajectory_, pictureRect().size(), value_);
  } catch (const std::exception&) {
    picture_ = QImage();  // a trajectory without length: nothing to show
  }
}

QImage PlanFigureView::picture() {
  if (stale_) render();
  return picture_;
}

void PlanFigureView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), QColor(20, 22, 26));
  const QImage image = picture();
  if (image.isNull()) {
    painter.setPen(QColor(180, 180, 180));
    painter.drawText(rect().adjusted(8, 8, -slider_->width() - 8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                     kind_.emptyHint);
    return;
  }
  painter.drawImage(pictureRect().topLeft(), image);
}

void PlanFigureView::resizeEvent(QResizeEvent*) {
  const int sliderWidth = slider_->sizeHint().width();
  slider_->setGeometry(width() - sliderWidth - 3, 6, sliderWidth, height() - 12);
  stale_ = true;
}

void PlanFigureView::wheelEvent(QWheelEvent* event) {
  // One notch (120 eighths of a degree) = one step; up = larger values (towards the entry).
  const int notches = event->angleDelta().y() / 120;
  if (notches == 0) return;
  setValue(value_ + notches * kind_.step);
  event->accept();
}

void PlanFigureView::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_PageUp:
      setValue(value_ + kind_.pageStep);
      break;
    case Qt::Key_PageDown:
      setValue(value_ - kind_.pageStep);
      break;
    case Qt::Key_Up:
      setValue(value_ + kind_.step);
      break;
    case Qt::Key_Down:
      setValue(value_ - kind_.step);
      break;
    case Qt::Key_Home:
      setValue(0);
      break;
    default:
      QWidget::keyPressEvent(event);
      return;
  }
  event->accept();
}

}  // namespace dbs::app
