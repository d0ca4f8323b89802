#include "dbs/planning/Trajectory.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace dbs {

// Where the search's defaults (Trajectory.h) come from. The window is the surgical habit for GPi
// leads, expressed in the AC-PC frame so that it follows the patient's head, not the scanner:
//  - Entry at or in front of the coronal suture, 2-3 cm from the midline: the classic frontal
//    (Kocher-type) burr hole, >= 1 cm lateral of the superior sagittal sinus, which reaches up to
//    12 mm either side of the sagittal suture (Arumugam et al., cadaver study, IJCAP), with the
//    bridging veins further lateral: entryMinLateralMm = 20.
//  - Sagittal angle 50-85 deg to the AC-PC line, lateral angle -10..30 deg to the midsagittal plane:
//    the range of GPi approaches reported in technique papers (Starr 2002, Stereotact Funct
//    Neurosurg 79:118-145; Machado 2006, Mov Disord 21 S14). These are secondhand (abstracts read,
//    not the methods), so they are deliberately wide: the search, not the window, picks the angle.
//    With an 85 deg limit the entry lands well in front of the precentral region.
//  - Required clearances: 2 mm from the ventricles (crossing a ventricle deflects the lead and
//    raises targeting error, Zrinzo 2009, J Neurosurg 110:1283-1290); 1 mm from sulcal CSF (leads in
//    or next to a sulcus: 10.1 % complications vs 0.7 %, Elias 2009, J Neurosurg 110:201-207; the
//    sulcal walls carry the cortical veins); 2 mm from contrast-visible vessels. The lead's radius
//    is 0.64 mm and its placement error 1-1.5 mm, which the saturation distances (5-10 mm) cover.
//  - Contact levels inside the GPi: the planner's habit of running the lead along the nucleus so
//    that several levels can stimulate it (contactsInTargetWeight; our choice, no published weight).
//  - Length is a tie-breaker with a small weight, as in the weighted-cost planners (Essert 2012,
//    IJCARS 7:517-532; Liu 2014, IEEE TBME 61:2479-2487): no published standard weight exists.

