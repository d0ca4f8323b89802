#include "dbs/planning/PathScoring.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <thread>

namespace dbs::detail {

LeadLevels leadLevels(const ElectrodeModel& model, double deepestContactBeyondTargetMm, Side side) {
  LeadLevels levels;
  // A point `along` mm from the distal end lies at depth along - (deepest contact's centre +
  // deepestContactBeyondTargetMm) from the target.
  const double shift = model.contacts.front().centreMm() + deepestContactBeyondTargetMm;
  for (int level = 0; level < model.levels(); ++level) {
    double lower = 1e30, upper = -1e30;
    for (const ElectrodeContact& c : model.contacts)
      if (c.level == level) {
        lower = std::min(lower, c.startMm - shift);
        upper = std::max(upper, c.endMm - shift);
      }
    if (lower <= upper) levels.spansMm.emplace_back(lower, upper);
  }
  levels.gpiLabel = labelValue(sidedLabelName("GPi", side));
  levels.gpeLabel = labelValue(sidedLabelName("GPe", side));
  return levels;
}

namespace {

// Fraction of the deepest model.gpiLevels levels' length in the GPi, of every level's length in
// the GPi or GPe (each span sampled every 0.5 mm, both ends included), and how far below the deepest
// contact's centre the path leaves the GPi (nothing when that centre is not in it; the search distance when
// it never leaves).
struct ContactPlacement {
  double inGpi = 0, inPallidum = 0;
  std::optional<double> exitBelowDeepestMm;
};

ContactPlacement placeLevels(const RiskField& field, const ScoringModel& model, Vec3 targetRas, Vec3 u,
                             const LeadLevels& levels) {
  ContactPlacement p;
  std::size_t samples = 0, deepSamples = 0, gpi = 0, pallidum = 0;
  for (std::size_t level = 0; level < levels.spansMm.size(); ++level) {
    const auto [lower, upper] = levels.spansMm[level];
    const bool deep = level < static_cast<std::size_t>(model.gpiLevels);
    const int n = std::max(1, static_cast<int>(std::ceil((upper - lower) / 0.5)));
    for (int i = 0; i <= n; ++i) {
      const int label = field.labelAt(targetRas + (lower + (upper - lower) * i / n) * u);
      ++samples;
      deepSamples += deep;
      gpi += deep && label == levels.gpiLabel;
      pallidum += label == levels.gpiLabel || label == levels.gpeLabel;
    }
  }
  if (samples > 0) {
    p.inGpi = double(gpi) / double(deepSamples);
    p.inPallidum = double(pallidum) / double(samples);
  }
  if (levels.spansMm.empty()) return p;
  const double deepest = 0.5 * (levels.spansMm.front().first + levels.spansMm.front().second);
  if (field.labelAt(targetRas + deepest * u) != levels.gpiLabel) return p;
  double below = 0;
  while (below < model.ventralSearchMm &&
         field.labelAt(targetRas + (deepest - below - 0.25) * u) == levels.gpiLabel)
    below += 0.25;
  p.exitBelowDeepestMm = below;
  return p;
}

}  // namespace

PathScan scanPath(const RiskField& field, const AcpcFrame& acpc, const SearchSettings& s, Side side,
                  Vec3 targetRas, Vec3 entryRas, double tipBeyondMm, const LeadLevels& levels) {
  const ScoringModel& model = scoringModel();
  PathScan scan;
  scan.minDistance.fill(RiskField::kFar);
  scan.depthAtMin.fill(0);
  const Vec3 toEntry = entryRas - targetRas;
  const double length = norm(toEntry);
  const Vec3 u = (1.0 / length) * toEntry;
  // From the lead's tip (beyond the target) up to the entry, every stepMm, both ends included.
  const double from = -tipBeyondMm, to = length;
  const int steps = std::max(1, static_cast<int>(std::ceil((to - from) / s.stepMm)));
  // Sulcal distance and brain flag per sample, for the gyral crown (reused per thread: the search
  // scans thousands of paths).
  thread_local std::vector<float> sulcus;
  thread_local std::vector<unsigned char> inBrain;
  sulcus.resize(static_cast<std::size_t>(steps) + 1);
  inBrain.resize(static_cast<std::size_t>(steps) + 1);
  float caudate = RiskField::kFar;
  const std::size_t sulci = static_cast<std::size_t>(RiskKind::Sulci);
  for (int i = 0; i <= steps; ++i) {
    const double depth = from + (to - from) * i / steps;
    const Vec3 point = targetRas + depth * u;
    const RiskField::Sample sample = field.sample(point);
    for (std::size_t k = 0; k < kRiskKinds; ++k)
      if (sample.risk[k] < scan.minDistance[k]) {
        scan.minDistance[k] = sample.risk[k];
        scan.depthAtMin[k] = depth;
      }
    caudate = std::min(caudate, sample.caudate);
    sulcus[static_cast<std::size_t>(i)] = sample.risk[sulci];
    inBrain[static_cast<std::size_t>(i)] = field.brainAt(point);
  }
  auto set = [&](ScoreTerm term, double value, double sign = 1.0) {
    const std::size_t k = static_cast<std::size_t>(term);
    scan.terms[k] = {value, sign * s.scoreWeights[k] * value};
  };

  double clearance = 0, weights = 0;
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    if (!field.present(static_cast<RiskKind>(k))) continue;
    clearance += s.weight[k] * saturating(scan.minDistance[k], s.saturationMm[k]);
    weights += s.weight[k];
    if (scan.minDistance[k] < s.requiredMarginMm[k]) scan.safe = false;
  }
  set(ScoreTerm::Clearance, weights > 0 ? clearance / weights : 1.0);

