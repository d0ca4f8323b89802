// ScalpRiskMap: the scalp surface coloured by what entering there would mean for one side's target.
// Every vertex is the entry of a straight path to the target with the side's electrode and depth,
// scored by planning's assessEntries (the search's own scoring): whether every required margin is
// met, the smallest margin left, and whether the entry lies in the search's frontal window. The
// window shows it in the 3-D view (live while a target is dragged; a click on it sets the entry),
// `dbsplan risk-map` writes it as VTK PolyData, and the report draws it per side.
//
// Coordinate systems used: vertices in patient RAS mm. The surface is the zero level of the risk
// segmentation's signed scalp distance (RiskStructures::headDistanceMm) contoured on the T1's own
// voxel grid: one vertex per voxel edge the surface crosses, neither decimated nor smoothed (with
// point normals for shading).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/TrajectorySearch.h"

namespace dbs::app {

// Point arrays of a scored map (the names `dbsplan risk-map` writes and its users read):
//  score       the search's score of the path from the vertex (NaN where not scored)
//  clearance_mm  smallest distance along that path to a ventricle, sulcus or vessel, mm (NaN: not scored)
//  margin_mm   smallest (distance - required margin) over those structures, mm; < 0 = a margin is not met
//  safe        1 when every required margin is met, else 0
//  in_window   1 when the vertex is inside the search's frontal window for this target, else 0
//  colour      RGB shown (see riskMapLookupTable in ColourTables.h; outside the window darkened, not scored
//  grey)
// A vertex is scored when it lies above the target (its AC-PC z higher than the target's): an entry
// at or below the target's height would reach it through the face, the skull base or the neck.
inline constexpr const char* kRiskMapArrays[] = {"score", "clearance_mm", "margin_mm", "safe", "in_window"};

struct ScalpRiskMap {
  Side side = Side::Left;
  Trajectory trajectory;                     // what was scored: its target, electrode and depth
  vtkSmartPointer<vtkPolyData> surface;      // RAS mm, with the point arrays above
  std::vector<Vec3> verticesRas;             // the surface's points, for scoring
  std::vector<EntryAssessment> assessments;  // per vertex (not scored: scored == false)
  std::size_t scoredVertices = 0, inWindowVertices = 0, safeVertices = 0;
  double scoringSeconds = 0;  // wall time of the last scoring (assessEntries only)
};

// The index of the map vertex nearest `pointRas` (RAS mm): a click on the drawn surface lands
// inside a triangle, whose interpolated point was never scored, so the entry snaps to a vertex whose
// colour the user saw. A linear scan (about 180,000 vertices, under a millisecond per click).
std::size_t nearestVertex(const std::vector<Vec3>& verticesRas, Vec3 pointRas);

// The scalp surface of the risk segmentation (see the header), RAS mm. Throws std::invalid_argument
// when the plan has no scalp distance map.
vtkSmartPointer<vtkPolyData> scalpSurface(const RiskStructures& risks);

// The map of `side`'s chosen trajectory: the surface (scalpSurface) scored by scoreRiskMap. Throws
// std::invalid_argument when the plan has no trajectory on that side.
ScalpRiskMap makeScalpRiskMap(const PlanResult& result, Side side);
// The map of `trajectory` on a surface made by scalpSurface (read only: the map copies its points
// and triangles, so a worker thread can score while the window shows another map).
ScalpRiskMap scalpRiskMapOn(vtkPolyData* scalp, const PlanningContext& context, const Trajectory& trajectory);

// (Re-)scores the vertices above `trajectory`'s target for it and rewrites the map's arrays and
// colours. EntryScope::InWindowOnly is what a dragged target re-scores on each step: the window's
// vertices are scored again; the others above the target keep their last values, shown dimmed,
// until the next full scoring.
void scoreRiskMap(ScalpRiskMap& map, const PlanningContext& context, const Trajectory& trajectory,
                  EntryScope scope = EntryScope::All);

// The map as VTK XML PolyData (binary, zlib), written atomically (a temporary file renamed over
// `path`). Throws std::runtime_error naming the file when it cannot be written.
void writeRiskMapVtp(const ScalpRiskMap& map, const std::string& path);

}  // namespace dbs::app
