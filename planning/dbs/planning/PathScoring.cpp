#include "dbs/planning/PathScoring.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

namespace dbs::detail {

LeadLevels leadLevels(const ElectrodeModel& model, double deepestContactBeyondTargetMm, Side side) {
  LeadLevels levels;
  const double deepest = model.contacts.front().centreMm();
  for (int level = 0; level < model.levels(); ++level)
    levels.depthsMm.push_back(model.levelCentreMm(level) - deepest - deepestContactBeyondTargetMm);
  levels.targetLabel = labelValue(sidedLabelName("GPi", side));
  return levels;
}

PathScan scanPath(const RiskField& field, const SearchSettings& s, Vec3 targetRas, Vec3 entryRas,
                  double tipBeyondMm, const LeadLevels& levels) {
  PathScan scan;
  scan.minDistance.fill(RiskField::kFar);
  scan.depthAtMin.fill(0);
  const Vec3 toEntry = entryRas - targetRas;
  const double length = norm(toEntry);
  const Vec3 u = (1.0 / length) * toEntry;
  // From the lead's tip (beyond the target) up to the entry, every stepMm, both ends included.
  const double from = -tipBeyondMm, to = length;
  const int steps = std::max(1, static_cast<int>(std::ceil((to - from) / s.stepMm)));
  for (int i = 0; i <= steps; ++i) {
    const double depth = from + (to - from) * i / steps;
    const RiskField::Sample sample = field.sample(targetRas + depth * u);
    for (std::size_t k = 0; k < kRiskKinds; ++k)
      if (sample.risk[k] < scan.minDistance[k]) {
        scan.minDistance[k] = sample.risk[k];
        scan.depthAtMin[k] = depth;
      }
  }
  double clearance = 0, weights = 0;
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    if (!field.present(static_cast<RiskKind>(k))) continue;
    clearance += s.weight[k] * std::clamp(double(scan.minDistance[k]) / s.saturationMm[k], 0.0, 1.0);
    weights += s.weight[k];
    if (scan.minDistance[k] < s.requiredMarginMm[k]) scan.safe = false;
  }
  std::size_t levelsInTarget = 0;
  for (double depth : levels.depthsMm)
    levelsInTarget += field.labelAt(targetRas + depth * u) == levels.targetLabel;
  const double inTarget =
      levels.depthsMm.empty() ? 0.0 : double(levelsInTarget) / double(levels.depthsMm.size());
  scan.score = (weights > 0 ? clearance / weights : 1.0) + s.contactsInTargetWeight * inTarget -
               s.lengthWeightPer10Mm * length / 10.0;
  return scan;
}

Angles anglesOf(const AcpcFrame& acpc, Side side, Vec3 targetRas, Vec3 entryRas) {
  const Vec3 d = normalized(acpc.acpcFromRas(entryRas) - acpc.acpcFromRas(targetRas));
  return {degrees(std::atan2(d.z, d.y)), degrees(std::asin(std::clamp(d.x * sideSign(side), -1.0, 1.0))),
          degrees(std::acos(std::clamp(d.y, -1.0, 1.0)))};
}

bool pathInWindow(const AcpcFrame& acpc, const SearchSettings& s, Side side, Vec3 entryRas, const Angles& a) {
  return entryInWindow(acpc, s, side, entryRas) && a.sagittalDeg >= s.sagittalAngleMinDeg - 1e-6 &&
         a.sagittalDeg <= s.sagittalAngleMaxDeg + 1e-6 && a.lateralDeg >= s.lateralAngleMinDeg - 1e-6 &&
         a.lateralDeg <= s.lateralAngleMaxDeg + 1e-6;
}

void parallelChunks(std::size_t count, const std::function<void(std::size_t, std::size_t)>& work) {
  const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  const std::size_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) {
    const std::size_t b = std::min(count, w * chunk), e = std::min(count, (w + 1) * chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  work(0, std::min(count, chunk));
  for (auto& th : pool) th.join();
}

double radicalInverse(std::size_t index, unsigned base) {
  double result = 0, f = 1.0 / base;
  while (index > 0) {
    result += f * static_cast<double>(index % base);
    index /= base;
    f /= base;
  }
  return result;
}

const ElectrodeModel& electrodeOrThrow(const PlanningContext& context, const std::string& id) {
  if (!context.electrodes) throw std::invalid_argument("no electrode catalogue");
  try {
    return context.electrodes->find(id);
  } catch (const std::out_of_range& e) {
    throw std::invalid_argument(e.what());
  }
}

}  // namespace dbs::detail