namespace {

constexpr double kPi = 3.14159265358979323846;
double degrees(double radians) {
  return radians * 180.0 / kPi;
}
double radians(double degrees) {
  return degrees * kPi / 180.0;
}

// Rotation of `v` about the unit axis `axis` by `angleRad` (right-handed; Rodrigues' formula).
Vec3 rotateAbout(Vec3 v, Vec3 axis, double angleRad) {
  const double c = std::cos(angleRad), s = std::sin(angleRad);
  return c * v + s * cross(axis, v) + (dot(axis, v) * (1 - c)) * axis;
}

// Smallest distance to each structure along a segment, and where. Shared by the search and by
// evaluateTrajectory so that both score a path identically.
struct PathScan {
  std::array<float, kRiskKinds> minDistance;
  std::array<double, kRiskKinds> depthAtMin;  // mm from the target towards the entry
  double score = 0;
  bool safe = true;
};

// The lead's contact levels as positions along the path (mm from the target towards the entry) and
// the label they should sit in, for the score's "contacts in the target" term.
struct LeadLevels {
  std::vector<double> depthsMm;
  int targetLabel = 0;
};

LeadLevels leadLevels(const ElectrodeModel& model, double deepestContactBeyondTargetMm, char side) {
  LeadLevels levels;
  const double deepest = model.contacts.front().centreMm();
  for (int level = 0; level < model.levels(); ++level)
    levels.depthsMm.push_back(model.levelCentreMm(level) - deepest - deepestContactBeyondTargetMm);
  levels.targetLabel = labelValue(side == 'L' ? "GPi_L" : "GPi_R");
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

double sideSign(char side) {
  return side == 'R' ? 1.0 : -1.0;
}

struct Angles {
  double sagittalDeg, lateralDeg, toAcpcLineDeg;
};
Angles anglesOf(const AcpcFrame& acpc, char side, Vec3 targetRas, Vec3 entryRas) {
  const Vec3 d = normalized(acpc.acpcFromRas(entryRas) - acpc.acpcFromRas(targetRas));
  return {degrees(std::atan2(d.z, d.y)), degrees(std::asin(std::clamp(d.x * sideSign(side), -1.0, 1.0))),
          degrees(std::acos(std::clamp(d.y, -1.0, 1.0)))};
}

bool entryInWindow(const AcpcFrame& acpc, const SearchSettings& s, char side, Vec3 entryRas) {
  const Vec3 e = acpc.acpcFromRas(entryRas);
  return e.x * sideSign(side) >= s.entryMinLateralMm && e.y >= s.entryMinAnteriorMm;
}

// The whole frontal window: the entry's own constraints and the path's angles.
bool pathInWindow(const AcpcFrame& acpc, const SearchSettings& s, char side, Vec3 entryRas, const Angles& a) {
  return entryInWindow(acpc, s, side, entryRas) && a.sagittalDeg >= s.sagittalAngleMinDeg - 1e-6 &&
         a.sagittalDeg <= s.sagittalAngleMaxDeg + 1e-6 && a.lateralDeg >= s.lateralAngleMinDeg - 1e-6 &&
         a.lateralDeg <= s.lateralAngleMaxDeg + 1e-6;
}

// Runs work(begin, end) over [0, count) in contiguous chunks, one per core (at most 8), the calling
// thread taking the first chunk.
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

// Radical-inverse (van der Corput) in `base`: the Halton sequence spreads candidates evenly over the
// window for any count, deterministically, with no clusters or gaps as a random draw would have.
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

// Distance from the deepest contact's centre to the lead's distal end, mm.
double tipBelowDeepestContactMm(const ElectrodeModel& model) {
  return model.contacts.front().centreMm();
}

}  // namespace

RiskField::RiskField(const RiskStructures& risks, const LabelVolume& labels) {
  const ImageGeometry& g = risks.geometry;
  if (labels.geometry.size != g.size)
    throw std::invalid_argument("risk field: labels and risk maps differ in grid");
  size_ = g.size;
  ijkFromRas_ = g.ijkFromRas();
  const std::size_t n = g.voxelCount();
  channels_.resize(4 * n);
  // Maurer distances run between voxel centres, and a structure's boundary voxels read 0 however
  // thin the structure; its voxels reach half a voxel further out. Subtracting half the *largest*
  // voxel size measures to the farthest face of those voxels along any axis (on a 2 x 2 x 3 mm scan,
  // 1.5 mm), so a margin is never overstated along an axis; towards a voxel's corner it can still
  // be by up to the half-diagonal less that. A path through even a one-voxel vessel reads negative.
  const Vec3 spacing = g.spacingMm();
  const float halfVoxel = static_cast<float>(0.5 * std::max({spacing.x, spacing.y, spacing.z}));
  const float* head = risks.headDistanceMm->GetBufferPointer();
  std::array<const float*, kRiskKinds> risk{};
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    present_[k] = risks.risks[k].present;
    risk[k] = risks.risks[k].distanceMm->GetBufferPointer();
  }
  for (std::size_t i = 0; i < n; ++i) {
    float* c = &channels_[4 * i];
    c[0] = head[i] - halfVoxel;  // the scalp too: the entry lies on the skin, not half a voxel inside
    for (std::size_t k = 0; k < kRiskKinds; ++k) c[1 + k] = present_[k] ? risk[k][i] - halfVoxel : kFar;
  }
  const unsigned short* l = labels.image->GetBufferPointer();
  labels_.assign(l, l + n);

  // Side-effect structures: signed distance to either side's label, measured like the risks.
  sideEffectChannels_.assign(kSideEffectStructures * n, kFar);
  const char* names[kSideEffectStructures] = {"InternalCapsule", "OpticTract"};
  for (std::size_t k = 0; k < kSideEffectStructures; ++k) {
    const int left = labelValue(std::string(names[k]) + "_L"),
              right = labelValue(std::string(names[k]) + "_R");
    auto mask = MaskImage::New();
    mask->CopyInformation(labels.image);
    mask->SetRegions(labels.image->GetLargestPossibleRegion());
    mask->Allocate();
    unsigned char* m = mask->GetBufferPointer();
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += (m[i] = (l[i] == left || l[i] == right) ? 1 : 0);
    sideEffectPresent_[k] = count > 0;
    if (!sideEffectPresent_[k]) continue;
    const FloatImage::Pointer distance = signedDistanceMm(mask.GetPointer());  // kept alive while read
    const float* d = distance->GetBufferPointer();
    for (std::size_t i = 0; i < n; ++i) sideEffectChannels_[kSideEffectStructures * i + k] = d[i] - halfVoxel;
  }
}

