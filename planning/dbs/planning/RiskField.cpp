#include "dbs/planning/RiskField.h"

#include <algorithm>
#include <cmath>

#include <itkImageRegionConstIteratorWithIndex.h>
#include <itkImageRegionIteratorWithIndex.h>

namespace dbs {

RiskField::RiskField(const RiskStructures& risks, const LabelVolume& labels) {
  const ImageGeometry& g = risks.geometry;
  if (labels.geometry.size != g.size)
    throw std::invalid_argument("risk field: labels and risk maps differ in grid");
  size_ = g.size;
  ijkFromRas_ = g.ijkFromRas();
  const std::size_t n = g.voxelCount();
  channels_.resize(kChannels * n);
  // Maurer distances run between voxel centres, and a structure's boundary voxels read 0 however
  // thin the structure; its voxels reach half a voxel further out. Subtracting half the *largest*
  // voxel size measures to the farthest face of those voxels along any axis (on a 2 x 2 x 3 mm scan,
  // 1.5 mm), so a margin is never overstated along an axis; towards a voxel's corner it can still
  // be by up to the half-diagonal less that. A path through even a one-voxel vessel reads negative.
  const Vec3 spacing = g.spacingMm();
  const float halfVoxel = static_cast<float>(0.5 * std::max({spacing.x, spacing.y, spacing.z}));
  const float* head = risks.headDistanceMm->GetBufferPointer();
  std::array<const float*, kRiskKinds> risk{};
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    present_[k] = risks.risks[k].present;
    risk[k] = risks.risks[k].distanceMm->GetBufferPointer();
  }
  for (std::size_t i = 0; i < n; ++i) {
    float* c = &channels_[kChannels * i];
    c[0] = head[i] - halfVoxel;  // the scalp too: the entry lies on the skin, not half a voxel inside
    for (std::size_t k = 0; k < kRiskKinds; ++k) c[1 + k] = present_[k] ? risk[k][i] - halfVoxel : kFar;
    c[kChannels - 1] = kFar;
  }
  const unsigned short* l = labels.image->GetBufferPointer();
  labels_.assign(l, l + n);
  // The brain mask rides in the label array's top bit (labels stay far below it): one lookup.
  brainPresent_ = risks.brainMask.IsNotNull();
  if (brainPresent_) {
    const unsigned char* brain = risks.brainMask->GetBufferPointer();
    for (std::size_t i = 0; i < n; ++i)
      if (brain[i]) labels_[i] |= kBrainBit;
  }
  for (Side side : kBothSides) {
    const auto gpi = static_cast<unsigned short>(labelValue(std::string("GPi_") + sideLetter(side)));
    std::vector<double> ys;
    for (std::size_t k = 0, i = 0; k < size_[2]; ++k)
      for (std::size_t j = 0; j < size_[1]; ++j)
        for (std::size_t ii = 0; ii < size_[0]; ++ii, ++i)
          if (l[i] == gpi) ys.push_back(g.rasFromIndex(Vec3{double(ii), double(j), double(k)}).y);
    if (ys.empty()) continue;
    std::nth_element(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(ys.size() / 2), ys.end());
    gpiMedianY_[sideIndex(side)] = ys[ys.size() / 2];
  }
  // The caudate (either side), measured like the risks, for the score's caudate term. The term
  // saturates at a few mm, so the distance map is computed on the caudate's bounding box grown by
  // kCaudateBandMm only (a fraction of the head's voxels: the map is rebuilt whenever a plan is
  // opened); outside the box the channel holds kCaudateBandMm, a lower bound of the true distance.
  {
    const int left = labelValue("Caudate_L"), right = labelValue("Caudate_R");
    std::array<std::size_t, 3> lo{size_[0], size_[1], size_[2]}, hi{0, 0, 0};
    for (std::size_t k = 0, i = 0; k < size_[2]; ++k)
      for (std::size_t j = 0; j < size_[1]; ++j)
        for (std::size_t ii = 0; ii < size_[0]; ++ii, ++i)
          if (l[i] == left || l[i] == right) {
            const std::array<std::size_t, 3> at{ii, j, k};
            for (std::size_t a = 0; a < 3; ++a) {
              lo[a] = std::min(lo[a], at[a]);
              hi[a] = std::max(hi[a], at[a]);
            }
          }
    caudatePresent_ = lo[0] <= hi[0];
    if (caudatePresent_) {
      const float band = static_cast<float>(kCaudateBandMm);
      for (std::size_t i = 0; i < n; ++i) channels_[kChannels * i + kChannels - 1] = band;
      MaskImage::RegionType crop;
      for (unsigned a = 0; a < 3; ++a) {
        const auto pad =
            static_cast<std::size_t>(std::ceil(kCaudateBandMm / spacing[static_cast<int>(a)])) + 1;
        const std::size_t from = lo[a] > pad ? lo[a] - pad : 0, to = std::min(size_[a] - 1, hi[a] + pad);
        crop.SetIndex(a, static_cast<itk::IndexValueType>(from));
        crop.SetSize(a, to - from + 1);
      }
      auto mask = MaskImage::New();
      mask->CopyInformation(labels.image);
      mask->SetRegions(crop);  // the same grid, only the crop's voxels allocated
      mask->Allocate();
      for (itk::ImageRegionIteratorWithIndex<MaskImage> it(mask, crop); !it.IsAtEnd(); ++it) {
        const unsigned short v = labels.image->GetPixel(it.GetIndex());
        it.Set(v == left || v == right ? 1 : 0);
      }
      const FloatImage::Pointer distance = signedDistanceMm(mask.GetPointer());
      for (itk::ImageRegionConstIteratorWithIndex<FloatImage> it(distance, crop); !it.IsAtEnd(); ++it) {
        const auto& idx = it.GetIndex();
        const std::size_t i =
            static_cast<std::size_t>(idx[0]) +
            size_[0] * (static_cast<std::size_t>(idx[1]) + size_[1] * static_cast<std::size_t>(idx[2]));
        channels_[kChannels * i + kChannels - 1] = std::min(band, it.Get() - halfVoxel);
      }
    }
  }

