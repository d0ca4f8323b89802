// Trajectory: a straight DBS lead path (target, entry, electrode model, depth) and how it is scored
// against the patient's risk structures (evaluateTrajectory). The fields it is scored against are
// RiskField.h; the automatic search over scalp entry points and the scalp risk map's assessment of
// entries are TrajectorySearch.h.
//
// The same scan (PathScoring.h, scanPath) scores the search's candidates and any trajectory a user
// sets by hand, so a manual edit is re-scored exactly as the search would have scored it.
//
// Coordinate systems used: patient RAS mm for every point; AC-PC mm (AcpcFrame.h) for the angles
// and the frontal window; MNI (template RAS mm) through an optional mapping. Depths along a path are
// mm from the target towards the entry (positive = above the target, towards the entry; negative =
// beyond the target).
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/RiskStructures.h"
#include "dbs/planning/AcpcFrame.h"
#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/EnumNames.h"
#include "dbs/planning/RiskField.h"
#include "dbs/planning/ScoreTerms.h"

namespace dbs {

// Who placed a trajectory: the automatic search, or a person (a moved target or entry).
enum class TrajectoryOrigin : std::uint8_t { Search, Manual };
inline constexpr EnumNames<TrajectoryOrigin, 2> kTrajectoryOriginNames{
    {{{TrajectoryOrigin::Search, "search"}, {TrajectoryOrigin::Manual, "manual"}}}};

struct Trajectory {
  Side side = Side::Left;  // the hemisphere of the target
  Vec3 targetRas, entryRas;
  std::string electrodeId = "medtronic_3389";
  // Where the centre of the deepest contact sits relative to the target along the path, mm:
  // 0 = on the target, +1 = 1 mm beyond it (deeper), -1 = 1 mm short of it.
  double deepestContactBeyondTargetMm = 0;
  // Orientation marker of a directional lead: degrees about the lead axis from the patient's anterior,
  // counter-clockwise seen from the proximal end (the catalogue's convention for segment angles).
  double markerRollDeg = 0;
  TrajectoryOrigin origin = TrajectoryOrigin::Search;
  // Stable within a plan ("L1", "R4"...): the panel, the history and `dbsplan edit --choose` name a
  // trajectory by it; a new search result gets a fresh number, never a reused one.
  std::string id = {};
};

// Settings of the automatic search and the scoring. Defaults and their sources are in Trajectory.cpp.
struct SearchSettings {
  std::size_t candidatesPerSide = 10000;  // entry points scored per side (at least)
  // Frontal window, in the AC-PC frame. Sagittal angle: between the path's projection on the
  // midsagittal plane and the AC-PC line, measured from anterior (90 = vertical).
  double sagittalAngleMinDeg = 50, sagittalAngleMaxDeg = 85;
  // Lateral angle: between the path and the midsagittal plane, positive = the entry lies further
  // from the midline than the target.
  double lateralAngleMinDeg = -10, lateralAngleMaxDeg = 30;
  double entryMinLateralMm = 20;  // entry at least this far from the midsagittal plane (sinus)
  double entryMinAnteriorMm = 0;  // entry's AC-PC y at least this (in front of the coronal suture region)
  // Required clearance per risk structure (ventricles, sulci, vessels), mm: a path closer is unsafe.
  std::array<double, kRiskKinds> requiredMarginMm{2.0, 1.0, 2.0};
  // Beyond this distance a structure adds nothing more to the score, mm.
  std::array<double, kRiskKinds> saturationMm{10.0, 5.0, 6.0};
  // Relative weight of each risk structure inside the clearance term.
  std::array<double, kRiskKinds> weight{1.0, 1.0, 1.0};
  // Weight of each term of the score (ScoreTerms.h; defaults, shapes and sources in
  // data/trajectory/scoring.json and SOURCES.md); `dbsplan plan --score-weight TERM=W` changes one.
  ScoreWeights scoreWeights = defaultScoreWeights();
  double stepMm = 1.0;           // sampling step along a path
  std::size_t alternatives = 3;  // distinct trajectories kept per side
  // Two kept entries are at least this far apart (mm): gyri are about 1 cm wide, so an alternative
  // lies on another gyrus or at another angle, not beside the first choice.
  double distinctEntryMm = 15.0;
};

struct ClosestApproach {
  RiskKind kind = RiskKind::Ventricles;
  bool present = false;
  double distanceMm = 0;  // smallest signed distance along the path (negative = passes through)
  double depthMm = 0;     // where: mm from the target towards the entry
  Vec3 pointRas;
  double requiredMarginMm = 0;
  bool safe = true;
};

// How close a trajectory's contacts come to a side-effect structure.
struct SideEffectMargin {
  SideEffectStructure structure = SideEffectStructure::InternalCapsule;
  bool assessed = false;  // false: the structure could not be located ("not assessed", no number)
  double distanceMm = 0;  // from the nearest contact's surface (cylinder) to the structure, <= 0 inside
  std::string contact;    // that contact's label
  Vec3 pointRas;          // the point of that contact's axis where the distance is smallest
  // Assessed and closer than sideEffectWarningMm: side effects likely at ordinary settings.
  bool tooClose() const { return assessed && distanceMm < sideEffectWarningMm(structure); }
};

// "internal capsule 2.4 mm from contact 1's surface", "optic tract 0.4 mm from contact 0's surface:
// CLOSER THAN 1.0 mm, phosphenes likely", "optic tract: not assessed (not located)": the one wording
// of a side-effect margin, for the CLI, the panel and the report.
std::string sideEffectMarginText(const SideEffectMargin& margin);

struct PathSection {
  std::string structure;                  // label name ("Putamen_L", "WhiteMatter"...), or "unlabelled"
  double fromDepthMm = 0, toDepthMm = 0;  // from the target towards the entry; from > to
};

struct PlacedContact {
  std::string label;
  int level = 0;
  Vec3 centreRas;
  std::optional<Vec3> segmentDirectionRas;  // unit vector the segment faces (directional only)
  std::string structure;                    // label at the centre
  bool inGpi = false;                       // the target side's GPi
};

struct TrajectoryMetrics {
  double lengthMm = 0;           // entry to target
  double tipBeyondTargetMm = 0;  // how far the lead's distal end goes past the target
  Vec3 tipRas;
  std::array<ClosestApproach, kRiskKinds> closest;
  double entryScalpDistanceMm = 0;         // |signed distance of the entry to the scalp surface|
  std::vector<PathSection> passesThrough;  // from the entry down to the tip
  std::vector<PlacedContact> contacts;
  int contactsInGpi = 0;
  std::array<SideEffectMargin, kSideEffectStructures> sideEffects{
      SideEffectMargin{SideEffectStructure::InternalCapsule, false, 0, {}, {}},
      SideEffectMargin{SideEffectStructure::OpticTract, false, 0, {}, {}}};
  Vec3 targetAcpc, entryAcpc;
  std::optional<Vec3> targetMni;
  double sagittalAngleDeg = 0;    // to the AC-PC line in the midsagittal projection (90 = vertical)
  double lateralAngleDeg = 0;     // to the midsagittal plane, positive = entry further lateral
  double angleToAcpcLineDeg = 0;  // 3-D angle between the path and the AC-PC line
  bool ownSide = true;            // target and entry on the target's side of the midsagittal plane
  bool inWindow = true;           // entry inside the search's frontal window
  bool safe = true;               // every present structure kept at its required margin
  double score = 0;               // higher is better; the search's objective
  ScoreBreakdown scoreTerms{};    // why: each term's value and its part of the score (sums to score)
  // How far inside the search window the path lies: the smallest distance of its sagittal and
  // lateral angles to the window's limits (deg), and of its entry to the entry limits (mm);
  // negative = outside by that much.
  double windowInsideDeg = 0, windowInsideMm = 0;
};

// "contacts in the GPi 0.75 (+0.45)": one term of a path's score, for the CLI, panel and report.
std::string scoreTermText(ScoreTerm term, const ScoreTermValue& value);
// Why a path scored as it did, the one wording for the CLI, the panel and the report: "score 2.81:
// clearance 0.85 (+0.85), contacts in the GPi 0.75 (+0.45), ..., path length 82 mm (-0.16)".
std::string scoreExplanation(const TrajectoryMetrics& m);
// "6.1 deg inside the window's angle limits, entry 14.2 mm inside its limits" (or "OUTSIDE ... by").
std::string windowPlacementText(const TrajectoryMetrics& m);

// The side-effect structures closer than their warning distance, with their distances ("optic tract
// 0.4 mm from contact 0 (under 1.0 mm)"); "" when none is.
std::string sideEffectsTooClose(const TrajectoryMetrics& m);
// The one verdict of a path, for the CLI, the panel and the report: "keeps every required margin",
// "keeps every required margin; WARNING, side effects likely: optic tract 0.4 mm from contact 0
// (under 1.0 mm)", or "DOES NOT keep every required margin" (with the warning, if any).
std::string marginVerdict(const TrajectoryMetrics& m);

// Where the scoring needs the patient: fields, AC-PC frame, electrodes and (optional) MNI mapping.
struct PlanningContext {
  const RiskField* field = nullptr;
  const AcpcFrame* acpc = nullptr;
  const ElectrodeCatalogue* electrodes = nullptr;
  std::function<Vec3(Vec3)> mniFromPatientRas;  // empty when no registration is at hand
  SearchSettings settings;
};

// Full metrics of a trajectory (search result or hand-set). Throws std::invalid_argument when the
// target and the entry coincide or the electrode is unknown.
TrajectoryMetrics evaluateTrajectory(const PlanningContext& context, const Trajectory& trajectory);

// The entry where a straight line from `targetRas` along `directionRas` leaves the head, or nothing
// when it never does inside the image. Sphere tracing on the scalp distance map.
std::optional<Vec3> scalpEntryAlong(const RiskField& field, Vec3 targetRas, Vec3 directionRas);

// Unit direction from target to entry for sagittal/lateral angles in the AC-PC frame (the window's
// parametrisation; `side` decides which way "lateral" points).
Vec3 directionFromAngles(const AcpcFrame& acpc, Side side, double sagittalDeg, double lateralDeg);

}  // namespace dbs
