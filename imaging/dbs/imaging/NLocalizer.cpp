#include "dbs/imaging/NLocalizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

#include <vnl/algo/vnl_determinant.h>
#include <vnl/algo/vnl_svd.h>
#include <vnl/vnl_matrix_fixed.h>
#include <vnl/vnl_vector_fixed.h>

namespace dbs {

namespace {

constexpr double kDegPerRad = 180.0 / M_PI;

std::string mm(double v, int decimals = 1) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(decimals);
  s << v;
  return s.str();
}

// ---------------------------------------------------------------------------------------------------
// 1. Candidates: small bright blobs on each slice across the rods.

struct SliceAxes {
  int across = 2;    // the ijk axis nearest to superior: one slice per index along it
  int u = 0, v = 1;  // the in-slice axes
};

SliceAxes sliceAxesOf(const ImageGeometry& g) {
  SliceAxes axes;
  double best = -1;
  for (int a = 0; a < 3; ++a) {
    const Vec3 column = normalized(g.rasFromIjk.column(a));
    if (std::abs(column.z) > best) {
      best = std::abs(column.z);
      axes.across = a;
    }
  }
  axes.u = axes.across == 0 ? 1 : 0;
  axes.v = axes.across == 2 ? 1 : 2;
  return axes;
}

double defaultThreshold(const Volume& image) {
  const float* data = image.image->GetBufferPointer();
  const std::size_t n = image.geometry.size[0] * image.geometry.size[1] * image.geometry.size[2];
  // A sample of the voxels is enough for percentiles (every 7th: no aliasing with a power-of-2 grid).
  std::vector<float> sample;
  sample.reserve(n / 7 + 1);
  for (std::size_t i = 0; i < n; i += 7) sample.push_back(data[i]);
  const auto percentile = [&](double p) {
    const auto k = static_cast<std::size_t>(p * static_cast<double>(sample.size() - 1));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
    return static_cast<double>(sample[k]);
  };
  // A CT in Hounsfield units has air near -1000: the rods are far above soft tissue (trajectoryGuide
  // uses 450 HU for the Leksell G). Otherwise (MR), half the 98th percentile as AIRS's vtkFrameFinder.
  if (percentile(0.01) < -500) return 450.0;
  return 0.5 * percentile(0.98);
}

std::vector<RodPoint> findCandidates(const Volume& image, double threshold,
                                     const ProgressCallback& progress) {
  const ImageGeometry& g = image.geometry;
  const SliceAxes axes = sliceAxesOf(g);
  const Vec3 spacing = g.spacingMm();
  const double pixelArea = spacing[axes.u] * spacing[axes.v];
  const std::size_t nu = g.size[axes.u], nv = g.size[axes.v], nk = g.size[axes.across];
  const std::array<std::size_t, 3> stride{1, g.size[0], g.size[0] * g.size[1]};
  const float* data = image.image->GetBufferPointer();
  // A 2 mm rod cut obliquely covers 3 to 7 mm^2; partial volume and a low threshold widen it. Skull,
  // brain and streaks are larger or elongated; specks of noise smaller.
  constexpr double kMinAreaMm2 = 0.5, kMaxAreaMm2 = 30.0, kMaxExtentMm = 12.0;

  std::vector<RodPoint> out;
  std::vector<std::uint8_t> visited(nu * nv);
  std::vector<std::size_t> stack, component;
  for (std::size_t k = 0; k < nk; ++k) {
    if (progress && k % 8 == 0 &&
        !progress(0.8 * static_cast<double>(k) / static_cast<double>(nk), "finding the localizer's rods"))
      throw Cancelled();
    std::fill(visited.begin(), visited.end(), 0);
    const auto value = [&](std::size_t u, std::size_t v) {
      return data[u * stride[axes.u] + v * stride[axes.v] + k * stride[axes.across]];
    };
    // 2-D flood fill by hand: ITK's connected components work on whole images, and each slice must
    // be labelled on its own (in 3-D the rods join into long components across slices).
    for (std::size_t v0 = 0; v0 < nv; ++v0)
      for (std::size_t u0 = 0; u0 < nu; ++u0) {
        if (visited[v0 * nu + u0] || value(u0, v0) < threshold) continue;
        stack.assign(1, v0 * nu + u0);
        visited[v0 * nu + u0] = 1;
        component.clear();
        bool tooLarge = false;
        while (!stack.empty()) {
          const std::size_t p = stack.back();
          stack.pop_back();
          component.push_back(p);
          if (static_cast<double>(component.size()) * pixelArea > kMaxAreaMm2) tooLarge = true;
          const std::size_t u = p % nu, v = p / nu;
          const std::size_t neighbours[4][2] = {{u - 1, v}, {u + 1, v}, {u, v - 1}, {u, v + 1}};
          for (const auto& nb : neighbours) {
            if (nb[0] >= nu || nb[1] >= nv) continue;  // wraps below 0 too
            const std::size_t q = nb[1] * nu + nb[0];
            if (visited[q] || value(nb[0], nb[1]) < threshold) continue;
            visited[q] = 1;
            stack.push_back(q);
          }
        }
        if (tooLarge || static_cast<double>(component.size()) * pixelArea < kMinAreaMm2) continue;
        double su = 0, sv = 0, w = 0;
        std::size_t umin = nu, umax = 0, vmin = nv, vmax = 0;
        for (const std::size_t p : component) {
          const std::size_t u = p % nu, v = p / nu;
          const double weight = value(u, v) - threshold;
          su += weight * static_cast<double>(u);
          sv += weight * static_cast<double>(v);
          w += weight;
          umin = std::min(umin, u);
          umax = std::max(umax, u);
          vmin = std::min(vmin, v);
          vmax = std::max(vmax, v);
        }
        if (static_cast<double>(umax - umin + 1) * spacing[axes.u] > kMaxExtentMm ||
            static_cast<double>(vmax - vmin + 1) * spacing[axes.v] > kMaxExtentMm || w <= 0)
          continue;
        Vec3 ijk;
        ijk[axes.u] = su / w;
        ijk[axes.v] = sv / w;
        ijk[axes.across] = static_cast<double>(k);
        out.push_back({g.rasFromIjk.apply(ijk), static_cast<int>(k)});
      }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 2. Rods: straight lines through the candidates.

struct Line {
  Vec3 point, direction;             // direction: unit, pointing superior
  std::vector<std::size_t> inliers;  // candidate indices, one per slice, ordered by slice
};

double distanceToLine(Vec3 p, Vec3 a, Vec3 u) {
  const Vec3 d = p - a;
  return norm(d - dot(d, u) * u);
}

// Deterministic: the same image gives the same lines (SplitMix64).
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

// The least-squares line through `points` (centroid and principal axis).
void fitLine(const std::vector<Vec3>& points, Vec3& centre, Vec3& direction) {
  centre = {};
  for (const Vec3& p : points) centre = centre + p;
  centre = (1.0 / static_cast<double>(points.size())) * centre;
  vnl_matrix_fixed<double, 3, 3> scatter(0.0);
  for (const Vec3& p : points) {
    const Vec3 d = p - centre;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) scatter(r, c) += d[r] * d[c];
  }
  vnl_svd<double> svd(scatter.as_ref());
  direction = normalized({svd.U(0, 0), svd.U(1, 0), svd.U(2, 0)});
  if (direction.z < 0) direction = -1.0 * direction;
}

// Inliers of a line: within `tolerance`, the nearest one per slice.
std::vector<std::size_t> inliersOf(const std::vector<RodPoint>& points,
                                   const std::vector<std::uint8_t>& taken, Vec3 a, Vec3 u, double tolerance) {
  std::map<int, std::pair<double, std::size_t>> nearestPerSlice;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (taken[i]) continue;
    const double d = distanceToLine(points[i].ras, a, u);
    if (d > tolerance) continue;
    auto [it, inserted] = nearestPerSlice.try_emplace(points[i].slice, d, i);
    if (!inserted && d < it->second.first) it->second = {d, i};
  }
  std::vector<std::size_t> out;
  for (const auto& [slice, best] : nearestPerSlice) out.push_back(best.second);
  return out;
}

std::vector<Line> findLines(const std::vector<RodPoint>& points, const Vec3& superiorRas,
                            std::size_t minSlices, double tolerance, std::size_t maxLines) {
  std::vector<Line> lines;
  std::vector<std::uint8_t> taken(points.size(), 0);
  SplitMix random{0x5EED};
  // A rod is never near the slice plane: verticals run along the slice normal, diagonals at 45 deg
  // to it; a frame tilted by up to 25 deg keeps every rod within 70 deg of the normal.
  const double minAlongNormal = std::cos(70.0 / kDegPerRad);
  for (std::size_t attempt = 0; attempt < maxLines; ++attempt) {
    std::vector<std::size_t> free;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (!taken[i]) free.push_back(i);
    if (free.size() < minSlices) break;
    std::vector<std::size_t> best;
    Vec3 bestA, bestU;
    // The free points by slice, for the local pairs below.
    std::map<int, std::vector<std::size_t>> bySlice;
    for (const std::size_t i : free) bySlice[points[i].slice].push_back(i);
    for (int iteration = 0; iteration < 1500; ++iteration) {
      const RodPoint& p = points[free[random.next() % free.size()]];
      Vec3 a = p.ras, u;
      if (iteration % 2 == 0) {
        // A pair from anywhere: finds long rods quickly in a clean image.
        const RodPoint& q = points[free[random.next() % free.size()]];
        if (std::abs(p.slice - q.slice) < 3) continue;
        u = normalized(q.ras - p.ras);
      } else {
        // A local pair, 3 to 10 slices apart and within the steepest a rod can lean: in an image
        // cluttered with bright specks (streak fragments, calcifications) a random pair almost never
        // lies on one rod, a local one usually does. Its short baseline gives a rough direction,
        // made good by a fit to the points near it.
        const int gap = static_cast<int>(3 + random.next() % 8) * (random.next() % 2 ? 1 : -1);
        const auto slice = bySlice.find(p.slice + gap);
        if (slice == bySlice.end()) continue;
        std::vector<std::size_t> near;
        for (const std::size_t i : slice->second) {
          const Vec3 d = points[i].ras - p.ras;
          if (std::hypot(d.x, d.y) <= 2.75 * std::abs(d.z) + tolerance) near.push_back(i);
        }
        if (near.empty()) continue;
        u = normalized(points[near[random.next() % near.size()]].ras - p.ras);
        std::vector<Vec3> around;
        for (const std::size_t i : free)
          if (distanceToLine(points[i].ras, a, u) <= 3 * tolerance) around.push_back(points[i].ras);
        if (around.size() < 3) continue;
        fitLine(around, a, u);
      }
      if (u.z < 0) u = -1.0 * u;
      if (std::abs(dot(u, superiorRas)) < minAlongNormal) continue;
      // Cheap count first, full inliers (one per slice) only for a line that could win.
      std::size_t count = 0;
      for (const std::size_t i : free)
        if (distanceToLine(points[i].ras, a, u) <= tolerance) ++count;
      if (count <= best.size()) continue;
      std::vector<std::size_t> in = inliersOf(points, taken, a, u, tolerance);
      if (in.size() > best.size()) {
        best = std::move(in);
        bestA = a;
        bestU = u;
      }
    }
    if (best.size() < minSlices) break;
    Line line{bestA, bestU, best};
    for (int refine = 0; refine < 3; ++refine) {
      std::vector<Vec3> pts;
      for (const std::size_t i : line.inliers) pts.push_back(points[i].ras);
      fitLine(pts, line.point, line.direction);
      line.inliers = inliersOf(points, taken, line.point, line.direction, tolerance);
      if (line.inliers.size() < 2) break;
    }
    if (line.inliers.size() < minSlices) break;
    for (const std::size_t i : line.inliers) taken[i] = 1;
    lines.push_back(std::move(line));
  }
  return lines;
}

// Closest points of two lines: the point of line a nearest to line b, and their distance.
struct Closest {
  Vec3 onA, onB;
  double distance = 0;
};
Closest closestPoints(const Line& a, const Line& b) {
  const Vec3 w = a.point - b.point;
  const double uv = dot(a.direction, b.direction), uw = dot(a.direction, w), vw = dot(b.direction, w);
  const double denominator = 1 - uv * uv;
  if (denominator < 1e-12) return {a.point, b.point, distanceToLine(a.point, b.point, b.direction)};
  const double s = (uv * vw - uw) / denominator, t = (vw - uv * uw) / denominator;
  Closest c{a.point + s * a.direction, b.point + t * b.direction, 0};
  c.distance = norm(c.onA - c.onB);
  return c;
}

// From (nearly) parallel line a to line b, across them: b's point less a's, without the part along
// a. (Closest points of two nearly parallel lines are ill-conditioned: they can lie anywhere.)
Vec3 acrossParallel(const Line& a, const Line& b) {
  const Vec3 d = b.point - a.point;
  return d - dot(d, a.direction) * a.direction;
}

// ---------------------------------------------------------------------------------------------------
// 3. Plates: lines forming an N, matched to the model's plates.

struct FoundPlate {
  std::array<std::size_t, 3> lines;  // vertical, diagonal, vertical (the model's order once matched)
  double score = 0;
  Vec3 centreRas, normalRas;
  int modelPlate = -1;
};

std::vector<FoundPlate> findPlates(const std::vector<Line>& lines, const FrameModel& model) {
  const LocalizerPlate& reference = model.plates.front();
  const double width = reference.widthMm();
  const Vec3 verticalFrame = normalized(reference.rods[0].toFrame - reference.rods[0].fromFrame);
  const Vec3 diagonalFrame = normalized(reference.rods[1].toFrame - reference.rods[1].fromFrame);
  const double diagonalAngle =
      std::acos(std::min(1.0, std::abs(dot(verticalFrame, diagonalFrame)))) * kDegPerRad;
  std::vector<FoundPlate> all;
  for (std::size_t a = 0; a < lines.size(); ++a)
    for (std::size_t b = a + 1; b < lines.size(); ++b) {
      const double parallel =
          std::acos(std::min(1.0, std::abs(dot(lines[a].direction, lines[b].direction)))) * kDegPerRad;
      if (parallel > 4) continue;
      const double apart = distanceToLine(lines[b].point, lines[a].point, lines[a].direction);
      if (std::abs(apart - width) > 8) continue;
      for (std::size_t d = 0; d < lines.size(); ++d) {
        if (d == a || d == b) continue;
        const double angle =
            std::acos(std::min(1.0, std::abs(dot(lines[d].direction, lines[a].direction)))) * kDegPerRad;
        if (std::abs(angle - diagonalAngle) > 10) continue;
        const double skewA = closestPoints(lines[d], lines[a]).distance,
                     skewB = closestPoints(lines[d], lines[b]).distance;
        if (skewA > 3 || skewB > 3) continue;
        FoundPlate plate;
        plate.lines = {a, d, b};
        plate.score =
            std::abs(apart - width) + skewA + skewB + 0.2 * std::abs(angle - diagonalAngle) + 0.2 * parallel;
        plate.normalRas = normalized(cross(lines[a].direction, acrossParallel(lines[a], lines[b])));
        plate.centreRas =
            0.5 * (closestPoints(lines[d], lines[a]).onA + closestPoints(lines[d], lines[b]).onA);
        all.push_back(plate);
      }
    }
  std::sort(all.begin(), all.end(),
            [](const FoundPlate& x, const FoundPlate& y) { return x.score < y.score; });
  std::vector<FoundPlate> chosen;
  std::vector<std::uint8_t> used(lines.size(), 0);
  for (const FoundPlate& p : all) {
    if (used[p.lines[0]] || used[p.lines[1]] || used[p.lines[2]]) continue;
    for (const std::size_t l : p.lines) used[l] = 1;
    chosen.push_back(p);
  }
  return chosen;
}

Vec3 modelPlateCentreAligned(const FrameModel& model, const LocalizerPlate& plate) {
  return model.alignedRasFromFrame.apply(0.5 * (plate.rods[1].fromFrame + plate.rods[1].toFrame));
}

// Which model plate each found plate is: the assignment whose layout (centres about their mean,
// normals) best matches the model's in frame-aligned RAS, which a frame on a head keeps within a
// few tens of degrees of the image's RAS.
void matchPlatesToModel(std::vector<FoundPlate>& found, const FrameModel& model) {
  const std::size_t nModel = model.plates.size();
  if (found.size() > nModel) {
    // Keep the best-scoring ones: a line triple outside the localizer cannot outscore a real N.
    found.resize(nModel);
  }
  std::vector<int> assignment(nModel);
  std::iota(assignment.begin(), assignment.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> bestAssignment;
  do {
    Vec3 meanFound, meanModel;
    for (std::size_t i = 0; i < found.size(); ++i) {
      meanFound = meanFound + found[i].centreRas;
      meanModel =
          meanModel + modelPlateCentreAligned(model, model.plates[static_cast<std::size_t>(assignment[i])]);
    }
    meanFound = (1.0 / static_cast<double>(found.size())) * meanFound;
    meanModel = (1.0 / static_cast<double>(found.size())) * meanModel;
    double cost = 0;
    for (std::size_t i = 0; i < found.size(); ++i) {
      const LocalizerPlate& mp = model.plates[static_cast<std::size_t>(assignment[i])];
      const Vec3 modelNormal = normalized(model.alignedRasFromFrame.applyLinear(mp.normalAlignedRas()));
      cost += norm((found[i].centreRas - meanFound) - (modelPlateCentreAligned(model, mp) - meanModel)) +
              50.0 * (1.0 - std::abs(dot(found[i].normalRas, modelNormal)));
    }
    if (cost < best) {
      best = cost;
      bestAssignment.assign(assignment.begin(),
                            assignment.begin() + static_cast<std::ptrdiff_t>(found.size()));
    }
  } while (std::next_permutation(assignment.begin(), assignment.end()));
  for (std::size_t i = 0; i < found.size(); ++i) found[i].modelPlate = bestAssignment[i];
}

// ---------------------------------------------------------------------------------------------------
// 5. Fit.

// Refines frameFromRas by Gauss-Newton on the distances of rod points (frame mm) to their model
// rods' lines; points further than `dropBeyondMm` after a first pass are left out.
Affine refineOnRods(const Affine& initial, const std::vector<std::pair<Vec3, const LocalizerRod*>>& points,
                    double dropBeyondMm) {
  Affine current = initial;
  for (int iteration = 0; iteration < 15; ++iteration) {
    vnl_matrix_fixed<double, 6, 6> normal(0.0);
    vnl_vector_fixed<double, 6> rhs(0.0);
    std::size_t used = 0;
    for (const auto& [ras, rod] : points) {
      const Vec3 p = current.apply(ras);
      const Vec3 u = normalized(rod->toFrame - rod->fromFrame);
      const Vec3 d = p - rod->fromFrame;
      const Vec3 r = d - dot(d, u) * u;  // residual, perpendicular to the rod
      if (iteration > 2 && norm(r) > dropBeyondMm) continue;
      ++used;
      // p' = p + w x p + t: dr/dw = P [-p]_x, dr/dt = P, with P = I - u u^T.
      double jacobian[3][6];
      for (int row = 0; row < 3; ++row) {
        Vec3 e;
        e[row] = 1;
        const Vec3 pe = e - u[row] * u;  // row `row` of P (symmetric)
        // (P (w x p))_row = pe . (w x p) = w . (p x pe)
        const Vec3 wPart = cross(p, pe);
        for (int c = 0; c < 3; ++c) {
          jacobian[row][c] = wPart[c];
          jacobian[row][3 + c] = pe[c];
        }
      }
      for (int a = 0; a < 6; ++a) {
        for (int b = 0; b < 6; ++b)
          for (int row = 0; row < 3; ++row) normal(a, b) += jacobian[row][a] * jacobian[row][b];
        for (int row = 0; row < 3; ++row) rhs(a) -= jacobian[row][a] * r[row];
      }
    }
    if (used < 6) break;
    vnl_svd<double> svd(normal.as_ref());
    const vnl_vector<double> step = svd.solve(rhs.as_ref());
    const Vec3 w{step(0), step(1), step(2)}, t{step(3), step(4), step(5)};
    // The small rotation, made exact (Rodrigues) so that the result stays rigid.
    const double angle = norm(w);
    Affine update;
    if (angle > 0) {
      const Vec3 k = (1.0 / angle) * w;
      const double c = std::cos(angle), s = std::sin(angle);
      for (int r = 0; r < 3; ++r)
        for (int cc = 0; cc < 3; ++cc) {
          const double kx[3][3] = {{0, -k.z, k.y}, {k.z, 0, -k.x}, {-k.y, k.x, 0}};
          update.m[r][cc] = (r == cc ? c : 0) + s * kx[r][cc] + (1 - c) * k[r] * k[cc];
        }
    }
    for (int r = 0; r < 3; ++r) update.m[r][3] = t[r];
    current = update * current;
    if (angle < 1e-10 && norm(t) < 1e-9) break;
  }
  return current;
}

double distanceToRod(Vec3 pointFrame, const LocalizerRod& rod) {
  return distanceToLine(pointFrame, rod.fromFrame, normalized(rod.toFrame - rod.fromFrame));
}

}  // namespace

Affine rigidLeastSquares(const std::vector<Vec3>& from, const std::vector<Vec3>& to) {
  if (from.size() != to.size() || from.size() < 3)
    throw std::invalid_argument("a rigid fit needs at least 3 point pairs");
  Vec3 cf, ct;
  for (std::size_t i = 0; i < from.size(); ++i) {
    cf = cf + from[i];
    ct = ct + to[i];
  }
  cf = (1.0 / static_cast<double>(from.size())) * cf;
  ct = (1.0 / static_cast<double>(to.size())) * ct;
  vnl_matrix_fixed<double, 3, 3> h(0.0);
  for (std::size_t i = 0; i < from.size(); ++i) {
    const Vec3 a = from[i] - cf, b = to[i] - ct;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) h(r, c) += a[r] * b[c];
  }
  vnl_svd<double> svd(h.as_ref());
  if (svd.W(1) < 1e-9 * std::max(1.0, svd.W(0))) throw std::invalid_argument("the points lie on one line");
  // R = V diag(1, 1, det(V U^T)) U^T: the nearest rotation, never a reflection.
  const vnl_matrix<double> u = svd.U(), v = svd.V();
  vnl_matrix<double> vut = v * u.transpose();
  double det = vnl_determinant(vut);
  vnl_matrix<double> d(3, 3, 0.0);
  d(0, 0) = 1;
  d(1, 1) = 1;
  d(2, 2) = det < 0 ? -1 : 1;
  const vnl_matrix<double> rotation = v * d * u.transpose();
  Affine out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) out.m[r][c] = rotation(r, c);
  const Vec3 rc = out.applyLinear(cf);
  for (int r = 0; r < 3; ++r) out.m[r][3] = ct[r] - rc[r];
  return out;
}

