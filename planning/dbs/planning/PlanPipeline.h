// PlanPipeline: the whole planning job, shared by `dbsplan plan` and the GUI: locate both GPi,
// segment the risk structures and their distance maps, propose a target per side, search the
// trajectories, place the electrodes, and assemble the plan document.
//
// Coordinate systems used: patient RAS mm (see Trajectory.h and PlanDocument.h).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "dbs/imaging/RiskStructures.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/PlanDocument.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {

struct PlanInputs {
  LocateInputs locate;
  std::string vesselVolumePath;  // optional contrast T1 or angiogram (co-registered rigidly first)
  // Brain mask of the template (non-zero = brain); empty = Colin27's (mricron's ch2bet).
  std::string templateBrainMaskPath;
  std::string electrodeId = "medtronic_3389";
  SearchSettings search;
  RiskSegmentationSettings risk;
  std::string programVersion = "unknown";
  // Set by hand (patient RAS mm), index 0 left, 1 right; applied with editTrajectory after the search.
  std::array<std::optional<Vec3>, 2> manualTargetRas, manualEntryRas;
};

struct PlanResult {
  LocateResult locate;
  RiskStructures risks;
  // What scoring samples; kept for re-scoring manual edits. Immutable once built, so snapshots for
  // the report share it (the window's report once lacked the scalp risk maps without it).
  std::shared_ptr<const RiskField> field;
  std::unique_ptr<AcpcFrame> acpc;
  PlanDocument plan;
  SearchSettings searchSettings;  // as used; manual edits are re-scored with the same
  // The scoring context for this patient (fields, frame, catalogue, MNI mapping, settings).
  PlanningContext context() const;
};

// Throws ImagingError / std::runtime_error on bad input, Cancelled when `progress` returns false.
PlanResult runPlanPipeline(const PlanInputs& inputs, const ProgressCallback& progress = {});

// A target or entry set by hand when planning (`dbsplan plan --target/--entry`; edits of an existing
// plan go through PlanSession). A new target re-runs that side's search from it; a new entry is kept
// as given. Either way the trajectory is re-scored exactly as the search scores (evaluateTrajectory),
// its origin becomes "manual", the side's alternatives are the search's best from the (new) target,
// the side's "manual" target is recorded, and a typed history entry records each value set.
// Throws std::invalid_argument for a side without a trajectory or an entry on the target.
void editTrajectory(PlanResult& result, Side side, std::optional<Vec3> targetRas,
                    std::optional<Vec3> entryRas);

// Writes DIR/plan.json, DIR/labels.nii.gz (+ labels.json, locate.json, transforms) and
// DIR/risk_structures.nii.gz atomically, plan.json last with the SHA-256 of each file it refers to;
// returns the plan as written. The report and the scene are the app's (they render).
PlanDocument writePlanOutputs(const PlanResult& result, const std::string& outDir);

}  // namespace dbs
