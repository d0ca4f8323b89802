#include "render/LabelDisplay.h"

#include <algorithm>
#include <cmath>

#include <vtkActor.h>
#include <vtkDiscreteFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkLookupTable.h>
#include <vtkMassProperties.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkQuadricDecimation.h>
#include <vtkWindowedSincPolyDataFilter.h>

#include "dbs/imaging/Labels.h"
#include "render/VtkImages.h"

namespace dbs::app {

vtkSmartPointer<vtkActor> labelSurfaceActor(vtkImageData* indexSpaceLabels, int value,
                                            const Affine& rasFromIjk, const std::array<double, 3>& colour,
                                            double opacity) {
  vtkNew<vtkDiscreteFlyingEdges3D> contour;
  contour->SetInputData(indexSpaceLabels);
  contour->SetValue(0, value);
  contour->ComputeScalarsOff();
  contour->Update();
  if (contour->GetOutput()->GetNumberOfPoints() == 0) return nullptr;
  vtkNew<vtkWindowedSincPolyDataFilter> smooth;
  smooth->SetInputConnection(contour->GetOutputPort());
  smooth->SetNumberOfIterations(15);
  smooth->SetPassBand(0.1);
  smooth->NormalizeCoordinatesOn();
  // Decimated to about one triangle per mm2 of surface. Smoothing leaves about two triangles a voxel
  // face (8 per mm2 on a 0.5 mm grid), far more than a view a few hundred pixels wide can show, and
  // on software OpenGL the vertices are what a frame costs: the 3-D view's 97,000 triangles of
  // colin27's structures took 17 of its 30 ms a frame (issue 23's drag). Quadric decimation keeps the
  // shape and, with volume preservation, the volume (LabelSurface test: within 3 % and 0.3 mm).
  // The area is measured in index space and scaled by the voxel's mean face area, |det|^(2/3): a
  // target for the decimation, not a measurement.
  smooth->Update();
  vtkNew<vtkMassProperties> area;
  area->SetInputConnection(smooth->GetOutputPort());
  area->Update();
  const double areaMm2 = area->GetSurfaceArea() * std::pow(std::abs(rasFromIjk.determinant3x3()), 2.0 / 3.0);
  constexpr double kTrianglesPerMm2 = 1.0;
  constexpr vtkIdType kFewestTriangles = 200;  // small structures keep a round outline
  const vtkIdType triangles = smooth->GetOutput()->GetNumberOfPolys();
  const double keep = std::max(kTrianglesPerMm2 * areaMm2, static_cast<double>(kFewestTriangles));
  vtkNew<vtkQuadricDecimation> decimate;
  decimate->SetInputConnection(smooth->GetOutputPort());
  decimate->SetTargetReduction(
      std::clamp(1.0 - keep / static_cast<double>(std::max<vtkIdType>(triangles, 1)), 0.0, 0.95));
  decimate->VolumePreservationOn();
  vtkNew<vtkPolyDataNormals> normals;
  normals->SetInputConnection(decimate->GetOutputPort());
  normals->SplittingOff();
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(normals->GetOutputPort());
  mapper->ScalarVisibilityOff();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->SetUserMatrix(vtkMatrixFromAffine(rasFromIjk));
  actor->GetProperty()->SetColor(colour[0], colour[1], colour[2]);
  actor->GetProperty()->SetOpacity(opacity);
  return actor;
}

}  // namespace dbs::app
