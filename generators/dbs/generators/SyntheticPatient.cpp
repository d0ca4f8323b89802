#include "dbs/generators/SyntheticPatient.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "dbs/imaging/ImagingError.h"

namespace dbs {
namespace {

// Voxel axes from nibabel letters: each letter is the RAS direction the axis points towards.
Vec3 axisFromLetter(char letter) {
  switch (letter) {
    case 'R':
      return {1, 0, 0};
    case 'L':
      return {-1, 0, 0};
    case 'A':
      return {0, 1, 0};
    case 'P':
      return {0, -1, 0};
    case 'S':
      return {0, 0, 1};
    case 'I':
      return {0, 0, -1};
    default:
      throw ImagingError(std::string("orientation letter '") + letter + "' is not one of RLAPSI");
  }
}

float trilinear(const FloatImage& image, const std::array<long, 3>& n, Vec3 ijk) {
  const long i0 = static_cast<long>(std::floor(ijk.x)), j0 = static_cast<long>(std::floor(ijk.y)),
             k0 = static_cast<long>(std::floor(ijk.z));
  if (i0 < 0 || j0 < 0 || k0 < 0 || i0 + 1 >= n[0] || j0 + 1 >= n[1] || k0 + 1 >= n[2]) return 0.0f;
  const double fx = ijk.x - i0, fy = ijk.y - j0, fz = ijk.z - k0;
  const float* d = image.GetBufferPointer();
  auto at = [&](long i, long j, long k) { return static_cast<double>(d[(k * n[1] + j) * n[0] + i]); };
  const double c00 = at(i0, j0, k0) * (1 - fx) + at(i0 + 1, j0, k0) * fx;
  const double c10 = at(i0, j0 + 1, k0) * (1 - fx) + at(i0 + 1, j0 + 1, k0) * fx;
  const double c01 = at(i0, j0, k0 + 1) * (1 - fx) + at(i0 + 1, j0, k0 + 1) * fx;
  const double c11 = at(i0, j0 + 1, k0 + 1) * (1 - fx) + at(i0 + 1, j0 + 1, k0 + 1) * fx;
  return static_cast<float>((c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz);
}

}  // namespace

namespace {

// Pose (template RAS -> patient RAS): rotations within +-12, 8, 10 degrees, scales 0.92-1.08,
// translation +-15 mm, drawn from `rng`.
Affine drawSyntheticPose(std::mt19937_64& rng, std::uniform_real_distribution<double>& unit) {
  Affine scale;
  for (int a = 0; a < 3; ++a) scale.m[a][a] = 1.0 + 0.08 * unit(rng);
  Affine pose = rotationAboutRasAxis(0, 12 * unit(rng)) * rotationAboutRasAxis(1, 8 * unit(rng)) *
                rotationAboutRasAxis(2, 10 * unit(rng)) * scale;
  for (int a = 0; a < 3; ++a) pose.m[a][3] = 15 * unit(rng);
  return pose;
}

// Warp: a sum of smooth Gaussian bumps (sigma 30 mm) in template space, scaled to warpMm at most
// (the largest raw displacement measured on an 8 mm lattice over the template's bounds).
struct BumpWarp {
  struct Bump {
    Vec3 centre, vector;
  };
  std::vector<Bump> bumps;
  double sigma = 30.0;
  double scale = 0;
  // The unscaled displacement at template point q (RAS mm).
  Vec3 raw(Vec3 q) const {
    Vec3 d;
    for (const Bump& b : bumps)
      d = d + std::exp(-dot(q - b.centre, q - b.centre) / (2 * sigma * sigma)) * b.vector;
    return d;
  }
};
BumpWarp drawBumpWarp(std::mt19937_64& rng, std::uniform_real_distribution<double>& unit,
                      const std::array<Vec3, 2>& tb, double warpMm) {
  BumpWarp warp;
  for (int b = 0; b < 10; ++b) {
    Vec3 c;
    for (int a = 0; a < 3; ++a) c[a] = tb[0][a] + (tb[1][a] - tb[0][a]) * (0.5 + 0.4 * unit(rng));
    warp.bumps.push_back({c, Vec3{unit(rng), unit(rng), unit(rng)}});
  }
  double maxRaw = 1e-9;
  for (double x = tb[0].x; x <= tb[1].x; x += 8)
    for (double y = tb[0].y; y <= tb[1].y; y += 8)
      for (double z = tb[0].z; z <= tb[1].z; z += 8) maxRaw = std::max(maxRaw, norm(warp.raw({x, y, z})));
  warp.scale = warpMm / maxRaw;
  return warp;
}

// The patient grid: the posed template bounds `lo`-`hi` (patient RAS mm), in the requested voxel
// order (nibabel letters) and spacing.
ImageGeometry patientGridOverBounds(const SyntheticPatientParameters& p, Vec3 lo, Vec3 hi) {
  ImageGeometry g;
  Vec3 origin;
  for (int c = 0; c < 3; ++c) {
    const Vec3 axis = axisFromLetter(p.orientation[static_cast<std::size_t>(c)]);
    int worldAxis = 0;
    for (int a = 0; a < 3; ++a)
      if (axis[a] != 0) worldAxis = a;
    const double extent = hi[worldAxis] - lo[worldAxis];
    g.size[static_cast<std::size_t>(c)] = static_cast<std::size_t>(std::ceil(extent / p.spacingMm[c])) + 1;
    origin[worldAxis] = axis[worldAxis] > 0 ? lo[worldAxis] : hi[worldAxis];
    for (int r = 0; r < 3; ++r) g.rasFromIjk.m[r][c] = axis[r] * p.spacingMm[c];
  }
  for (int r = 0; r < 3; ++r) g.rasFromIjk.m[r][3] = origin[r];
  return g;
}

// Fills slices [kBegin, kEnd) of the patient T1 and labels: each voxel's patient RAS point taken
// back to the template (inverse pose, then the warp), the template T1 sampled trilinearly, with a
// bias field, gamma and Gaussian noise seeded per slice range; the template label nearest.
struct SyntheticSliceSampler {
  const Volume& templateT1;
  const LabelVolume& templateLabels;
  const SyntheticPatientParameters& p;
  const ImageGeometry& g;
  const Affine& templateFromPatient;
  const BumpWarp& warp;
  IntensityRange range;
  Vec3 centre, half;  // of the patient bounds (RAS mm), for the bias field
  float* t1;
  unsigned short* labels;

