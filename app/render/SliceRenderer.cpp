#include "render/SliceRenderer.h"

#include <tuple>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCoordinate.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageMapToColors.h>
#include <vtkImageMapToWindowLevelColors.h>
#include <vtkImageMapper3D.h>
#include <vtkImageReslice.h>
#include <vtkLookupTable.h>
#include <vtkMatrix4x4.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderStepsPass.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkTextRenderer.h>
#include <vtkTransform.h>
#include <vtkTranslucentPass.h>

#include "dbs/imaging/Labels.h"
#include "render/ColourTables.h"
#include "render/LabelDisplay.h"
#include "render/VtkImages.h"

namespace dbs::app {

namespace {
// A line overlay drawn from `lines` (plane mm): its colour and width in pixels, hidden until shown.
void addLineActor(vtkRenderer* renderer, vtkActor* actor, vtkPolyData* lines, double red, double green,
                  double blue, double widthPixels) {
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputData(lines);
  actor->SetMapper(mapper);
  actor->GetProperty()->SetColor(red, green, blue);
  actor->GetProperty()->SetLineWidth(static_cast<float>(widthPixels));
  actor->PickableOff();
  actor->VisibilityOff();
  renderer->AddActor(actor);
}
}  // namespace

SlicePlaneAxes SlicePlaneAxes::standard(SliceOrientation orientation) {
  switch (orientation) {
    case SliceOrientation::Axial:
      return {{-1, 0, 0}, {0, 1, 0}};  // seen from below: R on the left, A up
    case SliceOrientation::Coronal:
      return {{-1, 0, 0}, {0, 0, 1}};  // seen from the front: R left, S up
    case SliceOrientation::Sagittal:
      return {{0, -1, 0}, {0, 0, 1}};  // A on the left, S up
  }
  return {{1, 0, 0}, {0, 1, 0}};
}

const char* sliceOrientationName(SliceOrientation orientation) {
  switch (orientation) {
    case SliceOrientation::Axial:
      return "Axial";
    case SliceOrientation::Coronal:
      return "Coronal";
    case SliceOrientation::Sagittal:
      return "Sagittal";
  }
  return "";
}

SliceRenderer::SliceRenderer(SliceOrientation orientation)
    : orientation_(orientation), axes_(SlicePlaneAxes::standard(orientation)) {
  renderer_->SetBackground(0, 0, 0);
  // Translucent props (the label overlay, faded off-slice leads, activation circles) are flat layers
  // drawn in a fixed order, so plain "over" blending in that order is exact. VTK's default
  // without depth peeling is order-independent translucency, an approximation (up to 20 grey levels off
  // on faded lines) that costs more full-view passes on float textures: on software OpenGL a drag step
  // took 94 ms without this and 80 ms with it (dbs_drag_bench, median of four alternating runs each,
  // issue 23). The 3-D view keeps it: its translucent surfaces and slices cross, and order matters.
  vtkNew<vtkRenderStepsPass> renderSteps;
  vtkNew<vtkTranslucentPass> inDrawOrder;
  renderSteps->SetTranslucentPass(inDrawOrder);
  renderer_->SetPass(renderSteps);
  vtkCamera* camera = renderer_->GetActiveCamera();
  camera->ParallelProjectionOn();
  camera->SetViewUp(0, 1, 0);

  reslice_->SetOutputDimensionality(2);
  reslice_->SetInterpolationModeToNearestNeighbor();  // show voxels as they are
  reslice_->SetResliceTransform(ijkFromRas_);
  windowLevel_->SetInputConnection(reslice_->GetOutputPort());
  windowLevel_->SetOutputFormatToRGB();
  imageActor_->GetMapper()->SetInputConnection(windowLevel_->GetOutputPort());
  imageActor_->InterpolateOff();
  imageActor_->VisibilityOff();
  renderer_->AddActor(imageActor_);

  // Label overlay: nearest-neighbour reslice on the same output grid, coloured by the label table.
  labelReslice_->SetOutputDimensionality(2);
  labelReslice_->SetInterpolationModeToNearestNeighbor();
  labelReslice_->SetResliceTransform(labelIjkFromRas_);
  labelReslice_->SetBackgroundLevel(0);
  labelTable_ = labelLookupTable();  // tissue classes stay transparent
  for (vtkIdType v = 0; v < labelTable_->GetNumberOfTableValues(); ++v)
    labelBaseAlpha_.push_back(labelTable_->GetTableValue(v)[3]);
  labelColours_->SetLookupTable(labelTable_);
  labelColours_->SetOutputFormatToRGBA();
  labelColours_->SetInputConnection(labelReslice_->GetOutputPort());
  labelActor_->GetMapper()->SetInputConnection(labelColours_->GetOutputPort());
  labelActor_->InterpolateOff();
  labelActor_->SetOpacity(0.45);
  labelActor_->SetPosition(0, 0, 0.5);  // between the slice (z = 0) and the crosshair (z = 1)
  labelActor_->PickableOff();
  labelActor_->VisibilityOff();
  renderer_->AddActor(labelActor_);

  addLineActor(renderer_, crosshairActor_, crosshairLines_, 0.2, 0.9, 0.3, 1.5);
  // The ruler (setRuler): orange, in front of everything but the text (z = 1.2).
  addLineActor(renderer_, rulerActor_, rulerLine_, 1.0, 0.55, 0.1, 2.0);
  rulerText_->GetPositionCoordinate()->SetCoordinateSystemToWorld();
  rulerText_->GetTextProperty()->SetFontSize(kTargetNameFontSize);
  rulerText_->GetTextProperty()->BoldOn();
  rulerText_->GetTextProperty()->ShadowOn();
  rulerText_->GetTextProperty()->SetColor(1.0, 0.55, 0.1);
  rulerText_->GetTextProperty()->SetVerticalJustificationToBottom();
  rulerText_->PickableOff();
  rulerText_->VisibilityOff();
  renderer_->AddViewProp(rulerText_);

  // Planned leads, between the labels (z = 0.5) and the crosshair (z = 1); colours as the report's
  // slice figures (PlanFigures.h): lead yellow, contacts orange.
  vtkNew<vtkPolyDataMapper> leadMapper, contactMapper;
  leadMapper->SetInputData(leadLines_);
  leadLineActor_->SetMapper(leadMapper);
  leadLineActor_->GetProperty()->SetColor(1.0, 0.84, 0.04);
  leadLineActor_->GetProperty()->SetLineWidth(2.0);
  leadLineActor_->PickableOff();
  contactMapper->SetInputData(leadContacts_);
  leadContactActor_->SetMapper(contactMapper);
  leadContactActor_->GetProperty()->SetColor(1.0, 0.35, 0.16);
  leadContactActor_->GetProperty()->SetPointSize(6.0);
  leadContactActor_->PickableOff();
  // The activated region where the slice cuts it: light blue outlines (orange when it reaches a
  // side-effect structure), drawn just under the lead so the contacts stay visible inside them.
  for (auto [data, actor, colour] :
       {std::tuple{activationCircles_.GetPointer(), activationActor_.GetPointer(),
                   std::array{0.35, 0.8, 1.0}},
        std::tuple{warnedActivationCircles_.GetPointer(), warnedActivationActor_.GetPointer(),
                   std::array{1.0, 0.55, 0.0}}}) {
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(data);
    actor->SetMapper(mapper);
    actor->GetProperty()->SetColor(colour.data());
    actor->GetProperty()->SetLineWidth(2.0);
    actor->PickableOff();
    renderer_->AddActor(actor);
  }
  // The parts of a lead and the contacts farther than kLeadSlabHalfWidthMm from the slice: the same
  // colours, faint, so a user sees where the lead crosses this slice and where it only projects.
  vtkNew<vtkPolyDataMapper> fadedLeadMapper, fadedContactMapper;
  fadedLeadMapper->SetInputData(fadedLeadLines_);
  fadedLeadLineActor_->SetMapper(fadedLeadMapper);
  fadedLeadLineActor_->GetProperty()->SetColor(1.0, 0.84, 0.04);
  fadedLeadLineActor_->GetProperty()->SetOpacity(kFadedLeadOpacity);
  fadedLeadLineActor_->GetProperty()->SetLineWidth(1.0);
  fadedLeadLineActor_->PickableOff();
  fadedContactMapper->SetInputData(fadedLeadContacts_);
  fadedContactActor_->SetMapper(fadedContactMapper);
  fadedContactActor_->GetProperty()->SetColor(1.0, 0.35, 0.16);
  fadedContactActor_->GetProperty()->SetOpacity(kFadedLeadOpacity);
  fadedContactActor_->GetProperty()->SetPointSize(4.0);
  fadedContactActor_->PickableOff();
  renderer_->AddActor(fadedLeadLineActor_);
  vtkNew<vtkPolyDataMapper> ghostMapper;
  ghostMapper->SetInputData(ghostLines_);
  ghostActor_->SetMapper(ghostMapper);
  ghostActor_->GetProperty()->SetColor(1.0, 1.0, 1.0);
  ghostActor_->GetProperty()->SetOpacity(0.85);
  ghostActor_->GetProperty()->SetLineWidth(2.0);
  ghostActor_->PickableOff();
  renderer_->AddActor(ghostActor_);
  renderer_->AddActor(fadedContactActor_);
  renderer_->AddActor(leadLineActor_);
  renderer_->AddActor(leadContactActor_);
  // Drag handles: the target (magenta, as the report's target marker) and the entry (cyan).
  // Off the slice (outside the lead's slab) a handle is smaller and faded like the lead there.
  const struct {
    vtkPolyData* points;
    vtkActor* actor;
    double rgb[3];
    bool onSlice;
  } handles[4] = {{fadedTargetHandles_, fadedTargetHandleActor_, {1.0, 0.16, 1.0}, false},
                  {fadedEntryHandles_, fadedEntryHandleActor_, {0.2, 0.9, 1.0}, false},
                  {targetHandles_, targetHandleActor_, {1.0, 0.16, 1.0}, true},
                  {entryHandles_, entryHandleActor_, {0.2, 0.9, 1.0}, true}};
  for (const auto& h : handles) {
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(h.points);
    h.actor->SetMapper(mapper);
    h.actor->GetProperty()->SetColor(h.rgb[0], h.rgb[1], h.rgb[2]);
    h.actor->GetProperty()->SetPointSize(h.onSlice ? 11.0 : 7.0);
    if (!h.onSlice) h.actor->GetProperty()->SetOpacity(kFadedLeadOpacity);
    h.actor->PickableOff();
    renderer_->AddActor(h.actor);
  }

  // Reference targets: white open diamonds (nothing else in the views is white), faded off the slab.
  for (auto [data, actor, onSlice] :
       {std::tuple{referenceMarks_.GetPointer(), referenceActor_.GetPointer(), true},
        std::tuple{fadedReferenceMarks_.GetPointer(), fadedReferenceActor_.GetPointer(), false}}) {
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(data);
    actor->SetMapper(mapper);
    actor->GetProperty()->SetColor(1.0, 1.0, 1.0);
    actor->GetProperty()->SetLineWidth(onSlice ? 2.5 : 1.5);
    if (!onSlice) actor->GetProperty()->SetOpacity(kFadedLeadOpacity + 0.2);
    actor->PickableOff();
    renderer_->AddActor(actor);
  }

  // The frame's localizer rods where they cross the slice: green, as frame hardware in planning tools.
  vtkNew<vtkPolyDataMapper> rodMapper;
  rodMapper->SetInputData(frameRodPoints_);
  frameRodActor_->SetMapper(rodMapper);
  frameRodActor_->GetProperty()->SetColor(0.2, 1.0, 0.3);
  frameRodActor_->GetProperty()->SetPointSize(9.0);
  frameRodActor_->PickableOff();
  renderer_->AddActor(frameRodActor_);

  // Anatomical letters on every edge: the direction the edge faces, in the patient.
  const double positions[4][2] = {{0.985, 0.5}, {0.015, 0.5}, {0.5, 0.975}, {0.5, 0.025}};
  const int hJustify[4] = {VTK_TEXT_RIGHT, VTK_TEXT_LEFT, VTK_TEXT_CENTERED, VTK_TEXT_CENTERED};
  const int vJustify[4] = {VTK_TEXT_CENTERED, VTK_TEXT_CENTERED, VTK_TEXT_TOP, VTK_TEXT_BOTTOM};
  const Vec3 edgeDirections[4] = {axes_.rightRas, -1.0 * axes_.rightRas, axes_.upRas, -1.0 * axes_.upRas};
  for (int i = 0; i < 4; ++i) {
    edgeLetters_[i] = vtkSmartPointer<vtkTextActor>::New();
    const char letter[2] = {anatomicalLetter(edgeDirections[i]), 0};
    edgeLetters_[i]->SetInput(letter);
    edgeLetters_[i]->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    edgeLetters_[i]->SetPosition(positions[i][0], positions[i][1]);
    vtkTextProperty* p = edgeLetters_[i]->GetTextProperty();
    p->SetFontSize(kEdgeLetterFontSize);
    p->BoldOn();
    p->SetColor(1.0, 0.85, 0.2);
    p->SetJustification(hJustify[i]);
    p->SetVerticalJustification(vJustify[i]);
    renderer_->AddViewProp(edgeLetters_[i]);
  }
  title_->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  title_->SetPosition(0.015, 0.975);
  title_->GetTextProperty()->SetFontSize(kTitleFontSize);
  title_->GetTextProperty()->SetColor(0.85, 0.85, 0.85);
  title_->GetTextProperty()->SetVerticalJustification(VTK_TEXT_TOP);
  title_->SetInput(sliceOrientationName(orientation));
  renderer_->AddViewProp(title_);
  windowLevelText_->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  windowLevelText_->SetPosition(0.015, 0.02);
  windowLevelText_->GetTextProperty()->SetFontSize(kWindowLevelFontSize);
  windowLevelText_->GetTextProperty()->BoldOn();
  windowLevelText_->GetTextProperty()->SetColor(0.55, 0.9, 1.0);
  windowLevelText_->VisibilityOff();
  renderer_->AddViewProp(windowLevelText_);
}

SliceRenderer::~SliceRenderer() = default;

vtkRenderer* SliceRenderer::renderer() const {
  return renderer_;
}
vtkAlgorithmOutput* SliceRenderer::colouredSliceOutput() const {
  return windowLevel_->GetOutputPort();
}
vtkMatrix4x4* SliceRenderer::rasFromPlaneMatrix() const {
  return rasFromPlane_;
}

void SliceRenderer::setVolume(vtkImageData* indexSpaceImage, const ImageGeometry& geometry) {
  // Another image starts whole and centred (issue 23: its predecessor's zoom and pan could leave it
  // off screen); the same grid again (the plan's image after planning) keeps the user's view.
  const bool sameGrid = hasVolume_ && geometry_.size == geometry.size &&
                        geometry_.rasFromIjk.maxAbsDifference(geometry.rasFromIjk) < 1e-6;
  if (!sameGrid) {
    setRuler(std::nullopt);  // it measured another image
    zoom_ = 1.0;
    panMm_ = {0, 0};
  }
  geometry_ = geometry;
  reslice_->SetInputData(indexSpaceImage);
  ijkFromRas_->SetMatrix(vtkMatrixFromAffine(geometry.ijkFromRas()));
  double range[2];
  indexSpaceImage->GetScalarRange(range);
  reslice_->SetBackgroundLevel(range[0]);

  // Display resolution: the finest voxel size, so no voxel is skipped.
  const Vec3 spacing = geometry.spacingMm();
  outputSpacingMm_ = std::min({spacing.x, spacing.y, spacing.z});
  // The volume's extent projected on the plane axes (voxel edges), constant for the volume.
  const double inf = 1e300;
  planeBounds_ = {inf, -inf, inf, -inf};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk{(corner & 1) ? geometry.size[0] - 0.5 : -0.5, (corner & 2) ? geometry.size[1] - 0.5 : -0.5,
                   (corner & 4) ? geometry.size[2] - 0.5 : -0.5};
    const Vec3 p = geometry.rasFromIndex(ijk);
    const double u = dot(axes_.rightRas, p), v = dot(axes_.upRas, p);
    planeBounds_[0] = std::min(planeBounds_[0], u);
    planeBounds_[1] = std::max(planeBounds_[1], u);
    planeBounds_[2] = std::min(planeBounds_[2], v);
    planeBounds_[3] = std::max(planeBounds_[3], v);
  }
  hasVolume_ = true;
  imageActor_->VisibilityOn();
  labelActor_->SetVisibility(hasLabels_);
  crosshairActor_->VisibilityOn();
  crosshairRas_ = geometry.rasFromIndex(
      {(geometry.size[0] - 1) / 2.0, (geometry.size[1] - 1) / 2.0, (geometry.size[2] - 1) / 2.0});
  updateReslice();
  updateOverlay();
}

