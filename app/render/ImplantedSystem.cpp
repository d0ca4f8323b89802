#include "render/ImplantedSystem.h"

#include <algorithm>
#include <cmath>

#include <vtkActor.h>
#include <vtkCylinderSource.h>
#include <vtkNew.h>
#include <vtkParametricFunctionSource.h>
#include <vtkParametricSpline.h>
#include <vtkPoints.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkSuperquadricSource.h>
#include <vtkTransform.h>
#include <vtkTransformPolyDataFilter.h>
#include <vtkTubeFilter.h>

#include "render/PlanActors.h"

namespace dbs::app {

namespace {

// An actor of a source's output, transformed (scale, then rotate, then translate).
vtkSmartPointer<vtkActor> placed(vtkAlgorithm* source, vtkTransform* transform,
                                 const std::array<double, 3>& colour, double opacity) {
  vtkNew<vtkTransformPolyDataFilter> filter;
  filter->SetInputConnection(source->GetOutputPort());
  filter->SetTransform(transform);
  vtkSmartPointer<vtkActor> actor = polyActor(filter->GetOutputPort(), nullptr, colour);
  actor->GetProperty()->SetOpacity(opacity);
  return actor;
}

}  // namespace

ImplantedSystemLayout implantedSystemLayout(const PlanDocument& plan, const double b[6]) {
  ImplantedSystemLayout layout;
  const Vec3 centre{0.5 * (b[0] + b[1]), 0.5 * (b[2] + b[3]), 0.5 * (b[4] + b[5])};
  const double w = std::max(40.0, 0.5 * (b[1] - b[0]));
  layout.headHalfWidthMm = w;
  const Vec3 mcp = plan.mcpRas;
  // The neck starts at the bottom of the image's head (the images end at the skull base or the chin)
  // and runs 90 mm down; the chest below it. Posterior of the MCP, as the cervical spine is.
  layout.neckTopRas = {centre.x, mcp.y - 20, b[4] + 10};
  layout.neckBottomRas = {centre.x, mcp.y - 20, b[4] - 90};
  layout.chestCentreRas = {centre.x, mcp.y - 10,
                           b[4] - 90 + 0.3 * w - 1.9 * w};  // its top a little above the neck's end
  // A dual-channel generator in a subcutaneous pocket under the right clavicle, on the chest wall.
  layout.generatorRas = {centre.x + 0.95 * w, layout.chestCentreRas.y + 1.25 * w, b[4] - 90 - 45};
  const Vec3 behindRightEar{centre.x + 0.95 * w, mcp.y - 30, mcp.z - 25};
  for (const PlannedTrajectory& p : plan.trajectories) {
    const Vec3 entry = p.trajectory.entryRas;
    layout.capsRas.push_back(entry);
    // Each extension leaves its burr hole backwards under the scalp; the left one crosses over the
    // vertex to the right side, so both reach the one generator behind the right ear and down the
    // right side of the neck (a few mm apart).
    const double apart = p.trajectory.side == Side::Left ? -4.0 : 4.0;
    std::vector<Vec3> path = {entry};
    if (p.trajectory.side == Side::Left) path.push_back({0.5 * (entry.x + centre.x), mcp.y - 35, b[5] - 8});
    path.push_back({centre.x + 0.8 * w, mcp.y - 30 + apart, mcp.z + 45});
    path.push_back(behindRightEar + Vec3{0, apart, 0});
    path.push_back({centre.x + 0.6 * w, mcp.y - 30 + apart, b[4] - 20});
    path.push_back({centre.x + 0.55 * w, mcp.y - 5 + apart, b[4] - 80});
    path.push_back(layout.generatorRas + Vec3{-0.2 * w, 0, 25 + apart});
    path.push_back(layout.generatorRas + Vec3{0, 0, 20});
    layout.extensionsRas.push_back(path);
  }
  return layout;
}

std::vector<vtkSmartPointer<vtkProp3D>> implantedSystemActors(const ImplantedSystemLayout& layout) {
  std::vector<vtkSmartPointer<vtkProp3D>> actors;
  const std::array<double, 3> skin{0.86, 0.72, 0.62}, titanium{0.72, 0.74, 0.78}, cable{0.95, 0.95, 0.92};
  const double w = layout.headHalfWidthMm;

  // Burr-hole caps: discs 14 mm across, 3 mm thick, centred on each entry, axis superior.
  for (const Vec3& cap : layout.capsRas) {
    vtkNew<vtkCylinderSource> disc;
    disc->SetRadius(7.0);
    disc->SetHeight(3.0);
    disc->SetResolution(32);
    vtkNew<vtkTransform> t;
    t->Translate(cap.x, cap.y, cap.z);
    t->RotateX(90);  // the cylinder's axis from y to z
    actors.push_back(placed(disc, t, titanium, 1.0));
  }
  // Extensions: smooth splines through the layout's points, 1.5 mm tubes.
  for (const std::vector<Vec3>& path : layout.extensionsRas) {
    vtkNew<vtkPoints> points;
    for (const Vec3& p : path) points->InsertNextPoint(p.x, p.y, p.z);
    vtkNew<vtkParametricSpline> spline;
    spline->SetPoints(points);
    vtkNew<vtkParametricFunctionSource> curve;
    curve->SetParametricFunction(spline);
    curve->SetUResolution(200);
    vtkNew<vtkTubeFilter> tube;
    tube->SetInputConnection(curve->GetOutputPort());
    tube->SetRadius(1.5);
    tube->SetNumberOfSides(12);
    actors.push_back(polyActor(tube->GetOutputPort(), nullptr, cable));
  }
  // The generator: a rounded slab 60 x 55 mm, 11 mm thick, facing forward.
  {
    vtkNew<vtkSuperquadricSource> can;
    can->SetSize(1.0);  // unit half-extents, so the transform's scale is the half-size in mm
    can->SetPhiRoundness(0.3);
    can->SetThetaRoundness(0.3);
    can->SetThetaResolution(32);
    can->SetPhiResolution(32);
    vtkNew<vtkTransform> t;
    t->Translate(layout.generatorRas.x, layout.generatorRas.y, layout.generatorRas.z);
    t->Scale(30, 5.5, 27.5);
    actors.push_back(placed(can, t, titanium, 1.0));
  }
  // The body outline, translucent: the neck (a cylinder) and the chest with the shoulders (a
  // rounded superquadric), in proportion to the head's width.
  {
    const Vec3 a = layout.neckTopRas, b = layout.neckBottomRas;
    vtkNew<vtkCylinderSource> neck;
    neck->SetRadius(0.62 * w);
    neck->SetHeight(norm(a - b));
    neck->SetResolution(48);
    neck->CappingOff();
    vtkNew<vtkTransform> t;
    const Vec3 middle = 0.5 * (a + b);
    t->Translate(middle.x, middle.y, middle.z);
    t->RotateX(90);
    actors.push_back(placed(neck, t, skin, 0.18));
  }
  {
    vtkNew<vtkSuperquadricSource> chest;
    chest->SetSize(1.0);
    chest->SetPhiRoundness(0.55);
    chest->SetThetaRoundness(0.7);
    chest->SetThetaResolution(48);
    chest->SetPhiResolution(48);
    vtkNew<vtkTransform> t;
    const Vec3 c = layout.chestCentreRas;
    t->Translate(c.x, c.y, c.z);
    t->Scale(2.3 * w, 1.25 * w, 1.9 * w);
    t->RotateX(90);  // the superquadric's axis of symmetry (y) becomes superior
    actors.push_back(placed(chest, t, skin, 0.18));
  }
  return actors;
}

}  // namespace dbs::app