  const ContactPlacement placed = placeLevels(field, model, targetRas, u, levels);
  set(ScoreTerm::ContactsInGpi, placed.inGpi);
  set(ScoreTerm::ContactsInPallidum, placed.inPallidum);
  set(ScoreTerm::VentralBorder, ventralBorderValue(model, placed.exitBelowDeepestMm));

  // Gyral crown: from the entry down, the first sample in the brain is where the path enters it;
  // the smallest sulcal distance over the next crownCortexDepthMm. Without a brain mask or sulci,
  // nothing to prefer: 1 for every path.
  double crown = 1.0;
  if (field.brainPresent() && field.present(RiskKind::Sulci)) {
    int cortex = -1;
    for (int i = steps; i >= 0; --i)
      if (inBrain[static_cast<std::size_t>(i)]) {
        cortex = i;
        break;
      }
    float nearest = RiskField::kFar;
    if (cortex >= 0)
      for (int i = cortex; i >= 0; --i) {
        const double below = (to - from) * (cortex - i) / steps;
        if (below > model.crownCortexDepthMm) break;
        nearest = std::min(nearest, sulcus[static_cast<std::size_t>(i)]);
      }
    crown = cortex >= 0 ? gyralCrownValue(model, nearest) : 0.0;
  }
  set(ScoreTerm::GyralCrown, crown);

  const Vec3 entryAcpc = acpc.acpcFromRas(entryRas);
  set(ScoreTerm::EntryRegion, entryRegionValue(model, entryAcpc.y, entryAcpc.x * sideSign(side)));
  const Angles a = anglesOf(acpc, side, targetRas, entryRas);
  set(ScoreTerm::SagittalAngle, angleValue(model.sagittal, a.sagittalDeg));
  set(ScoreTerm::LateralAngle, angleValue(model.lateral, a.lateralDeg));
  set(ScoreTerm::Caudate, field.caudatePresent() ? saturating(caudate, model.caudateSaturationMm) : 1.0);
  set(ScoreTerm::Length, length / 10.0, -1.0);

  scan.score = 0;
  for (const ScoreTermValue& t : scan.terms) scan.score += t.contribution;
  return scan;
}

Angles anglesOf(const AcpcFrame& acpc, Side side, Vec3 targetRas, Vec3 entryRas) {
  const Vec3 d = normalized(acpc.acpcFromRas(entryRas) - acpc.acpcFromRas(targetRas));
  return {degrees(std::atan2(d.z, d.y)), degrees(std::asin(std::clamp(d.x * sideSign(side), -1.0, 1.0))),
          degrees(std::acos(std::clamp(d.y, -1.0, 1.0)))};
}

double windowInsideDeg(const SearchSettings& s, const Angles& a) {
  return std::min({a.sagittalDeg - s.sagittalAngleMinDeg, s.sagittalAngleMaxDeg - a.sagittalDeg,
                   a.lateralDeg - s.lateralAngleMinDeg, s.lateralAngleMaxDeg - a.lateralDeg});
}

double windowInsideMm(const AcpcFrame& acpc, const SearchSettings& s, Side side, Vec3 entryRas) {
  const Vec3 e = acpc.acpcFromRas(entryRas);
  return std::min(e.x * sideSign(side) - s.entryMinLateralMm, e.y - s.entryMinAnteriorMm);
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
