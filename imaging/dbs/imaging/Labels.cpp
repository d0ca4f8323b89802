#include "dbs/imaging/Labels.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include <itkImageRegionConstIteratorWithIndex.h>

#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

const std::vector<LabelInfo>& standardLabels() {
  // Colours follow common atlas conventions (GPi green, GPe blue, putamen magenta, thalamus orange).
  static const std::vector<LabelInfo> table = {
      {1, "GPi_L", {0.10, 0.85, 0.25}},
      {2, "GPi_R", {0.10, 0.85, 0.25}},
      {3, "GPe_L", {0.20, 0.45, 1.00}},
      {4, "GPe_R", {0.20, 0.45, 1.00}},
      {5, "Putamen_L", {0.90, 0.30, 0.80}},
      {6, "Putamen_R", {0.90, 0.30, 0.80}},
      {7, "Thalamus_L", {1.00, 0.60, 0.15}},
      {8, "Thalamus_R", {1.00, 0.60, 0.15}},
      {9, "Caudate_L", {0.95, 0.85, 0.30}},
      {10, "Caudate_R", {0.95, 0.85, 0.30}},
      {11, "Ventricle_L", {0.25, 0.80, 1.00}},
      {12, "Ventricle_R", {0.25, 0.80, 1.00}},
      {13, "InternalCapsule_L", {0.85, 0.85, 0.85}},
      {14, "InternalCapsule_R", {0.85, 0.85, 0.85}},
      {15, "OpticTract_L", {0.55, 0.20, 1.00}},  // violet: yellow is the lead in every view
      {16, "OpticTract_R", {0.55, 0.20, 1.00}},
      {20, "Scalp", {0.95, 0.75, 0.65}},
      {21, "Skull", {0.95, 0.95, 0.85}},
      {22, "CSF", {0.30, 0.55, 0.95}},
      {23, "GreyMatter", {0.60, 0.60, 0.60}},
      {24, "WhiteMatter", {0.90, 0.90, 0.90}},
      {25, "Vessel", {0.90, 0.10, 0.10}},
  };
  return table;
}

bool isSidedLabel(int value) {
  return value >= 1 && value <= kLastSidedLabel;
}

int labelValue(const std::string& name) {
  for (const auto& l : standardLabels())
    if (l.name == name) return l.value;
  throw std::out_of_range("unknown label name " + name);
}

std::string labelName(int value) {
  for (const auto& l : standardLabels())
    if (l.value == value) return l.name;
  return "label " + std::to_string(value);
}

LabelVolume makeLabelVolume(const ImageGeometry& geometry) {
  LabelVolume labels;
  labels.geometry = geometry;
  labels.image = LabelImage::New();
  labels.image->SetRegions(LabelImage::SizeType{{geometry.size[0], geometry.size[1], geometry.size[2]}});
  labels.image->Allocate(true);
  applyGeometryToItk(geometry, *labels.image, "label map");
  return labels;
}

LabelVolume loadLabelVolume(const std::string& path) {
  const Volume v = loadVolume(path);
  LabelVolume labels = makeLabelVolume(v.geometry);
  labels.path = path;
  const float* in = v.image->GetBufferPointer();
  unsigned short* out = labels.image->GetBufferPointer();
  const std::size_t n = v.geometry.voxelCount();
  for (std::size_t i = 0; i < n; ++i) {
    const float value = in[i];
    if (!(value >= 0 && value <= 65535 && value == std::floor(value)))
      throw ImagingError(path + ": not a label map (voxel value " + std::to_string(value) +
                         " is not a whole number 0-65535)");
    out[i] = static_cast<unsigned short>(value);
  }
  return labels;
}

void writeLabelVolume(const LabelVolume& labels, const std::string& path) {
  writeImageAtomically(labels.image.GetPointer(), path, /*compress=*/true);
}

std::vector<LabelStatistics> labelStatistics(const LabelVolume& labels) {
  struct Accumulator {
    std::size_t n = 0;
    double si = 0, sj = 0, sk = 0;
  };
  std::map<int, Accumulator> sums;
  itk::ImageRegionConstIteratorWithIndex<LabelImage> it(labels.image,
                                                        labels.image->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it) {
    const int value = it.Get();
    if (value == 0) continue;
    auto& a = sums[value];
    const auto idx = it.GetIndex();
    ++a.n;
    a.si += idx[0];
    a.sj += idx[1];
    a.sk += idx[2];
  }
  const double voxelVolume = std::abs(labels.geometry.rasFromIjk.determinant3x3());
  std::vector<LabelStatistics> out;
  for (const auto& [value, a] : sums) {
    LabelStatistics s;
    s.value = value;
    s.voxels = a.n;
    s.volumeMm3 = static_cast<double>(a.n) * voxelVolume;
    s.centroidRas = labels.geometry.rasFromIndex({a.si / a.n, a.sj / a.n, a.sk / a.n});
    out.push_back(s);
  }
  return out;
}

}  // namespace dbs
