// PlanDocument: a DBS plan as plain data, and its versioned JSON file (schema "dbsplan.plan",
// version 1). The GUI edits it through commands, the CLI writes it, `dbsplan plan-info` reads it.
//
// The file holds: the image (path, SHA-256, grid), the label map and transforms beside it, the
// landmarks, the proposed targets per side, one chosen trajectory per side with its electrode and
// metrics, the search's alternatives, the search summary {candidates, seconds, settings}, the risk
// structures summary, notes, creation time and program version. It is written atomically and read
// with validation that names the field and the problem.
//
// Coordinate systems used: patient RAS mm everywhere ("_ras"); AC-PC mm relative to the MCP
// ("_acpc"); MNI = template RAS mm ("_mni").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {

constexpr const char* kPlanSchema = "dbsplan.plan";
constexpr int kPlanSchemaVersion = 1;

struct PlanTarget {
  char side = 'L';
  std::string source;  // "atlas" (template target carried in), "indirect" (AC-PC rule), "manual"
  Vec3 ras, acpc;
  std::optional<Vec3> mni;
};

struct PlannedTrajectory {
  Trajectory trajectory;
  TrajectoryMetrics metrics;
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
  nlohmann::json riskStructures;  // volumes, thresholds, notes
  std::vector<std::string> notes;
};

nlohmann::json planToJson(const PlanDocument& plan);
// Validates everything; throws std::runtime_error "<where>: <field>: <problem>" on the first error.
PlanDocument planFromJson(const nlohmann::json& json, const std::string& where);

// Atomic: temporary file in the same folder, then rename.
void writePlan(const PlanDocument& plan, const std::string& path);
// Throws std::runtime_error naming the file, the field and the problem.
PlanDocument readPlan(const std::string& path);

nlohmann::json searchSettingsToJson(const SearchSettings& settings);

// Empty when the plan's image is on disk with the plan's checksum; otherwise why not, in one line
// (missing, or changed since the plan was made).
std::string planImageProblem(const PlanDocument& plan);

// SHA-256 of a file (or of every file of a DICOM folder, in name order), lower-case hex.
std::string sha256OfPath(const std::string& path);

}  // namespace dbs
