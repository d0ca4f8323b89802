// Volume: a 3-D scalar image loaded from disk with its exact geometry, and the functions that load
// and sample it. Supported: NIfTI-1 (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd) and
// DICOM series (a folder; the series with the most slices is chosen and the choice reported).
//
// Coordinate systems used: ijk, RAS mm (the API) and ITK's LPS mm (inside `image` only); see
// WorldFrame.h. `image`'s origin/spacing/direction always agree with `geometry` (checked on load).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <itkImage.h>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/imaging/WorkingGrid.h"

namespace dbs {

using FloatImage = itk::Image<float, 3>;

// Progress in [0, 1] with a short label; return false to cancel (the call then throws Cancelled).
using ProgressCallback = std::function<bool(double fraction, const std::string& step)>;

struct Volume {
  FloatImage::Pointer image;  // ITK image, physical space LPS mm
  ImageGeometry geometry;     // exact voxel -> RAS affine as the file defines it
  std::string path;
  std::string format;              // "NIfTI-1", "NRRD", "MetaImage", "DICOM"
  std::string storedPixelType;     // pixel type on disk, e.g. "int16"
  std::string geometrySource;      // where the affine came from, e.g. "sform (sform_code 4)"
  std::vector<std::string> notes;  // things the user should know (e.g. which DICOM series was chosen)
  // What of the geometry the file itself does not give, each in words ("sform_code and qform_code are
  // both 0: ..."); empty when all of it is the file's own. Planning refuses such a volume
  // (ImageTrust.h) unless the user states the geometry, which is then recorded here.
  std::vector<std::string> geometryNotInFile;
  // Voxels the file holds as NaN or infinite, also where the reader replaced them (niftilib writes 0
  // in their place); requireVoxelsFitForPlanning refuses any.
  std::size_t nonFiniteVoxelsInFile = 0;
  std::optional<StatedGeometry> geometryStatedByUser;
  // The file's own grid size, and how many of its voxels each voxel of `image` averages along i, j
  // and k (WorkingGrid.h): {1, 1, 1} unless it was loaded onto a working grid.
  std::array<std::size_t, 3> fileSize{0, 0, 0};
  BinFactors binFactors{1, 1, 1};
};

struct LoadOptions {
  // `dbsplan info` may show a sheared NIfTI affine exactly; everything that computes refuses it.
  bool allowShearedGeometry = false;
  // 0: the file's own grid. Otherwise at most this many voxels: bins of the file's voxels, averaged
  // (WorkingGrid.h). A NIfTI is binned as it is streamed, so its whole grid is never held; the other
  // formats are read whole by ITK and then binned.
  std::size_t maxVoxels = 0;
  // These bins rather than ones chosen by maxVoxels: a plan reopens on the grid it was made on.
  std::optional<BinFactors> binFactors;
};

// Loads a volume. Throws ImagingError with a one-line, specific message on any bad input, and
// Cancelled when `progress` returns false.
Volume loadVolume(const std::string& path, const ProgressCallback& progress = {});
Volume loadVolume(const std::string& path, const ProgressCallback& progress, const LoadOptions& options);

// The volume planning works on: the working grid (kMaxWorkingVoxels), or the bins a plan recorded.
Volume loadVolumeForPlanning(const std::string& path, const ProgressCallback& progress = {},
                             std::optional<BinFactors> binFactors = std::nullopt);

// Geometry of an ITK image (origin/spacing/direction, LPS) as dbsplan's RAS geometry.
ImageGeometry geometryFromItk(const itk::ImageBase<3>& image);
// Sets an ITK image's origin/spacing/direction from a geometry; throws ImagingError if the affine is
// sheared (ITK can only hold orthonormal directions), so nothing is ever silently approximated.
void applyGeometryToItk(const ImageGeometry& geometry, itk::ImageBase<3>& image, const std::string& what);

struct IntensityRange {
  double min = 0, max = 0;
  double robustLow = 0, robustHigh = 0;  // 0.5th and 99.5th percentiles: a sensible initial window
  std::size_t finiteVoxels = 0, nonFiniteVoxels = 0;  // the range covers the finite ones only
};
IntensityRange intensityRange(const FloatImage& image);

// Intensity of the voxel nearest to a RAS point; false when the point is outside the volume.
bool sampleNearest(const Volume& volume, Vec3 pointRas, float* value, std::array<long, 3>* index = nullptr);

}  // namespace dbs