const char* sideEffectName(SideEffectStructure structure) {
  return structure == SideEffectStructure::InternalCapsule ? "internal_capsule" : "optic_tract";
}

const char* sideEffectDisplayName(SideEffectStructure structure) {
  return structure == SideEffectStructure::InternalCapsule ? "internal capsule" : "optic tract";
}

std::string sideEffectMarginText(const SideEffectMargin& margin) {
  const std::string name = sideEffectDisplayName(margin.structure);
  if (!margin.assessed) return name + ": not assessed (not located in this patient)";
  char text[160];
  if (margin.distanceMm <= 0)
    std::snprintf(text, sizeof text, "%s: contact %s reaches %.1f mm into it", name.c_str(),
                  margin.contact.c_str(), -margin.distanceMm);
  else
    std::snprintf(text, sizeof text, "%s %.1f mm from contact %s's surface", name.c_str(), margin.distanceMm,
                  margin.contact.c_str());
  return text;
}

float RiskField::sideEffectDistanceMm(SideEffectStructure structure, Vec3 pointRas) const {
  const std::size_t k = static_cast<std::size_t>(structure);
  if (!sideEffectPresent_[k]) return kFar;
  bool outside = false;
  return interpolate<kSideEffectStructures>(sideEffectChannels_, pointRas, outside)[k];
}

// Trilinear interpolation of `Channels` interleaved values per voxel, clamped to the grid;
// `outside` tells whether the point lies beyond the grid's outer voxel faces.
template <std::size_t Channels>
std::array<float, Channels> RiskField::interpolate(const std::vector<float>& interleaved, Vec3 pointRas,
                                                   bool& outside) const {
  const Vec3 ijk = ijkFromRas_.apply(pointRas);
  outside = false;
  std::array<std::size_t, 3> i0{}, i1{};
  std::array<double, 3> f{};
  for (std::size_t a = 0; a < 3; ++a) {
    const double extent = static_cast<double>(size_[a] - 1);
    const double value = ijk[static_cast<int>(a)];
    if (value < -0.5 || value > extent + 0.5) outside = true;
    const double c = std::clamp(value, 0.0, extent);
    const double fl = std::floor(c);
    i0[a] = static_cast<std::size_t>(fl);
    i1[a] = std::min(i0[a] + 1, size_[a] - 1);
    f[a] = c - fl;
  }
  std::array<float, Channels> acc{};
  const std::size_t sx = 1, sy = size_[0], sz = size_[0] * size_[1];
  for (int corner = 0; corner < 8; ++corner) {
    const bool bx = corner & 1, by = corner & 2, bz = corner & 4;
    const double w = (bx ? f[0] : 1 - f[0]) * (by ? f[1] : 1 - f[1]) * (bz ? f[2] : 1 - f[2]);
    if (w == 0) continue;
    const std::size_t idx = (bx ? i1[0] : i0[0]) * sx + (by ? i1[1] : i0[1]) * sy + (bz ? i1[2] : i0[2]) * sz;
    const float* v = &interleaved[Channels * idx];
    for (std::size_t ch = 0; ch < Channels; ++ch) acc[ch] += static_cast<float>(w) * v[ch];
  }
  return acc;
}

RiskField::Sample RiskField::sample(Vec3 pointRas) const {
  bool outside = false;
  const std::array<float, 1 + kRiskKinds> acc = interpolate<1 + kRiskKinds>(channels_, pointRas, outside);
  Sample out{};
  out.head = outside ? kFar : acc[0];
  for (std::size_t k = 0; k < kRiskKinds; ++k) out.risk[k] = present_[k] ? acc[1 + k] : kFar;
  return out;
}

int RiskField::labelAt(Vec3 pointRas) const {
  const Vec3 ijk = ijkFromRas_.apply(pointRas);
  std::array<long, 3> idx{};
  for (int a = 0; a < 3; ++a) {
    idx[static_cast<std::size_t>(a)] = std::lround(ijk[a]);
    if (idx[static_cast<std::size_t>(a)] < 0 ||
        idx[static_cast<std::size_t>(a)] >= static_cast<long>(size_[static_cast<std::size_t>(a)]))
      return 0;
  }
  return labels_[static_cast<std::size_t>(idx[0]) +
                 size_[0] * (static_cast<std::size_t>(idx[1]) + size_[1] * static_cast<std::size_t>(idx[2]))];
}

