// ImageTrust: whether an image can carry a plan: its geometry the file's own (or stated by the user
// in its place), its voxels finite, and enough of them to hold a head. A loader records what of the geometry
// the file does not give (Volume::geometryNotInFile: NIfTI with sform_code and qform_code both 0, NRRD
// without a named space, MetaImage without its transform, DICOM slices that share a position, orientation
// vectors that are zero or not finite, a zero pixel spacing); `dbsplan info` shows such an image and says
// what is missing, and everything that plans refuses it, because a guessed orientation puts the "left" target
// in the right hemisphere. Only the user may state the missing geometry (dbsplan plan/locate
// --assume-orientation and --assume-spacing); the plan records that it did and says so in red.
//
// Coordinate systems used: ijk and RAS mm (the stated orientation names where i, j and k point).
#pragma once

#include <optional>
#include <string>

#include "dbs/imaging/Volume.h"

namespace dbs {

// Checks a stated orientation code and spacing; returns the problem in words, or "" when valid.
std::string statedGeometryProblem(const StatedGeometry& stated);

// The geometry the statement gives `size`: the axes along the letters, the spacing, and the volume's
// centre at RAS (0, 0, 0) (a stated geometry has no position; only distances and directions count).
ImageGeometry statedImageGeometry(const std::array<std::size_t, 3>& size, const StatedGeometry& stated);

// "RAS, 1 x 1 x 1.2 mm voxels, centred at RAS (0, 0, 0)": for notes, the CLI and the report.
std::string describeStatedGeometry(const StatedGeometry& stated);

// Throws ImagingError naming the file and what is missing unless all of `volume`'s geometry is the
// file's own; the message says how to state it. `use`: what was asked ("plan", "locate").
void requireGeometryFromFile(const Volume& volume, const std::string& use);

// Puts the stated geometry on a volume whose file lacks geometry (ITK image and ImageGeometry
// alike). Throws ImagingError when the statement is invalid, or when the file has its own geometry:
// a statement never overrides what the file says.
void applyStatedGeometry(Volume& volume, const StatedGeometry& stated);

// The smallest image the pipeline plans on: a head is 130-200 mm along every axis and the
// registration's coarsest level needs a few voxels per axis.
constexpr std::size_t kMinimumVoxelsPerAxis = 16;
constexpr double kMinimumFieldOfViewMm = 100.0;

// Throws ImagingError naming the file unless its voxels can carry a plan: every voxel finite (not
// NaN or infinite), not one constant value, and at least kMinimumVoxelsPerAxis voxels and
// kMinimumFieldOfViewMm along each axis ("too small to plan: 8 x 8 x 8 voxels (8 x 8 x 8 mm)"), and
// neighbouring voxels alike as in any image of an object (leastNeighbourCorrelation at least
// kMinimumNeighbourCorrelation), so that noise is refused before the registration runs on it.
void requireVoxelsFitForPlanning(const Volume& volume);

// Pearson correlation between each voxel and its next neighbour along i, j and k, the least of the
// three. An MRI of a head, background included, gives 0.90-0.99 (ch2 0.978, ch2better 0.987, the
// coronal 8-bit patient 0.904, the phantom 0.960, five synthetic patients 0.95-0.96); uniform noise 0.00.
double leastNeighbourCorrelation(const FloatImage& image);
// Half the lowest head measured: far below any head MRI, far above noise.
constexpr double kMinimumNeighbourCorrelation = 0.5;

}  // namespace dbs
