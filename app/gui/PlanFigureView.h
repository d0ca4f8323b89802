// PlanFigureView: a window view of one of the plan's 2-D figures (PlanFigures.h) for the selected
// trajectory, with one parameter the user scrolls: the probe's eye (the image perpendicular to the
// lead, at a depth along its path) and the along-trajectory view (the oblique plane holding the
// whole path, rotated about it). They are the report's own figures with the report's geometry
// (probesEyePlane, alongTrajectoryPlane), re-rendered only when the parameter or the plan changes,
// never while idle. The wheel, Up/Down, PgUp/PgDn, Home and the slider change the parameter; the
// figure writes its value on itself.
#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

#include <functional>
#include <optional>

#include "dbs/planning/PlanPipeline.h"

class QSlider;

namespace dbs::app {

class PlanFigureView : public QWidget {
  Q_OBJECT
 public:
  struct Kind {
    QString objectName, toolTip, sliderToolTip, emptyHint;
    double minimum = 0, maximum = 1, step = 1, pageStep = 1;  // in the parameter's unit (mm, deg)
    std::function<QImage(const PlanResult&, const PlannedTrajectory&, QSize, double)> render;
  };
  // Depth along the path, mm from the target (positive towards the entry), -10 to 40 in 0.5 mm.
  static Kind probesEye();
  // Rotation about the lead, degrees (0: coronal oblique, 90: sagittal oblique), 0 to 180 in 5.
  static Kind alongTrajectory();

  PlanFigureView(Kind kind, QWidget* parent = nullptr);

  // What to show: the plan's volume and labels (`result`, kept by the caller while shown) and one
  // of its trajectories (copied). Null result or trajectory: an empty view with a hint.
  void showTrajectory(const PlanResult* result, const PlannedTrajectory* trajectory);
  double value() const { return value_; }
  void setValue(double value);  // clamped to the range, rounded to the step
  // The picture as painted now (empty when nothing is shown), for screenshots and tests.
  QImage picture();

 signals:
  void valueChanged(double value);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  QRect pictureRect() const;  // the square the picture is drawn in, left of the slider
  void render();
  int sliderValue(double value) const;

  Kind kind_;
  const PlanResult* result_ = nullptr;
  std::optional<PlannedTrajectory> trajectory_;
  double value_ = 0;
  QSlider* slider_ = nullptr;
  QImage picture_;
  bool stale_ = true;
};

}  // namespace dbs::app