  // Side-effect structures: signed distance to either side's label, measured like the risks.
  sideEffectChannels_.assign(kSideEffectStructures * n, kFar);
  const char* names[kSideEffectStructures] = {"InternalCapsule", "OpticTract"};
  for (std::size_t k = 0; k < kSideEffectStructures; ++k) {
    const int left = labelValue(std::string(names[k]) + "_L"),
              right = labelValue(std::string(names[k]) + "_R");
    const MaskImage::Pointer mask = emptyMaskLike(*labels.image);
    unsigned char* m = mask->GetBufferPointer();
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += (m[i] = (l[i] == left || l[i] == right) ? 1 : 0);
    sideEffectPresent_[k] = count > 0;
    if (!sideEffectPresent_[k]) continue;
    const FloatImage::Pointer distance = signedDistanceMm(mask.GetPointer());  // kept alive while read
    const float* d = distance->GetBufferPointer();
    for (std::size_t i = 0; i < n; ++i) sideEffectChannels_[kSideEffectStructures * i + k] = d[i] - halfVoxel;
  }
}

const char* sideEffectName(SideEffectStructure structure) {
  return structure == SideEffectStructure::InternalCapsule ? "internal_capsule" : "optic_tract";
}

const char* sideEffectDisplayName(SideEffectStructure structure) {
  return structure == SideEffectStructure::InternalCapsule ? "internal capsule" : "optic tract";
}

double sideEffectWarningMm(SideEffectStructure structure) {
  switch (structure) {
    case SideEffectStructure::InternalCapsule:
      return 2.0;
    case SideEffectStructure::OpticTract:
      return 1.0;
  }
  return 2.0;
}

