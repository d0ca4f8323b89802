// RiskMapController: View > Scalp risk map. Keeps the selected side's map (render/ScalpRiskMap.h) on
// the 3-D view in step with the plan shown:
//  - refresh(), after a change of the plan session or of the side: a map whose inputs are unchanged
//    (the side, the target, the electrode, the depth, the AC-PC frame; never the entry) is kept;
//    otherwise the whole map is scored on a worker thread, one at a time (the newest inputs follow
//    when it ends), and installed only into the session it was started for.
//  - preview(), on each step of a target's drag: the map's search window is re-scored in the UI
//    thread (tens of ms), the rest dimmed until the release scores the whole map again.
// It only shows; the window turns a click on the map into an edit (map() says where the vertices are).
//
// Coordinate systems used: patient RAS mm (the map's vertices); the search window is the AC-PC
// frame's, so a moved AC or PC scores the map again.
#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include "dbs/planning/PlanSession.h"
#include "render/ScalpRiskMap.h"

namespace dbs::app {

class BackgroundJobs;
class SceneViewWidget;

class RiskMapController : public QObject {
  Q_OBJECT
 public:
  // `selectedSide`: the side whose map is shown, asked whenever the map is (re)built.
  RiskMapController(SceneViewWidget* sceneView, BackgroundJobs* jobs, std::function<Side()> selectedSide,
                    QObject* parent);

  // The map shown, null while none is (off, no plan, or the first scoring still running).
  const ScalpRiskMap* map() const { return map_.get(); }
  // Another plan session, or none: the previous plan's map and scalp surface are dropped.
  void setSession(std::shared_ptr<PlanSession> session);
  // View > Scalp risk map checked or unchecked.
  void setShown(bool shown);
  // The session's plan or the side changed: keep, (re)score or hide the map.
  void refresh();
  // A drag's step: re-scores the map's window for `preview`'s target of the map's side.
  void preview(const PlanDocument& preview);

 signals:
  // A note for the status bar (timeout 0: until the next one).
  void message(const QString& text, int timeoutMs);

 private:
  // Scores the map of `chosen` (in the session's frame) on a worker thread.
  void startScoring(const PlannedTrajectory& chosen, const AcpcFrame& frame);

  SceneViewWidget* sceneView_;
  BackgroundJobs* jobs_;
  std::function<Side()> selectedSide_;
  std::shared_ptr<PlanSession> session_;
  unsigned long sessionGeneration_ = 0;  // changes with every session set, so stale results are dropped
  bool shown_ = false;
  std::shared_ptr<ScalpRiskMap> map_;
  vtkSmartPointer<vtkPolyData> scalpSurface_;  // of the session's T1, built once per session
  std::optional<AcpcFrame> mapFrame_;          // the frame map_ was scored in
  bool stale_ = false;                         // re-scored for a preview: score again when shown
  bool jobRunning_ = false, pending_ = false;
};

}  // namespace dbs::app
