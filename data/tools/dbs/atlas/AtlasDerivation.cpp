#include "dbs/atlas/AtlasDerivation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <queue>
#include <string>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/TextFormat.h"

namespace dbs {
namespace {

constexpr int kAalCaudateL = 71, kAalPutamenL = 73, kAalPallidumL = 75, kAalThalamusL = 77;
constexpr int kJhuPosteriorLimbA = 19, kJhuPosteriorLimbB = 20;  // "Posterior_limb_of_internal_capsule_R/_L"
constexpr int kJhuMidlineLabels[] = {3, 4, 5, 6};  // corpus callosum genu, body, splenium; fornix

void report(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

struct Grid {
  std::array<long, 3> n;
  std::size_t index(long i, long j, long k) const {
    return static_cast<std::size_t>((k * n[1] + j) * n[0] + i);
  }
  bool contains(long i, long j, long k) const {
    return i >= 0 && j >= 0 && k >= 0 && i < n[0] && j < n[1] && k < n[2];
  }
};

// The 0.5 mm T1 averaged over one 1 mm atlas voxel centred at rasCentre: a 3 x 3 x 3 binomial
// (1-2-1) average of the 0.5 mm voxels around it, which is the 1 mm box filter on that grid.
class HighResolutionSampler {
 public:
  explicit HighResolutionSampler(const Volume& v) : volume_(v), ijkFromRas_(v.geometry.ijkFromRas()) {}
  double meanOverMillimetre(Vec3 rasCentre) const {
    const Vec3 c = ijkFromRas_.apply(rasCentre);
    const long ci = std::lround(c.x), cj = std::lround(c.y), ck = std::lround(c.z);
    const auto& g = volume_.geometry;
    const float* data = volume_.image->GetBufferPointer();
    double sum = 0, weights = 0;
    for (int dk = -1; dk <= 1; ++dk)
      for (int dj = -1; dj <= 1; ++dj)
        for (int di = -1; di <= 1; ++di) {
          const long i = ci + di, j = cj + dj, k = ck + dk;
          if (i < 0 || j < 0 || k < 0 || i >= long(g.size[0]) || j >= long(g.size[1]) || k >= long(g.size[2]))
            continue;
          const double w = (2 - std::abs(di)) * (2 - std::abs(dj)) * (2 - std::abs(dk));
          sum +=
              w * data[(static_cast<std::size_t>(k) * g.size[1] + static_cast<std::size_t>(j)) * g.size[0] +
                       static_cast<std::size_t>(i)];
          weights += w;
        }
    return weights > 0 ? sum / weights : 0.0;
  }
  // The 0.5 mm voxel containing `ras` (nearest neighbour), 0 outside the volume.
  double valueAt(Vec3 ras) const {
    const Vec3 c = ijkFromRas_.apply(ras);
    const long i = std::lround(c.x), j = std::lround(c.y), k = std::lround(c.z);
    const auto& g = volume_.geometry;
    if (i < 0 || j < 0 || k < 0 || i >= long(g.size[0]) || j >= long(g.size[1]) || k >= long(g.size[2]))
      return 0.0;
    return volume_.image
        ->GetBufferPointer()[(static_cast<std::size_t>(k) * g.size[1] + static_cast<std::size_t>(j)) *
                                 g.size[0] +
                             static_cast<std::size_t>(i)];
  }

 private:
  const Volume& volume_;
  Affine ijkFromRas_;
};

// Splits one pallidum into GPi (medial part) and GPe by the oblique lamina plane described in the
// header. Returns the plane's normal (RAS, unit, pointing into the GPi).
Vec3 splitPallidum(const std::vector<std::size_t>& voxels, const std::vector<Vec3>& positionsRas,
                   bool leftSide, const AtlasDerivationParameters& parameters, unsigned short gpiLabel,
                   unsigned short gpeLabel, unsigned short* out, std::vector<std::string>& log) {
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
  // In-plane normal to the long axis, pointing towards the midline (medial), then tilted down.
  Vec3 medial{-longAxis.y, longAxis.x, 0};
  if ((leftSide && medial.x < 0) || (!leftSide && medial.x > 0)) medial = -1.0 * medial;
  const double tilt = parameters.laminaTiltDegrees * M_PI / 180.0;
  const Vec3 normal = std::cos(tilt) * medial + Vec3{0, 0, -std::sin(tilt)};
  std::vector<double> depth(positionsRas.size());
  for (std::size_t v = 0; v < positionsRas.size(); ++v) depth[v] = dot(positionsRas[v] - centre, normal);
  std::vector<double> sorted = depth;
  const std::size_t gpiCount =
      static_cast<std::size_t>(std::lround(parameters.gpiFractionOfPallidum * sorted.size()));
  std::nth_element(sorted.begin(), sorted.end() - static_cast<long>(gpiCount), sorted.end());
  const double threshold = *(sorted.end() - static_cast<long>(gpiCount));
  for (std::size_t v = 0; v < voxels.size(); ++v)
    out[voxels[v]] = depth[v] >= threshold ? gpiLabel : gpeLabel;
  log.push_back(std::string(leftSide ? "left" : "right") + " pallidum: " + std::to_string(voxels.size()) +
                " voxels, axial long axis at " + fixedText(angle * 180.0 / M_PI) +
                " deg from +x; lamina normal " + vecText(normal, 3) + ", " + fixedText(threshold) +
                " mm from the centroid");
  return normal;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / values.size();
}

}  // namespace

// One side's optic tract, traced on the 0.5 mm T1 from the chiasm backwards (see the header):
// per coronal plane (0.5 mm apart, anterior to posterior) the candidates are white-matter voxels
// (at least `tissueFloor`) with basal-cistern CSF (below `cisternCeiling`) within 2.5 mm directly
// under them, inside the corridor the tract runs in. The first plane starts at its most medial
// candidate (the chiasm's posterolateral angle); each next point is the mean of the candidates
// within 2 mm (plus any gap) of the previous one that do not turn medial or drop (the tract runs
// posterolaterally and rises towards the LGN). Returns the centre line, RAS mm, anterior first;
// empty when no plane had a candidate.
std::vector<Vec3> traceOpticTract(const HighResolutionSampler& t1, double sign, double tissueFloor,
                                  double cisternCeiling) {
  // Corridor, Colin27 template mm (|x| lateral, y, z): from in front of the infundibulum to the
  // lateral geniculate body, below the pallidum and above the floor of the basal cisterns.
  constexpr double kLateralMin = 4, kLateralMax = 27, kAnterior = 6, kPosterior = -24, kLow = -18, kHigh = -4;
  constexpr double kStep = 0.5;  // the 0.5 mm grid's own spacing
  std::vector<Vec3> path;
  double gap = 0;
  for (double y = kAnterior; y >= kPosterior - 1e-9; y -= kStep) {
    std::vector<std::array<double, 2>> candidates;  // (|x|, z)
    for (double lateral = kLateralMin; lateral <= kLateralMax + 1e-9; lateral += kStep)
      for (double z = kLow; z <= kHigh + 1e-9; z += kStep) {
        if (t1.valueAt({sign * lateral, y, z}) < tissueFloor) continue;
        bool cisternBelow = false;
        for (int below = 1; below <= 5 && !cisternBelow; ++below)
          cisternBelow = t1.valueAt({sign * lateral, y, z - below * kStep}) < cisternCeiling;
        if (cisternBelow) candidates.push_back({lateral, z});
      }
    std::array<double, 2> next{};
    std::size_t used = 0;
    if (path.empty()) {
      if (candidates.empty()) continue;
      next = *std::min_element(candidates.begin(), candidates.end(),
                               [](const auto& a, const auto& b) { return a[0] < b[0]; });
      used = 1;
    } else {
      const double previousLateral = std::abs(path.back().x), previousZ = path.back().z;
      for (const auto& c : candidates)
        if (std::hypot(c[0] - previousLateral, c[1] - previousZ) <= 2.0 + gap && c[1] >= previousZ - 1.0 &&
            c[0] >= previousLateral - 0.5) {
          next[0] += c[0];
          next[1] += c[1];
          ++used;
        }
      if (used == 0) {
        gap += kStep;
        if (gap > 3.0) break;  // lost for 3 mm: the tract has left the brain's surface (the LGN)
        continue;
      }
      next[0] /= used;
      next[1] /= used;
    }
    gap = 0;
    path.push_back({sign * next[0], y, next[1]});
  }
  return path;
}

double distanceToPolyline(Vec3 p, const std::vector<Vec3>& line) {
  double best = 1e30;
  for (std::size_t n = 0; n + 1 < line.size(); ++n) {
    const Vec3 a = line[n], d = line[n + 1] - line[n];
    const double t = std::clamp(dot(p - a, d) / std::max(dot(d, d), 1e-12), 0.0, 1.0);
    best = std::min(best, norm(p - (a + t * d)));
  }
  return best;
}

namespace {

// The atlas grid (AAL's 1 mm grid, RAS mm) and the buffers the derivation's steps share: AAL's
// labels in, the derived labels out, and the 1 mm T1's intensities.
struct AtlasGrid {
  const ImageGeometry& g;
  Grid grid;
  const unsigned short* in;
  unsigned short* out;
  const float* intensity;
};

// What one pass over AAL gathers for the later steps: each side's pallidum (L first; atlas index
// and RAS mm), the 0.5 mm T1 over the putamen and over AAL's pallidum, the 1 mm T1 over the thalamus.
struct AalSurvey {
  std::vector<std::size_t> pallidum[2];
  std::vector<Vec3> pallidumRas[2];
  std::vector<double> putamenHighResolution, aalPallidumHighResolution;
  double thalamusSum = 0;
  std::size_t thalamusCount = 0;
};

// Copies caudate, putamen and thalamus from AAL into the atlas as they are, and gathers the
// pallidum and the intensity samples the later rules measure against, in one pass over the grid.
AalSurvey copyAalNucleiAndSurveyPallidum(const AtlasGrid& a, const HighResolutionSampler& highResolution) {
  const ImageGeometry& g = a.g;
  const Grid& grid = a.grid;
  AalSurvey s;
  for (long k = 0; k < grid.n[2]; ++k)
    for (long j = 0; j < grid.n[1]; ++j)
      for (long i = 0; i < grid.n[0]; ++i) {
        const std::size_t idx = grid.index(i, j, k);
        const int aalValue = a.in[idx];
        const int side = (aalValue % 2 == 1) ? 0 : 1;  // AAL: odd left, even right
        if (aalValue == kAalCaudateL || aalValue == kAalCaudateL + 1)
          a.out[idx] = static_cast<unsigned short>(labelValue("Caudate_L") + side);
        if (aalValue == kAalPutamenL || aalValue == kAalPutamenL + 1) {
          a.out[idx] = static_cast<unsigned short>(labelValue("Putamen_L") + side);
          s.putamenHighResolution.push_back(
              highResolution.meanOverMillimetre(g.rasFromIndex({double(i), double(j), double(k)})));
        }
        if (aalValue == kAalThalamusL || aalValue == kAalThalamusL + 1) {
          a.out[idx] = static_cast<unsigned short>(labelValue("Thalamus_L") + side);
          s.thalamusSum += a.intensity[idx];
          ++s.thalamusCount;
        }
        if (aalValue == kAalPallidumL || aalValue == kAalPallidumL + 1) {
          const Vec3 ras = g.rasFromIndex({double(i), double(j), double(k)});
          s.pallidum[side].push_back(idx);
          s.pallidumRas[side].push_back(ras);
          s.aalPallidumHighResolution.push_back(highResolution.meanOverMillimetre(ras));
        }
      }
  if (s.putamenHighResolution.empty() || s.pallidum[0].empty() || s.pallidum[1].empty())
    throw ImagingError("the AAL atlas lacks the putamen or the pallidum");
  return s;
}

// The traced centre line (RAS mm) smoothed over +-2 mm of its length (4 planes each way): the
// per-plane means step by half a voxel.
std::vector<Vec3> smoothCentreLineRas(const std::vector<Vec3>& path) {
  std::vector<Vec3> smooth(path.size());
  for (std::size_t n = 0; n < path.size(); ++n) {
    Vec3 sum{0, 0, 0};
    int count = 0;
    for (std::size_t m = n >= 4 ? n - 4 : 0; m < std::min(path.size(), n + 5); ++m, ++count)
      sum = sum + path[m];
    smooth[n] = (1.0 / count) * sum;
  }
  return smooth;
}

// Labels the still unlabelled atlas voxels within `radius` mm of the centre line (RAS mm) on one
// side (`sign` -1 left, +1 right, at least 1 mm off the midline), except the cistern CSF under
// the tract. Returns how many voxels it labelled.
std::size_t labelTubeAroundCentreLine(const AtlasGrid& a, const HighResolutionSampler& highResolution,
                                      const Affine& ijkFromRasAtlas, const std::vector<Vec3>& smooth,
                                      double sign, double radius, double cisternCeiling,
                                      unsigned short tractLabel) {
  const ImageGeometry& g = a.g;
  const Grid& grid = a.grid;
  // Only the voxels of the tube's bounding box are visited (the grid is axis-aligned, checked above).
  Vec3 low = smooth.front(), high = smooth.front();
  for (const Vec3& p : smooth) {
    low = {std::min(low.x, p.x), std::min(low.y, p.y), std::min(low.z, p.z)};
    high = {std::max(high.x, p.x), std::max(high.y, p.y), std::max(high.z, p.z)};
  }
  const Vec3 lowIjk = ijkFromRasAtlas.apply(low - Vec3{radius, radius, radius}),
             highIjk = ijkFromRasAtlas.apply(high + Vec3{radius, radius, radius});
  std::size_t voxels = 0;
  for (long k = std::max(0L, std::lround(std::min(lowIjk.z, highIjk.z)) - 1);
       k <= std::min(grid.n[2] - 1, std::lround(std::max(lowIjk.z, highIjk.z)) + 1); ++k)
    for (long j = std::max(0L, std::lround(std::min(lowIjk.y, highIjk.y)) - 1);
         j <= std::min(grid.n[1] - 1, std::lround(std::max(lowIjk.y, highIjk.y)) + 1); ++j)
      for (long i = std::max(0L, std::lround(std::min(lowIjk.x, highIjk.x)) - 1);
           i <= std::min(grid.n[0] - 1, std::lround(std::max(lowIjk.x, highIjk.x)) + 1); ++i) {
        const std::size_t idx = grid.index(i, j, k);
        if (a.out[idx] != 0) continue;
        const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
        if (r.x * sign < 1.0 || distanceToPolyline(r, smooth) > radius) continue;
        if (highResolution.meanOverMillimetre(r) < cisternCeiling) continue;  // the cistern under it
        a.out[idx] = tractLabel;
        ++voxels;
      }
  return voxels;
}

// Traces and labels each side's optic tract (see the header); a side whose trace is too short or
// does not reach the peduncle's lateral side goes to atlas.notLocated instead.
void labelOpticTracts(const AtlasGrid& a, const HighResolutionSampler& highResolution,
                      const AtlasDerivationParameters& parameters, double putamenMean, DerivedAtlas& atlas) {
  const double cisternCeiling = parameters.cisternFractionOfPutamen * putamenMean;
  const Affine ijkFromRasAtlas = a.g.ijkFromRas();
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? -1.0 : 1.0;
    const std::string sideName = side == 0 ? "left" : "right";
    std::vector<Vec3> path = traceOpticTract(highResolution, sign, putamenMean, cisternCeiling);
    const double lengthY = path.empty() ? 0.0 : path.front().y - path.back().y;
    // The tract's lateral bend around the cerebral peduncle lies beyond 20 mm from the midline.
    constexpr double kPeduncleLateralSideMm = 20.0;
    if (lengthY < parameters.opticTractMinimumLengthMm || std::abs(path.back().x) < kPeduncleLateralSideMm) {
      atlas.notLocated.push_back("optic tract " + sideName + ": the trace along the ventral surface ran " +
                                 fixedText(lengthY) +
                                 " mm and did not reach the cerebral peduncle's lateral side");
      continue;
    }
    const std::vector<Vec3> smooth = smoothCentreLineRas(path);
    const unsigned short tractLabel = static_cast<unsigned short>(labelValue("OpticTract_L") + side);
    const double radius = parameters.opticTractRadiusMm;
    const std::size_t voxels = labelTubeAroundCentreLine(a, highResolution, ijkFromRasAtlas, smooth, sign,
                                                         radius, cisternCeiling, tractLabel);
    atlas.opticTractCentreLines.push_back(smooth);
    atlas.log.push_back(sideName + " optic tract: traced " + fixedText(lengthY) + " mm from " +
                        vecText(smooth.front()) + " to " + vecText(smooth.back()) + ", " +
                        std::to_string(voxels) + " voxels within " + fixedText(radius) +
                        " mm (white matter >= " + fixedText(putamenMean) + " over cistern CSF < " +
                        fixedText(cisternCeiling) + ")");
  }
}

// Extends one side's pallidum (0 left, 1 right) down each of its columns, at most `maxSteps`
// voxels, while the 0.5 mm T1 stays at least as bright as the mean putamen and no other label is
// met; the added voxels join survey.pallidum / pallidumRas of that side.
void extendPallidumVentrally(const AtlasGrid& a, const HighResolutionSampler& highResolution, long maxSteps,
                             double putamenMean, int side, AalSurvey& survey, std::vector<std::string>& log) {
  const ImageGeometry& g = a.g;
  const Grid& grid = a.grid;
  const unsigned short aalLabel = static_cast<unsigned short>(kAalPallidumL + side);
  std::map<std::pair<long, long>, long> lowestK;  // per (i, j) column, AAL's lowest pallidum voxel
  for (std::size_t idx : survey.pallidum[side]) {
    const long i = static_cast<long>(idx % grid.n[0]), j = static_cast<long>((idx / grid.n[0]) % grid.n[1]),
               k = static_cast<long>(idx / (grid.n[0] * grid.n[1]));
    auto [it, inserted] = lowestK.emplace(std::make_pair(i, j), k);
    if (!inserted) it->second = std::min(it->second, k);
  }
  std::size_t added = 0;
  double lowestZ = 1e30, aalLowestZ = 1e30;
  for (const auto& [column, k0] : lowestK) {
    const auto [i, j] = column;
    aalLowestZ = std::min(aalLowestZ, g.rasFromIndex({double(i), double(j), double(k0)}).z);
    for (long step = 1; step <= maxSteps; ++step) {
      const long k = k0 - step;
      if (!grid.contains(i, j, k)) break;
      const std::size_t idx = grid.index(i, j, k);
      if (a.out[idx] != 0 || a.in[idx] == aalLabel) break;  // another structure, or a gap in AAL's own label
      const Vec3 ras = g.rasFromIndex({double(i), double(j), double(k)});
      if (highResolution.meanOverMillimetre(ras) < putamenMean) break;
      survey.pallidum[side].push_back(idx);
      survey.pallidumRas[side].push_back(ras);
      ++added;
      lowestZ = std::min(lowestZ, ras.z);
    }
  }
  log.push_back(std::string(side == 0 ? "left" : "right") + " pallidum extended ventrally by " +
                std::to_string(added) + " voxels: lowest z " + fixedText(aalLowestZ) + " (AAL) -> " +
                fixedText(std::min(lowestZ, aalLowestZ)) + " mm");
}

// The region growing's seed on one side (`sign` -1 left, +1 right): the darkest 1 mm T1 voxel of a
// small RAS box on the ventricle body (|x| 8-20, y -20-10, z 12-26 mm). ijk stays {-1, -1, -1}
// when no voxel of the box is on the grid.
struct VentricleSeed {
  long ijk[3] = {-1, -1, -1};
  float value = 1e30f;
};
VentricleSeed darkestVoxelOnVentricleBody(const AtlasGrid& a, const Affine& ijkFromRas, double sign) {
  const Grid& grid = a.grid;
  VentricleSeed best;
  for (double x = 8; x <= 20; x += 1)
    for (double y = -20; y <= 10; y += 1)
      for (double z = 12; z <= 26; z += 1) {
        const Vec3 ijk = ijkFromRas.apply({sign * x, y, z});
        const long i = std::lround(ijk.x), j = std::lround(ijk.y), k = std::lround(ijk.z);
        if (!grid.contains(i, j, k)) continue;
        const float value = a.intensity[grid.index(i, j, k)];
        if (value < best.value) {
          best.value = value;
          best.ijk[0] = i;
          best.ijk[1] = j;
          best.ijk[2] = k;
        }
      }
  return best;
}

// Six-connected region growing from `seed` below the CSF threshold, inside a box around the
// lateral ventricles and on the seed's side of the midline only; returns the voxels grown.
std::size_t growVentricleFromSeed(const AtlasGrid& a, const long seed[3], double sign, double csfThreshold,
                                  unsigned short ventricleLabel) {
  const ImageGeometry& g = a.g;
  const Grid& grid = a.grid;
  // Box around the lateral ventricles (mm): bodies, frontal and occipital horns, and the atria; it
  // keeps the region growing out of the sulci and the extracerebral CSF.
  const Vec3 boxLow{-40, -50, -12}, boxHigh{40, 40, 38};
  std::queue<std::array<long, 3>> queue;
  queue.push({seed[0], seed[1], seed[2]});
  a.out[grid.index(seed[0], seed[1], seed[2])] = ventricleLabel;
  std::size_t grown = 0;
  while (!queue.empty()) {
    const auto p = queue.front();
    queue.pop();
    ++grown;
    static const int offsets[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    for (const auto& o : offsets) {
      const long i = p[0] + o[0], j = p[1] + o[1], k = p[2] + o[2];
      if (!grid.contains(i, j, k)) continue;
      const std::size_t idx = grid.index(i, j, k);
      if (a.out[idx] != 0 || a.intensity[idx] >= csfThreshold) continue;
      const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
      if (r.x * sign < 1.0) continue;  // stay on this side of the midline (septum pellucidum)
      if (r.x < boxLow.x || r.x > boxHigh.x || r.y < boxLow.y || r.y > boxHigh.y || r.z < boxLow.z ||
          r.z > boxHigh.z)
        continue;
      a.out[idx] = ventricleLabel;
      queue.push({i, j, k});
    }
  }
  return grown;
}

// Labels both lateral ventricles: CSF darker than csfFractionOfDeepGrey x the thalamus mean,
// grown from the darkest voxel near each ventricle body.
void segmentLateralVentricles(const AtlasGrid& a, const AtlasDerivationParameters& parameters,
                              const AalSurvey& survey, std::vector<std::string>& log) {
  if (survey.thalamusCount == 0) throw ImagingError("the AAL atlas has no thalamus voxels");
  const double csfThreshold = parameters.csfFractionOfDeepGrey * survey.thalamusSum / survey.thalamusCount;
  const Affine ijkFromRas = a.g.ijkFromRas();
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? -1.0 : 1.0;
    const VentricleSeed best = darkestVoxelOnVentricleBody(a, ijkFromRas, sign);
    if (best.ijk[0] < 0 || best.value >= csfThreshold)
      throw ImagingError("no ventricle CSF found near the expected position: is this the Colin27 T1?");
    const unsigned short ventricleLabel = static_cast<unsigned short>(labelValue("Ventricle_L") + side);
    const std::size_t grown = growVentricleFromSeed(a, best.ijk, sign, csfThreshold, ventricleLabel);
    log.push_back(std::string(side == 0 ? "left" : "right") + " ventricle: " + std::to_string(grown) +
                  " voxels below " + fixedText(csfThreshold) + " (thalamus mean x " +
                  fixedText(parameters.csfFractionOfDeepGrey, 2) + ")");
  }
}

// The JHU volume's midline (its own RAS x, mm): the mean x of its midline structures. Also logs on
// which side each posterior-limb label lies, counted from the voxels themselves, and the shift.
double measureJhuMidlineXRas(const LabelVolume& jhu, std::vector<std::string>& log) {
  const unsigned short* w = jhu.image->GetBufferPointer();
  const ImageGeometry& jg = jhu.geometry;
  double midlineSum = 0;
  std::size_t midlineCount = 0;
  // Which names sit on which side, counted from the voxels themselves.
  std::map<int, std::array<std::size_t, 2>> sideCounts;
  for (std::size_t k = 0, idx = 0; k < jg.size[2]; ++k)
    for (std::size_t j = 0; j < jg.size[1]; ++j)
      for (std::size_t i = 0; i < jg.size[0]; ++i, ++idx) {
        const int v = w[idx];
        if (v == 0) continue;
        const Vec3 r = jg.rasFromIndex({double(i), double(j), double(k)});
        if (std::find(std::begin(kJhuMidlineLabels), std::end(kJhuMidlineLabels), v) !=
            std::end(kJhuMidlineLabels)) {
          midlineSum += r.x;
          ++midlineCount;
        }
        if (v == kJhuPosteriorLimbA || v == kJhuPosteriorLimbB) ++sideCounts[v][r.x < 0 ? 0 : 1];
      }
  if (midlineCount == 0 || sideCounts.size() != 2)
    throw ImagingError(jhu.path +
                       ": not the JHU white-matter labels (no corpus callosum or internal capsule)");
  const double jhuMidlineX = midlineSum / midlineCount;
  for (const auto& [value, counts] : sideCounts) {
    // JHU's table names label 19 "..._R" and 20 "..._L".
    const bool namedRight = value == kJhuPosteriorLimbA;
    const bool liesRight = counts[1] > counts[0];
    log.push_back(
        "JHU label " + std::to_string(value) + " (posterior limb, named " + (namedRight ? "right" : "left") +
        ") lies " + (liesRight ? "right" : "left") + " of the midline: " + std::to_string(counts[0]) +
        " voxels at x < 0, " + std::to_string(counts[1]) + " at x > 0" +
        (namedRight != liesRight ? "; the name disagrees with the geometry, sides are taken from x" : ""));
  }
  log.push_back("JHU midline at x = " + fixedText(jhuMidlineX, 2) + " mm: shifted by " +
                fixedText(-jhuMidlineX, 2) + " mm onto the Colin27 midline (x = 0, through AC and PC)");
  return jhuMidlineX;
}

// Labels the atlas voxels no grey nucleus or ventricle holds whose JHU voxel (the JHU volume
// shifted by its midline onto x = 0) is the posterior limb; the side comes from RAS x, never from
// the label's name. Returns the voxels labelled per side (L first).
std::array<std::size_t, 2> labelPosteriorLimbFromJhu(const AtlasGrid& a, const LabelVolume& jhu,
                                                     double jhuMidlineX) {
  const ImageGeometry& g = a.g;
  const Grid& grid = a.grid;
  const unsigned short* w = jhu.image->GetBufferPointer();
  const ImageGeometry& jg = jhu.geometry;
  const Affine jhuIjkFromRas = jg.ijkFromRas();
  std::array<std::size_t, 2> capsule = {0, 0};
  for (long k = 0; k < grid.n[2]; ++k)
    for (long j = 0; j < grid.n[1]; ++j)
      for (long i = 0; i < grid.n[0]; ++i) {
        const std::size_t idx = grid.index(i, j, k);
        if (a.out[idx] != 0) continue;  // grey nuclei and ventricles keep their own labels
        const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
        const Vec3 q = jhuIjkFromRas.apply({r.x + jhuMidlineX, r.y, r.z});
        const long qi = std::lround(q.x), qj = std::lround(q.y), qk = std::lround(q.z);
        if (qi < 0 || qj < 0 || qk < 0 || qi >= long(jg.size[0]) || qj >= long(jg.size[1]) ||
            qk >= long(jg.size[2]))
          continue;
        const int v =
            w[(static_cast<std::size_t>(qk) * jg.size[1] + static_cast<std::size_t>(qj)) * jg.size[0] +
              static_cast<std::size_t>(qi)];
        if (v != kJhuPosteriorLimbA && v != kJhuPosteriorLimbB) continue;
        if (std::abs(r.x) < 1.0) continue;
        const int side = r.x < 0 ? 0 : 1;
        a.out[idx] = static_cast<unsigned short>(labelValue("InternalCapsule_L") + side);
        ++capsule[side];
      }
  return capsule;
}

// One side's (0 left, 1 right) dystonia target on the derived labels, RAS mm: x, y the mean of the
// GPi's posterior-half columns, z `targetAboveVentralBorderMm` above the ventral border there.
DerivedTarget posteroventralGpiTarget(const LabelVolume& labels, int side,
                                      const AtlasDerivationParameters& parameters) {
  const SensorimotorGpi motor = sensorimotorGpi(labels, sideAt(side));
  if (motor.columns.empty()) throw ImagingError("the derived GPi has no posterior part");
  double sx = 0, sy = 0;
  for (const GpiColumn& c : motor.columns) {
    sx += c.x;
    sy += c.y;
  }
  const double tx = sx / motor.columns.size(), ty = sy / motor.columns.size();
  std::vector<double> borders;
  for (const GpiColumn& c : motor.columns)
    if (std::hypot(c.x - tx, c.y - ty) <= 1.5) borders.push_back(c.ventralBorderZ);
  if (borders.empty()) throw ImagingError("the derived GPi has no column at its posterolateral centre");
  const double border = mean(borders);
  DerivedTarget target;
  target.name = side == 0 ? "GPi_posteroventral_L" : "GPi_posteroventral_R";
  target.pointRas = {tx, ty, border + parameters.targetAboveVentralBorderMm};
  target.ventralBorderZ = border;
  target.rule = "sensorimotor GPi: x, y = mean of the GPi columns in its posterior half (y <= " +
                fixedText(motor.medianY) + "); z = " + fixedText(parameters.targetAboveVentralBorderMm) +
                " mm above the GPi's ventral border there (z " + fixedText(border) + ", mean of " +
                std::to_string(borders.size()) + " columns within 1.5 mm)";
  return target;
}

}  // namespace

DerivedAtlas deriveAtlas(const AtlasInputs& inputs, const AtlasDerivationParameters& parameters,
                         const ProgressCallback& progress) {
  const Volume& t1 = inputs.t1;
  const LabelVolume& aal = inputs.aal;
  if (t1.geometry.size != aal.geometry.size ||
      t1.geometry.rasFromIjk.maxAbsDifference(aal.geometry.rasFromIjk) > 1e-3)
    throw ImagingError("the Colin27 T1 and the AAL atlas are not on the same grid");
  DerivedAtlas atlas;
  atlas.parameters = parameters;
  atlas.labels = makeLabelVolume(aal.geometry);
  const ImageGeometry& g = aal.geometry;
  const AtlasGrid grid{
      g, Grid{{static_cast<long>(g.size[0]), static_cast<long>(g.size[1]), static_cast<long>(g.size[2])}},
      aal.image->GetBufferPointer(), atlas.labels.image->GetBufferPointer(), t1.image->GetBufferPointer()};
  const HighResolutionSampler highResolution(inputs.t1HighResolution);
  // The atlas grid must be axis-aligned with z superior, so that "down a column" is -k.
  const Vec3 kAxis = g.rasFromIndex({0, 0, 1}) - g.rasFromIndex({0, 0, 0});
  if (kAxis.z <= 0.9 || std::abs(kAxis.x) > 1e-6 || std::abs(kAxis.y) > 1e-6)
    throw ImagingError("the AAL grid's third axis does not point superior");
  report(progress, 0.05, "copying caudate, putamen and thalamus from AAL");
  AalSurvey survey = copyAalNucleiAndSurveyPallidum(grid, highResolution);

  report(progress, 0.2, "extending the pallidum to its ventral border on the 0.5 mm T1");
  // Pallidum is brighter than putamen on T1 (myelinated fibres crossing it); the substantia
  // innominata and the grey matter below the GP are darker. Tissue at least as bright as the mean
  // putamen, directly under a pallidum column and within reach, is taken as pallidum.
  const double putamenMean = mean(survey.putamenHighResolution),
               pallidumMean = mean(survey.aalPallidumHighResolution);
  atlas.log.push_back("0.5 mm T1 means: AAL pallidum " + fixedText(pallidumMean) + ", putamen " +
                      fixedText(putamenMean) + " (ventral extension floor)");
  // The optic tract first, so that the pallidum's ventral extension (also bright tissue) stops at
  // it: the tract bounds the GPi from below.
  report(progress, 0.25, "tracing the optic tracts on the 0.5 mm T1");
  labelOpticTracts(grid, highResolution, parameters, putamenMean, atlas);

  const long maxSteps = static_cast<long>(std::floor(parameters.ventralExtensionMaxMm / kAxis.z + 1e-9));
  for (int side = 0; side < 2; ++side)
    extendPallidumVentrally(grid, highResolution, maxSteps, putamenMean, side, survey, atlas.log);

  report(progress, 0.3, "splitting the pallidum into GPi and GPe along an oblique lamina");
  for (int side = 0; side < 2; ++side)
    splitPallidum(survey.pallidum[side], survey.pallidumRas[side], side == 0, parameters,
                  static_cast<unsigned short>(labelValue("GPi_L") + side),
                  static_cast<unsigned short>(labelValue("GPe_L") + side), grid.out, atlas.log);

  report(progress, 0.45, "segmenting the lateral ventricles");
  segmentLateralVentricles(grid, parameters, survey, atlas.log);

  report(progress, 0.6, "carrying the internal capsule over from the JHU labels");
  const double jhuMidlineX = measureJhuMidlineXRas(inputs.whiteMatter, atlas.log);
  const std::array<std::size_t, 2> capsule = labelPosteriorLimbFromJhu(grid, inputs.whiteMatter, jhuMidlineX);
  atlas.log.push_back("internal capsule (posterior limb): " + std::to_string(capsule[0]) + " voxels left, " +
                      std::to_string(capsule[1]) + " right");

  report(progress, 0.85, "deriving the posteroventral GPi targets");
  for (int side = 0; side < 2; ++side)
    atlas.targets.push_back(posteroventralGpiTarget(atlas.labels, side, parameters));
  report(progress, 1.0, "atlas derived");
  return atlas;
}

}  // namespace dbs
