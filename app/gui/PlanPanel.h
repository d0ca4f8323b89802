// PlanPanel: the workstation's side panel. Three parts, top to bottom:
//  - Structures: the legend of the label map shown (colour, name), with visibility and opacity per
//    structure (written to the ViewerModel, which the views follow).
//  - Trajectories: per side the chosen trajectory and its alternatives (id, electrode, length, every
//    margin and where it occurs, contacts in the GPi, safe or not); an alternative is picked with
//    "Use this alternative" or a double click.
//  - The selected trajectory: target and entry in patient RAS, AC-PC and MNI with the distance to
//    the indirect target, its margins, and the electrode, depth and roll, which are edited here.
// The panel only shows a PlanDocument and asks for PlanEdits (editRequested); the window sends
// them to the plan session. Every number has a tooltip saying what it is, its frame and unit.
#pragma once

#include <QElapsedTimer>
#include <QWidget>

#include <optional>

#include "dbs/planning/PlanSession.h"

class QComboBox;
class QLineEdit;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QPushButton;
class QTableWidget;
class QToolButton;
class QTextBrowser;

namespace dbs::app {

class ViewerModel;

class PlanPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PlanPanel(ViewerModel* model, QWidget* parent = nullptr);

  // Shows `plan` (null: no plan open) with `selectedSide`'s trajectory in detail; `preview` marks
  // the numbers as those of an edit in progress (a drag not yet released).
  void showPlan(const PlanDocument* plan, Side selectedSide, bool preview);
  Side selectedSide() const { return selectedSide_; }

  // The texts a user reads, for tests and screen readers: the details of the selected trajectory
  // and the trajectory table's rows (one line per row, cells separated by " | ").
  QString detailsText() const;
  QString trajectoryTableText() const;
  // The tooltip a user gets over character `position` of detailsText() (what the number there is,
  // its frame and unit); "" where there is none.
  QString detailsToolTipAt(int position) const;
  // The tooltip of the trajectory table's cell.
  QString trajectoryCellToolTip(int row, int column) const;
  // What the stimulation part shows of the selected side's activated region ("" when off).
  QString stimulationText() const;

 signals:
  // `merge`: WithPreviousOfTheSameKind for a change of the same field within kBurstMs of the last one.
  void editRequested(const dbs::PlanEdit& edit, dbs::EditMerge merge);
  void sideSelected(Side side);
  // An alternative's row was selected (one click): the window previews it as a ghost path; "" when
  // the selection left the alternatives. Double-click or "Use this alternative" uses it.
  void alternativeHighlighted(const QString& id);

 public:
  // The alternative whose row is selected, while the plan still has it ("" otherwise).
  std::string highlightedAlternative() const;
  const PlannedTrajectory* highlightedAlternativeIn(const PlanDocument& plan) const;

 private:
  // The panel's three parts, top to bottom, and what their widgets do.
  QGroupBox* buildStructuresBox();
  // Opens or folds the structures section (the arrow, the table, the count in the folded title).
  void setStructuresOpen(bool open);
  QGroupBox* buildTrajectoriesBox();
  QGroupBox* buildSelectedBox();
  QGroupBox* buildStimulationBox();
  void connectWidgets();
  void rebuildStructures();
  void onTrajectoryRowActivated(int row);
  // showPlan's parts: the table's rows, and the selected trajectory's electrode, depth and roll.
  void fillTrajectoryTable(const PlanDocument& plan, Side selectedSide);
  void showEditors(const Trajectory& t);
  // The details: the selected side's trajectory, or its comparison with the highlighted alternative.
  void showDetails(const PlanDocument& plan);
  // The target and entry fields, in the chosen frame.
  void showCoordinates();
  // A typed point from `field` (three numbers in the chosen frame) as an edit; a field that does not
  // hold three numbers is marked and says so.
  void applyTypedPoint(QLineEdit* field, bool entry);
  // The selected side's stimulation: its contacts as check boxes (the lead's own labels), the
  // settings, and what the activated region reaches (orange when it reaches a side-effect structure).
  void showStimulation(const PlanDocument& plan, const Trajectory& t);
  // The settings the stimulation widgets now show, sent as one edit (live: each change re-assesses).
  void requestStimulation(const QObject* field);
  // Whether a change of `field` now continues a burst of changes to it (the arrows pressed a few
  // times, the wheel turned): then it joins the last undo step.
  EditMerge burstOf(const QObject* field);
  static constexpr qint64 kBurstMs = 2000;

  ViewerModel* model_;
  QTableWidget* structures_ = nullptr;
  QToolButton* structuresToggle_ = nullptr;
  bool structuresFoldedByUser_ = false;  // the user opened or folded it: no longer follows the plan
  QTableWidget* trajectories_ = nullptr;
  QPushButton* useAlternative_ = nullptr;
  QTextBrowser* details_ = nullptr;  // per-number tooltips (spans with a title)
  QLabel* previewBanner_ = nullptr;
  QComboBox* electrode_ = nullptr;
  QDoubleSpinBox* depth_ = nullptr;
  QDoubleSpinBox* roll_ = nullptr;
  // Typed coordinates of the selected trajectory's target and entry (issue 23), in the frame the
  // combo box names: patient RAS or AC-PC (mm from the MCP, the plan's own frame). Applied on Enter.
  QComboBox* coordinateFrame_ = nullptr;
  QLineEdit* targetField_ = nullptr;
  QLineEdit* entryField_ = nullptr;
  std::optional<AcpcFrame> acpc_;
  const PlanDocument* plan_ = nullptr;  // the plan shown (owned by the window's session)
  std::string highlightedAlternative_;  // the id of the alternative row last selected, if any  // of the plan
                                        // shown; none without a plan or with a degenerate one
  Vec3 shownTargetRas_, shownEntryRas_;
  QGroupBox* stimulationBox_ = nullptr;
  QWidget* stimulationContacts_ = nullptr;  // one QCheckBox per contact, objectName "stimContact_<label>"
  std::string stimulationElectrode_;        // the electrode whose contacts the boxes show
  QDoubleSpinBox* stimAmplitude_ = nullptr;
  QComboBox* stimUnit_ = nullptr;
  QDoubleSpinBox* stimPulseWidth_ = nullptr;
  QDoubleSpinBox* stimImpedance_ = nullptr;
  QComboBox* stimModel_ = nullptr;
  QLabel* stimResult_ = nullptr;
  const QObject* lastFieldChanged_ = nullptr;
  QElapsedTimer sinceLastFieldChange_;
  Side selectedSide_ = Side::Left;
  struct Row {
    Side side;
    std::string id;
    bool chosen;
  };
  std::vector<Row> rows_;
  bool updating_ = false;  // true while the panel fills its own widgets (their signals are not edits)
};

}  // namespace dbs::app
