// SliceRenderer: the VTK pipeline of one 2-D slice view (axial, coronal or sagittal): reslices the
// volume on a plane through the crosshair, maps window/level, and draws the crosshair, the anatomical
// direction letters on all four edges, and the slice position. No Qt here: a widget hosts it.
//
// Coordinate systems used:
//  - RAS mm (world): crosshair, picks, plane axes.
//  - plane mm (u, v): the rendered scene. u runs to the screen's right along rightRas, v up along
//    upRas; u = dot(rightRas, p), v = dot(upRas, p) for a RAS point p on the plane, so planeToRas is
//    a pure rotation plus the plane's offset along its normal.
//  - ijk: the volume is imported in index space (origin 0, spacing 1); the reslice maps plane -> RAS
//    -> ijk with the exact rasFromIjk, so oblique volumes appear anatomically upright and nothing is
//    approximated (resampling is for display only).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <vtkNew.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/imaging/Side.h"

class vtkActor;
class vtkAlgorithmOutput;
class vtkImageActor;
class vtkImageData;
class vtkImageMapToColors;
class vtkImageMapToWindowLevelColors;
class vtkImageReslice;
class vtkLookupTable;
class vtkMatrix4x4;
class vtkPolyData;
class vtkRenderer;
class vtkTextActor;
class vtkTransform;

namespace dbs::app {

enum class SliceOrientation { Axial, Coronal, Sagittal };

// Screen axes of a standard view, in RAS. Radiological convention for axial and coronal (the
// patient's right on the screen's left), anterior on the left in sagittal (as ITK-SNAP); every view
// is labelled with the letters, so the convention is always visible.
struct SlicePlaneAxes {
  Vec3 rightRas;  // screen right
  Vec3 upRas;     // screen up
  Vec3 normalRas() const { return cross(rightRas, upRas); }
  static SlicePlaneAxes standard(SliceOrientation orientation);
};

const char* sliceOrientationName(SliceOrientation orientation);

class SliceRenderer {
 public:
  explicit SliceRenderer(SliceOrientation orientation);
  ~SliceRenderer();
  SliceRenderer(const SliceRenderer&) = delete;
  SliceRenderer& operator=(const SliceRenderer&) = delete;

  vtkRenderer* renderer() const;
  SliceOrientation orientation() const { return orientation_; }
  const SlicePlaneAxes& axes() const { return axes_; }

