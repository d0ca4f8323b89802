#include "dbs/imaging/WorkingGrid.h"

namespace dbs {

BinFactors workingBinFactors(const std::array<std::size_t, 3>& size, Vec3 spacingMm, std::size_t maxVoxels) {
  BinFactors f{1, 1, 1};
  auto binnedVoxels = [&] {
    long double n = 1;
    for (std::size_t a = 0; a < 3; ++a) n *= static_cast<long double>(size[a] / f[a]);
    return n;
  };
  while (binnedVoxels() > static_cast<long double>(maxVoxels)) {
    int finest = -1;
    for (std::size_t a = 0; a < 3; ++a) {
      if (size[a] / (f[a] + 1) < 1) continue;  // an axis keeps at least one working voxel
      if (finest < 0) {
        finest = static_cast<int>(a);
        continue;
      }
      const auto b = static_cast<std::size_t>(finest);
      const double here = spacingMm[static_cast<int>(a)] * f[a], best = spacingMm[finest] * f[b];
      if (here < best - 1e-9 || (here < best + 1e-9 && size[a] / f[a] > size[b] / f[b]))
        finest = static_cast<int>(a);
    }
    if (finest < 0) break;  // every axis is one bin: nothing left to bin
    ++f[static_cast<std::size_t>(finest)];
  }
  return f;
}

ImageGeometry binnedGeometry(const ImageGeometry& file, const BinFactors& factors) {
  ImageGeometry g;
  // Working index w covers file indices f*w .. f*w + f - 1, centred at f*w + (f - 1) / 2.
  Affine fileFromWorking;
  for (int a = 0; a < 3; ++a) {
    const auto i = static_cast<std::size_t>(a);
    g.size[i] = file.size[i] / factors[i];
    fileFromWorking.m[a][a] = factors[i];
    fileFromWorking.m[a][3] = (factors[i] - 1) / 2.0;
  }
  g.rasFromIjk = file.rasFromIjk * fileFromWorking;
  return g;
}

bool isBinned(const BinFactors& factors) {
  return factors != BinFactors{1, 1, 1};
}

std::string binFactorsText(const BinFactors& factors) {
  return std::to_string(factors[0]) + " x " + std::to_string(factors[1]) + " x " + std::to_string(factors[2]);
}

}  // namespace dbs