void SliceRenderer::clearVolume() {
  hasVolume_ = false;
  hasLabels_ = false;
  imageActor_->VisibilityOff();
  labelActor_->VisibilityOff();
  crosshairActor_->VisibilityOff();
  setRuler(std::nullopt);  // it measured the closed image
  // The reslice read the closed volume's pixels in place (ViewerModel wraps the ITK buffer): an
  // empty image instead, so nothing keeps or reads them.
  reslice_->SetInputData(vtkNew<vtkImageData>().GetPointer());
  title_->SetInput(sliceOrientationName(orientation_));
}

void SliceRenderer::setRuler(const std::optional<std::array<Vec3, 2>>& endsRas) {
  ruler_ = endsRas;
  updateRuler();
}

bool SliceRenderer::rulerShown() const {
  return rulerActor_->GetVisibility() != 0;
}

void SliceRenderer::updateRuler() {
  const Vec3 normal = axes_.normalRas();
  const bool onSlice = ruler_ && hasVolume_ &&
                       std::abs(dot(normal, (*ruler_)[0] - crosshairRas_)) <= 0.5 * sliceStepMm() &&
                       std::abs(dot(normal, (*ruler_)[1] - crosshairRas_)) <= 0.5 * sliceStepMm();
  rulerActor_->SetVisibility(onSlice);
  rulerText_->SetVisibility(onSlice);
  if (!onSlice) return;
  const auto [a, b] = *ruler_;
  vtkNew<vtkPoints> points;
  points->InsertNextPoint(dot(axes_.rightRas, a), dot(axes_.upRas, a), 1.2);
  points->InsertNextPoint(dot(axes_.rightRas, b), dot(axes_.upRas, b), 1.2);
  vtkNew<vtkCellArray> line;
  const vtkIdType ids[2] = {0, 1};
  line->InsertNextCell(2, ids);
  rulerLine_->SetPoints(points);
  rulerLine_->SetLines(line);
  rulerLine_->Modified();
  char text[32];
  std::snprintf(text, sizeof text, " %.1f mm", norm(b - a));  // RAS mm: the two points' distance
  rulerText_->SetInput(text);
  rulerText_->GetPositionCoordinate()->SetValue(dot(axes_.rightRas, b), dot(axes_.upRas, b), 1.2);
}

