// VtkImages: the one place ITK and dbsplan geometry cross into VTK. ITK images seen by VTK without a copy, in
// voxel index space (origin 0, spacing 1), so that the one conversion to RAS stays the geometry's rasFromIjk
// (WorldFrame.h), applied by the viewer and the figures as a matrix, never by VTK's own
// origin/spacing/direction.
#pragma once

#include <itkImage.h>

#include <stdexcept>
#include <string>

#include <vtkAOSDataArrayTemplate.h>
#include <vtkImageData.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/ImageGeometry.h"

namespace dbs::app {

// An affine as a VTK matrix (same rows and columns): the one place the renderers copy one.
inline vtkSmartPointer<vtkMatrix4x4> vtkMatrixFromAffine(const Affine& affine) {
  auto m = vtkSmartPointer<vtkMatrix4x4>::New();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) m->SetElement(r, c, affine.m[r][c]);
  return m;
}

// An ITK image's buffer as a VTK image in voxel index space (origin 0, spacing 1), without a copy:
// the ITK image must outlive the result. Placed in RAS by the geometry's rasFromIjk, as the viewer does.
template <class Pixel>
vtkSmartPointer<vtkImageData> indexSpaceImage(const itk::Image<Pixel, 3>* image,
                                              const ImageGeometry& geometry, const char* what) {
  const auto itkSize = image->GetBufferedRegion().GetSize();
  for (int a = 0; a < 3; ++a)
    if (itkSize[a] != geometry.size[a])
      throw std::invalid_argument(std::string(what) + ": image size does not match its geometry");
  auto data = vtkSmartPointer<vtkImageData>::New();
  data->SetDimensions(static_cast<int>(geometry.size[0]), static_cast<int>(geometry.size[1]),
                      static_cast<int>(geometry.size[2]));
  vtkNew<vtkAOSDataArrayTemplate<Pixel>> scalars;
  scalars->SetArray(const_cast<Pixel*>(image->GetBufferPointer()),
                    static_cast<vtkIdType>(geometry.voxelCount()),
                    /*save=*/1);
  data->GetPointData()->SetScalars(scalars);
  return data;
}

}  // namespace dbs::app
