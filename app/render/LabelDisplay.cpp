#include "render/LabelDisplay.h"

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
  // Three in four triangles go: the smoothed surface of a label map has about two a voxel face, far
  // more than a view a few hundred pixels wide can show, and on software OpenGL the vertices are what
  // a frame costs: the 3-D view's 97,000 triangles of colin27's structures took 17 of a drag step's
  // 30 ms there (issue 23). Quadric decimation keeps the shape (volume preserved, 0.1 mm on average).
  vtkNew<vtkQuadricDecimation> decimate;
  decimate->SetInputConnection(smooth->GetOutputPort());
  decimate->SetTargetReduction(0.75);
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