void SliceRenderer::setCrosshair(Vec3 crosshairRas) {
  crosshairRas_ = crosshairRas;
  updateLeadGeometry();  // the slab moves with the slice
  updateRuler();         // shown on its own slice only
  if (!hasVolume_) return;
  updateReslice();
  updateOverlay();
}

void SliceRenderer::setWindowLevel(double window, double level) {
  windowLevel_->SetWindow(std::max(window, 1e-6));
  windowLevel_->SetLevel(level);
  windowLevelText_->SetInput(windowLevelReadout().c_str());
}

void SliceRenderer::setLabels(vtkImageData* indexSpaceLabels, const ImageGeometry& labelGeometry) {
  labelReslice_->SetInputData(indexSpaceLabels);
  labelIjkFromRas_->SetMatrix(vtkMatrixFromAffine(labelGeometry.ijkFromRas()));
  hasLabels_ = true;
  labelActor_->SetVisibility(hasVolume_);
  if (hasVolume_) updateReslice();
}

void SliceRenderer::clearLabels() {
  hasLabels_ = false;
  labelActor_->VisibilityOff();
}

void SliceRenderer::setLabelsVisible(bool visible) {
  labelActor_->SetVisibility(visible && hasLabels_ && hasVolume_);
}

void SliceRenderer::setLabelAppearance(int value, bool visible, double opacity) {
  if (value < 0 || value >= labelTable_->GetNumberOfTableValues()) return;
  const double* rgba = labelTable_->GetTableValue(value);
  const double alpha =
      visible ? labelBaseAlpha_[static_cast<std::size_t>(value)] * std::clamp(opacity, 0.0, 1.0) : 0.0;
  labelTable_->SetTableValue(value, rgba[0], rgba[1], rgba[2], alpha);
  labelTable_->Modified();
  labelColours_->Modified();
}

