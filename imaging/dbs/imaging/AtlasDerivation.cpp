#include "dbs/imaging/AtlasDerivation.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <sstream>

#include "dbs/imaging/ImagingError.h"

namespace dbs {
namespace {

constexpr int kAalCaudateL = 71, kAalPutamenL = 73, kAalPallidumL = 75, kAalThalamusL = 77;

void report(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

struct Grid {
  std::array<long, 3> n;
  std::size_t index(long i, long j, long k) const { return static_cast<std::size_t>((k * n[1] + j) * n[0] + i); }
};

// Splits one pallidum into GPi (medial part) and GPe by the plane rule described in the header.
void splitPallidum(const std::vector<std::size_t>& voxels, const std::vector<Vec3>& positionsRas, bool leftSide,
                   double gpiFraction, unsigned short gpiLabel, unsigned short gpeLabel, unsigned short* out,
                   std::vector<std::string>& log) {
  if (voxels.empty()) throw ImagingError("the AAL atlas has no pallidum voxels on one side");
  Vec3 centre;
  for (const Vec3& p : positionsRas) centre = centre + p;
  centre = (1.0 / positionsRas.size()) * centre;
  // Principal axis of the axial (x, y) spread: the pallidum's long axis in the axial plane.
  double sxx = 0, sxy = 0, syy = 0;
  for (const Vec3& p : positionsRas) {
    const double dx = p.x - centre.x, dy = p.y - centre.y;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const double angle = 0.5 * std::atan2(2 * sxy, sxx - syy);  // direction of largest variance
  const Vec3 longAxis{std::cos(angle), std::sin(angle), 0};
  // In-plane normal to the long axis, pointing towards the midline (medial).
  Vec3 medial{-longAxis.y, longAxis.x, 0};
  if ((leftSide && medial.x < 0) || (!leftSide && medial.x > 0)) medial = -1.0 * medial;
  std::vector<double> depth(positionsRas.size());
  for (std::size_t v = 0; v < positionsRas.size(); ++v) depth[v] = dot(positionsRas[v] - centre, medial);
  std::vector<double> sorted = depth;
  const std::size_t gpiCount = static_cast<std::size_t>(std::lround(gpiFraction * sorted.size()));
  std::nth_element(sorted.begin(), sorted.end() - static_cast<long>(gpiCount), sorted.end());
  const double threshold = *(sorted.end() - static_cast<long>(gpiCount));
  for (std::size_t v = 0; v < voxels.size(); ++v) out[voxels[v]] = depth[v] >= threshold ? gpiLabel : gpeLabel;
  std::ostringstream s;
  s.precision(3);
  s << (leftSide ? "left" : "right") << " pallidum: " << voxels.size() << " voxels, long axis at "
    << angle * 180.0 / M_PI << " deg from +x in the axial plane, lamina plane " << threshold
    << " mm medial of the centroid";
  log.push_back(s.str());
}

}  // namespace

DerivedAtlas deriveAtlas(const Volume& t1, const LabelVolume& aal, const AtlasDerivationParameters& parameters,
                         const ProgressCallback& progress) {
  if (t1.geometry.size != aal.geometry.size || t1.geometry.rasFromIjk.maxAbsDifference(aal.geometry.rasFromIjk) > 1e-3)
    throw ImagingError("the Colin27 T1 and the AAL atlas are not on the same grid");
  DerivedAtlas atlas;
  atlas.parameters = parameters;
  atlas.labels = makeLabelVolume(aal.geometry);
  const ImageGeometry& g = aal.geometry;
  const Grid grid{{static_cast<long>(g.size[0]), static_cast<long>(g.size[1]), static_cast<long>(g.size[2])}};
  const unsigned short* in = aal.image->GetBufferPointer();
  unsigned short* out = atlas.labels.image->GetBufferPointer();
  const float* intensity = t1.image->GetBufferPointer();
  report(progress, 0.05, "copying caudate, putamen and thalamus from AAL");

  std::vector<std::size_t> pallidum[2];
  std::vector<Vec3> pallidumRas[2];
  double thalamusSum = 0;
  std::size_t thalamusCount = 0;
  for (long k = 0; k < grid.n[2]; ++k)
    for (long j = 0; j < grid.n[1]; ++j)
      for (long i = 0; i < grid.n[0]; ++i) {
        const std::size_t idx = grid.index(i, j, k);
        const int aalValue = in[idx];
        const int side = (aalValue % 2 == 1) ? 0 : 1;  // AAL: odd left, even right
        if (aalValue == kAalCaudateL || aalValue == kAalCaudateL + 1) out[idx] = static_cast<unsigned short>(labelValue("Caudate_L") + side);
        if (aalValue == kAalPutamenL || aalValue == kAalPutamenL + 1) out[idx] = static_cast<unsigned short>(labelValue("Putamen_L") + side);
        if (aalValue == kAalThalamusL || aalValue == kAalThalamusL + 1) {
          out[idx] = static_cast<unsigned short>(labelValue("Thalamus_L") + side);
          thalamusSum += intensity[idx];
          ++thalamusCount;
        }
        if (aalValue == kAalPallidumL || aalValue == kAalPallidumL + 1) {
          pallidum[side].push_back(idx);
          pallidumRas[side].push_back(g.rasFromIndex({double(i), double(j), double(k)}));
        }
      }

  report(progress, 0.3, "splitting the pallidum into GPi and GPe");
  for (int side = 0; side < 2; ++side)
    splitPallidum(pallidum[side], pallidumRas[side], side == 0, parameters.gpiFractionOfPallidum,
                  static_cast<unsigned short>(labelValue("GPi_L") + side),
                  static_cast<unsigned short>(labelValue("GPe_L") + side), out, atlas.log);

  report(progress, 0.5, "segmenting the lateral ventricles");
  if (thalamusCount == 0) throw ImagingError("the AAL atlas has no thalamus voxels");
  const double csfThreshold = parameters.csfFractionOfDeepGrey * thalamusSum / thalamusCount;
  // Box around the lateral ventricles in MNI space (mm): bodies, frontal and occipital horns,
  // and the atria; it keeps the region growing out of the sulci and the extracerebral CSF.
  const Vec3 boxLow{-40, -50, -12}, boxHigh{40, 40, 38};
  const Affine ijkFromRas = g.ijkFromRas();
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? -1.0 : 1.0;
    // Seed: the darkest voxel in a small box on the ventricle body of this side.
    long best[3] = {-1, -1, -1};
    float bestValue = 1e30f;
    for (double x = 8; x <= 20; x += 1)
      for (double y = -20; y <= 10; y += 1)
        for (double z = 12; z <= 26; z += 1) {
          const Vec3 ijk = ijkFromRas.apply({sign * x, y, z});
          const long i = std::lround(ijk.x), j = std::lround(ijk.y), k = std::lround(ijk.z);
          if (i < 0 || j < 0 || k < 0 || i >= grid.n[0] || j >= grid.n[1] || k >= grid.n[2]) continue;
          const float value = intensity[grid.index(i, j, k)];
          if (value < bestValue) {
            bestValue = value;
            best[0] = i;
            best[1] = j;
            best[2] = k;
          }
        }
    if (best[0] < 0 || bestValue >= csfThreshold)
      throw ImagingError("no ventricle CSF found near the expected position: is this the Colin27 T1?");
    // Six-connected region growing below the CSF threshold, inside the box, on this side only.
    const unsigned short ventricleLabel = static_cast<unsigned short>(labelValue("Ventricle_L") + side);
    std::queue<std::array<long, 3>> queue;
    queue.push({best[0], best[1], best[2]});
    out[grid.index(best[0], best[1], best[2])] = ventricleLabel;
    std::size_t grown = 0;
    while (!queue.empty()) {
      const auto p = queue.front();
      queue.pop();
      ++grown;
      static const int offsets[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
      for (const auto& o : offsets) {
        const long i = p[0] + o[0], j = p[1] + o[1], k = p[2] + o[2];
        if (i < 0 || j < 0 || k < 0 || i >= grid.n[0] || j >= grid.n[1] || k >= grid.n[2]) continue;
        const std::size_t idx = grid.index(i, j, k);
        if (out[idx] != 0 || intensity[idx] >= csfThreshold) continue;
        const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
        if (r.x * sign < 1.0) continue;  // stay on this side of the midline (septum pellucidum)
        if (r.x < boxLow.x || r.x > boxHigh.x || r.y < boxLow.y || r.y > boxHigh.y || r.z < boxLow.z || r.z > boxHigh.z)
          continue;
        out[idx] = ventricleLabel;
        queue.push({i, j, k});
      }
    }
    std::ostringstream s;
    s << (side == 0 ? "left" : "right") << " ventricle: " << grown << " voxels below " << csfThreshold
      << " (thalamus mean x " << parameters.csfFractionOfDeepGrey << ")";
    atlas.log.push_back(s.str());
  }

  report(progress, 0.85, "deriving the posteroventral GPi targets");
  for (int side = 0; side < 2; ++side) {
    const int gpi = labelValue("GPi_L") + side;
    std::vector<Vec3> points;
    for (std::size_t v = 0; v < pallidum[side].size(); ++v)
      if (out[pallidum[side][v]] == gpi) points.push_back(pallidumRas[side][v]);
    std::vector<double> ys, zs;
    for (const Vec3& p : points) {
      ys.push_back(p.y);
      zs.push_back(p.z);
    }
    std::nth_element(ys.begin(), ys.begin() + static_cast<long>(ys.size() / 2), ys.end());
    const double medianY = ys[ys.size() / 2];
    std::nth_element(zs.begin(), zs.begin() + static_cast<long>(zs.size() / 3), zs.end());
    const double ventralZ = zs[zs.size() / 3];
    Vec3 sum;
    std::size_t count = 0;
    for (const Vec3& p : points)
      if (p.y <= medianY && p.z <= ventralZ) {
        sum = sum + p;
        ++count;
      }
    if (count == 0) throw ImagingError("the derived GPi has no posteroventral part");
    atlas.targets.push_back({side == 0 ? "GPi_posteroventral_L" : "GPi_posteroventral_R", (1.0 / count) * sum,
                             "centroid of the derived GPi voxels with y <= the GPi's median y (posterior half) and "
                             "z <= its 33rd percentile of z (ventral third)"});
  }
  report(progress, 1.0, "atlas derived");
  return atlas;
}

}  // namespace dbs
