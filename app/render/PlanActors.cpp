#include "render/PlanActors.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <vtkActor.h>
#include <vtkAppendPolyData.h>
#include <vtkBillboardTextActor3D.h>
#include <vtkCellArray.h>
#include <vtkDoubleArray.h>
#include <vtkFlyingEdges3D.h>
#include <vtkImageCast.h>
#include <vtkImageChangeInformation.h>
#include <vtkImageData.h>
#include <vtkImageShrink3D.h>
#include <vtkLineSource.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkSphereSource.h>
#include <vtkTextProperty.h>
#include <vtkTubeFilter.h>

#include "dbs/planning/ElectrodeCatalogue.h"
#include "render/ColourTables.h"
#include "render/VtkImages.h"

namespace dbs::app {

namespace {

const char* sideName(Side side) {
  return sideWord(side);
}

// Any unit vector perpendicular to `axis`.
Vec3 perpendicularTo(Vec3 axis) {
  const Vec3 helper = std::abs(axis.x) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
  return normalized(cross(axis, helper));
}

// The conducting surface of a contact: a cylindrical shell of `radiusMm` and `lengthMm` centred on
// `centreRas`, spanning `arcDeg` about `axisRas` centred on `facingRas` (360 = a ring), RAS mm.
vtkSmartPointer<vtkPolyData> contactShell(Vec3 centreRas, Vec3 axisRas, Vec3 facingRas, double arcDeg,
                                          double lengthMm, double radiusMm) {
  const Vec3 e1 = facingRas,
             e2 = cross(axisRas, facingRas);  // e1 -> e2: counter-clockwise seen from proximal
  const int steps = std::max(4, static_cast<int>(std::ceil(arcDeg / 7.5)));
  const double pi = std::acos(-1.0);
  vtkNew<vtkPoints> points;
  vtkNew<vtkDoubleArray> normals;
  normals->SetNumberOfComponents(3);
  vtkNew<vtkCellArray> strip;
  strip->InsertNextCell(2 * (steps + 1));
  for (int k = 0; k <= steps; ++k) {
    const double angle = (-0.5 * arcDeg + arcDeg * k / steps) * pi / 180.0;
    const Vec3 radial = std::cos(angle) * e1 + std::sin(angle) * e2;
    for (double end : {-0.5, 0.5}) {
      const Vec3 p = centreRas + (end * lengthMm) * axisRas + radiusMm * radial;
      strip->InsertCellPoint(points->InsertNextPoint(p.x, p.y, p.z));
      normals->InsertNextTuple3(radial.x, radial.y, radial.z);
    }
  }
  auto shell = vtkSmartPointer<vtkPolyData>::New();
  shell->SetPoints(points);
  shell->SetStrips(strip);
  shell->GetPointData()->SetNormals(normals);
  return shell;
}

}  // namespace

LeadShape leadShape(const PlannedTrajectory& planned) {
  LeadShape lead;
  lead.side = planned.trajectory.side;
  lead.model = &ElectrodeCatalogue::standard().find(planned.trajectory.electrodeId);
  lead.tipRas = planned.metrics.tipRas;
  lead.entryRas = planned.trajectory.entryRas;
  lead.targetRas = planned.trajectory.targetRas;
  if (norm(lead.entryRas - lead.tipRas) < 1e-6)
    throw std::invalid_argument(std::string("the ") + sideName(planned.trajectory.side) +
                                " trajectory has no length (entry on the tip)");
  lead.axisRas = normalized(lead.entryRas - lead.tipRas);
  for (const ElectrodeContact& c : lead.model->contacts) {
    LeadContactShape shape;
    shape.label = c.label;
    shape.level = c.level;
    shape.centreRas = lead.tipRas + c.centreMm() * lead.axisRas;
    shape.lengthMm = c.endMm - c.startMm;
    if (c.segment) shape.arcDeg = c.segment->arcDeg;
    for (const PlacedContact& placed : planned.metrics.contacts) {
      if (placed.label != c.label) continue;
      shape.centreRas = placed.centreRas;
      if (c.segment && placed.segmentDirectionRas) shape.facingRas = normalized(*placed.segmentDirectionRas);
    }
    lead.contacts.push_back(shape);
  }
  return lead;
}

vtkSmartPointer<vtkActor> polyActor(vtkAlgorithmOutput* port, vtkPolyData* data,
                                    const std::array<double, 3>& colour) {
  vtkNew<vtkPolyDataMapper> mapper;
  if (port)
    mapper->SetInputConnection(port);
  else
    mapper->SetInputData(data);
  mapper->ScalarVisibilityOff();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->SetColor(colour[0], colour[1], colour[2]);
  return actor;
}

// The smooth boundary of a 0/1 mask (index space), placed in RAS by rasFromIjk, for display: the mask
// averaged over 2x2x2 voxels and contoured at one half (8 times fewer voxels than the full grid and
// no staircase to smooth away). Each average sits at the centre of its 2x2x2 block, index
// coordinates (2i + 0.5, ...), which the origin below restores, so the surface stays in place.
vtkSmartPointer<vtkActor> maskSurfaceActor(vtkImageData* indexSpaceMask, const Affine& rasFromIjk,
                                           const std::array<double, 3>& colour, double opacity) {
  vtkNew<vtkImageCast> toFloat;
  toFloat->SetInputData(indexSpaceMask);
  toFloat->SetOutputScalarTypeToFloat();
  vtkNew<vtkImageShrink3D> average;
  average->SetInputConnection(toFloat->GetOutputPort());
  average->SetShrinkFactors(2, 2, 2);
  average->AveragingOn();
  vtkNew<vtkImageChangeInformation> blockCentres;
  blockCentres->SetInputConnection(average->GetOutputPort());
  blockCentres->SetOutputOrigin(0.5, 0.5, 0.5);
  vtkNew<vtkFlyingEdges3D> contour;
  contour->SetInputConnection(blockCentres->GetOutputPort());
  contour->SetValue(0, 0.5);
  contour->ComputeNormalsOn();
  contour->ComputeScalarsOff();
  contour->Update();
  if (contour->GetOutput()->GetNumberOfPoints() == 0) return nullptr;
  auto actor = polyActor(contour->GetOutputPort(), nullptr, colour);
  actor->SetUserMatrix(vtkMatrixFromAffine(rasFromIjk));
  actor->GetProperty()->SetOpacity(opacity);
  actor->GetProperty()->SetSpecular(0.0);
  return actor;
}

// The lead body (tube of the lead's diameter, tip to entry) and its contacts, RAS mm.
std::vector<vtkSmartPointer<vtkProp3D>> leadActors(const LeadShape& lead) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  const double radius = 0.5 * lead.model->diameterMm;
  vtkNew<vtkLineSource> axis;
  axis->SetPoint1(lead.tipRas.x, lead.tipRas.y, lead.tipRas.z);
  axis->SetPoint2(lead.entryRas.x, lead.entryRas.y, lead.entryRas.z);
  vtkNew<vtkTubeFilter> tube;
  tube->SetInputConnection(axis->GetOutputPort());
  tube->SetRadius(radius);
  tube->SetNumberOfSides(32);
  tube->CappingOn();
  auto body = polyActor(tube->GetOutputPort(), nullptr, kLeadBodyColour);
  body->GetProperty()->SetSpecular(0.2);
  actors.push_back(body);
  // The contacts as one actor (one metal): on software OpenGL each actor drawn costs about 0.3 ms a
  // frame whatever its size, and a drag rebuilds the moved lead's actors on every step (issue 23).
  vtkNew<vtkAppendPolyData> contacts;
  for (const LeadContactShape& c : lead.contacts) {
    // Slightly proud of the body so the contact's surface wins the depth test.
    contacts->AddInputData(contactShell(c.centreRas, lead.axisRas,
                                        c.facingRas.value_or(perpendicularTo(lead.axisRas)),
                                        c.facingRas ? c.arcDeg : 360.0, c.lengthMm, radius * 1.04));
  }
  if (!lead.contacts.empty()) {
    contacts->Update();
    auto actor = polyActor(nullptr, contacts->GetOutput(), kContactMetalColour);
    vtkProperty* metal = actor->GetProperty();
    metal->SetSpecular(0.9);
    metal->SetSpecularPower(40);
    metal->SetDiffuse(0.7);
    metal->SetAmbient(0.15);
    actors.push_back(actor);
  }
  vtkNew<vtkSphereSource> target;
  target->SetCenter(lead.targetRas.x, lead.targetRas.y, lead.targetRas.z);
  target->SetRadius(1.6);
  target->SetThetaResolution(24);
  target->SetPhiResolution(16);
  auto marker = polyActor(target->GetOutputPort(), nullptr, kTargetColour);
  marker->GetProperty()->SetOpacity(0.45);
  actors.push_back(marker);
  return actors;
}

