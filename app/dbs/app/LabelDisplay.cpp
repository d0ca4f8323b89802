#include "dbs/app/LabelDisplay.h"

#include <algorithm>

#include <vtkActor.h>
#include <vtkDiscreteFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkLookupTable.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkWindowedSincPolyDataFilter.h>

#include "dbs/app/SliceRenderer.h"
#include "dbs/imaging/Labels.h"

namespace dbs::app {

vtkSmartPointer<vtkLookupTable> labelLookupTable() {
  auto table = vtkSmartPointer<vtkLookupTable>::New();
  int maxLabel = 0;
  for (const auto& l : standardLabels()) maxLabel = std::max(maxLabel, l.value);
  table->SetNumberOfTableValues(maxLabel + 1);
  table->SetTableRange(0, maxLabel);
  for (int v = 0; v <= maxLabel; ++v) table->SetTableValue(v, 0, 0, 0, 0);
  for (const auto& l : standardLabels())
    if (l.value < 20 || l.value > 24)
      table->SetTableValue(l.value, l.colour[0], l.colour[1], l.colour[2], 1.0);
  table->Build();
  return table;
}

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
  vtkNew<vtkPolyDataNormals> normals;
  normals->SetInputConnection(smooth->GetOutputPort());
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
