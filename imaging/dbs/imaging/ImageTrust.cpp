#include "dbs/imaging/ImageTrust.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/TextFormat.h"

namespace dbs {
namespace {

// The unit RAS direction of an orientation letter, or nothing.
std::optional<Vec3> directionOfLetter(char letter) {
  switch (letter) {
    case 'R':
      return Vec3{1, 0, 0};
    case 'L':
      return Vec3{-1, 0, 0};
    case 'A':
      return Vec3{0, 1, 0};
    case 'P':
      return Vec3{0, -1, 0};
    case 'S':
      return Vec3{0, 0, 1};
    case 'I':
      return Vec3{0, 0, -1};
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string statedGeometryProblem(const StatedGeometry& stated) {
  const std::string& code = stated.orientation;
  if (code.size() != 3)
    return "the orientation must be three letters, one each of R/L, A/P and S/I (is \"" + code + "\")";
  bool axisUsed[3] = {false, false, false};
  for (char letter : code) {
    const std::optional<Vec3> d = directionOfLetter(letter);
    if (!d)
      return "the orientation must be three letters, one each of R/L, A/P and S/I (is \"" + code + "\")";
    const int axis = d->x != 0 ? 0 : d->y != 0 ? 1 : 2;
    if (axisUsed[axis])
      return "the orientation names the same direction twice (is \"" + code +
             "\"); it needs one each of R/L, A/P "
             "and S/I";
    axisUsed[axis] = true;
  }
  for (int a = 0; a < 3; ++a)
    if (!(std::isfinite(stated.spacingMm[a]) && stated.spacingMm[a] >= 0.05 && stated.spacingMm[a] <= 20))
      return "each voxel spacing must be a number of millimetres from 0.05 to 20 (is " +
             vecText(stated.spacingMm, 3) + ")";
  return {};
}

ImageGeometry statedImageGeometry(const std::array<std::size_t, 3>& size, const StatedGeometry& stated) {
  ImageGeometry g;
  g.size = size;
  for (int c = 0; c < 3; ++c) {
    const Vec3 axis =
        stated.spacingMm[c] * *directionOfLetter(stated.orientation[static_cast<std::size_t>(c)]);
    for (int r = 0; r < 3; ++r) g.rasFromIjk.m[r][c] = axis[r];
  }
  const Vec3 centreIjk{(size[0] - 1.0) / 2, (size[1] - 1.0) / 2, (size[2] - 1.0) / 2};
  const Vec3 centre = g.rasFromIjk.apply(centreIjk);  // with a zero translation so far
  for (int r = 0; r < 3; ++r) g.rasFromIjk.m[r][3] = -centre[r];
  return g;
}

std::string describeStatedGeometry(const StatedGeometry& stated) {
  return stated.orientation + ", " + fixedText(stated.spacingMm.x, 3) + " x " +
         fixedText(stated.spacingMm.y, 3) + " x " + fixedText(stated.spacingMm.z, 3) +
         " mm voxels, centred at RAS (0, 0, 0)";
}

void requireGeometryFromFile(const Volume& volume, const std::string& use) {
  if (volume.geometryNotInFile.empty()) return;
  std::string missing;
  for (const std::string& m : volume.geometryNotInFile) missing += (missing.empty() ? "" : "; ") + m;
  throw ImagingError(volume.path + ": " + missing + ". dbsplan will not " + use +
                     " on a geometry the file does not give, since a guessed orientation can put a target in "
                     "the wrong hemisphere. Fix the file, or state the geometry yourself with "
                     "--assume-orientation (e.g. RAS) and --assume-spacing (mm, e.g. 1,1,1); the plan then "
                     "says so on every page.");
}

void applyStatedGeometry(Volume& volume, const StatedGeometry& stated) {
  if (const std::string problem = statedGeometryProblem(stated); !problem.empty())
    throw ImagingError("--assume-orientation/--assume-spacing: " + problem);
  if (volume.geometryNotInFile.empty())
    throw ImagingError(volume.path +
                       ": the file gives its own geometry; --assume-orientation and --assume-spacing are "
                       "only for images whose files do not (dbsplan never overrides what a file says)");
  // The statement is of the file's voxels; a volume on a working grid takes it through its bins.
  volume.geometry = volume.fileSize == std::array<std::size_t, 3>{0, 0, 0}
                        ? statedImageGeometry(volume.geometry.size, stated)
                        : binnedGeometry(statedImageGeometry(volume.fileSize, stated), volume.binFactors);
  applyGeometryToItk(volume.geometry, *volume.image, volume.path);
  volume.geometrySource = "STATED BY THE USER, not in the file: " + describeStatedGeometry(stated);
  volume.notes.push_back("the file does not give its geometry (" + volume.geometryNotInFile.front() +
                         "); the user stated it: " + describeStatedGeometry(stated));
  volume.geometryNotInFile.clear();
  volume.geometryStatedByUser = stated;
}

void requireVoxelsFitForPlanning(const Volume& volume) {
  const ImageGeometry& g = volume.geometry;
  const Vec3 spacing = g.spacingMm();
  bool tooSmall = false;
  for (int a = 0; a < 3; ++a)
    tooSmall = tooSmall || g.size[static_cast<std::size_t>(a)] < kMinimumVoxelsPerAxis ||
               g.size[static_cast<std::size_t>(a)] * spacing[a] < kMinimumFieldOfViewMm;
  if (tooSmall)
    throw ImagingError(volume.path + ": too small to plan: " + std::to_string(g.size[0]) + " x " +
                       std::to_string(g.size[1]) + " x " + std::to_string(g.size[2]) + " voxels (" +
                       fixedText(g.size[0] * spacing.x, 0) + " x " + fixedText(g.size[1] * spacing.y, 0) +
                       " x " + fixedText(g.size[2] * spacing.z, 0) + " mm); a head needs at least " +
                       std::to_string(kMinimumVoxelsPerAxis) + " voxels and " +
                       fixedText(kMinimumFieldOfViewMm, 0) + " mm along each axis");
  const IntensityRange range = intensityRange(*volume.image);
  const std::size_t nonFinite = std::max(range.nonFiniteVoxels, volume.nonFiniteVoxelsInFile);
  if (nonFinite > 0)
    throw ImagingError(volume.path + ": " + std::to_string(nonFinite) + " of " +
                       std::to_string(g.voxelCount()) +
                       " voxels are NaN or infinite; dbsplan will not plan on an image with voxels that are "
                       "not numbers");
  if (!(range.max > range.min))
    throw ImagingError(volume.path + ": every voxel has the value " + fixedText(range.min, 3) +
                       ": there is no head in this image");
  const double correlation = leastNeighbourCorrelation(*volume.image);
  if (correlation < kMinimumNeighbourCorrelation)
    throw ImagingError(volume.path +
                       ": this image is noise, not a head: neighbouring voxels are uncorrelated (r = " +
                       fixedText(correlation, 2) + "; head MRIs give 0.90-0.99, dbsplan needs at least " +
                       fixedText(kMinimumNeighbourCorrelation, 2) + ")");
}

// A single pass over the buffer by hand: ITK has no lag-one autocorrelation filter, and a shifted copy
// of the image per axis would triple the memory for one number.
double leastNeighbourCorrelation(const FloatImage& image) {
  const auto size = image.GetLargestPossibleRegion().GetSize();
  const float* voxels = image.GetBufferPointer();
  const std::array<std::size_t, 3> stride{1, size[0], size[0] * size[1]};
  // Centred on the mean first: sums of squares of raw values (up to 1e4 over 1e8 voxels) would
  // cancel catastrophically in E[ab] - E[a]E[b].
  const std::size_t count = stride[2] * size[2];
  double mean = 0;
  for (std::size_t n = 0; n < count; ++n) mean += voxels[n];
  mean /= static_cast<double>(count);
  double least = 1.0;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    if (size[axis] < 2) continue;
    double sumA = 0, sumB = 0, sumAA = 0, sumBB = 0, sumAB = 0;
    std::size_t pairs = 0;
    for (std::size_t k = 0; k < size[2]; ++k)
      for (std::size_t j = 0; j < size[1]; ++j)
        for (std::size_t i = 0; i < size[0]; ++i) {
          const std::array<std::size_t, 3> index{i, j, k};
          if (index[axis] + 1 >= size[axis]) continue;
          const std::size_t at = i + j * stride[1] + k * stride[2];
          const double a = voxels[at] - mean, b = voxels[at + stride[axis]] - mean;
          sumA += a;
          sumB += b;
          sumAA += a * a;
          sumBB += b * b;
          sumAB += a * b;
          ++pairs;
        }
    const double n = static_cast<double>(pairs);
    const double covariance = sumAB / n - (sumA / n) * (sumB / n);
    const double varianceA = sumAA / n - (sumA / n) * (sumA / n),
                 varianceB = sumBB / n - (sumB / n) * (sumB / n);
    if (!(varianceA > 0 && varianceB > 0)) continue;  // a constant plane pair: says nothing
    least = std::min(least, covariance / std::sqrt(varianceA * varianceB));
  }
  return least;
}

}  // namespace dbs
