#include "gui/RiskMapController.h"

#include "dbs/planning/TrajectorySearch.h"
#include "gui/BackgroundJobs.h"
#include "gui/ViewWidgets.h"

namespace dbs::app {

namespace {
// Whether a map scored for `scored` in `scoredFrame` still holds for `wanted` in `frame`: the map
// depends on the side, the target, the electrode, the depth and the frame (the window), never on
// the entry.
bool riskMapHolds(const Trajectory& scored, const std::optional<AcpcFrame>& scoredFrame,
                  const Trajectory& wanted, const AcpcFrame& frame) {
  auto same = [](Vec3 a, Vec3 b) { return norm(a - b) < 1e-9; };
  return scoredFrame && scored.side == wanted.side && same(scored.targetRas, wanted.targetRas) &&
         scored.electrodeId == wanted.electrodeId &&
         scored.deepestContactBeyondTargetMm == wanted.deepestContactBeyondTargetMm &&
         same(scoredFrame->mcpRas(), frame.mcpRas()) &&
         same(scoredFrame->rightAxisRas(), frame.rightAxisRas()) &&
         same(scoredFrame->anteriorAxisRas(), frame.anteriorAxisRas());
}
}  // namespace

RiskMapController::RiskMapController(SceneViewWidget* sceneView, BackgroundJobs* jobs,
                                     std::function<Side()> selectedSide, QObject* parent)
    : QObject(parent), sceneView_(sceneView), jobs_(jobs), selectedSide_(std::move(selectedSide)) {}

void RiskMapController::setSession(std::shared_ptr<PlanSession> session) {
  session_ = std::move(session);
  ++sessionGeneration_;
  map_.reset();  // of the previous plan's scalp
  scalpSurface_ = nullptr;
  mapFrame_.reset();
  pending_ = false;
  sceneView_->sceneRenderer().setRiskMap(nullptr);
}

void RiskMapController::setShown(bool shown) {
  shown_ = shown;
  refresh();
}

void RiskMapController::refresh() {
  SceneRenderer3D& scene = sceneView_->sceneRenderer();
  const PlannedTrajectory* chosen =
      session_ && shown_ ? chosenTrajectory(session_->plan(), selectedSide_()) : nullptr;
  if (!chosen) {
    if (scene.riskMapShown()) {
      scene.setRiskMap(nullptr);
      sceneView_->update();
    }
    map_.reset();
    return;
  }
  const AcpcFrame& frame = *session_->result().acpc;
  if (map_ && !stale_ && riskMapHolds(map_->trajectory, mapFrame_, chosen->trajectory, frame)) {
    if (!scene.riskMapShown()) {
      scene.setRiskMap(map_->surface);
      sceneView_->update();
    }
    return;
  }
  if (jobRunning_) {  // one at a time; the newest inputs follow when it ends
    pending_ = true;
    return;
  }
  startScoring(*chosen, frame);
}

void RiskMapController::startScoring(const PlannedTrajectory& chosen, const AcpcFrame& frame) {
  // The worker holds what it reads: the session (its fields and images stay alive and unchanged),
  // its own copy of the frame and the trajectory, and the scalp surface once it is built.
  struct Built {
    std::shared_ptr<ScalpRiskMap> map;
    vtkSmartPointer<vtkPolyData> scalp;
  };
  auto frameCopy = std::make_shared<AcpcFrame>(frame);
  PlanningContext context = session_->result().context();
  context.acpc = frameCopy.get();
  context.mniFromPatientRas = nullptr;
  const Trajectory trajectory = chosen.trajectory;
  std::shared_ptr<PlanSession> session = session_;
  vtkSmartPointer<vtkPolyData> scalp = scalpSurface_;
  const unsigned long generation = sessionGeneration_;
  jobRunning_ = true;
  pending_ = false;
  emit message(QString("Scoring the %1 side's scalp risk map...").arg(sideWord(trajectory.side)), 0);
  jobs_->runQuietly(
      [session, context, trajectory, scalp, frameCopy]() -> Built {
        Built built;
        built.scalp = scalp ? scalp : scalpSurface(session->result().risks);
        built.map = std::make_shared<ScalpRiskMap>(scalpRiskMapOn(built.scalp, context, trajectory));
        return built;
      },
      [this, generation, frameCopy](QFuture<Built> future) {
        jobRunning_ = false;
        Built built;
        try {
          built = future.result();
        } catch (const std::exception& e) {
          emit message(QString("The scalp risk map failed: ") + e.what(), 10000);
          return;
        }
        if (generation != sessionGeneration_) {  // another plan is open now: its own map
          refresh();
          return;
        }
        scalpSurface_ = built.scalp;
        map_ = built.map;
        mapFrame_ = *frameCopy;
        stale_ = false;
        if (shown_) {  // also mid-drag: the drag's steps re-score this map
          sceneView_->sceneRenderer().setRiskMap(map_->surface);
          sceneView_->update();
          emit message(QString("Scalp risk map (%1): %2 vertices scored in %3 s, %4 in the search "
                               "window, %5 safe")
                           .arg(sideWord(map_->side))
                           .arg(map_->scoredVertices)
                           .arg(map_->scoringSeconds, 0, 'f', 2)
                           .arg(map_->inWindowVertices)
                           .arg(map_->safeVertices),
                       10000);
        }
        if (pending_ || !shown_) refresh();
      });
}

void RiskMapController::preview(const PlanDocument& preview) {
  if (!map_ || !shown_ || !session_) return;
  const PlannedTrajectory* t = chosenTrajectory(preview, map_->side);
  if (!t || riskMapHolds(map_->trajectory, mapFrame_, t->trajectory, *session_->result().acpc)) return;
  // The window's vertices only (tens of ms): the rest keep their last colours, dimmed, until the
  // release re-scores the whole map in the background.
  try {
    scoreRiskMap(*map_, session_->result().context(), t->trajectory, EntryScope::InWindowOnly);
  } catch (const std::exception&) {
    return;
  }
  stale_ = true;
  sceneView_->sceneRenderer().riskMapChanged();
  sceneView_->update();
}

}  // namespace dbs::app