float RiskField::sideEffectDistanceMm(SideEffectStructure structure, Vec3 pointRas) const {
  const std::size_t k = static_cast<std::size_t>(structure);
  if (!sideEffectPresent_[k]) return kFar;
  bool outside = false;
  return interpolate<kSideEffectStructures>(sideEffectChannels_, pointRas, outside)[k];
}

// Trilinear interpolation of `Channels` interleaved values per voxel, clamped to the grid;
// `outside` tells whether the point lies beyond the grid's outer voxel faces.
template <std::size_t Channels>
std::array<float, Channels> RiskField::interpolate(const std::vector<float>& interleaved, Vec3 pointRas,
                                                   bool& outside) const {
  const Vec3 ijk = ijkFromRas_.apply(pointRas);
  outside = false;
  std::array<std::size_t, 3> i0{}, i1{};
  std::array<double, 3> f{};
  for (std::size_t a = 0; a < 3; ++a) {
    const double extent = static_cast<double>(size_[a] - 1);
    const double value = ijk[static_cast<int>(a)];
    if (value < -0.5 || value > extent + 0.5) outside = true;
    const double c = std::clamp(value, 0.0, extent);
    const double fl = std::floor(c);
    i0[a] = static_cast<std::size_t>(fl);
    i1[a] = std::min(i0[a] + 1, size_[a] - 1);
    f[a] = c - fl;
  }
  std::array<float, Channels> acc{};
  const std::size_t sx = 1, sy = size_[0], sz = size_[0] * size_[1];
  for (int corner = 0; corner < 8; ++corner) {
    const bool bx = corner & 1, by = corner & 2, bz = corner & 4;
    const double w = (bx ? f[0] : 1 - f[0]) * (by ? f[1] : 1 - f[1]) * (bz ? f[2] : 1 - f[2]);
    if (w == 0) continue;
    const std::size_t idx = (bx ? i1[0] : i0[0]) * sx + (by ? i1[1] : i0[1]) * sy + (bz ? i1[2] : i0[2]) * sz;
    const float* v = &interleaved[Channels * idx];
    for (std::size_t ch = 0; ch < Channels; ++ch) acc[ch] += static_cast<float>(w) * v[ch];
  }
  return acc;
}

RiskField::Sample RiskField::sample(Vec3 pointRas) const {
  bool outside = false;
  const std::array<float, kChannels> acc = interpolate<kChannels>(channels_, pointRas, outside);
  Sample out{};
  out.head = outside ? kFar : acc[0];
  for (std::size_t k = 0; k < kRiskKinds; ++k) out.risk[k] = present_[k] ? acc[1 + k] : kFar;
  out.caudate = caudatePresent_ ? acc[kChannels - 1] : kFar;
  return out;
}

std::optional<std::size_t> RiskField::voxelAt(Vec3 pointRas) const {
  const Vec3 ijk = ijkFromRas_.apply(pointRas);
  std::array<long, 3> idx{};
  for (int a = 0; a < 3; ++a) {
    idx[static_cast<std::size_t>(a)] = std::lround(ijk[a]);
    if (idx[static_cast<std::size_t>(a)] < 0 ||
        idx[static_cast<std::size_t>(a)] >= static_cast<long>(size_[static_cast<std::size_t>(a)]))
      return std::nullopt;
  }
  return static_cast<std::size_t>(idx[0]) +
         size_[0] * (static_cast<std::size_t>(idx[1]) + size_[1] * static_cast<std::size_t>(idx[2]));
}

int RiskField::labelAt(Vec3 pointRas) const {
  const auto i = voxelAt(pointRas);
  return i ? labels_[*i] & ~kBrainBit : 0;
}

bool RiskField::brainAt(Vec3 pointRas) const {
  const auto i = voxelAt(pointRas);
  return i && (labels_[*i] & kBrainBit) != 0;
}

}  // namespace dbs