FrameDetection solveFrameFromRodPoints(const std::vector<RodPoint>& candidates, const FrameModel& model,
                                       const FrameDetectionOptions& options, double voxelSizeMm) {
  FrameDetection result;
  result.frameId = model.id;
  result.candidates = candidates.size();
  // The image's superior direction, from the slices' order: candidates carry RAS, so S is (0, 0, 1).
  const Vec3 superior{0, 0, 1};
  const double tolerance = std::max(1.5, 1.2 * voxelSizeMm);
  const std::size_t nRods = 3 * model.plates.size();
  const std::vector<Line> lines =
      findLines(candidates, superior, options.minSlicesPerRod, tolerance, nRods + 6);
  std::vector<FoundPlate> plates = findPlates(lines, model);
  const std::size_t required = std::min<std::size_t>(3, model.plates.size());
  if (plates.size() < required) {
    std::ostringstream why;
    why << "found " << plates.size() << " of the " << model.plates.size() << " localizer plates of the "
        << model.name << " (" << lines.size() << " rod-like lines through " << candidates.size()
        << " bright cross-sections): a plate cropped out of the field of view, rods below the threshold, or "
           "another frame; at least "
        << required << " plates are needed";
    throw FrameDetectionError(why.str());
  }
  matchPlatesToModel(plates, model);
  std::sort(plates.begin(), plates.end(),
            [](const FoundPlate& a, const FoundPlate& b) { return a.modelPlate < b.modelPlate; });

  // Orient each plate as its model plate: which vertical is rods[0], and is the diagonal's slope
  // the model's? A mirrored image (or another frame) has the diagonals the other way.
  std::vector<Vec3> brownRas, brownFrame;
  std::vector<std::pair<Vec3, const LocalizerRod*>> rodPoints;
  double zMin = std::numeric_limits<double>::infinity(), zMax = -zMin;
  for (FoundPlate& plate : plates) {
    const LocalizerPlate& mp = model.plates[static_cast<std::size_t>(plate.modelPlate)];
    const Vec3 modelAcross =
        model.alignedRasFromFrame.applyLinear(mp.rods[2].fromFrame - mp.rods[0].fromFrame);
    const Line* v0 = &lines[plate.lines[0]];
    const Line* v2 = &lines[plate.lines[2]];
    const Line& diagonal = lines[plate.lines[1]];
    if (dot(acrossParallel(*v0, *v2), modelAcross) < 0) {
      std::swap(v0, v2);
      std::swap(plate.lines[0], plate.lines[2]);
    }
    // Height (superior) of the diagonal where it meets each vertical, against the model's.
    const double imageRise = closestPoints(diagonal, *v2).onA.z - closestPoints(diagonal, *v0).onA.z;
    const double modelRise = model.alignedRasFromFrame.apply(mp.rods[1].toFrame).z -
                             model.alignedRasFromFrame.apply(mp.rods[1].fromFrame).z;
    if (imageRise * modelRise < 0)
      throw FrameDetectionError(
          "the " + mp.name + " plate's diagonal rod runs the other way than the " + model.name +
          "'s: the image is mirrored (its geometry flips left-right or front-back), or the "
          "localizer is another model or mounted otherwise; not registered");
    for (int r = 0; r < 3; ++r) {
      DetectedRod rod;
      rod.plate = mp.name;
      rod.name = mp.rods[static_cast<std::size_t>(r)].name;
      for (const std::size_t i : lines[plate.lines[static_cast<std::size_t>(r)]].inliers)
        rod.points.push_back(candidates[i]);
      result.rods.push_back(rod);
    }
    // Brown: slice by slice, B between A and C.
    std::map<int, std::array<const RodPoint*, 3>> bySlice;
    for (int r = 0; r < 3; ++r)
      for (const std::size_t i : lines[plate.lines[static_cast<std::size_t>(r)]].inliers)
        bySlice[candidates[i].slice][static_cast<std::size_t>(r)] = &candidates[i];
    for (const auto& [slice, abc] : bySlice) {
      if (!abc[0] || !abc[1] || !abc[2]) continue;
      const Vec3 a = abc[0]->ras, b = abc[1]->ras, c = abc[2]->ras;
      const Vec3 ac = c - a;
      const double f = dot(b - a, ac) / dot(ac, ac);
      if (f < -0.02 || f > 1.02 || distanceToLine(b, a, normalized(ac)) > 2.0) continue;
      const Vec3 bFrame = mp.rods[1].fromFrame + f * (mp.rods[1].toFrame - mp.rods[1].fromFrame);
      brownRas.push_back(b);
      brownFrame.push_back(bFrame);
    }
  }
  result.brownPoints = brownRas.size();
  if (brownRas.size() < 6)
    throw FrameDetectionError("only " + std::to_string(brownRas.size()) +
                              " slices cut all three rods of a plate: too few to register the frame");
  Affine frameFromRas;
  try {
    frameFromRas = rigidLeastSquares(brownRas, brownFrame);
  } catch (const std::invalid_argument& e) {
    throw FrameDetectionError(std::string("the localizer's points cannot register the frame: ") + e.what());
  }
  // Refine on every cross-section of every rod (verticals too), each against its own model rod.
  std::size_t rodIndex = 0;
  for (const FoundPlate& plate : plates) {
    const LocalizerPlate& mp = model.plates[static_cast<std::size_t>(plate.modelPlate)];
    for (std::size_t r = 0; r < 3; ++r, ++rodIndex)
      for (const RodPoint& p : result.rods[rodIndex].points) rodPoints.emplace_back(p.ras, &mp.rods[r]);
  }
  frameFromRas = refineOnRods(frameFromRas, rodPoints, 1.5);
  result.frameFromRas = frameFromRas;
  // A frame on a patient in a scanner is tilted by tens of degrees at most: a turn beyond 45 deg
  // from the image's axes means plates matched the wrong way round (or an image whose geometry is
  // turned), which a rigid fit would hide.
  const Affine turn = model.alignedRasFromFrame * frameFromRas;
  const double cosTurn = std::clamp((turn.m[0][0] + turn.m[1][1] + turn.m[2][2] - 1) / 2, -1.0, 1.0);
  if (std::acos(cosTurn) * kDegPerRad > 45)
    throw FrameDetectionError("the localizer appears turned by " + mm(std::acos(cosTurn) * kDegPerRad, 0) +
                              " deg against the image's axes: its plates are not where the " + model.name +
                              " has them relative to the patient; not registered");

  // Residuals: per rod and overall (FRE), and the Brown points' own.
  double sumAll = 0;
  std::size_t nAll = 0;
  rodIndex = 0;
  for (const FoundPlate& plate : plates) {
    const LocalizerPlate& mp = model.plates[static_cast<std::size_t>(plate.modelPlate)];
    for (std::size_t r = 0; r < 3; ++r, ++rodIndex) {
      DetectedRod& rod = result.rods[rodIndex];
      double sum = 0;
      for (const RodPoint& p : rod.points) {
        const Vec3 pf = frameFromRas.apply(p.ras);
        const double d = distanceToRod(pf, mp.rods[r]);
        sum += d * d;
        rod.maxResidualMm = std::max(rod.maxResidualMm, d);
        zMin = std::min(zMin, pf.z);
        zMax = std::max(zMax, pf.z);
      }
      rod.rmsResidualMm = std::sqrt(sum / static_cast<double>(std::max<std::size_t>(1, rod.points.size())));
      sumAll += sum;
      nAll += rod.points.size();
    }
  }
  result.freMm = std::sqrt(sumAll / static_cast<double>(std::max<std::size_t>(1, nAll)));
  double brownSum = 0;
  for (std::size_t i = 0; i < brownRas.size(); ++i) {
    const double d = norm(frameFromRas.apply(brownRas[i]) - brownFrame[i]);
    brownSum += d * d;
  }
  result.brownRmsMm = std::sqrt(brownSum / static_cast<double>(brownRas.size()));
  result.frameZMinMm = zMin;
  result.frameZMaxMm = zMax;
  if (plates.size() < model.plates.size()) {
    std::vector<std::string> missing;
    for (std::size_t m = 0; m < model.plates.size(); ++m)
      if (std::none_of(plates.begin(), plates.end(),
                       [&](const FoundPlate& p) { return p.modelPlate == static_cast<int>(m); }))
        missing.push_back(model.plates[m].name);
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    result.notes.push_back("plate(s) not found and not used: " + list);
  }
  if (result.freMm > options.maxFreMm) {
    std::string worst;
    double worstMm = 0;
    for (const DetectedRod& rod : result.rods)
      if (rod.rmsResidualMm > worstMm) {
        worstMm = rod.rmsResidualMm;
        worst = rod.name;
      }
    throw FrameDetectionError(
        "the frame registration error is " + mm(result.freMm, 2) + " mm (more than " +
        mm(options.maxFreMm, 1) + " mm allowed; worst rod: " + worst + ", " + mm(worstMm, 2) +
        " mm): a bent or loose localizer, a moved patient, or wrong rods; not registered");
  }
  return result;
}

