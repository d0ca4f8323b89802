#include "dbs/imaging/LabelRefinement.h"

#include <cmath>
#include <vector>

#include "dbs/imaging/ImagingError.h"

namespace dbs {

std::array<SideRefinement, 2> refineGpiGpe(const Volume& image, LabelVolume& labels,
                                           const RefinementParameters& p) {
  const ImageGeometry& g = labels.geometry;
  if (g.size != image.geometry.size) throw ImagingError("labels and image are not on the same grid");
  const float* t1 = image.image->GetBufferPointer();
  unsigned short* l = labels.image->GetBufferPointer();
  const long nx = static_cast<long>(g.size[0]), ny = static_cast<long>(g.size[1]),
             nz = static_cast<long>(g.size[2]);
  const Vec3 spacing = g.spacingMm();
  const long rx = std::max(1L, std::lround(p.bandMm / spacing.x)),
             ry = std::max(1L, std::lround(p.bandMm / spacing.y)),
             rz = std::max(1L, std::lround(p.bandMm / spacing.z));
  std::array<SideRefinement, 2> out;
  for (int side = 0; side < 2; ++side) {
    SideRefinement& r = out[static_cast<std::size_t>(side)];
    r.side = sideAt(side);
    const unsigned short gpi = static_cast<unsigned short>(labelValue("GPi_L") + side);
    const unsigned short gpe = static_cast<unsigned short>(labelValue("GPe_L") + side);
    double sum[2] = {0, 0}, sumSq[2] = {0, 0}, n[2] = {0, 0};
    const std::size_t total = g.voxelCount();
    for (std::size_t i = 0; i < total; ++i) {
      const int c = l[i] == gpi ? 0 : (l[i] == gpe ? 1 : -1);
      if (c < 0) continue;
      sum[c] += t1[i];
      sumSq[c] += double(t1[i]) * t1[i];
      n[c] += 1;
    }
    if (n[0] < 10 || n[1] < 10) continue;
    const double mean[2] = {sum[0] / n[0], sum[1] / n[1]};
    const double var[2] = {std::max(1e-6, sumSq[0] / n[0] - mean[0] * mean[0]),
                           std::max(1e-6, sumSq[1] / n[1] - mean[1] * mean[1])};
    const double pooled = std::sqrt((var[0] * n[0] + var[1] * n[1]) / (n[0] + n[1]));
    r.separationSd = std::abs(mean[0] - mean[1]) / pooled;
    if (r.separationSd < p.minimumSeparationSd) continue;
    r.applied = true;
    // Decide every candidate from the atlas labels as they were, then apply (no order effects).
    std::vector<std::pair<std::size_t, unsigned short>> changes;
    for (long k = 0; k < nz; ++k)
      for (long j = 0; j < ny; ++j)
        for (long i = 0; i < nx; ++i) {
          const std::size_t idx = static_cast<std::size_t>((k * ny + j) * nx + i);
          if (l[idx] != gpi && l[idx] != gpe) continue;
          const unsigned short other = l[idx] == gpi ? gpe : gpi;
          bool nearBoundary = false;
          for (long dk = -rz; dk <= rz && !nearBoundary; ++dk)
            for (long dj = -ry; dj <= ry && !nearBoundary; ++dj)
              for (long di = -rx; di <= rx && !nearBoundary; ++di) {
                const long a = i + di, b = j + dj, c = k + dk;
                if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
                nearBoundary = l[static_cast<std::size_t>((c * ny + b) * nx + a)] == other;
              }
          if (!nearBoundary) continue;
          auto logLikelihood = [&](int cls) {
            const double d = t1[idx] - mean[cls];
            return -0.5 * d * d / var[cls] - 0.5 * std::log(var[cls]);
          };
          const int current = l[idx] == gpi ? 0 : 1;
          if (logLikelihood(1 - current) > logLikelihood(current) + p.atlasPriorNats)
            changes.emplace_back(idx, other);
        }
    for (const auto& [idx, value] : changes) l[idx] = value;
    r.relabelled = changes.size();
  }
  return out;
}

}  // namespace dbs