  // `indexSpaceImage`: the volume with origin 0 and spacing 1 (voxel index space).
  void setVolume(vtkImageData* indexSpaceImage, const ImageGeometry& geometry);
  // No image (File > Close): the view is empty again, as at start-up; the old image is let go.
  void clearVolume();
  void setCrosshair(Vec3 crosshairRas);
  void setWindowLevel(double window, double level);
  // Coloured, translucent label overlay (index-space label image with its own exact geometry).
  void setLabels(vtkImageData* indexSpaceLabels, const ImageGeometry& labelGeometry);
  void clearLabels();
  void setLabelsVisible(bool visible);
  // Per-label appearance of the overlay: hidden, or shown at `opacity` (0-1) of its usual strength.
  void setLabelAppearance(int value, bool visible, double opacity);
  // Planned leads drawn on this view: each lead's axis from tip to entry projected orthogonally onto
  // the view plane (yellow) and its contact centres (orange), with the handles a user drags: the
  // target (magenta) and the entry (cyan), RAS mm; an empty list clears them. The part of a lead
  // within kLeadSlabHalfWidthMm of the slice is drawn solid, the rest (and contacts outside the
  // slab) faded to kFadedLeadOpacity, so a lead 16 mm from a sagittal slice is not shown as if it
  // crossed it. A handle outside the slab is drawn smaller and faded the same way: a full-bright
  // target on the mid-sagittal slice, 21 mm from the real one, once looked like a target at the AC.
  static constexpr double kLeadSlabHalfWidthMm = 2.0;  // lead radius 0.6-0.7 mm plus a voxel or so
  static constexpr double kFadedLeadOpacity = 0.3;
  struct LeadOverlay {
    Vec3 tipRas, entryRas;
    std::vector<Vec3> contactCentresRas;
    Vec3 targetRas;
    Side side = Side::Left;
    // The activated spheres of the side's stimulation (Stimulation.h), centre RAS mm and radius mm:
    // each is drawn where the slice cuts it, a circle of radius sqrt(r^2 - d^2) (light blue; orange
    // when the activated region reaches a side-effect structure).
    std::vector<std::pair<Vec3, double>> activatedSpheres;
    bool activationReachesSideEffect = false;
  };
  void setLeads(const std::vector<LeadOverlay>& leads);
  // Reference targets (issue 22): where a side's atlas and indirect targets disagree, both are drawn
  // beside the trajectory's own target as open white diamonds (kReferenceMarkHalfMm from centre to
  // corner) named beside them ("atlas L" to the left, "AC-PC L" to the right: pairs in that
  // order); off the lead's slab they are faded like the handles and not named. An empty list
  // clears them.
  struct TargetMarker {
    Vec3 ras;  // patient RAS mm
    std::string label;
  };
  static constexpr double kReferenceMarkHalfMm = 2.5;
  void setReferenceTargets(const std::vector<TargetMarker>& targets);
  const std::vector<TargetMarker>& referenceTargets() const { return referenceTargets_; }
  // The stereotactic frame's localizer rods (RAS mm segments, from a frame registration): where each
  // crosses this slice it is marked (green), so the registration can be checked on any image that
  // shows the rods; an empty list clears them.
  void setFrameRods(const std::vector<std::array<Vec3, 2>>& rodsRas);
  // A ruler between two points of a slice (RAS mm, measured in the plane they were picked on): an
  // orange line with its length in mm at its end, drawn while the view shows that slice (within half
  // a slice step) and hidden on the others; nullopt takes it away.
  void setRuler(const std::optional<std::array<Vec3, 2>>& endsRas);
  const std::optional<std::array<Vec3, 2>>& ruler() const { return ruler_; }
  bool rulerShown() const;
  // Where the rods cross the current slice (RAS mm), as drawn.
  const std::vector<Vec3>& frameRodCrossings() const { return frameRodCrossings_; }
  const std::vector<LeadOverlay>& leads() const { return leads_; }
  // An alternative previewed before it is used (issue 23): its path from the tip to the entry as a
  // dashed white line (kGhostDashMm dashes and gaps), in every view whatever the slice, no handles.
  static constexpr double kGhostDashMm = 2.0;
  // The overlay texts' designed sizes, points at a text scale of 1.
  static constexpr int kEdgeLetterFontSize = 20, kTitleFontSize = 14, kWindowLevelFontSize = 16,
                       kTargetNameFontSize = 13;
  void setGhostLead(const std::optional<LeadOverlay>& ghost);
  // The overlay texts' size (letters, title, window/level, target names) times `scale`: 1 as
  // designed, larger for a projector or a lecture hall (View > Text size).
  void setTextScale(double scale);
  double textScale() const { return textScale_; }
  int titleFontSize() const;
  const std::optional<LeadOverlay>& ghostLead() const { return ghost_; }
  // Fits the whole volume into the viewport (then applies the zoom and pan); call after the
  // viewport size changes.
  void fitToViewport(int widthPixels, int heightPixels);
  // Zoom (1 = the whole volume fits) about a VTK display pixel, which keeps showing the same point;
  // clamped to 0.5-40 (at 40 a 1 mm voxel spans about 100 pixels on a 1000-pixel view).
  void zoomAbout(double factor, double displayX, double displayY);
  // Moves what is shown by a display-pixel offset (the image follows the mouse).
  void panByDisplay(double dx, double dy);
  void resetZoomAndPan();
  double zoom() const { return zoom_; }
  static constexpr double kMinZoom = 0.5, kMaxZoom = 40.0;
  // The window/level readout ("W 400  L 200", the image's units) in the view's lower-left corner,
  // shown while the user adjusts them.
  void setWindowLevelReadoutVisible(bool visible);
  std::string windowLevelReadout() const;

  // Picking: VTK display pixel (x right, y up) <-> RAS point on the current slice plane.
  Vec3 rasFromDisplay(double displayX, double displayY) const;
  std::array<double, 2> displayFromRas(Vec3 pointRas) const;
  // Distance between neighbouring slices along the plane normal (mm).
  double sliceStepMm() const;
  // Where the title (top left) and the letter at the top edge are drawn, VTK display pixels
  // (xmin, xmax, ymin, ymax), as last rendered: they must not overlap (issue 23).
  std::array<double, 4> titleBoxPixels() const;
  std::array<double, 4> topLetterBoxPixels() const;

