#include "dbs/imaging/ImageGeometry.h"

#include <algorithm>
#include <limits>

namespace dbs {

Vec3 ImageGeometry::spacingMm() const {
  return {norm(rasFromIjk.column(0)), norm(rasFromIjk.column(1)), norm(rasFromIjk.column(2))};
}

std::array<Vec3, 2> ImageGeometry::rasBoundsMm() const {
  const double inf = std::numeric_limits<double>::infinity();
  Vec3 lo{inf, inf, inf}, hi{-inf, -inf, -inf};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk{(corner & 1) ? size[0] - 0.5 : -0.5, (corner & 2) ? size[1] - 0.5 : -0.5,
                   (corner & 4) ? size[2] - 0.5 : -0.5};
    const Vec3 p = rasFromIjk.apply(ijk);
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a]);
      hi[a] = std::max(hi[a], p[a]);
    }
  }
  return {lo, hi};
}

double ImageGeometry::shear() const {
  const Vec3 a = normalized(rasFromIjk.column(0)), b = normalized(rasFromIjk.column(1)),
             c = normalized(rasFromIjk.column(2));
  return std::max({std::abs(dot(a, b)), std::abs(dot(a, c)), std::abs(dot(b, c))});
}

}  // namespace dbs
