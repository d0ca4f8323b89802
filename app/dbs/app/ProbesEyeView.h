// ProbesEyeView: the window's probe's-eye view of the selected trajectory. The image resliced
// perpendicular to the lead at a depth along its path, with the lead's cross-section, its contacts
// and directional segments and the structures' outlines: the report's figure (renderProbesEyeView
// with probesEyePlane, one reslicing geometry for both), re-rendered when the depth or the plan
// changes and never while idle. The wheel, PgUp/PgDn, the Up/Down keys and the slider scroll along
// the path; the depth is in mm from the target, positive towards the entry, and is written on the
// picture.
#pragma once

#include <QImage>
#include <QWidget>

#include <optional>

#include "dbs/planning/PlanPipeline.h"

class QSlider;

namespace dbs::app {

class ProbesEyeView : public QWidget {
  Q_OBJECT
 public:
  // The range the view scrolls over (mm from the target): from beyond the tip to well above the
  // deepest contacts, where the lead leaves the pallidum.
  static constexpr double kDeepestMm = -10, kShallowestMm = 40, kStepMm = 0.5;

  explicit ProbesEyeView(QWidget* parent = nullptr);

  // What to show: the plan's volume and labels (`result`, kept by the caller while shown) and one
  // of its trajectories (copied). Null result or trajectory: an empty view with a hint.
  void showTrajectory(const PlanResult* result, const PlannedTrajectory* trajectory);
  double depthMm() const { return depthMm_; }
  void setDepthMm(double depthMm);  // clamped to the range, rounded to kStepMm
  // The picture as painted now (empty when nothing is shown), for screenshots and tests.
  QImage picture();

 signals:
  void depthChanged(double depthMm);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  QRect pictureRect() const;  // the square the picture is drawn in, left of the slider
  void render();

  const PlanResult* result_ = nullptr;
  std::optional<PlannedTrajectory> trajectory_;
  double depthMm_ = 0;
  QSlider* slider_ = nullptr;
  QImage picture_;
  bool stale_ = true;
};

}  // namespace dbs::app