std::optional<Vec3> scalpEntryAlong(const RiskField& field, Vec3 targetRas, Vec3 directionRas) {
  const Vec3 u = normalized(directionRas);
  double inside = 0;  // largest distance known to be inside the head
  float d = field.sample(targetRas).head;
  if (d >= 0) return std::nullopt;  // the target itself is outside the head
  // Sphere tracing: the scalp is at least |d| away; the trilinear map is slightly smoothed, so step
  // a little less, and never less than a fraction of a voxel.
  double t = 0;
  while (t < 400.0) {
    inside = t;
    t += std::max(0.9 * double(-d), 0.3);
    d = field.sample(targetRas + t * u).head;
    if (d >= 0) break;
  }
  if (d < 0) return std::nullopt;
  double outside = t;
  for (int i = 0; i < 12; ++i) {  // bisection to well below 0.01 mm
    const double mid = 0.5 * (inside + outside);
    (field.sample(targetRas + mid * u).head < 0 ? inside : outside) = mid;
  }
  return targetRas + (0.5 * (inside + outside)) * u;
}

std::vector<EntryAssessment> assessEntries(const PlanningContext& context, const Trajectory& trajectory,
                                           const std::vector<Vec3>& entriesRas, EntryScope scope) {
  if (!context.field || !context.acpc)
    throw std::invalid_argument("assessEntries: no risk field or AC-PC frame");
  if (trajectory.side != 'L' && trajectory.side != 'R')
    throw std::invalid_argument("trajectory side must be 'L' or 'R'");
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
      const PathScan scan = scanPath(field, s, target, entry, tipBeyond, levels);
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

Vec3 directionFromAngles(const AcpcFrame& acpc, char side, double sagittalDeg, double lateralDeg) {
  const double sag = radians(sagittalDeg), lat = radians(lateralDeg);
  const double dx = sideSign(side) * std::sin(lat), dy = std::cos(lat) * std::cos(sag),
               dz = std::cos(lat) * std::sin(sag);
  return dx * acpc.rightAxisRas() + dy * acpc.anteriorAxisRas() + dz * acpc.superiorAxisRas();
}

TrajectoryMetrics evaluateTrajectory(const PlanningContext& context, const Trajectory& t) {
  if (!context.field || !context.acpc)
    throw std::invalid_argument("evaluateTrajectory: no risk field or AC-PC frame");
  if (t.side != 'L' && t.side != 'R') throw std::invalid_argument("trajectory side must be 'L' or 'R'");
  const Vec3 toEntry = t.entryRas - t.targetRas;
  const double length = norm(toEntry);
  if (!(length > 1.0))
    throw std::invalid_argument("trajectory: the entry must lie at least 1 mm from the target");
  const ElectrodeModel& model = electrodeOrThrow(context, t.electrodeId);
  const RiskField& field = *context.field;
  const AcpcFrame& acpc = *context.acpc;
  const SearchSettings& s = context.settings;
  const Vec3 u = (1.0 / length) * toEntry;  // along the lead, distal -> proximal

  TrajectoryMetrics m;
  m.lengthMm = length;
  m.tipBeyondTargetMm = t.deepestContactBeyondTargetMm + tipBelowDeepestContactMm(model);
  m.tipRas = t.targetRas - m.tipBeyondTargetMm * u;

  const PathScan scan = scanPath(field, s, t.targetRas, t.entryRas, m.tipBeyondTargetMm,
                                 leadLevels(model, t.deepestContactBeyondTargetMm, t.side));
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    ClosestApproach& c = m.closest[k];
    c.kind = static_cast<RiskKind>(k);
    c.present = field.present(c.kind);
    c.requiredMarginMm = s.requiredMarginMm[k];
    if (!c.present) continue;
    c.distanceMm = scan.minDistance[k];
    c.depthMm = scan.depthAtMin[k];
    c.pointRas = t.targetRas + c.depthMm * u;
    c.safe = c.distanceMm >= c.requiredMarginMm;
  }
  m.safe = scan.safe;
  m.score = scan.score;
  m.entryScalpDistanceMm = std::abs(field.sample(t.entryRas).head);

  // Structures along the path, entry first, at 0.5 mm resolution.
  {
    const double step = 0.5;
    const int steps = static_cast<int>(std::ceil((length + m.tipBeyondTargetMm) / step));
    int current = -1;
    for (int i = 0; i <= steps; ++i) {
      const double depth = length - (length + m.tipBeyondTargetMm) * i / steps;
      const int label = field.labelAt(t.targetRas + depth * u);
      if (label != current) {
        m.passesThrough.push_back({label == 0 ? "unlabelled" : labelName(label), depth, depth});
        current = label;
      }
      m.passesThrough.back().toDepthMm = depth;
    }
  }

  // Contacts: centres along the axis from the distal end; segments rotate from the marker, which
  // faces the patient's anterior (AC-PC) rotated by markerRollDeg about the lead axis.
  const int gpi = labelValue(t.side == 'L' ? "GPi_L" : "GPi_R");
  Vec3 marker = acpc.anteriorAxisRas() - dot(acpc.anteriorAxisRas(), u) * u;
  if (norm(marker) < 1e-6) marker = acpc.superiorAxisRas() - dot(acpc.superiorAxisRas(), u) * u;
  marker = rotateAbout(normalized(marker), u, radians(t.markerRollDeg));
  for (const ElectrodeContact& contact : model.contacts) {
    PlacedContact p;
    p.label = contact.label;
    p.level = contact.level;
    p.centreRas = m.tipRas + contact.centreMm() * u;
    // Counter-clockwise seen from the proximal end, i.e. looking along -u: right-handed about +u.
    if (contact.segment) p.segmentDirectionRas = rotateAbout(marker, u, radians(contact.segment->centreDeg));
    const int label = field.labelAt(p.centreRas);
    p.structure = label == 0 ? "unlabelled" : labelName(label);
    p.inGpi = label == gpi;
    if (p.inGpi) ++m.contactsInGpi;
    m.contacts.push_back(p);
  }
  // Side-effect margins: the contact's surface is a cylinder of the lead's radius over the contact's
  // length; its distance to a structure is the smallest distance along that length (sampled every
  // 0.25 mm) less the radius.
  for (std::size_t k = 0; k < kSideEffectStructures; ++k) {
    SideEffectMargin& margin = m.sideEffects[k];
    margin.structure = static_cast<SideEffectStructure>(k);
    margin.assessed = field.present(margin.structure);
    if (!margin.assessed) continue;
    margin.distanceMm = 1e30;
    for (const ElectrodeContact& contact : model.contacts) {
      const int samples =
          std::max(2, static_cast<int>(std::ceil((contact.endMm - contact.startMm) / 0.25)) + 1);
      for (int i = 0; i < samples; ++i) {
        const double along = contact.startMm + (contact.endMm - contact.startMm) * i / (samples - 1);
        const Vec3 p = m.tipRas + along * u;
        const double d = field.sideEffectDistanceMm(margin.structure, p) - 0.5 * model.diameterMm;
        if (d < margin.distanceMm) {
          margin.distanceMm = d;
          margin.contact = contact.label;
          margin.pointRas = p;
        }
      }
    }
  }

  m.targetAcpc = acpc.acpcFromRas(t.targetRas);
  m.entryAcpc = acpc.acpcFromRas(t.entryRas);
  if (context.mniFromPatientRas) m.targetMni = context.mniFromPatientRas(t.targetRas);
  const Angles a = anglesOf(acpc, t.side, t.targetRas, t.entryRas);
  m.sagittalAngleDeg = a.sagittalDeg;
  m.lateralAngleDeg = a.lateralDeg;
  m.angleToAcpcLineDeg = a.toAcpcLineDeg;
  m.ownSide = m.targetAcpc.x * sideSign(t.side) > 0 && m.entryAcpc.x * sideSign(t.side) > 0;
  m.inWindow = pathInWindow(acpc, s, t.side, t.entryRas, a);
  return m;
}

SearchResult searchTrajectories(const PlanningContext& context, char side, Vec3 targetRas,
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
        const PathScan scan = scanPath(field, s, targetRas, *entry, tipBeyond, levels);
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
    t.origin = "search";
    result.best.push_back(t);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Trajectory& t : result.best) result.bestMetrics.push_back(evaluateTrajectory(context, t));
  return result;
}

}  // namespace dbs
