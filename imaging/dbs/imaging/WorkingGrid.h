// WorkingGrid: the grid dbsplan plans on. An image of at most kMaxWorkingVoxels voxels is planned on
// its own grid. A finer one (a 0.3 mm head is 603 x 723 x 603 = 263 M voxels) is planned on bins of
// whole voxels of the file, averaged, so that peak memory stays bounded for every image the voxel
// budget (VoxelBudget.h) admits: the file's voxels are streamed into the bins, never held whole
// (NIfTI; see Volume.h for the other formats).
//
// Coordinate systems used: ijk (voxel index) and RAS mm; see WorldFrame.h.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "dbs/imaging/ImageGeometry.h"

namespace dbs {

// 2^24 voxels (16.8 M): a whole head (about 180 x 220 x 200 mm) at 0.75 mm, finer than the 1 mm
// template and atlas every label and landmark comes from, so binning loses nothing the registration
// uses. Planning peaks at about 70 bytes a voxel (colin27: 7.1 M voxels, 0.56 GB), so at most
// about 1.2 GB on the working grid (bench/memory_bench.sh measures it).
constexpr std::size_t kMaxWorkingVoxels = std::size_t(1) << 24;

using BinFactors = std::array<unsigned, 3>;  // file voxels per working voxel along i, j, k

// The bins that bring `size` (voxels along i, j, k, of `spacingMm`) to at most `maxVoxels`:
// {1, 1, 1} when it already fits; otherwise the finest axis (spacing x factor, ties to the longer
// axis) grows by one voxel at a time, so the working voxels stay as near isotropic as the file's.
BinFactors workingBinFactors(const std::array<std::size_t, 3>& size, Vec3 spacingMm,
                             std::size_t maxVoxels = kMaxWorkingVoxels);

// The geometry of `file` binned by `factors`, as itk::BinShrinkImageFilter defines it: floor(size /
// factor) voxels (the incomplete bin at the far end of an axis is dropped), each at the centre of
// its bin of file voxels.
ImageGeometry binnedGeometry(const ImageGeometry& file, const BinFactors& factors);

bool isBinned(const BinFactors& factors);
// "3 x 3 x 2" for notes and the plan.
std::string binFactorsText(const BinFactors& factors);

}  // namespace dbs