  void sampleSlices(long kBegin, long kEnd) const {
    const std::array<long, 3> tn{static_cast<long>(templateT1.geometry.size[0]),
                                 static_cast<long>(templateT1.geometry.size[1]),
                                 static_cast<long>(templateT1.geometry.size[2])};
    const Affine templateIjkFromRas = templateT1.geometry.ijkFromRas();
    const Affine labelIjkFromRas = templateLabels.geometry.ijkFromRas();
    const auto& lg = templateLabels.geometry;
    const unsigned short* templateLabelData = templateLabels.image->GetBufferPointer();
    const double warpScale = warp.scale;
    std::mt19937_64 noise(p.seed * 1000003ULL + static_cast<std::uint64_t>(kBegin));
    std::normal_distribution<double> gauss(0.0, p.noiseFraction * range.robustHigh);
    for (long k = kBegin; k < kEnd; ++k)
      for (long j = 0; j < static_cast<long>(g.size[1]); ++j)
        for (long i = 0; i < static_cast<long>(g.size[0]); ++i) {
          const Vec3 patientRas = g.rasFromIndex({double(i), double(j), double(k)});
          Vec3 q = templateFromPatient.apply(patientRas);
          q = q + warpScale * warp.raw(q);
          double value = trilinear(*templateT1.image, tn, templateIjkFromRas.apply(q));
          const Vec3 rel{(patientRas.x - centre.x) / half.x, 0, (patientRas.z - centre.z) / half.z};
          value =
              std::pow(std::max(0.0, value * (1 + p.biasFraction * rel.x - 0.1 * rel.z * rel.z)), p.gamma);
          value += gauss(noise);
          const std::size_t idx = (static_cast<std::size_t>(k) * g.size[1] + j) * g.size[0] + i;
          t1[idx] = static_cast<float>(std::max(0.0, value));
          const Vec3 lijk = labelIjkFromRas.apply(q);
          const long li = std::lround(lijk.x), lj = std::lround(lijk.y), lk = std::lround(lijk.z);
          labels[idx] = (li < 0 || lj < 0 || lk < 0 || li >= long(lg.size[0]) || lj >= long(lg.size[1]) ||
                         lk >= long(lg.size[2]))
                            ? 0
                            : templateLabelData[(lk * lg.size[1] + lj) * lg.size[0] + li];
        }
  }
};

}  // namespace

SyntheticPatient makeSyntheticPatient(const Volume& templateT1, const LabelVolume& templateLabels,
                                      const SyntheticPatientParameters& p) {
  if (p.orientation.size() != 3) throw ImagingError("orientation must have three letters, e.g. LPI");
  std::mt19937_64 rng(p.seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const Affine pose = drawSyntheticPose(rng, unit);
  const Affine templateFromPatient = pose.inverse();

  const auto tb = templateT1.geometry.rasBoundsMm();
  const BumpWarp warp = drawBumpWarp(rng, unit, tb, p.warpMm);

  // Patient grid: the posed template bounds, in the requested voxel order and spacing.
  Vec3 lo{1e30, 1e30, 1e30}, hi{-1e30, -1e30, -1e30};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 q = pose.apply({(corner & 1) ? tb[1].x : tb[0].x, (corner & 2) ? tb[1].y : tb[0].y,
                               (corner & 4) ? tb[1].z : tb[0].z});
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], q[a]);
      hi[a] = std::max(hi[a], q[a]);
    }
  }
  const ImageGeometry g = patientGridOverBounds(p, lo, hi);

  SyntheticPatient out;
  out.patientRasFromTemplateRas = pose;
  out.t1.path = "synthetic patient seed " + std::to_string(p.seed);
  out.t1.format = "synthetic";
  out.t1.geometry = g;
  out.t1.image = FloatImage::New();
  out.t1.image->SetRegions(FloatImage::SizeType{{g.size[0], g.size[1], g.size[2]}});
  out.t1.image->Allocate();
  applyGeometryToItk(g, *out.t1.image, "synthetic patient");
  out.labels = makeLabelVolume(g);

  const SyntheticSliceSampler sampler{templateT1,
                                      templateLabels,
                                      p,
                                      g,
                                      templateFromPatient,
                                      warp,
                                      intensityRange(*templateT1.image),
                                      0.5 * (lo + hi),
                                      0.5 * (hi - lo),
                                      out.t1.image->GetBufferPointer(),
                                      out.labels.image->GetBufferPointer()};
  const long nz = static_cast<long>(g.size[2]);
  // Each half of the slices gets its own seeded noise, so the result does not depend on scheduling.
  std::thread other([&sampler, nz] { sampler.sampleSlices(nz / 2, nz); });
  sampler.sampleSlices(0, nz / 2);
  other.join();
  return out;
}

