// PlanFigures: the pictures of a DBS plan, rendered off-screen for the report and the CLI: the 3-D
// scene (translucent head and brain, both GPi, both electrodes with their contacts), the probe's-eye
// view at the target, and the sagittal, coronal and axial slices through the target with the
// trajectory drawn in. Nothing here needs a visible window: the 2-D figures are resliced with VTK
// and drawn with QPainter (no OpenGL at all); the 3-D scene renders in an off-screen VTK render
// window (an FBO of its own GLX context; see renderPlanScene). Call them inside a QApplication
// (QPainter needs fonts), under Xvfb when there is no display.
//
// Coordinate systems used:
//  - RAS mm (patient world, WorldFrame.h): every point read from the plan, the 3-D scene's world.
//  - figure pixels (x right, y down, QImage convention; pixel centres at integer coordinates) of a
//    2-D figure, tied to RAS by its FigurePlane: pixel (size.width()/2, size.height()/2) is the
//    plane's centre, one pixel is mmPerPixel mm along rightRas (x) and along -upRas (y).
//  - lead axis mm from the lead's distal end (ElectrodeCatalogue.h) for contact extents.
#pragma once

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QSize>

#include <optional>
#include <string>
#include <vector>

#include <vtkProp3D.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/WorldFrame.h"
#include "dbs/planning/PlanPipeline.h"

