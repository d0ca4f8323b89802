// PlanDocument: a DBS plan as plain data, and its versioned JSON file (schema "dbsplan.plan",
// version 2; version 1 files are still read). The GUI edits it through commands, the CLI writes it, `dbsplan
// plan-info` reads it.
//
// The file holds: the image (path, SHA-256, grid), the label map and transforms beside it, the
// landmarks, the proposed targets per side, one chosen trajectory per side with its electrode and
// metrics, the search's alternatives, the search summary {candidates, seconds, settings}, the risk
// structures summary, notes, creation time and program version; since version 2 also stable
// trajectory ids, the typed history of hand edits, the reviewer's note and the SHA-256 of every
// file the plan refers to in its folder (labels, risk structures, transforms), so that a reopened
// plan is re-scored against exactly the data it was made from. It is written atomically and read
// with validation that names the field and the problem.
//
// Coordinate systems used: patient RAS mm everywhere ("_ras"); AC-PC mm relative to the MCP
// ("_acpc"); MNI = template RAS mm ("_mni").
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {

constexpr const char* kPlanSchema = "dbsplan.plan";
constexpr int kPlanSchemaVersion = 2;
constexpr int kOldestReadablePlanSchemaVersion = 1;

struct PlanTarget {
  char side = 'L';
  // "proposed" (the default: the sensorimotor GPi inside the published indirect range, Locate.h),
  // "atlas" (the template's posteroventral GPi target carried in), "indirect" (the published AC-PC
  // coordinates), "manual"
  std::string source;
  Vec3 ras, acpc;
  std::optional<Vec3> mni;
};

struct PlannedTrajectory {
  Trajectory trajectory;
  TrajectoryMetrics metrics;
};

// One hand edit, as the plan records it: what changed, from what, to what, and when. Values are in
// the units the action names: RAS mm arrays for points, mm for depth, degrees for roll, ids and text.
struct PlanHistoryEntry {
  std::string time;          // ISO 8601 UTC
  std::string action;        // move_target, move_entry, choose_alternative, set_electrode, set_depth,
                             // set_roll, place_ac, place_pc, edit_note
  std::string side;          // "L", "R", or "" for an edit of the whole plan (landmarks, note)
  std::string trajectoryId;  // the chosen trajectory of that side after the edit ("" for plan-wide)
  nlohmann::json from, to;
};

struct PlanDocument {
  int schemaVersion = kPlanSchemaVersion;
  std::string programVersion;
  std::string created;  // ISO 8601 UTC
  struct Image {
    std::string path, sha256;
    ImageGeometry geometry;
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
};

// Current UTC time, ISO 8601 ("2026-12-01T20:14:42Z").
std::string utcNowIso8601();

// The chosen trajectory of a side, or null.
PlannedTrajectory* chosenTrajectory(PlanDocument& plan, char side);
// `side`'s target of that source ("proposed", "atlas", "indirect"), or nullptr.
const PlanTarget* planTarget(const PlanDocument& plan, char side, const std::string& source);
const PlannedTrajectory* chosenTrajectory(const PlanDocument& plan, char side);
// A trajectory id not used by the plan yet for `side` ("L4" after L1..L3), nor named in its history.
std::string nextTrajectoryId(const PlanDocument& plan, char side);

// The atlas target (the template's posteroventral GPi carried into the patient) against the
// indirect one (the published AC-PC rule) on one side. Users tolerate 1-2 mm between them; more
// means the atlas, the registration or the landmarks disagree and the target needs review.
constexpr double kTargetAgreementToleranceMm = 2.0;
struct TargetAgreement {
  char side = 'L';
  Vec3 atlasAcpc, indirectAcpc;
  double distanceMm = 0;
  bool agrees() const { return distanceMm <= kTargetAgreementToleranceMm; }
};
std::vector<TargetAgreement> targetAgreements(const PlanDocument& plan);  // sides with both targets
// Replaces `side`'s alternatives by `alternatives`, each given a fresh id numbered past every id the
// plan knew before (ids are never reused, also not those of the alternatives it drops).
void replaceAlternatives(PlanDocument& plan, char side, std::vector<PlannedTrajectory> alternatives);
// Gives every trajectory without an id one (plans of schema version 1 had none).
void assignMissingTrajectoryIds(PlanDocument& plan);

// The files the plan refers to (labels, risk structures, transforms), relative to its folder.
std::vector<std::string> planReferencedFiles(const PlanDocument& plan);
// Rewrites those references (and their checksum keys) for a plan file moving from `fromDir` to
// `toDir`, so that they still name the same files.
void relocatePlanReferences(PlanDocument& plan, const std::string& fromDir, const std::string& toDir);
// Records the SHA-256 of every referenced file present in `planDir`.
void recordReferencedChecksums(PlanDocument& plan, const std::string& planDir);
// Empty when every referenced file is in `planDir` with the recorded checksum; else why not (one
// line per file: missing, or changed since the plan was written).
std::string planReferencedFilesProblem(const PlanDocument& plan, const std::string& planDir);

nlohmann::json planToJson(const PlanDocument& plan);
// One trajectory as the plan file holds it (id, side, points, electrode, metrics).
nlohmann::json plannedTrajectoryToJson(const PlannedTrajectory& trajectory);
// Validates everything; throws std::runtime_error "<where>: <field>: <problem>" on the first error.
PlanDocument planFromJson(const nlohmann::json& json, const std::string& where);

// Atomic: temporary file in the same folder, then rename. Throws std::runtime_error, writing
// nothing, when the plan would not pass planFromJson's validation.
void writePlan(const PlanDocument& plan, const std::string& path);
// Throws std::runtime_error naming the file, the field and the problem.
PlanDocument readPlan(const std::string& path);

nlohmann::json searchSettingsToJson(const SearchSettings& settings);
// The inverse, validated (throws std::runtime_error naming `where` and the field).
SearchSettings searchSettingsFromJson(const nlohmann::json& json, const std::string& where);

// Empty when the plan's image is on disk with the plan's checksum; otherwise why not, in one line
// (missing, or changed since the plan was made).
std::string planImageProblem(const PlanDocument& plan);

// SHA-256 of a file (or of every file of a DICOM folder, in name order), lower-case hex.
std::string sha256OfPath(const std::string& path);

}  // namespace dbs
