// VoxelBudget: refuses images too large to be real MRI/CT volumes before any pixel buffer is
// allocated, so a header that lies about its size cannot make dbsplan allocate gigabytes.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace dbs {

// 1024^3 voxels: a 0.25 mm whole head is about 1000 x 1000 x 800. Larger means a broken header.
constexpr std::size_t kMaxVoxels = std::size_t(1) << 30;

// Throws ImagingError naming the file and its declared size when it exceeds kMaxVoxels.
void checkVoxelBudget(const std::string& path, const std::array<std::size_t, 3>& size, std::size_t bytesPerVoxel);

}  // namespace dbs