OverlapScore scoreOverlap(const LabelVolume& a, const std::vector<int>& labels, const LabelVolume& truth,
                          const std::vector<int>& truthLabels) {
  if (a.geometry.size != truth.geometry.size ||
      a.geometry.rasFromIjk.maxAbsDifference(truth.geometry.rasFromIjk) > 1e-3)
    throw ImagingError("label maps to compare are not on the same grid");
  auto in = [](int v, const std::vector<int>& set) {
    return std::find(set.begin(), set.end(), v) != set.end();
  };
  const unsigned short* pa = a.image->GetBufferPointer();
  const unsigned short* pt = truth.image->GetBufferPointer();
  const auto& g = a.geometry;
  double na = 0, nt = 0, both = 0;
  Vec3 sa, st;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        const std::size_t idx = (k * g.size[1] + j) * g.size[0] + i;
        const bool ia = in(pa[idx], labels), it = in(pt[idx], truthLabels);
        const Vec3 ijk{double(i), double(j), double(k)};
        if (ia) {
          na += 1;
          sa = sa + ijk;
        }
        if (it) {
          nt += 1;
          st = st + ijk;
        }
        if (ia && it) both += 1;
      }
  OverlapScore s;
  const double voxel = std::abs(g.rasFromIjk.determinant3x3());
  s.volumeMm3 = na * voxel;
  s.truthVolumeMm3 = nt * voxel;
  if (na > 0 && nt > 0) {
    s.dice = 2 * both / (na + nt);
    s.centroidErrorMm = norm(g.rasFromIndex((1.0 / na) * sa) - g.rasFromIndex((1.0 / nt) * st));
  }
  return s;
}

}  // namespace dbs