  // For the 3D scene: the window/levelled slice image (plane mm) and the plane -> RAS matrix.
  vtkAlgorithmOutput* colouredSliceOutput() const;
  vtkMatrix4x4* rasFromPlaneMatrix() const;

 private:
  void updateReslice();
  void updateOverlay();
  void updateLeadGeometry();
  std::array<double, 4> textBoxPixels(vtkTextActor* actor) const;

  SliceOrientation orientation_;
  SlicePlaneAxes axes_;
  ImageGeometry geometry_;
  Vec3 crosshairRas_;
  bool hasVolume_ = false;
  double outputSpacingMm_ = 1.0;
  std::array<double, 4> planeBounds_{0, 1, 0, 1};  // umin, umax, vmin, vmax of the volume's projection

  vtkNew<vtkRenderer> renderer_;
  vtkNew<vtkImageReslice> reslice_;
  vtkNew<vtkTransform> ijkFromRas_;
  vtkNew<vtkMatrix4x4> rasFromPlane_;
  vtkNew<vtkImageMapToWindowLevelColors> windowLevel_;
  vtkNew<vtkImageActor> imageActor_;
  vtkNew<vtkImageReslice> labelReslice_;
  vtkNew<vtkTransform> labelIjkFromRas_;
  vtkNew<vtkImageMapToColors> labelColours_;
  vtkNew<vtkImageActor> labelActor_;
  bool hasLabels_ = false;
  vtkNew<vtkPolyData> leadLines_, leadContacts_, targetHandles_, entryHandles_;
  vtkNew<vtkActor> leadLineActor_, leadContactActor_, targetHandleActor_, entryHandleActor_;
  vtkNew<vtkPolyData> fadedLeadLines_, fadedLeadContacts_, fadedTargetHandles_, fadedEntryHandles_;
  vtkNew<vtkActor> fadedLeadLineActor_, fadedContactActor_, fadedTargetHandleActor_, fadedEntryHandleActor_;
  std::vector<LeadOverlay> leads_;
  std::vector<std::array<Vec3, 2>> frameRods_;
  std::vector<Vec3> frameRodCrossings_;
  vtkNew<vtkPolyData> frameRodPoints_;
  vtkNew<vtkActor> frameRodActor_;
  std::optional<LeadOverlay> ghost_;
  double textScale_ = 1.0;
  int scaledFontSize(int designed) const;
  vtkNew<vtkPolyData> ghostLines_;
  vtkNew<vtkActor> ghostActor_;
  std::vector<TargetMarker> referenceTargets_;
  vtkNew<vtkPolyData> referenceMarks_, fadedReferenceMarks_;
  vtkNew<vtkActor> referenceActor_, fadedReferenceActor_;
  std::vector<vtkSmartPointer<vtkTextActor>> referenceLabels_;  // one per reference target
  vtkNew<vtkPolyData> activationCircles_, warnedActivationCircles_;
  vtkNew<vtkActor> activationActor_, warnedActivationActor_;
  vtkSmartPointer<vtkLookupTable> labelTable_;
  std::vector<double> labelBaseAlpha_;  // the table's alpha per value before any appearance change
  vtkNew<vtkPolyData> crosshairLines_;
  vtkNew<vtkActor> crosshairActor_;
  std::optional<std::array<Vec3, 2>> ruler_;
  vtkNew<vtkPolyData> rulerLine_;
  vtkNew<vtkActor> rulerActor_;
  vtkNew<vtkTextActor> rulerText_;
  void updateRuler();
  std::array<vtkSmartPointer<vtkTextActor>, 4> edgeLetters_;  // right, left, top, bottom
  vtkNew<vtkTextActor> windowLevelText_;
  double zoom_ = 1.0;
  std::array<double, 2> panMm_{0, 0};  // plane mm added to the fitted view's centre
  std::array<int, 2> viewportPixels_{0, 0};
  vtkNew<vtkTextActor> title_;
};

}  // namespace dbs::app
