// GuidedTour: a teacher's walk through a plan (the colin27 sample's, or any open plan) in the window.
// Each step says what a structure or a number is and moves the views to it: AC, PC and the MCP and
// how the AC-PC frame is built; the GPi, GPe, putamen, internal capsule and optic tract and why the
// posteroventral GPi is the dystonia target; the indirect target beside the atlas target; why a
// trajectory keeps away from ventricles, sulci and vessels and what each margin means; the electrode
// and its contacts; the scalp risk map; the other side. The steps are built from the plan's own
// numbers (no text quotes a number the plan does not hold), and TourPanel shows them with Back, Next
// and a list to jump.
//
// Coordinate systems used: every point patient RAS mm; the numbers the text quotes are AC-PC mm
// (origin MCP, x right, y anterior, z superior) as the panel shows them.
#pragma once

#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

#include "dbs/planning/PlanPipeline.h"

class QLabel;
class QListWidget;
class QPushButton;
class QTextBrowser;

namespace dbs::app {

struct TourStep {
  QString title;  // in the list ("AC: the anterior commissure")
  QString html;   // what the panel says
  // What the crosshair is put on, in words for tests and the panel ("AC", "left target"...), and where.
  QString landmark;
  std::optional<Vec3> crosshairRas;
  std::optional<Side> side;  // select this side's trajectory (none: leave the selection)
  enum class Figure { None, ProbesEye, AlongPath } figure = Figure::None;  // raise that dock
  bool riskMap = false;                                                    // show View > Scalp risk map
  double sliceZoom = 1;  // slice views zoomed about the crosshair (1: the whole slice)
};

// The tour of `result`'s plan. Throws std::invalid_argument when the plan has no trajectory.
std::vector<TourStep> guidedTourSteps(const PlanResult& result);

class TourPanel : public QWidget {
  Q_OBJECT
 public:
  explicit TourPanel(QWidget* parent = nullptr);
  void setSteps(std::vector<TourStep> steps);
  const std::vector<TourStep>& steps() const { return steps_; }
  int currentStep() const { return current_; }
  // Shows step `index` (clamped) and emits stepShown for the window to move its views.
  void showStep(int index);

 signals:
  void stepShown(int index);

 private:
  std::vector<TourStep> steps_;
  int current_ = -1;
  QListWidget* list_ = nullptr;
  QTextBrowser* text_ = nullptr;
  QLabel* counter_ = nullptr;
  QPushButton *back_ = nullptr, *next_ = nullptr;
};

}  // namespace dbs::app
