// VoxelBudget: refuses images too large to be real MRI/CT volumes before any pixel buffer is
// allocated, so a header that lies about its size cannot make dbsplan allocate gigabytes.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace dbs {

// 2^28 voxels (640^3; 1 GiB as dbsplan's float volume, about 2 GiB at the peak of reading, with the
// stored-type buffer): a 0.5 mm whole head is about 400 x 480 x 400 = 77 M voxels, the finest
// sample (Colin27 ch2better) 35 M. At 2^30 a 1 MB gzip that inflates to 1024^3 voxels, or two 2 KB
// DICOM files claiming 23170^2 pixels, were accepted and took 4-11 GB (issue 11).
constexpr std::size_t kMaxVoxels = std::size_t(1) << 28;

// Throws ImagingError naming the file and its declared size when it exceeds kMaxVoxels.
void checkVoxelBudget(const std::string& path, const std::array<std::size_t, 3>& size,
                      std::size_t bytesPerVoxel);

}  // namespace dbs
