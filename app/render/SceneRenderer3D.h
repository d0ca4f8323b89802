// SceneRenderer3D: the 3-D view's VTK pipeline: the three orthogonal slices placed in the world at
// the crosshair, the volume's outline, and an orientation cube labelled R/L/A/P/S/I. The scene's
// world frame is RAS mm (WorldFrame.h).
#pragma once

#include <array>
#include <optional>
#include <vector>

#include <vtkNew.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/imaging/WorldFrame.h"

class vtkActor;
class vtkImageActor;
class vtkProp3D;
class vtkImageData;
class vtkRenderer;
class vtkTextActor;
class vtkPolyData;
class vtkScalarBarActor;

namespace dbs::app {

class SliceRenderer;

class SceneRenderer3D {
 public:
  SceneRenderer3D();
  ~SceneRenderer3D();
  SceneRenderer3D(const SceneRenderer3D&) = delete;
  SceneRenderer3D& operator=(const SceneRenderer3D&) = delete;

  vtkRenderer* renderer() const;
  // The orientation cube lives in its own renderer (a corner viewport, drawn on top).
  vtkRenderer* orientationRenderer() const;

  // Shows the slices of the three slice renderers (their outputs and plane matrices are shared).
  void setVolume(const ImageGeometry& geometry, const std::array<SliceRenderer*, 3>& slices);
  void clearVolume();  // no image (File > Close): the slices, the outline and the labels go
  // Smoothed surfaces of the deep structures of a label map (GPi opaque, the others translucent).
  void setLabels(vtkImageData* indexSpaceLabels, const ImageGeometry& labelGeometry);
  void clearLabels();
  void setLabelsVisible(bool visible);
  // Per-label appearance of the surfaces: hidden, or at `opacity` (0-1) of the surface's usual opacity.
  void setLabelAppearance(int value, bool visible, double opacity);
  // Re-reads the slice plane matrices (after the crosshair moved).
  void crosshairMoved();
  // Planned leads to show (replacing any shown before; empty clears), RAS.
  void setPlannedLeads(const std::vector<vtkSmartPointer<vtkProp3D>>& leads);
  // An alternative previewed before it is used (ghostLeadActors); empty clears it.
  void setGhostLeads(const std::vector<vtkSmartPointer<vtkProp3D>>& ghost);
  // The view's title and the risk map's legend times `scale` (View > Text size; 1 as designed).
  void setTextScale(double scale);
  // A scalp risk map (ScalpRiskMap.h: its "colour" point array shown as is, opaque) with its colour
  // bar and caption unless !withLegend; null removes it. The surface's arrays may change
  // afterwards: call riskMapChanged().
  void setRiskMap(vtkPolyData* surface, bool withLegend = true);
  void riskMapChanged();
  bool riskMapShown() const;
  // The RAS point of the risk map under a VTK display position (pixels, y up), if the map is hit
  // there first (nearer than anything else pickable).
  std::optional<Vec3> pickRiskMap(double displayX, double displayY) const;
  // The view's caption ("3D" in the viewer); figures that annotate themselves hide it.
  void setTitleVisible(bool visible);
  // Camera from the front-left, above: the classic view of a DBS planning scene.
  void resetCamera();
  // Keeps the orientation cube's camera aligned with the main camera; call before each render.
  void syncOrientationCamera();

 private:
  vtkNew<vtkRenderer> renderer_;
  vtkNew<vtkRenderer> orientationRenderer_;
  std::array<vtkSmartPointer<vtkImageActor>, 3> sliceActors_;
  std::array<SliceRenderer*, 3> slices_{nullptr, nullptr, nullptr};
  vtkNew<vtkActor> outline_;
  struct LabelSurface {
    int value;
    double baseOpacity;
    bool visible;
    vtkSmartPointer<vtkActor> actor;
  };
  std::vector<LabelSurface> labelSurfaces_;
  bool labelsVisible_ = true;
  std::vector<vtkSmartPointer<vtkProp3D>> plannedLeads_, ghostLeads_;
  // The title's and the risk map legend's designed sizes (points at text scale 1), and the scale.
  static constexpr int kTitleFontSize = 14, kLegendFontSize = 12;
  double textScale_ = 1.0;
  int scaledFontSize(int designed) const;
  vtkNew<vtkTextActor> title_;
  vtkSmartPointer<vtkActor> riskMap_;
  vtkSmartPointer<vtkScalarBarActor> riskMapBar_;
  vtkSmartPointer<vtkTextActor> riskMapCaption_;
};

}  // namespace dbs::app