std::optional<RodPoint> rodCrossSectionNear(const Volume& image, Vec3 clickedRas, double radiusMm) {
  const ImageGeometry& g = image.geometry;
  const SliceAxes axes = sliceAxesOf(g);
  const Vec3 ijk = g.indexFromRas(clickedRas);
  const long k = std::lround(ijk[axes.across]);
  if (k < 0 || k >= static_cast<long>(g.size[axes.across])) return std::nullopt;
  const Vec3 spacing = g.spacingMm();
  const long ru = static_cast<long>(std::ceil(radiusMm / spacing[axes.u])),
             rv = static_cast<long>(std::ceil(radiusMm / spacing[axes.v]));
  const std::array<std::size_t, 3> stride{1, g.size[0], g.size[0] * g.size[1]};
  const float* data = image.image->GetBufferPointer();
  struct Pixel {
    long u, v;
    double value;
  };
  std::vector<Pixel> window;
  const long u0 = std::lround(ijk[axes.u]), v0 = std::lround(ijk[axes.v]);
  for (long v = v0 - rv; v <= v0 + rv; ++v)
    for (long u = u0 - ru; u <= u0 + ru; ++u) {
      if (u < 0 || v < 0 || u >= static_cast<long>(g.size[axes.u]) || v >= static_cast<long>(g.size[axes.v]))
        continue;
      const double du = (static_cast<double>(u) - ijk[axes.u]) * spacing[axes.u],
                   dv = (static_cast<double>(v) - ijk[axes.v]) * spacing[axes.v];
      if (du * du + dv * dv > radiusMm * radiusMm) continue;
      window.push_back(
          {u, v,
           data[static_cast<std::size_t>(u) * stride[axes.u] + static_cast<std::size_t>(v) * stride[axes.v] +
                static_cast<std::size_t>(k) * stride[axes.across]]});
    }
  if (window.size() < 5) return std::nullopt;
  std::vector<double> values;
  for (const Pixel& p : window) values.push_back(p.value);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                   values.end());
  const double background = values[values.size() / 2];
  const double peak = *std::max_element(values.begin(), values.end());
  // A rod is far brighter than what surrounds it (air, plastic, skin): at least a quarter of its
  // own brightness above the median of the window, and well above any noise.
  if (peak - background < std::max(0.25 * std::abs(peak), 50.0)) return std::nullopt;
  const double halfMax = background + 0.5 * (peak - background);
  double su = 0, sv = 0, w = 0;
  for (const Pixel& p : window)
    if (p.value > halfMax) {
      su += (p.value - halfMax) * static_cast<double>(p.u);
      sv += (p.value - halfMax) * static_cast<double>(p.v);
      w += p.value - halfMax;
    }
  Vec3 centre;
  centre[axes.u] = su / w;
  centre[axes.v] = sv / w;
  centre[axes.across] = static_cast<double>(k);
  return RodPoint{g.rasFromIjk.apply(centre), static_cast<int>(k)};
}

FrameDetection detectFrame(const Volume& image, const FrameModel& model, const FrameDetectionOptions& options,
                           const ProgressCallback& progress) {
  const double threshold = options.threshold ? *options.threshold : defaultThreshold(image);
  const std::vector<RodPoint> candidates = findCandidates(image, threshold, progress);
  if (progress && !progress(0.85, "fitting the rods and the frame")) throw Cancelled();
  const Vec3 spacing = image.geometry.spacingMm();
  FrameDetection result =
      solveFrameFromRodPoints(candidates, model, options, std::max({spacing.x, spacing.y, spacing.z}));
  result.threshold = threshold;
  if (progress) progress(1.0, "frame registered");
  return result;
}

}  // namespace dbs
