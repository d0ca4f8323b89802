// PlanModel: a DBS plan as plain data (the model; no file format here): the image it was made
// from, the landmarks, the targets per side, one chosen trajectory per side with its electrode and
// metrics, the search's alternatives and summary, notes, stable trajectory ids, the typed history
// of hand edits, the reviewer's note and the checksums of the files it refers to; and the small
// operations on it that every editor shares (the chosen trajectory of a side, fresh ids, target
// agreement). Its file format is PlanFile.h; the files it refers to, PlanReferences.h.
//
// Coordinate systems used: patient RAS mm everywhere ("_ras"); AC-PC mm relative to the MCP
// ("_acpc"); MNI = template RAS mm ("_mni").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/planning/AcpcFrame.h"
#include "dbs/planning/Stimulation.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {

constexpr const char* kPlanSchema = "dbsplan.plan";
constexpr int kPlanSchemaVersion = 5;
constexpr int kOldestReadablePlanSchemaVersion = 1;

// Where a target comes from: Proposed (the default: the sensorimotor GPi inside the published
// indirect range, Locate.h), Atlas (the template's posteroventral GPi target carried in), Indirect
// (the published AC-PC coordinates), Manual (set by hand).
enum class TargetSource : std::uint8_t { Proposed, Atlas, Indirect, Manual };
inline constexpr EnumNames<TargetSource, 4> kTargetSourceNames{{{{TargetSource::Proposed, "proposed"},
                                                                 {TargetSource::Atlas, "atlas"},
                                                                 {TargetSource::Indirect, "indirect"},
                                                                 {TargetSource::Manual, "manual"}}}};

struct PlanTarget {
  Side side = Side::Left;
  TargetSource source = TargetSource::Proposed;
  Vec3 ras, acpc;
  std::optional<Vec3> mni;
};

struct PlannedTrajectory {
  Trajectory trajectory;
  TrajectoryMetrics metrics;
};

// The kinds of hand edit a plan's history records.
enum class EditAction : std::uint8_t {
  MoveTarget,
  MoveEntry,
  ChooseAlternative,
  SetElectrode,
  SetDepth,
  SetRoll,
  PlaceAc,
  PlacePc,
  EditNote,
  SetStimulation
};
inline constexpr EnumNames<EditAction, 10> kEditActionNames{
    {{{EditAction::MoveTarget, "move_target"},
      {EditAction::MoveEntry, "move_entry"},
      {EditAction::ChooseAlternative, "choose_alternative"},
      {EditAction::SetElectrode, "set_electrode"},
      {EditAction::SetDepth, "set_depth"},
      {EditAction::SetRoll, "set_roll"},
      {EditAction::PlaceAc, "place_ac"},
      {EditAction::PlacePc, "place_pc"},
      {EditAction::EditNote, "edit_note"},
      {EditAction::SetStimulation, "set_stimulation"}}}};

// One hand edit, as the plan records it: what changed, from what, to what, and when. Values are in
// the units the action names: RAS mm arrays for points, mm for depth, degrees for roll, ids and text.
struct PlanHistoryEntry {
  std::string time;  // ISO 8601 UTC
  EditAction action = EditAction::MoveTarget;
  std::optional<Side> side;  // none for an edit of the whole plan (landmarks, note)
  std::string trajectoryId;  // the chosen trajectory of that side after the edit ("" for plan-wide)
  nlohmann::json from, to;
};

// The plan registered to a stereotactic frame (FrameRegistration.h): the localizer found in a
// stereotactic image (frame CT or MR), that image co-registered rigidly to the plan's, and their
// composition, frame mm from the plan image's RAS mm. The frame settings of each trajectory follow
// from it (frameSettings) and are never stored apart from it.
struct PlanFrameRegistration {
  std::string frameId;                 // the frame model (data/frames), e.g. "leksell-g"
  std::string imagePath, imageSha256;  // the stereotactic image, as given, and its checksum
  std::string method = "automatic";    // "automatic" (N-localizer detection) or "manual" (clicked rods)
  std::string created;                 // ISO 8601 UTC
  Affine frameFromPlanRas;             // frame mm <- plan image RAS mm
  Affine frameFromImageRas;            // frame mm <- stereotactic image RAS mm (the localizer fit)
  Affine planRasFromImageRas;          // plan image RAS mm <- stereotactic image RAS mm (rigid)
  double freMm = 0;                    // fiducial registration error: RMS rod cross-section to model rod
  double brownRmsMm = 0;               // RMS residual of the Brown points
  std::size_t brownPoints = 0;
  struct Rod {
    std::string name;
    std::size_t points = 0;
    double rmsMm = 0, maxMm = 0;
  };
  std::vector<Rod> rods;
  double frameZMinMm = 0, frameZMaxMm = 0;  // heights over which the rods were seen (frame Z)
  double coRegistrationMetric = 0;          // Mattes mutual information at the end (lower is better)
  double coRegistrationSeconds = 0, detectionSeconds = 0;
};

// A side's stimulation settings (schema 4) and what they reach. The assessment is derived: it is
// re-assessed on every edit of the plan (a moved lead moves its spheres) and when the plan is opened,
// and written to plan.json for readers without the labels (plan-info, other programs).
struct PlanStimulation {
  StimulationSettings settings;
  StimulationAssessment assessment;
};

