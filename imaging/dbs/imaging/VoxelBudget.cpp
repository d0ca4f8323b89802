#include "dbs/imaging/VoxelBudget.h"

#include "dbs/imaging/ImagingError.h"

namespace dbs {

void checkVoxelBudget(const std::string& path, const std::array<std::size_t, 3>& size,
                      std::size_t bytesPerVoxel) {
  // Multiply in long double so that absurd sizes cannot overflow before the comparison.
  const long double voxels = static_cast<long double>(size[0]) * size[1] * size[2];
  if (voxels < 1) throw ImagingError(path + ": the image has no voxels");
  if (voxels > static_cast<long double>(kMaxVoxels))
    throw ImagingError(path + ": the header declares " + std::to_string(size[0]) + " x " +
                       std::to_string(size[1]) + " x " + std::to_string(size[2]) + " voxels (" +
                       std::to_string(static_cast<long long>(voxels * bytesPerVoxel / (1 << 20))) +
                       " MiB stored), beyond the 2^28-voxel (640^3) limit: refusing to allocate it");
}

}  // namespace dbs