namespace dbs::app {

// The colours the figures draw the lead with, so legends and tests name the same thing.
constexpr QRgb kLeadFigureColour = qRgb(255, 214, 10);    // lead body: path on slices, cross-section
constexpr QRgb kContactFigureColour = qRgb(255, 90, 40);  // contacts on slices and in the probe's eye
constexpr QRgb kTargetFigureColour = qRgb(255, 40, 255);  // target marker on slices
constexpr double kProbesEyeFieldOfViewMm = 40;            // width (and height) of the probe's-eye view

// A planar 2-D figure and how its pixels map to RAS mm (see the header's "Coordinate systems used").
struct FigurePlane {
  Vec3 centreRas;        // shown at pixel (size.width()/2, size.height()/2)
  Vec3 rightRas, upRas;  // unit RAS vectors along the picture's x axis and against its y axis
  double mmPerPixel = 1;
  QSize size;
  Vec3 normalRas() const { return cross(rightRas, upRas); }  // towards the viewer
  // Orthogonal projection of a RAS point onto the picture (pixel coordinates, may be outside it).
  QPointF pixelFromRas(Vec3 pointRas) const;
  // The RAS point on the plane shown at a pixel position.
  Vec3 rasFromPixel(QPointF pixel) const;
};

// The probe's-eye plane: perpendicular to the trajectory, seen down the lead from the entry (the
// view direction is entry -> target), through the point `depthMm` from the target along the path
// (positive towards the entry, negative beyond the target). Screen up is the patient's anterior
// projected onto the plane (superior when the lead runs anterior-posterior), screen right = view
// direction x up. The field of view is kProbesEyeFieldOfViewMm across the smaller dimension. The
// report's figure (depth 0) and the window's probe's-eye view share this one geometry.
FigurePlane probesEyePlane(const PlannedTrajectory& trajectory, QSize size, double depthMm = 0);

// The along-trajectory plane: contains the whole path, the lead vertical with its entry at the top.
// At `rotationDeg` 0 the plane also holds the patient's left-right axis (a coronal oblique: screen
// right = patient's left, radiological as the coronal view); it turns about the lead, so at 90 it
// holds the anterior-posterior axis (a sagittal oblique). The field of view holds the path from
// 5 mm beyond the tip to 5 mm above the entry.
FigurePlane alongTrajectoryPlane(const PlannedTrajectory& trajectory, QSize size, double rotationDeg = 0);

// The standard slice plane through the target: axis 0 sagittal, 1 coronal, 2 axial, with the
// viewer's screen axes (SlicePlaneAxes::standard: radiological axial and coronal, anterior on the
// left in sagittal). The field of view holds the trajectory's projection from target to entry
// (at least 60 mm, at most 300 mm across the smaller dimension), centred on the target.
FigurePlane targetSlicePlane(const PlannedTrajectory& trajectory, int axis, QSize size);

// Where a 2-D figure's label goes (figure pixels): the first of `candidates` (its text box at each
// place it may go, in order of preference) inside `bounds` and clear of every box in `taken` (the
// scale bar, the title, the edge letters, labels already placed). A candidate is also tried moved up
// and down by whole `step`s, the nearest first, at most `maxSteps` each way, before a larger move.
// nullopt when nothing fits.
std::optional<QRectF> placeLabelClear(const std::vector<QRectF>& candidates, const std::vector<QRectF>& taken,
                                      const QRectF& bounds, double step, int maxSteps = 8);

// 3D scene in the spirit of the classic DBS schematic: translucent scalp (risks.headMask) and brain
// (risks.brainMask) surfaces, both GPi green at 70 % opacity (so the contacts inside them still show),
// the other deep structures faint (internal capsule and tissue classes left out), each electrode
// as a tube of its real diameter from the entry to the tip with its contacts (rings, or partial arcs
// for directional segments) at their planned positions, target markers; seen from the front-left,
// above. Annotated with a title, the electrode model per lead, "R"/"L" beside the head's right and
// left sides and an orientation cube. Missing masks or labels are left out. Needs an X display
// (DISPLAY set; Xvfb will do): throws std::runtime_error without one or when the render fails.
QImage renderPlanScene(const PlanResult& result, QSize size);
// A 3-D scene as actors, every pipeline already executed (so it is built off the UI thread and
// rendered, or turned by the user, on it), and the camera that frames it (RAS mm, superior up).
struct BuiltScene {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  Vec3 focalRas, cameraRas, viewUpRas{0, 0, 1};
  double viewAngleDeg = 30;  // VTK's default
  double buildSeconds = 0;
};
// renderPlanScene's scene to turn by hand (View > Schematic): the same anatomy, leads, activated
// regions and reference targets, framed by the same camera (from the front-left, above), with the
// side letters and the leads' captions as labels that stay beside what they name as the scene turns.
BuiltScene buildPlanScene(const PlanResult& result);
// The implanted system's scene: both GPi, the translucent head and brain, the leads, the activated
// regions and the rest of the system (ImplantedSystem.h); the camera frames it from the front-right,
// a little above, from the head's top down to the generator.
BuiltScene buildImplantedSystemScene(const PlanResult& result);
// The schematic of the implanted patient (issue 25): the plan scene's head, brain, GPi, leads and
// activated regions, with the rest of the system around them (ImplantedSystem.h: burr-hole caps,
// extensions behind the right ear and down the neck, a generator under the right clavicle, a neutral
// body outline below the image), seen from the front-right, zoomed out to show the chest. Needs an
// X display, as renderPlanScene.
QImage renderImplantedSystemScene(const PlanResult& result, QSize size);
// Whether renderPlanScene can run here (an X display, real or Xvfb); the CLI asks before planning.
bool canRenderPlanScene();

// Probe's-eye view `depthMm` from the target (probesEyePlane): the T1 resliced on the plane, the
// label overlay, the lead's cross-section at the centre (kLeadFigureColour, its real diameter)
// where the plane cuts the lead (beyond its tip: a dashed outline of where it would be) with the
// facing of the directional segments of the nearest contact level, the depth, patient-direction
// letters on the edges (with lateral/medial), a 5 mm scale bar and the field of view. Throws
// std::invalid_argument without a patient volume.
QImage renderProbesEyeView(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size,
                           double depthMm = 0);

// Slice through the target (targetSlicePlane; axis 0 sagittal, 1 coronal, 2 axial): T1 with the
// label overlay, the trajectory's projection from entry to tip (kLeadFigureColour), the contacts
// (kContactFigureColour), the target (kTargetFigureColour), edge letters, the slice position in
// RAS mm and a 10 mm scale bar. Throws std::invalid_argument without a patient volume or for a
// bad axis.
QImage renderTargetSlice(const PlanResult& result, const PlannedTrajectory& trajectory, int axis, QSize size);

// The along-trajectory view (alongTrajectoryPlane): the T1 and the label overlay on the plane, the
// whole lead as one line of its real diameter, its contacts, the target ring, and the points of
// the path where each margin is smallest (ventricles, sulci, vessels, internal capsule, optic tract)
// marked with the margin in mm. Throws std::invalid_argument without a patient volume.
QImage renderAlongTrajectoryView(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size,
                                 double rotationDeg = 0);

// The scalp risk map of the trajectory's side (ScalpRiskMap.h) seen down the planned path from
// outside the head, the lead drawn, the planned entry ringed, annotated with the counts and the
// colour scale. Needs an X display like renderPlanScene. Throws std::invalid_argument without a
// scalp distance map.
QImage renderRiskMapFigure(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size);

// renderPlanScene at 1600x1200 saved as PNG atomically (temporary file in the same folder, then
// rename); returns the picture (the report reuses it). Throws std::runtime_error naming the file
// when it cannot be written.
QImage writeSceneImage(const PlanResult& result, const std::string& pngPath);

// Writes `image` as a PNG at `path` atomically (writeTextAtomically). Encoded in memory first, so a
// full disk is reported once, in dbsplan's words ("PATH: cannot write: the disk is full"), never as
// libpng's own "libpng error: Write Error" line. Throws ImagingError; a null image is an error too.
void writePngAtomically(const QImage& image, const std::string& path);

}  // namespace dbs::app
