// TrajectorySearch: the automatic search over scalp entry points inside the frontal window for a
// target (searchTrajectories), and the same scoring over any set of entries (assessEntries: the
// scalp risk map). Both score a path with PathScoring.h's scanPath, as evaluateTrajectory does.
//
// Coordinate systems used: patient RAS mm; the window in the AC-PC frame (see SearchSettings).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dbs/planning/Trajectory.h"

namespace dbs {

struct SearchResult {
  Side side = Side::Left;
  std::vector<Trajectory> best;  // best first, at most settings.alternatives, distinct entries
  std::vector<TrajectoryMetrics> bestMetrics;
  std::size_t candidates = 0;  // paths scored
  std::size_t safeCandidates = 0;
  double seconds = 0;  // wall time of the scoring
};

// Scores at least settings.candidatesPerSide entry points on the scalp inside the frontal window
// for a target, on all cores, and returns the best distinct ones (fully evaluated).
SearchResult searchTrajectories(const PlanningContext& context, Side side, Vec3 targetRas,
                                const std::string& electrodeId, double deepestContactBeyondTargetMm = 0);

// What entering at one scalp point would mean for a trajectory's target (the scalp risk map): the
// straight path from the point to the target with the trajectory's electrode and depth, scored
// exactly as the search scores a candidate (same samples, same margins, same score).
struct EntryAssessment {
  bool scored = false;    // false: the point lies within 1 mm of the target (no path)
  float score = 0;        // the search's objective (higher is better)
  float clearanceMm = 0;  // smallest distance along the path to any present risk structure, mm
  // Smallest (distance - required margin) over the present structures, mm: < 0 = a margin is not met.
  float marginMm = 0;
  bool safe = false;      // every present structure kept at its required margin
  bool inWindow = false;  // the point is inside the search's frontal window for this target
};

// Which entries assessEntries scores: all of them, or only those inside the search window (the
// others come back with scored = false and inWindow = false; the window test costs a fraction of a
// path's scan, so a dragged target's map re-scores its window many times a second).
enum class EntryScope { All, InWindowOnly };

// Assesses `entriesRas[i]` (patient RAS mm, typically scalp surface vertices) for `trajectory`'s
// side, target, electrode and depth (its entry is not used), on all cores. Throws
// std::invalid_argument like evaluateTrajectory for an unknown electrode or side.
std::vector<EntryAssessment> assessEntries(const PlanningContext& context, const Trajectory& trajectory,
                                           const std::vector<Vec3>& entriesRas,
                                           EntryScope scope = EntryScope::All);

}  // namespace dbs