void SliceRenderer::setLeads(const std::vector<LeadOverlay>& leads) {
  leads_ = leads;
  updateLeadGeometry();
}

int SliceRenderer::scaledFontSize(int designed) const {
  return static_cast<int>(std::lround(designed * textScale_));
}

int SliceRenderer::titleFontSize() const {
  return title_->GetTextProperty()->GetFontSize();
}

void SliceRenderer::setTextScale(double scale) {
  textScale_ = std::clamp(scale, 0.5, 3.0);
  for (const auto& letter : edgeLetters_)
    letter->GetTextProperty()->SetFontSize(scaledFontSize(kEdgeLetterFontSize));
  title_->GetTextProperty()->SetFontSize(scaledFontSize(kTitleFontSize));
  windowLevelText_->GetTextProperty()->SetFontSize(scaledFontSize(kWindowLevelFontSize));
  for (const auto& label : referenceLabels_)
    label->GetTextProperty()->SetFontSize(scaledFontSize(kTargetNameFontSize));
  rulerText_->GetTextProperty()->SetFontSize(scaledFontSize(kTargetNameFontSize));
  if (hasVolume_) updateOverlay();  // the title's one or two lines depend on its size
}

void SliceRenderer::setGhostLead(const std::optional<LeadOverlay>& ghost) {
  ghost_ = ghost;
  updateLeadGeometry();
}

