#include "dbs/planning/TrajectorySearch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "dbs/planning/PathScoring.h"

namespace dbs {

using namespace detail;

std::vector<EntryAssessment> assessEntries(const PlanningContext& context, const Trajectory& trajectory,
                                           const std::vector<Vec3>& entriesRas, EntryScope scope) {
  if (!context.field || !context.acpc)
    throw std::invalid_argument("assessEntries: no risk field or AC-PC frame");
  const SearchSettings& s = context.settings;
  const RiskField& field = *context.field;
  const AcpcFrame& acpc = *context.acpc;
  const ElectrodeModel& model = electrodeOrThrow(context, trajectory.electrodeId);
  const double tipBeyond = trajectory.deepestContactBeyondTargetMm + tipBelowDeepestContactMm(model);
  const LeadLevels levels = leadLevels(model, trajectory.deepestContactBeyondTargetMm, trajectory.side);
  const Vec3 target = trajectory.targetRas;
  std::vector<EntryAssessment> result(entriesRas.size());
  parallelChunks(entriesRas.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Vec3 entry = entriesRas[i];
      if (!(norm(entry - target) > 1.0)) continue;
      const bool inWindow =
          pathInWindow(acpc, s, trajectory.side, entry, anglesOf(acpc, trajectory.side, target, entry));
      if (scope == EntryScope::InWindowOnly && !inWindow) continue;
      const PathScan scan = scanPath(field, acpc, s, trajectory.side, target, entry, tipBeyond, levels);
      EntryAssessment& a = result[i];
      a.scored = true;
      a.inWindow = inWindow;
      a.score = static_cast<float>(scan.score);
      a.safe = scan.safe;
      a.clearanceMm = RiskField::kFar;
      a.marginMm = RiskField::kFar;
      for (std::size_t k = 0; k < kRiskKinds; ++k) {
        if (!field.present(static_cast<RiskKind>(k))) continue;
        a.clearanceMm = std::min(a.clearanceMm, scan.minDistance[k]);
        a.marginMm = std::min(a.marginMm, static_cast<float>(scan.minDistance[k] - s.requiredMarginMm[k]));
      }
    }
  });
  return result;
}

SearchResult searchTrajectories(const PlanningContext& context, Side side, Vec3 targetRas,
                                const std::string& electrodeId, double deepestContactBeyondTargetMm) {
  if (!context.field || !context.acpc)
    throw std::invalid_argument("searchTrajectories: no risk field or AC-PC frame");
  const auto start = std::chrono::steady_clock::now();
  const SearchSettings& s = context.settings;
  const RiskField& field = *context.field;
  const AcpcFrame& acpc = *context.acpc;
  const ElectrodeModel& model = electrodeOrThrow(context, electrodeId);
  const double tipBeyond = deepestContactBeyondTargetMm + tipBelowDeepestContactMm(model);
  const LeadLevels levels = leadLevels(model, deepestContactBeyondTargetMm, side);

  struct Candidate {
    Vec3 entry;
    float score = 0;
    bool valid = false, safe = false;
  };
  std::vector<Candidate> candidates;
  std::size_t accepted = 0, nextIndex = 1;  // Halton index 0 is the window's corner: skip it
  // Some directions miss the window's entry constraints (too close to the midline, say); draw in
  // batches until enough candidates have been scored, at most 8 batches.
  for (int batch = 0; batch < 8 && accepted < s.candidatesPerSide; ++batch) {
    const std::size_t needed = s.candidatesPerSide - accepted;
    const std::size_t count = batch == 0 ? needed + needed / 4 : std::max<std::size_t>(needed * 2, 64);
    const std::size_t first = candidates.size();
    candidates.resize(first + count);
    parallelChunks(count, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = first + begin; i < first + end; ++i) {
        const std::size_t h = nextIndex + i - first;
        const double sag =
            s.sagittalAngleMinDeg + (s.sagittalAngleMaxDeg - s.sagittalAngleMinDeg) * radicalInverse(h, 2);
        const double lat =
            s.lateralAngleMinDeg + (s.lateralAngleMaxDeg - s.lateralAngleMinDeg) * radicalInverse(h, 3);
        const auto entry = scalpEntryAlong(field, targetRas, directionFromAngles(acpc, side, sag, lat));
        Candidate& c = candidates[i];
        if (!entry || !entryInWindow(acpc, s, side, *entry)) continue;
        const PathScan scan = scanPath(field, acpc, s, side, targetRas, *entry, tipBeyond, levels);
        c = {*entry, static_cast<float>(scan.score), true, scan.safe};
      }
    });
    nextIndex += count;
    accepted = static_cast<std::size_t>(
        std::count_if(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.valid; }));
  }

  SearchResult result;
  result.side = side;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].valid) {
      order.push_back(i);
      if (candidates[i].safe) ++result.safeCandidates;
    }
  result.candidates = order.size();
  // Safe paths first, then by score; ties by index so the result is deterministic.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Candidate &ca = candidates[a], &cb = candidates[b];
    if (ca.safe != cb.safe) return ca.safe;
    if (ca.score != cb.score) return ca.score > cb.score;
    return a < b;
  });
  for (std::size_t i : order) {
    if (result.best.size() >= s.alternatives) break;
    const Vec3 entry = candidates[i].entry;
    const bool distinct = std::all_of(result.best.begin(), result.best.end(), [&](const Trajectory& kept) {
      return norm(kept.entryRas - entry) >= s.distinctEntryMm;
    });
    if (!distinct) continue;
    Trajectory t;
    t.side = side;
    t.targetRas = targetRas;
    t.entryRas = entry;
    t.electrodeId = electrodeId;
    t.deepestContactBeyondTargetMm = deepestContactBeyondTargetMm;
    t.origin = TrajectoryOrigin::Search;
    result.best.push_back(t);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Trajectory& t : result.best) result.bestMetrics.push_back(evaluateTrajectory(context, t));
  return result;
}

}  // namespace dbs
