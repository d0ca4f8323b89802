// SlicerExport: a plan as 3D Slicer opens it, and a trajectory drawn in Slicer back into a plan.
//   - each trajectory (chosen and alternatives) as a Markups Line (.mrk.json): control point
//     "target" then "entry", named "L1 chosen", "L2 alternative"...;
//   - AC, PC, MCP, and each side's targets (proposed, atlas, indirect...) as Markups Fiducials;
//   - the located labels as a segmentation (.seg.nrrd, SlicerSegmentation.h) and the T1;
//   - a scene (plan.mrml) that loads them together.
// Markups are Slicer's markups-schema-v1.0.3 (what Slicer 5 writes and reads).
//
// Coordinate systems used: patient RAS mm inside dbsplan; a markups file says its own, LPS (what
// Slicer itself writes, and what it assumes when a file says nothing) or RAS, and its positions are
// exactly dbsplan's RAS with x and y negated for LPS.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

class PlanSession;

enum class MarkupsCoordinates { Lps, Ras };

// One markups file holding one Line of two control points, "target" then "entry".
nlohmann::json markupsLineJson(const std::string& name, Vec3 targetRas, Vec3 entryRas,
                               const std::array<double, 3>& colour, MarkupsCoordinates coordinates);
// One markups file holding one Fiducial markup of named points.
nlohmann::json markupsFiducialsJson(const std::string& name,
                                    const std::vector<std::pair<std::string, Vec3>>& pointsRas,
                                    const std::array<double, 3>& colour, MarkupsCoordinates coordinates);

// A Line read from a markups file (as Slicer or dbsplan wrote it), in patient RAS mm.
struct MarkupsLine {
  std::string name;
  Vec3 targetRas, entryRas;
  // How the target was told from the entry: by the control points' labels ("target", "entry"), or,
  // for a line drawn in Slicer with other labels, as the lower (more inferior) point.
  std::string targetRule;
};
// Throws std::runtime_error naming the file and the field for anything that is not one Line of two
// defined control points in mm (LPS, RAS, or no coordinateSystem: LPS, as Slicer reads it).
MarkupsLine readMarkupsLine(const std::string& path);

// Writes the Slicer files of an opened (verified) plan into `outDir` (created); returns the names of
// the files written, plan.mrml last. Each file is written atomically. Throws on any failure.
std::vector<std::string> exportPlanToSlicer(const PlanSession& session, const std::string& outDir,
                                            MarkupsCoordinates coordinates = MarkupsCoordinates::Lps);

}  // namespace dbs
