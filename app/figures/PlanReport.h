// PlanReport: the plan's PDF report (A4), written with Qt's QPdfWriter from a rich-text document
// (QTextDocument: tables and pictures laid out and paginated by Qt), atomically.
//
// Pages: 1. summary: the image (path, SHA-256, grid), landmarks AC/PC/MCP, the proposed targets, the
// search (candidates, seconds, settings), the risk structures, the notes, and the plan at a glance.
// Then per planned side (left first), three pages:
//   a. numbers: coordinates of target, entry and tip (patient RAS, AC-PC relative to the MCP, MNI),
//      length and angles (sagittal to the AC-PC line, lateral to the midsagittal plane), the margins
//      per risk structure (minimum distance, depth from the target, required margin, safe or not;
//      "not assessed" for a structure without data), the structures passed through, the electrode
//      model and its contacts (label, level, centre RAS, depth, structure, in GPi, segment facing),
//      and the search's alternatives for that side;
//   b. the 3-D scene and the probe's-eye view at the target;
//   c. the sagittal, coronal and axial slices through the target.
// Every page has a footer with the program, the image file and "page i of n".
//
// Coordinate systems used: patient RAS mm, AC-PC mm (origin MCP), MNI = template RAS mm; depths are
// mm from the target towards the entry (Trajectory.h); angles in degrees. Each table says which.
#pragma once

#include <string>

#include <QImage>

#include "dbs/planning/PlanPipeline.h"

namespace dbs::app {

// Renders every figure first, then writes `pdfPath` through a temporary file in the same folder and
// a rename, so a failure never leaves a partial or truncated report (an existing file is kept).
// Needs a QApplication (fonts) and an X display for the 3-D scene (xvfb-run -a without one).
// Throws std::runtime_error naming the file when it cannot be written, and what the figures throw
// (std::invalid_argument for a plan without a patient volume or with an unknown electrode).
// `scene`: the 3-D scene already rendered (renderPlanScene at 1600x1200), or null to render it here.
// Runs on any thread (Qt's painter and PDF writer, VTK off-screen rendering in its own context).
// `progress` (optional) hears each figure and each page as it is made, fractions 0..1 of the whole;
// answering false cancels (dbs::Cancelled is thrown and no file is written).
void writePlanReport(const PlanResult& result, const std::string& pdfPath, const QImage& scene = QImage(),
                     const ProgressCallback& progress = {});

}  // namespace dbs::app
