// LabelDisplay: how dbsplan draws label maps, shared by the viewer and the plan's figures: the one
// colour table for label overlays on slices, and the smoothed 3-D surface of one label.
//
// Coordinate systems used: label images in index space (ijk), placed in RAS mm by their
// rasFromIjk (vtkMatrixFromAffine, SliceRenderer.h).
#pragma once

#include <array>

#include <vtkActor.h>
#include <vtkLookupTable.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/WorldFrame.h"

class vtkImageData;

namespace dbs::app {

// Colours of standardLabels(): deep structures and vessels opaque; tissue classes (scalp, skull,
// CSF, grey and white matter: 20-24), which would wash over a whole slice, and unlisted values
// transparent.
vtkSmartPointer<vtkLookupTable> labelLookupTable();

// The surface of one label value (discrete flying edges, windowed-sinc smoothing that removes the
// voxel staircase but keeps the volume, normals), placed in RAS; null when the value is absent.
vtkSmartPointer<vtkActor> labelSurfaceActor(vtkImageData* indexSpaceLabels, int value,
                                            const Affine& rasFromIjk, const std::array<double, 3>& colour,
                                            double opacity);

}  // namespace dbs::app
