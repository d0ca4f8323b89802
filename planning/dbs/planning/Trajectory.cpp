#include "dbs/planning/Trajectory.h"

#include "dbs/planning/PathScoring.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace dbs {

using namespace detail;

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
//  - The score's terms (contacts in the GPi and the pallidum, the ventral border, the gyral crown,
//    the entry region, the usual angles, the caudate, the length), their weights and sources:
//    ScoreTerms.h, data/trajectory/scoring.json and SOURCES.md beside it.

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
  if (!margin.tooClose()) return text;
  const bool capsule = margin.structure == SideEffectStructure::InternalCapsule;
  char warning[120];
  std::snprintf(warning, sizeof warning, ": CLOSER THAN %.1f mm, %s likely",
                sideEffectWarningMm(margin.structure), capsule ? "capsular side effects" : "phosphenes");
  return text + std::string(warning);
}

std::string scoreTermText(ScoreTerm term, const ScoreTermValue& value) {
  const std::string& name = scoringModel().terms[static_cast<std::size_t>(term)].name;
  char text[160];
  if (term == ScoreTerm::Length)  // its value is the length in units of 10 mm
    std::snprintf(text, sizeof text, "%s %.0f mm (%+.2f)", name.c_str(), 10 * value.value,
                  value.contribution);
  else
    std::snprintf(text, sizeof text, "%s %.2f (%+.2f)", name.c_str(), value.value, value.contribution);
  return text;
}

std::string scoreExplanation(const TrajectoryMetrics& m) {
  char head[48];
  std::snprintf(head, sizeof head, "score %.2f: ", m.score);
  std::string out = head;
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    out += (k ? ", " : "") + scoreTermText(static_cast<ScoreTerm>(k), m.scoreTerms[k]);
  return out;
}

std::string windowPlacementText(const TrajectoryMetrics& m) {
  char text[200];
  std::snprintf(text, sizeof text, "angles %.1f deg %s the window's limits, entry %.1f mm %s its limits",
                std::abs(m.windowInsideDeg), m.windowInsideDeg >= 0 ? "inside" : "OUTSIDE",
                std::abs(m.windowInsideMm), m.windowInsideMm >= 0 ? "inside" : "OUTSIDE");
  return text;
}

std::string sideEffectsTooClose(const TrajectoryMetrics& m) {
  std::string close;
  for (const SideEffectMargin& margin : m.sideEffects) {
    if (!margin.tooClose()) continue;
    char text[160];
    std::snprintf(text, sizeof text, "%s %.1f mm from contact %s (under %.1f mm)",
                  sideEffectDisplayName(margin.structure), margin.distanceMm, margin.contact.c_str(),
                  sideEffectWarningMm(margin.structure));
    close += (close.empty() ? "" : ", ") + std::string(text);
  }
  return close;
}

std::string marginVerdict(const TrajectoryMetrics& m) {
  const std::string verdict = m.safe ? "keeps every required margin" : "DOES NOT keep every required margin";
  const std::string close = sideEffectsTooClose(m);
  return close.empty() ? verdict : verdict + "; WARNING, side effects likely: " + close;
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

Vec3 directionFromAngles(const AcpcFrame& acpc, Side side, double sagittalDeg, double lateralDeg) {
  const double sag = radians(sagittalDeg), lat = radians(lateralDeg);
  const double dx = sideSign(side) * std::sin(lat), dy = std::cos(lat) * std::cos(sag),
               dz = std::cos(lat) * std::sin(sag);
  return dx * acpc.rightAxisRas() + dy * acpc.anteriorAxisRas() + dz * acpc.superiorAxisRas();
}

namespace {

// Each risk's closest approach to the path (from the path scan), where it is (RAS mm, `u` the unit
// vector from target to entry) and whether it keeps the required margin; absent risks unassessed.
void fillClosestApproaches(const RiskField& field, const SearchSettings& s, const PathScan& scan,
                           const Trajectory& t, Vec3 u, TrajectoryMetrics& m) {
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
}

// Structures along the path, entry first, at 0.5 mm resolution: each run of one label with the
// depths (mm above the target along `u`) where it starts and ends, down to the tip.
void fillStructuresAlongPath(const RiskField& field, const Trajectory& t, Vec3 u, double length,
                             TrajectoryMetrics& m) {
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

// Contacts: centres along the axis from the distal end (m.tipRas); segments rotate from the
// marker, which faces the patient's anterior (AC-PC) rotated by markerRollDeg about the lead axis.
// Each contact's structure and whether it is in the side's GPi.
void placeContacts(const RiskField& field, const AcpcFrame& acpc, const ElectrodeModel& model,
                   const Trajectory& t, Vec3 u, TrajectoryMetrics& m) {
  const int gpi = labelValue(sidedLabelName("GPi", t.side));
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
}

// Side-effect margins: the contact's surface is a cylinder of the lead's radius over the contact's
// length; its distance to a structure is the smallest distance along that length (sampled every
// 0.25 mm) less the radius. The nearest contact and point (RAS mm) per structure.
void fillSideEffectMargins(const RiskField& field, const ElectrodeModel& model, Vec3 u,
                           TrajectoryMetrics& m) {
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
}

}  // namespace

TrajectoryMetrics evaluateTrajectory(const PlanningContext& context, const Trajectory& t) {
  if (!context.field || !context.acpc)
    throw std::invalid_argument("evaluateTrajectory: no risk field or AC-PC frame");
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

  const PathScan scan = scanPath(field, acpc, s, t.side, t.targetRas, t.entryRas, m.tipBeyondTargetMm,
                                 leadLevels(model, t.deepestContactBeyondTargetMm, t.side));
  fillClosestApproaches(field, s, scan, t, u, m);
  m.safe = scan.safe;
  m.score = scan.score;
  m.scoreTerms = scan.terms;
  m.entryScalpDistanceMm = std::abs(field.sample(t.entryRas).head);

  fillStructuresAlongPath(field, t, u, length, m);
  placeContacts(field, acpc, model, t, u, m);
  fillSideEffectMargins(field, model, u, m);

  m.targetAcpc = acpc.acpcFromRas(t.targetRas);
  m.entryAcpc = acpc.acpcFromRas(t.entryRas);
  if (context.mniFromPatientRas) m.targetMni = context.mniFromPatientRas(t.targetRas);
  const Angles a = anglesOf(acpc, t.side, t.targetRas, t.entryRas);
  m.sagittalAngleDeg = a.sagittalDeg;
  m.lateralAngleDeg = a.lateralDeg;
  m.angleToAcpcLineDeg = a.toAcpcLineDeg;
  m.ownSide = m.targetAcpc.x * sideSign(t.side) > 0 && m.entryAcpc.x * sideSign(t.side) > 0;
  m.inWindow = pathInWindow(acpc, s, t.side, t.entryRas, a);
  m.windowInsideDeg = windowInsideDeg(s, a);
  m.windowInsideMm = windowInsideMm(acpc, s, t.side, t.entryRas);
  return m;
}

}  // namespace dbs