void SliceRenderer::setReferenceTargets(const std::vector<TargetMarker>& targets) {
  referenceTargets_ = targets;
  while (referenceLabels_.size() > targets.size()) {
    renderer_->RemoveViewProp(referenceLabels_.back());
    referenceLabels_.pop_back();
  }
  while (referenceLabels_.size() < targets.size()) {
    auto label = vtkSmartPointer<vtkTextActor>::New();
    label->GetPositionCoordinate()->SetCoordinateSystemToWorld();  // plane mm, as the geometry
    vtkTextProperty* p = label->GetTextProperty();
    p->SetFontSize(scaledFontSize(kTargetNameFontSize));
    p->BoldOn();
    p->ShadowOn();
    p->SetColor(1.0, 1.0, 1.0);
    p->SetVerticalJustification(VTK_TEXT_CENTERED);
    label->PickableOff();
    renderer_->AddViewProp(label);
    referenceLabels_.push_back(label);
  }
  for (std::size_t i = 0; i < targets.size(); ++i) referenceLabels_[i]->SetInput(targets[i].label.c_str());
  updateLeadGeometry();
}

void SliceRenderer::setFrameRods(const std::vector<std::array<Vec3, 2>>& rodsRas) {
  frameRods_ = rodsRas;
  updateLeadGeometry();
}

