#include "dbs/imaging/SensorimotorGpi.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "dbs/imaging/ImagingError.h"

namespace dbs {

namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

}  // namespace

SensorimotorGpi sensorimotorGpi(const LabelVolume& labels, Side side) {
  const ImageGeometry& g = labels.geometry;
  const Vec3 kAxis = g.rasFromIndex({0, 0, 1}) - g.rasFromIndex({0, 0, 0});
  if (kAxis.z <= 0.9 || std::abs(kAxis.x) > 1e-6 || std::abs(kAxis.y) > 1e-6)
    throw ImagingError("sensorimotorGpi: the label grid's third axis does not point superior");
  const unsigned short gpi = static_cast<unsigned short>(labelValue(sidedLabelName("GPi", side)));
  const unsigned short* l = labels.image->GetBufferPointer();
  std::vector<Vec3> voxels;
  for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++idx)
        if (l[idx] == gpi) voxels.push_back(g.rasFromIndex({double(i), double(j), double(k)}));
  SensorimotorGpi out;
  out.cellMm = {std::abs((g.rasFromIndex({1, 0, 0}) - g.rasFromIndex({0, 0, 0})).x),
                std::abs((g.rasFromIndex({0, 1, 0}) - g.rasFromIndex({0, 0, 0})).y), kAxis.z};
  if (voxels.empty()) return out;
  std::vector<double> ys;
  for (const Vec3& p : voxels) ys.push_back(p.y);
  out.medianY = median(ys);
  // Per column (x, y) of the posterior half: its lowest and highest voxel centre.
  std::map<std::pair<double, double>, std::pair<double, double>> extent;
  for (const Vec3& p : voxels) {
    if (p.y > out.medianY) continue;
    auto [it, inserted] = extent.emplace(std::make_pair(p.x, p.y), std::make_pair(p.z, p.z));
    if (!inserted) {
      it->second.first = std::min(it->second.first, p.z);
      it->second.second = std::max(it->second.second, p.z);
    }
  }
  for (const auto& [xy, z] : extent)
    out.columns.push_back({xy.first, xy.second, z.first - 0.5 * kAxis.z, z.second + 0.5 * kAxis.z});
  return out;
}

std::vector<Vec3> SensorimotorGpi::pointsAboveVentralBorder(double minAboveMm, double maxAboveMm,
                                                            double stepMm) const {
  // Across each column's voxel cell too (a 0.25 mm sub-grid centred in the cell): the label says the
  // whole cell is GPi, and near the GPi's medial edge a quarter of a millimetre decides whether a
  // point lies inside a published range.
  auto offsets = [stepMm](double width) {
    const int n = std::max(1, static_cast<int>(std::lround(width / stepMm)));
    std::vector<double> o;
    for (int k = 0; k < n; ++k) o.push_back(-0.5 * width + (k + 0.5) * width / n);
    return o;
  };
  const std::vector<double> dx = offsets(cellMm.x), dy = offsets(cellMm.y);
  std::vector<Vec3> points;
  for (const GpiColumn& c : columns)
    for (double h = minAboveMm; h <= maxAboveMm + 1e-9; h += stepMm)
      if (c.ventralBorderZ + h <= c.topZ)
        for (double ox : dx)
          for (double oy : dy) points.push_back({c.x + ox, c.y + oy, c.ventralBorderZ + h});
  return points;
}

}  // namespace dbs
