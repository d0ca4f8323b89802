// What the risk-map tests look for on a scalp surface, from the plan's own labels: a vertex whose
// straight path to the target runs through a ventricle.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dbs/imaging/Labels.h"

namespace dbs::test {

// The ventricle voxel of `side` nearest the target (certainly inside the ventricle), and the scalp
// vertex closest to the ray from the target through it, beyond it: the path from that vertex to the
// target passes within a voxel of the ventricle, inside any required margin. Nothing when the labels
// have no ventricle on that side.
inline std::optional<std::size_t> vertexAboveVentricle(const std::vector<Vec3>& verticesRas,
                                                       const LabelVolume& labels, Vec3 targetRas, Side side) {
  const int ventricle = labelValue(side == Side::Left ? "Ventricle_L" : "Ventricle_R");
  const unsigned short* l = labels.image->GetBufferPointer();
  const ImageGeometry& g = labels.geometry;
  std::optional<Vec3> nearest;
  for (std::size_t k = 0, i = 0; k < g.size[2]; ++k)
    for (std::size_t y = 0; y < g.size[1]; ++y)
      for (std::size_t x = 0; x < g.size[0]; ++x, ++i) {
        if (l[i] != ventricle) continue;
        const Vec3 p = g.rasFromIndex({double(x), double(y), double(k)});
        if (p.z > targetRas.z + 5 && (!nearest || norm(p - targetRas) < norm(*nearest - targetRas)))
          nearest = p;
      }
  if (!nearest) return std::nullopt;
  const Vec3 direction = normalized(*nearest - targetRas);
  const double reach = norm(*nearest - targetRas);
  std::optional<std::size_t> best;
  double bestOffRay = 1e30;
  for (std::size_t i = 0; i < verticesRas.size(); ++i) {
    const Vec3 d = verticesRas[i] - targetRas;
    const double along = dot(d, direction);
    if (along <= reach) continue;
    const double offRay = norm(d - along * direction);
    if (offRay < bestOffRay) {
      bestOffRay = offRay;
      best = i;
    }
  }
  return bestOffRay < 1.5 ? best : std::nullopt;
}

}  // namespace dbs::test