void SliceRenderer::updateLeadGeometry() {
  // Plane coordinates are projections of RAS points on the screen axes (see updateReslice). Each
  // lead is split where it enters and leaves the slab of kLeadSlabHalfWidthMm around the slice:
  // solid inside, faded outside.
  const Vec3 normal = axes_.normalRas();
  const double sliceOffset = dot(normal, crosshairRas_);
  auto planePoint = [this](Vec3 ras, double z) {
    return std::array<double, 3>{dot(axes_.rightRas, ras), dot(axes_.upRas, ras), z};
  };
  auto inSlab = [&](Vec3 ras) { return std::abs(dot(normal, ras) - sliceOffset) <= kLeadSlabHalfWidthMm; };
  vtkNew<vtkPoints> linePoints, fadedLinePoints, contactPoints, fadedContactPoints, targetPoints, entryPoints,
      fadedTargetPoints, fadedEntryPoints;
  vtkNew<vtkCellArray> lines, fadedLines, vertices, fadedVertices, targetVertices, entryVertices,
      fadedTargetVertices, fadedEntryVertices;
  vtkNew<vtkPoints> circlePoints, warnedCirclePoints;
  vtkNew<vtkCellArray> circles, warnedCircles;
  auto addLine = [&](vtkPoints* points, vtkCellArray* cells, Vec3 a, Vec3 b, double z) {
    const vtkIdType ids[2] = {points->InsertNextPoint(planePoint(a, z).data()),
                              points->InsertNextPoint(planePoint(b, z).data())};
    cells->InsertNextCell(2, ids);
  };
  for (const LeadOverlay& lead : leads_) {
    auto addHandle = [&](Vec3 ras, vtkPoints* onPoints, vtkCellArray* onCells, vtkPoints* offPoints,
                         vtkCellArray* offCells) {
      const bool on = inSlab(ras);
      const vtkIdType id =
          (on ? onPoints : offPoints)->InsertNextPoint(planePoint(ras, on ? 0.95 : 0.94).data());
      (on ? onCells : offCells)->InsertNextCell(1, &id);
    };
    addHandle(lead.targetRas, targetPoints, targetVertices, fadedTargetPoints, fadedTargetVertices);
    addHandle(lead.entryRas, entryPoints, entryVertices, fadedEntryPoints, fadedEntryVertices);
    // Signed distance from the slice along the lead, linear in t (tip at t = 0, entry at t = 1).
    const Vec3 a = lead.tipRas, d = lead.entryRas - lead.tipRas;
    const double d0 = dot(normal, a) - sliceOffset, slope = dot(normal, d);
    double t0 = 0, t1 = 1;  // the part inside the slab
    if (std::abs(slope) < 1e-12) {
      if (std::abs(d0) > kLeadSlabHalfWidthMm) t0 = 1, t1 = 0;
    } else {
      const double ta = (-kLeadSlabHalfWidthMm - d0) / slope, tb = (kLeadSlabHalfWidthMm - d0) / slope;
      t0 = std::max(0.0, std::min(ta, tb));
      t1 = std::min(1.0, std::max(ta, tb));
    }
    auto at = [&](double t) { return a + t * d; };
    if (t0 < t1) {
      addLine(linePoints, lines, at(t0), at(t1), 0.8);
      if (t0 > 0) addLine(fadedLinePoints, fadedLines, at(0), at(t0), 0.79);
      if (t1 < 1) addLine(fadedLinePoints, fadedLines, at(t1), at(1), 0.79);
    } else {
      addLine(fadedLinePoints, fadedLines, at(0), at(1), 0.79);
    }
    // A sphere cut by the slice: a circle of radius sqrt(r^2 - d^2) about the centre's projection.
    for (const auto& [centre, radius] : lead.activatedSpheres) {
      const double distance = dot(normal, centre) - sliceOffset;
      if (std::abs(distance) >= radius) continue;
      const double r = std::sqrt(radius * radius - distance * distance);
      vtkPoints* points =
          lead.activationReachesSideEffect ? warnedCirclePoints.GetPointer() : circlePoints.GetPointer();
      vtkCellArray* cells =
          lead.activationReachesSideEffect ? warnedCircles.GetPointer() : circles.GetPointer();
      constexpr int kSegments = 48;
      const std::array<double, 3> c = planePoint(centre, 0.85);
      std::vector<vtkIdType> ids;
      for (int i = 0; i <= kSegments; ++i) {
        const double angle = 2.0 * 3.14159265358979323846 * i / kSegments;
        const double point[3] = {c[0] + r * std::cos(angle), c[1] + r * std::sin(angle), c[2]};
        ids.push_back(points->InsertNextPoint(point));
      }
      cells->InsertNextCell(static_cast<vtkIdType>(ids.size()), ids.data());
    }
    for (const Vec3& c : lead.contactCentresRas) {
      const bool solid = inSlab(c);
      vtkPoints* points = solid ? contactPoints.GetPointer() : fadedContactPoints.GetPointer();
      const vtkIdType id = points->InsertNextPoint(planePoint(c, solid ? 0.9 : 0.89).data());
      (solid ? vertices.GetPointer() : fadedVertices.GetPointer())->InsertNextCell(1, &id);
    }
  }
  auto install = [](vtkPolyData* data, vtkPoints* points, vtkCellArray* cells, bool asLines) {
    data->SetPoints(points);
    if (asLines)
      data->SetLines(cells);
    else
      data->SetVerts(cells);
    data->Modified();
  };
  install(leadLines_, linePoints, lines, true);
  install(fadedLeadLines_, fadedLinePoints, fadedLines, true);
  install(leadContacts_, contactPoints, vertices, false);
  install(fadedLeadContacts_, fadedContactPoints, fadedVertices, false);
  install(targetHandles_, targetPoints, targetVertices, false);
  install(entryHandles_, entryPoints, entryVertices, false);
  install(fadedTargetHandles_, fadedTargetPoints, fadedTargetVertices, false);
  install(fadedEntryHandles_, fadedEntryPoints, fadedEntryVertices, false);
  install(activationCircles_, circlePoints, circles, true);
  install(warnedActivationCircles_, warnedCirclePoints, warnedCircles, true);

  // The previewed alternative: dashes along its whole path, under the planned leads (z 0.78).
  vtkNew<vtkPoints> ghostPoints;
  vtkNew<vtkCellArray> ghostCells;
  if (ghost_) {
    const Vec3 from = ghost_->tipRas, along = ghost_->entryRas - ghost_->tipRas;
    const double length = norm(along);
    for (double s = 0; s < length; s += 2 * kGhostDashMm)
      addLine(ghostPoints, ghostCells, from + (s / length) * along,
              from + (std::min(s + kGhostDashMm, length) / length) * along, 0.78);
  }
  install(ghostLines_, ghostPoints, ghostCells, true);

  // Reference targets: a diamond about each, its name to its right; on the slice when within the slab.
  vtkNew<vtkPoints> markPoints, fadedMarkPoints;
  vtkNew<vtkCellArray> marks, fadedMarks;
  for (std::size_t i = 0; i < referenceTargets_.size(); ++i) {
    const Vec3 ras = referenceTargets_[i].ras;
    const bool on = inSlab(ras);
    const std::array<double, 3> c = planePoint(ras, on ? 0.96 : 0.92);
    constexpr double h = kReferenceMarkHalfMm;
    vtkPoints* points = on ? markPoints.GetPointer() : fadedMarkPoints.GetPointer();
    const double corners[5][2] = {{h, 0}, {0, h}, {-h, 0}, {0, -h}, {h, 0}};
    vtkIdType ids[5];
    for (int k = 0; k < 5; ++k) {
      const double point[3] = {c[0] + corners[k][0], c[1] + corners[k][1], c[2]};
      ids[k] = points->InsertNextPoint(point);
    }
    (on ? marks.GetPointer() : fadedMarks.GetPointer())->InsertNextCell(5, ids);
    // A side's two marks may lie a few pixels apart: the first's name to its left, the second's to
    // its right, so the names never overprint. Off the slab only the faded diamond is drawn: a name
    // there would read as a target on this slice.
    const bool left = i % 2 == 0;
    referenceLabels_[i]->GetPositionCoordinate()->SetValue(c[0] + (left ? -1.6 : 1.6) * h, c[1], c[2]);
    referenceLabels_[i]->GetTextProperty()->SetJustification(left ? VTK_TEXT_RIGHT : VTK_TEXT_LEFT);
    referenceLabels_[i]->SetVisibility(on);
  }
  install(referenceMarks_, markPoints, marks, true);
  install(fadedReferenceMarks_, fadedMarkPoints, fadedMarks, true);

  // Rod crossings: the point of each rod segment on the slice plane.
  vtkNew<vtkPoints> rodPoints;
  vtkNew<vtkCellArray> rodVertices;
  frameRodCrossings_.clear();
  for (const auto& rod : frameRods_) {
    const double da = dot(normal, rod[0]) - sliceOffset, db = dot(normal, rod[1]) - sliceOffset;
    if (da * db > 0 || std::abs(da - db) < 1e-9) continue;  // both ends on one side, or in the plane
    const Vec3 crossing = rod[0] + (da / (da - db)) * (rod[1] - rod[0]);
    frameRodCrossings_.push_back(crossing);
    const vtkIdType id = rodPoints->InsertNextPoint(planePoint(crossing, 0.93).data());
    rodVertices->InsertNextCell(1, &id);
  }
  install(frameRodPoints_, rodPoints, rodVertices, false);
}

