#include "render/ScalpRiskMap.h"
#include "render/ColourTables.h"

#include <QByteArray>
#include <QSaveFile>
#include <QString>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <vtkFloatArray.h>
#include <vtkFlyingEdges3D.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataNormals.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLPolyDataWriter.h>

#include "render/VtkImages.h"

namespace dbs::app {

namespace {

vtkFloatArray* floatArray(vtkPolyData* surface, const char* name) {
  auto* array = vtkFloatArray::SafeDownCast(surface->GetPointData()->GetArray(name));
  if (array) return array;
  vtkNew<vtkFloatArray> created;
  created->SetName(name);
  created->SetNumberOfTuples(surface->GetNumberOfPoints());
  surface->GetPointData()->AddArray(created);
  return created;
}

vtkUnsignedCharArray* byteArray(vtkPolyData* surface, const char* name, int components) {
  auto* array = vtkUnsignedCharArray::SafeDownCast(surface->GetPointData()->GetArray(name));
  if (array) return array;
  vtkNew<vtkUnsignedCharArray> created;
  created->SetName(name);
  created->SetNumberOfComponents(components);
  created->SetNumberOfTuples(surface->GetNumberOfPoints());
  surface->GetPointData()->AddArray(created);
  return created;
}

}  // namespace

vtkSmartPointer<vtkPolyData> scalpSurface(const RiskStructures& risks) {
  if (!risks.headDistanceMm)
    throw std::invalid_argument("the plan has no scalp surface (no head distance map)");
  auto distance = indexSpaceImage(risks.headDistanceMm.GetPointer(), risks.geometry, "scalp distance map");
  // Contoured in index space, then every point placed in RAS by the geometry's rasFromIjk (the one
  // conversion; VTK's image filters ignore a direction matrix).
  vtkNew<vtkFlyingEdges3D> contour;
  contour->SetInputData(distance);
  contour->SetValue(0, 0.0);
  contour->ComputeNormalsOff();
  contour->ComputeGradientsOff();
  contour->ComputeScalarsOff();
  contour->Update();
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->DeepCopy(contour->GetOutput());
  vtkPoints* points = surface->GetPoints();
  if (!points || points->GetNumberOfPoints() == 0)
    throw std::invalid_argument("the plan's scalp distance map has no surface");
  const Affine& rasFromIjk = risks.geometry.rasFromIjk;
  for (vtkIdType i = 0; i < points->GetNumberOfPoints(); ++i) {
    double p[3];
    points->GetPoint(i, p);
    const Vec3 ras = rasFromIjk.apply(Vec3{p[0], p[1], p[2]});
    points->SetPoint(i, ras.x, ras.y, ras.z);
  }
  points->Modified();
  // Normals for smooth shading of a surface at voxel resolution (and for ParaView): computed once
  // here, in RAS, so a re-scored map only changes its colours.
  vtkNew<vtkPolyDataNormals> normals;
  normals->SetInputData(surface);
  normals->SplittingOff();
  normals->ConsistencyOn();
  normals->Update();
  auto shaded = vtkSmartPointer<vtkPolyData>::New();
  shaded->DeepCopy(normals->GetOutput());
  return shaded;
}

ScalpRiskMap makeScalpRiskMap(const PlanResult& result, Side side) {
  const PlannedTrajectory* chosen = chosenTrajectory(result.plan, side);
  if (!chosen)
    throw std::invalid_argument(std::string("the plan has no trajectory on side ") + sideLetter(side));
  return scalpRiskMapOn(scalpSurface(result.risks), result.context(), chosen->trajectory);
}

ScalpRiskMap scalpRiskMapOn(vtkPolyData* scalp, const PlanningContext& context,
                            const Trajectory& trajectory) {
  ScalpRiskMap map;
  map.side = trajectory.side;
  map.surface = vtkSmartPointer<vtkPolyData>::New();
  // The triangles shared (never changed after scalpSurface), the points and normals copied: the
  // map's arrays are its own.
  map.surface->CopyStructure(scalp);
  vtkNew<vtkPoints> points;
  points->DeepCopy(scalp->GetPoints());
  map.surface->SetPoints(points);
  if (vtkDataArray* normals = scalp->GetPointData()->GetNormals()) {
    vtkSmartPointer<vtkDataArray> copy = vtk::TakeSmartPointer(normals->NewInstance());
    copy->DeepCopy(normals);
    map.surface->GetPointData()->SetNormals(copy);
  }
  map.verticesRas.resize(static_cast<std::size_t>(points->GetNumberOfPoints()));
  for (vtkIdType i = 0; i < points->GetNumberOfPoints(); ++i) {
    double p[3];
    points->GetPoint(i, p);
    map.verticesRas[static_cast<std::size_t>(i)] = {p[0], p[1], p[2]};
  }
  scoreRiskMap(map, context, trajectory);
  return map;
}

void scoreRiskMap(ScalpRiskMap& map, const PlanningContext& context, const Trajectory& trajectory,
                  EntryScope scope) {
  if (!context.acpc) throw std::invalid_argument("scoreRiskMap: no AC-PC frame");
  map.trajectory = trajectory;
  map.side = trajectory.side;
  // Only vertices above the target are paths (see kRiskMapArrays); the rest are "not scored".
  const double targetHeight = context.acpc->acpcFromRas(trajectory.targetRas).z;
  std::vector<Vec3> above;
  std::vector<std::size_t> index;
  above.reserve(map.verticesRas.size());
  for (std::size_t i = 0; i < map.verticesRas.size(); ++i)
    if (context.acpc->acpcFromRas(map.verticesRas[i]).z > targetHeight) {
      above.push_back(map.verticesRas[i]);
      index.push_back(i);
    }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<EntryAssessment> scored = assessEntries(context, trajectory, above, scope);
  map.scoringSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<EntryAssessment> previous(map.verticesRas.size());
  previous.swap(map.assessments);
  if (previous.size() != map.verticesRas.size()) previous.assign(map.verticesRas.size(), EntryAssessment{});
  for (std::size_t k = 0; k < index.size(); ++k) {
    EntryAssessment& a = map.assessments[index[k]];
    if (scope == EntryScope::All || scored[k].scored) {
      a = scored[k];
    } else {
      // Outside the window while the window alone is re-scored: the last values, shown dimmed.
      a = previous[index[k]];
      a.inWindow = false;
    }
  }
  map.scoredVertices = map.inWindowVertices = map.safeVertices = 0;

  vtkPolyData* surface = map.surface;
  vtkFloatArray* score = floatArray(surface, "score");
  vtkFloatArray* clearance = floatArray(surface, "clearance_mm");
  vtkFloatArray* margin = floatArray(surface, "margin_mm");
  vtkUnsignedCharArray* safe = byteArray(surface, "safe", 1);
  vtkUnsignedCharArray* inWindow = byteArray(surface, "in_window", 1);
  vtkUnsignedCharArray* colour = byteArray(surface, "colour", 3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t i = 0; i < map.assessments.size(); ++i) {
    const EntryAssessment& a = map.assessments[i];
    const auto id = static_cast<vtkIdType>(i);
    map.scoredVertices += a.scored;
    map.inWindowVertices += a.scored && a.inWindow;
    map.safeVertices += a.scored && a.safe;
    score->SetValue(id, a.scored ? a.score : nan);
    clearance->SetValue(id, a.scored ? a.clearanceMm : nan);
    margin->SetValue(id, a.scored ? a.marginMm : nan);
    safe->SetValue(id, a.scored && a.safe ? 1 : 0);
    inWindow->SetValue(id, a.scored && a.inWindow ? 1 : 0);
    const auto rgb = riskMapColour(a);
    colour->SetTypedTuple(id, rgb.data());
  }
  for (vtkDataArray* array : {static_cast<vtkDataArray*>(score), static_cast<vtkDataArray*>(clearance),
                              static_cast<vtkDataArray*>(margin), static_cast<vtkDataArray*>(safe),
                              static_cast<vtkDataArray*>(inWindow), static_cast<vtkDataArray*>(colour)})
    array->Modified();
  surface->GetPointData()->SetActiveScalars("colour");
  surface->Modified();
}

void writeRiskMapVtp(const ScalpRiskMap& map, const std::string& path) {
  vtkNew<vtkXMLPolyDataWriter> writer;
  writer->SetInputData(map.surface);
  writer->SetDataModeToBinary();
  writer->WriteToOutputStringOn();
  if (writer->Write() != 1) throw std::runtime_error(path + ": the risk map could not be encoded");
  const std::string xml = writer->GetOutputString();
  QSaveFile file(QString::fromStdString(path));  // atomic: a failure never leaves a partial file
  if (!file.open(QIODevice::WriteOnly) ||
      file.write(xml.data(), static_cast<qint64>(xml.size())) != static_cast<qint64>(xml.size()) ||
      !file.commit())
    throw std::runtime_error(path + ": cannot write the risk map (" + file.errorString().toStdString() + ")");
}

std::size_t nearestVertex(const std::vector<Vec3>& verticesRas, Vec3 pointRas) {
  std::size_t best = 0;
  double bestDistance = std::numeric_limits<double>::max();
  for (std::size_t i = 0; i < verticesRas.size(); ++i)
    if (const double d = norm(verticesRas[i] - pointRas); d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  return best;
}

}  // namespace dbs::app