std::vector<vtkSmartPointer<vtkProp3D>> plannedLeadActors(
    const std::vector<PlannedTrajectory>& trajectories) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  for (const PlannedTrajectory& t : trajectories)
    for (const auto& actor : leadActors(leadShape(t))) actors.push_back(actor);
  return actors;
}

std::vector<vtkSmartPointer<vtkProp3D>> ghostLeadActors(const PlannedTrajectory& alternative) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors = leadActors(leadShape(alternative));
  for (const auto& prop : actors)
    if (auto* actor = vtkActor::SafeDownCast(prop)) {
      actor->GetProperty()->SetColor(1.0, 1.0, 1.0);
      actor->GetProperty()->SetOpacity(0.35);
    }
  return actors;
}

std::vector<vtkSmartPointer<vtkProp3D>> referenceTargetActors(const std::vector<ReferenceTarget>& targets) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  for (const ReferenceTarget& t : targets) {
    vtkNew<vtkSphereSource> sphere;
    sphere->SetCenter(t.ras.x, t.ras.y, t.ras.z);
    sphere->SetRadius(1.5);
    sphere->SetThetaResolution(12);
    sphere->SetPhiResolution(8);
    auto marker = polyActor(sphere->GetOutputPort(), nullptr, {1.0, 1.0, 1.0});
    marker->GetProperty()->SetRepresentationToWireframe();
    marker->GetProperty()->LightingOff();
    actors.push_back(marker);
    auto label = vtkSmartPointer<vtkBillboardTextActor3D>::New();
    label->SetInput(t.label.c_str());
    // The two names of a side sit a few millimetres apart: the atlas's goes up and to the left of its
    // mark, the indirect (AC-PC) target's down and to the right, in screen pixels, so that they
    // never print over each other from any viewpoint at the usual zoom (they did, centred above).
    const bool atlas = t.source == TargetSource::Atlas;
    label->SetPosition(t.ras.x, t.ras.y, t.ras.z);
    label->SetDisplayOffset(atlas ? -8 : 8, atlas ? 6 : -6);
    label->GetTextProperty()->SetFontSize(14);
    label->GetTextProperty()->BoldOn();
    label->GetTextProperty()->ShadowOn();
    label->GetTextProperty()->SetColor(1.0, 1.0, 1.0);
    label->GetTextProperty()->SetJustification(atlas ? VTK_TEXT_RIGHT : VTK_TEXT_LEFT);
    label->GetTextProperty()->SetVerticalJustification(atlas ? VTK_TEXT_BOTTOM : VTK_TEXT_TOP);
    actors.push_back(label);
  }
  return actors;
}