void SliceRenderer::updateReslice() {
  const Vec3 normal = axes_.normalRas();
  const double offset = dot(normal, crosshairRas_);
  // Plane -> RAS: columns are the screen axes and the normal; the origin is the plane's closest point
  // to the RAS origin, so that plane coordinates are simply projections of RAS points.
  const Vec3 columns[4] = {axes_.rightRas, axes_.upRas, normal, offset * normal};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) rasFromPlane_->SetElement(r, c, columns[c][r]);
  reslice_->SetResliceAxes(rasFromPlane_);

  // Output grid: covers the volume's projection and puts a sample exactly on the crosshair, so the
  // voxel under the crosshair is the one displayed there.
  const double s = outputSpacingMm_;
  const double cu = dot(axes_.rightRas, crosshairRas_), cv = dot(axes_.upRas, crosshairRas_);
  const double u0 = cu - std::ceil((cu - planeBounds_[0]) / s) * s;
  const double v0 = cv - std::ceil((cv - planeBounds_[2]) / s) * s;
  const int nu = static_cast<int>(std::ceil((planeBounds_[1] - u0) / s)) + 1;
  const int nv = static_cast<int>(std::ceil((planeBounds_[3] - v0) / s)) + 1;
  reslice_->SetOutputSpacing(s, s, 1.0);
  reslice_->SetOutputOrigin(u0, v0, 0.0);
  reslice_->SetOutputExtent(0, std::max(nu, 1) - 1, 0, std::max(nv, 1) - 1, 0, 0);
  reslice_->Modified();
  if (hasLabels_) {  // the overlay samples exactly the same plane points as the image
    labelReslice_->SetResliceAxes(rasFromPlane_);
    labelReslice_->SetOutputSpacing(s, s, 1.0);
    labelReslice_->SetOutputOrigin(u0, v0, 0.0);
    labelReslice_->SetOutputExtent(0, std::max(nu, 1) - 1, 0, std::max(nv, 1) - 1, 0, 0);
    labelReslice_->Modified();
  }
}

void SliceRenderer::updateOverlay() {
  const double cu = dot(axes_.rightRas, crosshairRas_), cv = dot(axes_.upRas, crosshairRas_);
  // Crosshair with a gap around its centre, so the voxel under it stays visible (and testable).
  const double gap = 0.04 * renderer_->GetActiveCamera()->GetParallelScale();
  const double z = 1.0;  // in front of the slice image (the camera looks down -z)
  vtkNew<vtkPoints> points;
  vtkNew<vtkCellArray> lines;
  const double segments[4][4] = {{planeBounds_[0], cv, cu - gap, cv},
                                 {cu + gap, cv, planeBounds_[1], cv},
                                 {cu, planeBounds_[2], cu, cv - gap},
                                 {cu, cv + gap, cu, planeBounds_[3]}};
  for (const auto& seg : segments) {
    const vtkIdType a = points->InsertNextPoint(seg[0], seg[1], z);
    const vtkIdType b = points->InsertNextPoint(seg[2], seg[3], z);
    const vtkIdType ids[2] = {a, b};
    lines->InsertNextCell(2, ids);
  }
  crosshairLines_->SetPoints(points);
  crosshairLines_->SetLines(lines);
  crosshairLines_->Modified();

  // Title: view name and the slice position along its normal axis in patient terms ("19.5 mm left").
  const Vec3 normal = axes_.normalRas();
  int axis = 0;
  for (int a = 1; a < 3; ++a)
    if (std::abs(normal[a]) > std::abs(normal[axis])) axis = a;
  const std::string position = patientDirectionWords(crosshairRas_[axis], axis);
  char text[96];
  std::snprintf(text, sizeof text, "%s   %s", sliceOrientationName(orientation_), position.c_str());
  // On one line unless it would reach the centred letter at the top edge (a narrow view: the guided
  // tour's dock open, a small window, a projector's text size); then the position goes under the name.
  const int widthPixels = viewportPixels_[0];
  if (widthPixels > 0) {
    // Widths as VTK lays the two texts out (the letter is centred on the edge; 6 px between them).
    const int dpi = renderer_->GetRenderWindow() ? renderer_->GetRenderWindow()->GetDPI() : 72;
    auto widthOf = [dpi](vtkTextActor* actor, const char* input) {
      int box[4] = {0, 0, 0, 0};
      vtkTextRenderer::GetInstance()->GetBoundingBox(actor->GetTextProperty(), input, box, dpi);
      return box[1] - box[0];
    };
    const double titleRight = 0.015 * widthPixels + widthOf(title_, text);
    const double letterLeft =
        0.5 * widthPixels - 0.5 * widthOf(edgeLetters_[2], edgeLetters_[2]->GetInput()) - 6;
    if (titleRight > letterLeft)
      std::snprintf(text, sizeof text, "%s\n%s", sliceOrientationName(orientation_), position.c_str());
  }
  title_->SetInput(text);
}

