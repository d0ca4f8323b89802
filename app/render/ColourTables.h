// ColourTables: every colour scale dbsplan draws with, in one place, so the window, the figures and
// the report agree: the label overlay table, the scalp risk map's margin scale (vertices and colour
// bar alike), and the colours of the 3-D scene.
#pragma once

#include <array>

#include <vtkLookupTable.h>
#include <vtkSmartPointer.h>

#include "dbs/planning/Trajectory.h"
#include "dbs/planning/TrajectorySearch.h"

namespace dbs::app {

// Colours of standardLabels(): deep structures and vessels opaque; tissue classes (scalp, skull,
// CSF, grey and white matter: 20-24), which would wash over a whole slice, and unlisted values
// transparent.
vtkSmartPointer<vtkLookupTable> labelLookupTable();

// The colour scale of margin_mm, shared by the vertex colours and the colour bar: red below 0 mm
// (a required margin not met), then orange through yellow to green at kRiskMapGreenAtMm and beyond.
inline constexpr double kRiskMapRangeMinMm = -2, kRiskMapGreenAtMm = 6;
vtkSmartPointer<vtkLookupTable> riskMapLookupTable();
// The colour of one assessment (what the "colour" array holds): the scale's colour, at half its
// brightness outside the window; not scored: the scalp's grey.
std::array<unsigned char, 3> riskMapColour(const EntryAssessment& assessment);

// Colours of the 3-D scene (RGB 0-1): the translucent scalp and brain, the lead body, the contacts'
// metal and the target marker; the window's 3-D view and the report's scene use the same.
constexpr std::array<double, 3> kScalpColour{0.96, 0.78, 0.66}, kBrainColour{0.93, 0.62, 0.66},
    kLeadBodyColour{0.93, 0.93, 0.95}, kContactMetalColour{0.55, 0.6, 0.72}, kTargetColour{1.0, 0.16, 1.0};

}  // namespace dbs::app
