// Labels: the one table of anatomical label values dbsplan uses everywhere (atlas, phantom, locate,
// planning, display), label maps with exact geometry, their I/O and per-label statistics.
//
// Coordinate systems used: ijk and RAS mm (WorldFrame.h); label images are ITK images (LPS inside).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <itkImage.h>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/imaging/Side.h"

namespace dbs {

using LabelImage = itk::Image<unsigned short, 3>;

struct LabelInfo {
  int value;
  std::string name;              // e.g. "GPi_L"
  std::array<double, 3> colour;  // display colour, RGB in [0, 1]
};

// GPi_L 1, GPi_R 2, GPe_L 3, GPe_R 4, Putamen_L 5, Putamen_R 6, Thalamus_L 7, Thalamus_R 8,
// Caudate_L 9, Caudate_R 10, Ventricle_L 11, Ventricle_R 12, InternalCapsule_L 13,
// InternalCapsule_R 14, OpticTract_L 15, OpticTract_R 16, Scalp 20, Skull 21, CSF 22, GreyMatter 23,
// WhiteMatter 24, Vessel 25.
const std::vector<LabelInfo>& standardLabels();
// Labels 1..kLastSidedLabel come in pairs, odd = left, even = right; the rest are unsided tissues.
constexpr int kLastSidedLabel = 16;
bool isSidedLabel(int value);
// Value of a label by name; throws std::out_of_range for an unknown name.
int labelValue(const std::string& name);
// Name of a label value, or "label N" when it is not in the table.
std::string labelName(int value);

struct LabelVolume {
  LabelImage::Pointer image;  // ITK label image, physical space LPS
  ImageGeometry geometry;     // exact voxel -> RAS affine
  std::string path;
};

// Reads a label map (any format loadVolume reads); voxels must be whole numbers in [0, 65535].
LabelVolume loadLabelVolume(const std::string& path);
// Writes atomically (temporary file in the same folder, then rename): never a partial file.
void writeLabelVolume(const LabelVolume& labels, const std::string& path);
// A label image with the geometry of `geometry`, all zero.
LabelVolume makeLabelVolume(const ImageGeometry& geometry);

struct LabelStatistics {
  int value = 0;
  std::size_t voxels = 0;
  double volumeMm3 = 0;
  Vec3 centroidRas;
};
// Statistics of every non-zero label present, ordered by value.
std::vector<LabelStatistics> labelStatistics(const LabelVolume& labels);

}  // namespace dbs
