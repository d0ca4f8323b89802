// LabelDisplay: the smoothed 3-D surface of one label, shared by the viewer and the plan's figures
// (the label colours are labelLookupTable, ColourTables.h).
//
// Coordinate systems used: label images in index space (ijk), placed in RAS mm by their
// rasFromIjk (vtkMatrixFromAffine, VtkImages.h).
#pragma once

#include <array>

#include <vtkActor.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/WorldFrame.h"

class vtkImageData;

namespace dbs::app {

// The surface of one label value (discrete flying edges, windowed-sinc smoothing that removes the
// voxel staircase but keeps the volume, normals), placed in RAS; null when the value is absent.
vtkSmartPointer<vtkActor> labelSurfaceActor(vtkImageData* indexSpaceLabels, int value,
                                            const Affine& rasFromIjk, const std::array<double, 3>& colour,
                                            double opacity);

}  // namespace dbs::app