std::array<double, 4> SliceRenderer::titleBoxPixels() const {
  return textBoxPixels(title_);
}

std::array<double, 4> SliceRenderer::topLetterBoxPixels() const {
  return textBoxPixels(edgeLetters_[2]);
}

std::array<double, 4> SliceRenderer::textBoxPixels(vtkTextActor* actor) const {
  // vtkTextActor's box is relative to its anchor (justification included); the anchor is placed in
  // normalised viewport coordinates.
  double box[4] = {0, 0, 0, 0};
  if (!renderer_->GetRenderWindow()) return {0, 0, 0, 0};
  actor->GetBoundingBox(renderer_, box);
  const int* anchor = actor->GetPositionCoordinate()->GetComputedDisplayValue(renderer_);
  return {box[0] + anchor[0], box[1] + anchor[0], box[2] + anchor[1], box[3] + anchor[1]};
}

void SliceRenderer::fitToViewport(int widthPixels, int heightPixels) {
  if (widthPixels <= 0 || heightPixels <= 0) return;
  vtkCamera* camera = renderer_->GetActiveCamera();
  const double cu = 0.5 * (planeBounds_[0] + planeBounds_[1]), cv = 0.5 * (planeBounds_[2] + planeBounds_[3]);
  const double halfWidth = 0.5 * (planeBounds_[1] - planeBounds_[0]);
  const double halfHeight = 0.5 * (planeBounds_[3] - planeBounds_[2]);
  const double aspect = static_cast<double>(widthPixels) / heightPixels;
  viewportPixels_ = {widthPixels, heightPixels};
  const double u = cu + panMm_[0], v = cv + panMm_[1];
  camera->SetFocalPoint(u, v, 0);
  camera->SetPosition(u, v, 1000);
  camera->SetViewUp(0, 1, 0);
  // A small margin for the letters at zoom 1.
  camera->SetParallelScale(1.08 * std::max(halfHeight, halfWidth / aspect) / zoom_);
  renderer_->ResetCameraClippingRange(u - 1, u + 1, v - 1, v + 1, -10, 10);
  if (hasVolume_) updateOverlay();
}

void SliceRenderer::zoomAbout(double factor, double displayX, double displayY) {
  if (!(factor > 0) || viewportPixels_[0] <= 0) return;
  const Vec3 before = rasFromDisplay(displayX, displayY);
  zoom_ = std::clamp(zoom_ * factor, kMinZoom, kMaxZoom);
  fitToViewport(viewportPixels_[0], viewportPixels_[1]);
  const Vec3 after = rasFromDisplay(displayX, displayY);
  // Shift so the point under the mouse is the one that was there.
  panMm_[0] += dot(axes_.rightRas, before - after);
  panMm_[1] += dot(axes_.upRas, before - after);
  fitToViewport(viewportPixels_[0], viewportPixels_[1]);
}

void SliceRenderer::panByDisplay(double dx, double dy) {
  if (viewportPixels_[1] <= 0) return;
  const double mmPerPixel = 2.0 * renderer_->GetActiveCamera()->GetParallelScale() / viewportPixels_[1];
  panMm_[0] -= dx * mmPerPixel;
  panMm_[1] -= dy * mmPerPixel;
  fitToViewport(viewportPixels_[0], viewportPixels_[1]);
}

void SliceRenderer::resetZoomAndPan() {
  zoom_ = 1.0;
  panMm_ = {0, 0};
  if (viewportPixels_[0] > 0) fitToViewport(viewportPixels_[0], viewportPixels_[1]);
}

void SliceRenderer::setWindowLevelReadoutVisible(bool visible) {
  windowLevelText_->SetInput(windowLevelReadout().c_str());
  windowLevelText_->SetVisibility(visible);
}

std::string SliceRenderer::windowLevelReadout() const {
  char text[64];
  std::snprintf(text, sizeof text, "W %.0f  L %.0f", windowLevel_->GetWindow(), windowLevel_->GetLevel());
  return text;
}

Vec3 SliceRenderer::rasFromDisplay(double displayX, double displayY) const {
  renderer_->SetDisplayPoint(displayX, displayY, 0.0);
  renderer_->DisplayToWorld();
  double world[4];
  renderer_->GetWorldPoint(world);
  const double u = world[0] / world[3], v = world[1] / world[3];
  const Vec3 normal = axes_.normalRas();
  return u * axes_.rightRas + v * axes_.upRas + dot(normal, crosshairRas_) * normal;
}

std::array<double, 2> SliceRenderer::displayFromRas(Vec3 pointRas) const {
  renderer_->SetWorldPoint(dot(axes_.rightRas, pointRas), dot(axes_.upRas, pointRas), 0.0, 1.0);
  renderer_->WorldToDisplay();
  double display[3];
  renderer_->GetDisplayPoint(display);
  return {display[0], display[1]};
}

double SliceRenderer::sliceStepMm() const {
  // The voxel extent along the normal: |n . column_j| is largest for the axis most aligned with n.
  const Vec3 normal = axes_.normalRas();
  double step = 0;
  for (int j = 0; j < 3; ++j) step = std::max(step, std::abs(dot(normal, geometry_.rasFromIjk.column(j))));
  return step > 0 ? step : 1.0;
}

}  // namespace dbs::app
