#include "render/SceneRenderer3D.h"

#include <algorithm>
#include <cmath>

#include <vtkActor.h>
#include <vtkAppendPolyData.h>
#include <vtkCamera.h>
#include <vtkCellData.h>
#include <vtkCellPicker.h>
#include <vtkCubeSource.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageMapper3D.h>
#include <vtkLookupTable.h>
#include <vtkMatrix4x4.h>
#include <vtkOutlineSource.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProp3D.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkTransform.h>
#include <vtkTransformPolyDataFilter.h>
#include <vtkUnsignedCharArray.h>
#include <vtkVectorText.h>

#include "dbs/imaging/Labels.h"
#include "render/ColourTables.h"
#include "render/LabelDisplay.h"
#include "render/ScalpRiskMap.h"
#include "render/SliceRenderer.h"
#include "render/VtkImages.h"

namespace dbs::app {

namespace {

// The orientation cube: a unit cube whose faces name the patient direction they face (RAS world: +x
// is Right), letters red for R/L, green for A/P, blue for S/I, upright when the face is seen from
// outside with S up (A up on the S and I faces). One actor with a colour per cell. Why not
// vtkAnnotatedCubeActor, as before: it draws eight actors (the cube, six letters, their outlines),
// and on software OpenGL each actor costs about 0.3 ms a frame whatever its size; the cube cost the
// 3-D view 4 ms a frame, a tenth of a drag step (issue 23).
vtkSmartPointer<vtkActor> orientationCubeActor() {
  struct Face {
    const char* letter;
    Vec3 normal, up;
    std::array<unsigned char, 3> colour;
  };
  const Face faces[] = {
      {"R", {1, 0, 0}, {0, 0, 1}, {255, 102, 102}}, {"L", {-1, 0, 0}, {0, 0, 1}, {255, 102, 102}},
      {"A", {0, 1, 0}, {0, 0, 1}, {102, 255, 102}}, {"P", {0, -1, 0}, {0, 0, 1}, {102, 255, 102}},
      {"S", {0, 0, 1}, {0, 1, 0}, {128, 153, 255}}, {"I", {0, 0, -1}, {0, 1, 0}, {128, 153, 255}}};
  constexpr double kLetterHeight = 0.65;  // of the cube's side, as the cube had (SetFaceTextScale)
  vtkNew<vtkAppendPolyData> parts;
  vtkNew<vtkCubeSource> cube;  // side 1, centred on the origin
  cube->Update();
  auto colourCells = [](vtkPolyData* data, const std::array<unsigned char, 3>& rgb) {
    vtkNew<vtkUnsignedCharArray> colours;
    colours->SetName("colour");
    colours->SetNumberOfComponents(3);
    for (vtkIdType c = 0; c < data->GetNumberOfCells(); ++c) colours->InsertNextTypedTuple(rgb.data());
    data->GetCellData()->SetScalars(colours);
  };
  vtkNew<vtkPolyData> body;
  body->DeepCopy(cube->GetOutput());
  // Without point arrays, normals too: the letters have none, and append keeps only shared arrays.
  body->GetPointData()->Initialize();
  colourCells(body, {89, 102, 128});
  parts->AddInputData(body);
  for (const Face& face : faces) {
    vtkNew<vtkVectorText> text;  // the letter's outline as polygons in the x-y plane, about 1 high
    text->SetText(face.letter);
    text->Update();
    double bounds[6];
    text->GetOutput()->GetBounds(bounds);
    const double scale = kLetterHeight / std::max(bounds[3] - bounds[2], 1e-6);
    const Vec3 right = cross(face.up, face.normal);  // seen from outside, along -normal
    // Onto the face, a hair outside it so the letter wins the depth test.
    Affine faceFromText;  // columns: the letter's x, y and z in RAS, and where its origin goes
    faceFromText.m = {{{scale * right.x, scale * face.up.x, face.normal.x, 0.501 * face.normal.x},
                       {scale * right.y, scale * face.up.y, face.normal.y, 0.501 * face.normal.y},
                       {scale * right.z, scale * face.up.z, face.normal.z, 0.501 * face.normal.z},
                       {0, 0, 0, 1}}};
    vtkNew<vtkTransform> onFace;
    onFace->SetMatrix(vtkMatrixFromAffine(faceFromText));
    onFace->Translate(-0.5 * (bounds[0] + bounds[1]), -0.5 * (bounds[2] + bounds[3]), 0);
    vtkNew<vtkTransformPolyDataFilter> place;
    place->SetInputConnection(text->GetOutputPort());
    place->SetTransform(onFace);
    place->Update();
    vtkNew<vtkPolyData> letter;
    letter->DeepCopy(place->GetOutput());
    colourCells(letter, face.colour);
    parts->AddInputData(letter);
  }
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(parts->GetOutputPort());
  mapper->SetScalarModeToUseCellData();
  mapper->SetColorModeToDirectScalars();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->SetAmbient(0.3);
  actor->GetProperty()->SetDiffuse(0.8);
  return actor;
}

}  // namespace

SceneRenderer3D::SceneRenderer3D() {
  renderer_->SetBackground(0.08, 0.09, 0.12);
  renderer_->SetLayer(0);
  for (auto& actor : sliceActors_) {
    actor = vtkSmartPointer<vtkImageActor>::New();
    actor->InterpolateOff();
    actor->VisibilityOff();
    renderer_->AddActor(actor);
  }
  outline_->GetProperty()->SetColor(0.9, 0.9, 0.5);
  outline_->VisibilityOff();
  renderer_->AddActor(outline_);
  title_->SetInput("3D");
  title_->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  title_->SetPosition(0.015, 0.975);
  title_->GetTextProperty()->SetFontSize(kTitleFontSize);
  title_->GetTextProperty()->SetColor(0.85, 0.85, 0.85);
  title_->GetTextProperty()->SetVerticalJustification(VTK_TEXT_TOP);
  renderer_->AddViewProp(title_);

  orientationRenderer_->AddActor(orientationCubeActor());
  orientationRenderer_->SetViewport(0.78, 0.0, 1.0, 0.22);
  orientationRenderer_->SetLayer(1);
  orientationRenderer_->InteractiveOff();
}

SceneRenderer3D::~SceneRenderer3D() = default;

vtkRenderer* SceneRenderer3D::renderer() const {
  return renderer_;
}
vtkRenderer* SceneRenderer3D::orientationRenderer() const {
  return orientationRenderer_;
}

void SceneRenderer3D::setVolume(const ImageGeometry& geometry, const std::array<SliceRenderer*, 3>& slices) {
  slices_ = slices;
  for (int i = 0; i < 3; ++i) {
    sliceActors_[i]->GetMapper()->SetInputConnection(slices[i]->colouredSliceOutput());
    sliceActors_[i]->VisibilityOn();
  }
  // Outline of the volume out to the voxel edges, in index space, placed in RAS by rasFromIjk.
  vtkNew<vtkOutlineSource> box;
  box->SetBounds(-0.5, geometry.size[0] - 0.5, -0.5, geometry.size[1] - 0.5, -0.5, geometry.size[2] - 0.5);
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(box->GetOutputPort());
  outline_->SetMapper(mapper);
  outline_->SetUserMatrix(vtkMatrixFromAffine(geometry.rasFromIjk));
  outline_->VisibilityOn();
  crosshairMoved();
  resetCamera();
}

void SceneRenderer3D::clearVolume() {
  for (auto& slice : sliceActors_) slice->VisibilityOff();
  outline_->VisibilityOff();
  clearLabels();
}

void SceneRenderer3D::setLabels(vtkImageData* indexSpaceLabels, const ImageGeometry& labelGeometry) {
  clearLabels();
  const auto rasFromIjk = vtkMatrixFromAffine(labelGeometry.rasFromIjk);
  double range[2];
  indexSpaceLabels->GetScalarRange(range);
  // The deep structures a DBS planner looks at; tissue classes (scalp, grey matter...) stay off.
  for (const auto& label : standardLabels()) {
    if (!isSidedLabel(label.value) || label.value > range[1]) continue;
    const bool target = label.name.rfind("GPi", 0) == 0;
    const double opacity = target ? 1.0 : 0.35;
    auto actor =
        labelSurfaceActor(indexSpaceLabels, label.value, labelGeometry.rasFromIjk, label.colour, opacity);
    if (!actor) continue;
    actor->GetProperty()->SetSpecular(0.3);
    actor->PickableOff();
    actor->SetVisibility(labelsVisible_);
    renderer_->AddActor(actor);
    labelSurfaces_.push_back({label.value, opacity, true, actor});
  }
  // Translucent slices, so the structures they cut through stay visible.
  for (auto& slice : sliceActors_) slice->SetOpacity(labelSurfaces_.empty() ? 1.0 : 0.55);
}

void SceneRenderer3D::clearLabels() {
  for (auto& surface : labelSurfaces_) renderer_->RemoveActor(surface.actor);
  labelSurfaces_.clear();
  for (auto& slice : sliceActors_) slice->SetOpacity(1.0);
}

void SceneRenderer3D::setLabelAppearance(int value, bool visible, double opacity) {
  for (auto& surface : labelSurfaces_)
    if (surface.value == value) {
      surface.visible = visible;
      surface.actor->SetVisibility(visible && labelsVisible_);
      surface.actor->GetProperty()->SetOpacity(surface.baseOpacity * std::clamp(opacity, 0.0, 1.0));
    }
}

void SceneRenderer3D::setLabelsVisible(bool visible) {
  labelsVisible_ = visible;
  for (auto& surface : labelSurfaces_) surface.actor->SetVisibility(visible && surface.visible);
  for (auto& slice : sliceActors_) slice->SetOpacity(visible && !labelSurfaces_.empty() ? 0.55 : 1.0);
}

void SceneRenderer3D::crosshairMoved() {
  for (int i = 0; i < 3; ++i) {
    if (!slices_[i]) continue;
    vtkNew<vtkMatrix4x4> copy;
    copy->DeepCopy(slices_[i]->rasFromPlaneMatrix());
    sliceActors_[i]->SetUserMatrix(copy);
  }
}

void SceneRenderer3D::setPlannedLeads(const std::vector<vtkSmartPointer<vtkProp3D>>& leads) {
  for (const auto& lead : plannedLeads_) renderer_->RemoveViewProp(lead);
  plannedLeads_ = leads;
  for (const auto& lead : plannedLeads_) {
    lead->PickableOff();
    renderer_->AddViewProp(lead);
  }
}

int SceneRenderer3D::scaledFontSize(int designed) const {
  return static_cast<int>(std::lround(designed * textScale_));
}

void SceneRenderer3D::setTextScale(double scale) {
  textScale_ = std::clamp(scale, 0.5, 3.0);
  title_->GetTextProperty()->SetFontSize(scaledFontSize(kTitleFontSize));
  if (riskMapBar_) {  // made with the first risk map, at the scale then
    riskMapBar_->GetTitleTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
    riskMapBar_->GetLabelTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
  }
  if (riskMapCaption_) riskMapCaption_->GetTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
}

void SceneRenderer3D::setGhostLeads(const std::vector<vtkSmartPointer<vtkProp3D>>& ghost) {
  for (const auto& prop : ghostLeads_) renderer_->RemoveViewProp(prop);
  ghostLeads_ = ghost;
  for (const auto& prop : ghostLeads_) {
    prop->PickableOff();
    renderer_->AddViewProp(prop);
  }
}

void SceneRenderer3D::setRiskMap(vtkPolyData* surface, bool withLegend) {
  if (riskMap_) renderer_->RemoveActor(riskMap_);
  if (riskMapBar_) renderer_->RemoveViewProp(riskMapBar_);
  if (riskMapCaption_) renderer_->RemoveViewProp(riskMapCaption_);
  riskMap_ = nullptr;
  riskMapBar_ = nullptr;
  riskMapCaption_ = nullptr;
  if (!surface) return;
  vtkNew<vtkPolyDataMapper> mapper;  // the surface carries its own normals (scalpSurface)
  mapper->SetInputData(surface);
  mapper->SetScalarModeToUsePointFieldData();
  mapper->SelectColorArray("colour");
  mapper->SetColorModeToDirectScalars();
  mapper->ScalarVisibilityOn();
  riskMap_ = vtkSmartPointer<vtkActor>::New();
  riskMap_->SetMapper(mapper);
  riskMap_->GetProperty()->SetAmbient(0.25);
  riskMap_->GetProperty()->SetDiffuse(0.75);
  riskMap_->GetProperty()->SetSpecular(0.0);
  renderer_->AddActor(riskMap_);
  if (!withLegend) return;
  // The bar shows the scale of margin_mm the colours come from (riskMapLookupTable).
  riskMapBar_ = vtkSmartPointer<vtkScalarBarActor>::New();
  riskMapBar_->SetLookupTable(riskMapLookupTable());
  riskMapBar_->SetTitle("margin (mm)");  // short: a longer title is clipped at the bar's width
  riskMapBar_->SetNumberOfLabels(5);
  riskMapBar_->SetLabelFormat("%.0f");
  riskMapBar_->SetMaximumWidthInPixels(90);
  riskMapBar_->SetMaximumHeightInPixels(320);
  riskMapBar_->GetPositionCoordinate()->SetValue(0.035, 0.22);
  riskMapBar_->SetWidth(0.12);
  riskMapBar_->SetHeight(0.6);
  riskMapBar_->UnconstrainedFontSizeOn();
  riskMapBar_->GetTitleTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
  riskMapBar_->GetLabelTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
  riskMapBar_->PickableOff();
  renderer_->AddViewProp(riskMapBar_);
  riskMapCaption_ = vtkSmartPointer<vtkTextActor>::New();
  riskMapCaption_->SetInput(
      "Scalp risk map of the selected target\nred: a required margin not met\ndark: outside the search "
      "window\ngrey: not above the target");
  riskMapCaption_->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  riskMapCaption_->SetPosition(0.02, 0.03);
  riskMapCaption_->GetTextProperty()->SetFontSize(scaledFontSize(kLegendFontSize));
  riskMapCaption_->GetTextProperty()->SetColor(0.85, 0.85, 0.85);
  riskMapCaption_->PickableOff();
  renderer_->AddViewProp(riskMapCaption_);
}

void SceneRenderer3D::riskMapChanged() {
  if (riskMap_) riskMap_->GetMapper()->GetInput()->Modified();
}

bool SceneRenderer3D::riskMapShown() const {
  return riskMap_ != nullptr;
}

std::optional<Vec3> SceneRenderer3D::pickRiskMap(double displayX, double displayY) const {
  if (!riskMap_) return std::nullopt;
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(0.0005);
  if (!picker->Pick(displayX, displayY, 0, renderer_) || picker->GetActor() != riskMap_) return std::nullopt;
  double p[3];
  picker->GetPickPosition(p);
  return Vec3{p[0], p[1], p[2]};
}

void SceneRenderer3D::setTitleVisible(bool visible) {
  title_->SetVisibility(visible);
}

void SceneRenderer3D::resetCamera() {
  vtkCamera* camera = renderer_->GetActiveCamera();
  renderer_->ResetCamera();
  double focal[3];
  camera->GetFocalPoint(focal);
  const double distance = camera->GetDistance();
  // From anterior-left-superior (RAS: -x, +y, +z), looking at the volume's centre, superior up.
  const Vec3 direction = normalized(Vec3{-0.55, 1.0, 0.6});
  camera->SetPosition(focal[0] + distance * direction.x, focal[1] + distance * direction.y,
                      focal[2] + distance * direction.z);
  camera->SetViewUp(0, 0, 1);
  camera->OrthogonalizeViewUp();
  renderer_->ResetCameraClippingRange();
  syncOrientationCamera();
}

void SceneRenderer3D::syncOrientationCamera() {
  vtkCamera* main = renderer_->GetActiveCamera();
  vtkCamera* cubeCamera = orientationRenderer_->GetActiveCamera();
  double position[3], focal[3];
  main->GetPosition(position);
  main->GetFocalPoint(focal);
  const Vec3 direction =
      normalized(Vec3{position[0] - focal[0], position[1] - focal[1], position[2] - focal[2]});
  cubeCamera->SetFocalPoint(0, 0, 0);
  cubeCamera->SetPosition(4 * direction.x, 4 * direction.y, 4 * direction.z);
  cubeCamera->SetViewUp(main->GetViewUp());
  orientationRenderer_->ResetCameraClippingRange();
}

}  // namespace dbs::app