struct PlanDocument {
  int schemaVersion = kPlanSchemaVersion;
  std::string programVersion;
  std::string created;  // ISO 8601 UTC
  struct Image {
    std::string path, sha256;
    ImageGeometry geometry;
    // Set when the image file does not give its geometry and the user stated it (ImageTrust.h):
    // every output says so in red, and the plan reopens only with the same statement.
    std::optional<StatedGeometry> statedGeometry;
    // The plan's grid (`geometry`) is the file's, or for a file too fine to plan on whole, bins of
    // its voxels (WorkingGrid.h): the plan reopens on these same bins. fileSize is the file's grid.
    BinFactors binFactors{1, 1, 1};
    std::array<std::size_t, 3> fileSize{0, 0, 0};
  } image;
  std::string labelsFile;  // relative to the plan file's folder
  struct Transforms {
    std::string affineFile, displacementFile;  // relative to the plan's folder; ITK formats
    std::string direction = "patient LPS -> template LPS (ITK); template = affine(x + displacement(x))";
  } transforms;
  Vec3 acRas, pcRas, mcpRas, midlineRas;
  std::vector<PlanTarget> targets;              // proposed, per side
  std::vector<PlannedTrajectory> trajectories;  // the chosen one per side (L first)
  std::vector<PlannedTrajectory> alternatives;  // further distinct search results
  struct Search {
    std::size_t candidates = 0;  // paths scored, both sides
    double seconds = 0;          // scoring wall time, both sides
    nlohmann::json settings;     // SearchSettings as used
  } search;
  nlohmann::json riskStructures;          // volumes, thresholds, notes; "file" names the risk-structure map
  std::vector<std::string> notes;         // what the pipeline wants a reviewer to see (warnings)
  std::string reviewNote;                 // the reviewing team's own note (free text)
  std::vector<PlanHistoryEntry> history;  // hand edits, oldest first
  // SHA-256 of the files the plan refers to, keyed by their path relative to the plan's folder.
  std::map<std::string, std::string> fileSha256;
  std::optional<PlanFrameRegistration> frame;  // schema 3: once registered to a frame
  std::vector<PlanStimulation> stimulation;    // schema 4: at most one per side, left first
};

// Current UTC time, ISO 8601 ("2026-12-01T20:14:42Z").
std::string utcNowIso8601();

// The chosen trajectory of a side, or null.
PlannedTrajectory* chosenTrajectory(PlanDocument& plan, Side side);
// `side`'s target of that source, or nullptr.
const PlanTarget* planTarget(const PlanDocument& plan, Side side, TargetSource source);
const PlannedTrajectory* chosenTrajectory(const PlanDocument& plan, Side side);
// `side`'s stimulation, or null when none is set.
const PlanStimulation* planStimulation(const PlanDocument& plan, Side side);
// Each side's stimulation in words, for the CLI (plan-info, stimulate) and the report: the settings,
// what the activated region reaches, the approximations it relies on; nothing when none is set.
std::vector<std::string> stimulationSheetLines(const PlanDocument& plan);
// A trajectory id not used by the plan yet for `side` ("L4" after L1..L3), nor named in its history.
std::string nextTrajectoryId(const PlanDocument& plan, Side side);

// The atlas target (the template's posteroventral GPi carried into the patient) against the
// indirect one (the published AC-PC rule) on one side. Users tolerate 1-2 mm between them; more
// means the atlas, the registration or the landmarks disagree and the target needs review.
constexpr double kTargetAgreementToleranceMm = 2.0;
// A trajectory's target this close to a named target (mm) aims at that target (rounding in the file).
constexpr double kSameTargetMm = 0.5;
struct TargetAgreement {
  Side side = Side::Left;
  Vec3 atlasRas, indirectRas;  // patient RAS mm
  Vec3 atlasAcpc, indirectAcpc;
  double distanceMm = 0;
  // From the side's chosen trajectory's target to each (mm); absent when the side has no trajectory.
  std::optional<double> aimToAtlasMm, aimToIndirectMm;
  // From it to the proposed target (the default a plan aims at); absent without one or a trajectory.
  std::optional<double> aimToProposedMm;
  bool aimSetByHand = false;  // the trajectory's target was moved by hand away from the proposed one
  bool agrees() const { return distanceMm <= kTargetAgreementToleranceMm; }
  // The chosen trajectory aims nearer the atlas target than the indirect one.
  bool aimsAtAtlas() const { return aimToAtlasMm && aimToIndirectMm && *aimToAtlasMm <= *aimToIndirectMm; }
};
// The plan's own AC-PC frame (its AC, PC and midline point, which edits may move); throws
// std::invalid_argument when they are degenerate.
AcpcFrame planAcpcFrame(const PlanDocument& plan);
std::vector<TargetAgreement> targetAgreements(const PlanDocument& plan);  // sides with both targets
std::optional<TargetAgreement> targetAgreement(const PlanDocument& plan, Side side);
// For a side whose targets disagree: which of the two the trajectory aims at and why, one sentence
// (the CLI, the panel, the report and the plan's note all say it this way).
std::string targetChoiceText(const TargetAgreement& agreement);
// The targets every view draws beside the trajectory's own when a side's atlas and indirect targets
// disagree by more than kTargetAgreementToleranceMm: both, named; none when they agree.
struct ReferenceTarget {
  Side side = Side::Left;
  TargetSource source = TargetSource::Atlas;
  Vec3 ras;           // patient RAS mm
  std::string label;  // as drawn: "atlas L", "AC-PC L"
};
std::vector<ReferenceTarget> referenceTargetsToShow(const PlanDocument& plan);
// Replaces `side`'s alternatives by `alternatives`, each given a fresh id numbered past every id the
// plan knew before (ids are never reused, also not those of the alternatives it drops).
void replaceAlternatives(PlanDocument& plan, Side side, std::vector<PlannedTrajectory> alternatives);
// Gives every trajectory without an id one (plans of schema version 1 had none).
void assignMissingTrajectoryIds(PlanDocument& plan);

}  // namespace dbs