std::vector<vtkSmartPointer<vtkProp3D>> activatedRegionActors(
    const std::vector<PlanStimulation>& stimulation) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  for (const PlanStimulation& st : stimulation) {
    const bool warned = st.assessment.reachesSideEffectStructure();
    for (const ActivatedSphere& sphere : st.assessment.spheres) {
      if (sphere.radiusMm <= 0) continue;
      vtkNew<vtkSphereSource> source;
      source->SetCenter(sphere.centreRas.x, sphere.centreRas.y, sphere.centreRas.z);
      source->SetRadius(sphere.radiusMm);
      source->SetThetaResolution(32);
      source->SetPhiResolution(24);
      vtkSmartPointer<vtkActor> actor = polyActor(
          source->GetOutputPort(), nullptr, warned ? std::array{1.0, 0.55, 0.0} : std::array{0.35, 0.8, 1.0});
      actor->GetProperty()->SetOpacity(0.35);
      actors.push_back(actor);
    }
  }
  return actors;
}

std::vector<vtkSmartPointer<vtkProp3D>> PlanActorCache::actorsFor(
    const PlanDocument& plan, const std::vector<ReferenceTarget>& references) {
  std::vector<Piece> next;
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  // The piece whose key is `key`: the one drawn last time when it is unchanged, else `build()`'s.
  const auto take = [&](Key key, const auto& build) {
    auto old = std::find_if(pieces_.begin(), pieces_.end(), [&](const Piece& p) { return p.key == key; });
    Piece piece{std::move(key), {}};
    if (old != pieces_.end())
      piece.actors = std::move(old->actors), pieces_.erase(old);
    else
      piece.actors = build();
    actors.insert(actors.end(), piece.actors.begin(), piece.actors.end());
    next.push_back(std::move(piece));
  };
  const auto append = [](std::vector<double>& numbers, Vec3 v) {
    numbers.insert(numbers.end(), {v.x, v.y, v.z});
  };
  for (const PlannedTrajectory& t : plan.trajectories) {
    const LeadShape lead = leadShape(t);
    Key key{std::string(sideName(lead.side)) + " " + t.trajectory.electrodeId, {}};
    for (Vec3 v : {lead.tipRas, lead.entryRas, lead.targetRas}) append(key.numbers, v);
    for (const LeadContactShape& c : lead.contacts) {
      append(key.numbers, c.centreRas);
      append(key.numbers, c.facingRas.value_or(Vec3{}));
      key.numbers.insert(key.numbers.end(), {double(c.level), c.lengthMm, c.arcDeg, c.facingRas ? 1.0 : 0.0});
    }
    take(std::move(key), [&] { return leadActors(lead); });
  }
  for (const PlanStimulation& st : plan.stimulation) {
    Key key{"stimulation", {st.assessment.reachesSideEffectStructure() ? 1.0 : 0.0}};
    for (const ActivatedSphere& sphere : st.assessment.spheres) {
      append(key.numbers, sphere.centreRas);
      key.numbers.push_back(sphere.radiusMm);
    }
    take(std::move(key), [&] { return activatedRegionActors({st}); });
  }
  for (const ReferenceTarget& r : references) {
    Key key{"reference " + r.label, {}};
    append(key.numbers, r.ras);
    take(std::move(key), [&] { return referenceTargetActors({r}); });
  }
  pieces_ = std::move(next);
  return actors;
}

}  // namespace dbs::app
