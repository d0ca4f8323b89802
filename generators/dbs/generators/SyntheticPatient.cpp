#include "dbs/generators/SyntheticPatient.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include <itkSmoothingRecursiveGaussianImageFilter.h>

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

// Atrophy: a smooth deformation of the template's anatomy that enlarges the lateral ventricles and
// thins the caudate, as Huntington's disease and age do. It is a backward map (where in the template
// a point of the atrophied brain comes from): a flow along the gradient of two Gaussian-blurred masks
// (sigma 3 mm), x <- x + a grad(G*ventricles) - b grad(G*caudate), integrated in steps of at most
// 0.5 mm so that no step folds (a step's Jacobian stays near 1: 0.5 mm against a 3 mm blur). Points
// beside a ventricle are drawn from inside it (the ventricle grows), points at the caudate's border
// from outside it (the caudate shrinks, most where it faces the ventricle). `a` and `b` are found by
// bisection so that the volumes reach what was asked, measured on a 2 mm lattice over the region.
// The blurred masks live on a 1 mm RAS-aligned box around both structures (template RAS mm); outside
// it nothing moves. ITK's recursive Gaussian does the blur; the gradient is a central difference of
// the trilinear field (no ITK image function per sample: this runs for every patient voxel).
class AtrophyField {
 public:
  AtrophyField(const LabelVolume& labels, double ventricleScale, double caudateLoss) {
    const auto& g = labels.geometry;
    const unsigned short* data = labels.image->GetBufferPointer();
    Vec3 lo{1e30, 1e30, 1e30}, hi{-1e30, -1e30, -1e30};
    for (std::size_t k = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i) {
          const int v = data[(k * g.size[1] + j) * g.size[0] + i];
          if (!isVentricle(v) && !isCaudate(v)) continue;
          const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
          for (int a = 0; a < 3; ++a) {
            lo[a] = std::min(lo[a], r[a]);
            hi[a] = std::max(hi[a], r[a]);
          }
        }
    if (lo.x > hi.x) throw ImagingError("atrophy needs the template's ventricle and caudate labels");
    constexpr double kMarginMm = 15;
    for (int a = 0; a < 3; ++a) {
      origin_[a] = lo[a] - kMarginMm;
      size_[a] = static_cast<long>(std::ceil(hi[a] - lo[a] + 2 * kMarginMm)) + 1;
    }
    ventricles_ = blurredMask(labels, isVentricle);
    caudate_ = blurredMask(labels, isCaudate);
    maxVentricleGradient_ = maxGradientOf(ventricles_);
    maxCaudateGradient_ = maxGradientOf(caudate_);
    labelAt_ = [&labels](Vec3 ras) {
      const auto& lg = labels.geometry;
      const Vec3 q = lg.indexFromRas(ras);
      const long i = std::lround(q.x), j = std::lround(q.y), k = std::lround(q.z);
      if (i < 0 || j < 0 || k < 0 || i >= long(lg.size[0]) || j >= long(lg.size[1]) || k >= long(lg.size[2]))
        return 0;
      return int(labels.image->GetBufferPointer()[(k * lg.size[1] + j) * lg.size[0] + i]);
    };
    templateVentricles_ = volumeOf(isVentricle, false);
    templateCaudate_ = volumeOf(isCaudate, false);
    // Caudate first with the ventricles still, then the ventricles with that caudate, then the
    // caudate again: each pull changes the other's volume a little.
    if (caudateLoss > 0) b_ = solve(&b_, isCaudate, templateCaudate_ * (1 - caudateLoss), false);
    if (ventricleScale > 1) a_ = solve(&a_, isVentricle, templateVentricles_ * ventricleScale, true);
    if (caudateLoss > 0) b_ = solve(&b_, isCaudate, templateCaudate_ * (1 - caudateLoss), false);
    ventricleScaleReached_ = volumeOf(isVentricle, true) / templateVentricles_;
    caudateLossReached_ = 1 - volumeOf(isCaudate, true) / templateCaudate_;
    labelAt_ = nullptr;  // `labels` need not outlive the constructor
  }

  // Where the atrophied anatomy at template point q (RAS mm) comes from in the template.
  Vec3 source(Vec3 q) const {
    if (!inside(q) || (a_ == 0 && b_ == 0)) return q;
    // Far from both structures the blurred masks are flat: nothing moves (saves the flow's steps).
    if (sample(ventricles_, q) < 1e-4 && sample(caudate_, q) < 1e-4) return q;
    const int steps = std::max(
        1, static_cast<int>(std::ceil((a_ * maxVentricleGradient_ + b_ * maxCaudateGradient_) / kMaxStepMm)));
    const double da = a_ / steps, db = b_ / steps;
    for (int s = 0; s < steps; ++s) q = q + da * gradient(ventricles_, q) - db * gradient(caudate_, q);
    return q;
  }
  double ventricleScaleReached() const { return ventricleScaleReached_; }
  double caudateLossReached() const { return caudateLossReached_; }

 private:
  static constexpr double kSigmaMm = 3.0, kMaxStepMm = 0.5, kCalibrationStepMm = 2.0;
  static bool isVentricle(int v) { return v == 11 || v == 12; }  // Ventricle_L, Ventricle_R
  static bool isCaudate(int v) { return v == 9 || v == 10; }     // Caudate_L, Caudate_R

  using Field = FloatImage::Pointer;
  long index(long i, long j, long k) const { return (k * size_[1] + j) * size_[0] + i; }
  bool inside(Vec3 q) const {
    for (int a = 0; a < 3; ++a)
      if (q[a] < origin_[a] + 1 || q[a] > origin_[a] + double(size_[a]) - 2) return false;
    return true;
  }

  template <typename Predicate>
  Field blurredMask(const LabelVolume& labels, Predicate in) {
    using Image = FloatImage;
    auto mask = Image::New();
    mask->SetRegions(Image::SizeType{{std::size_t(size_[0]), std::size_t(size_[1]), std::size_t(size_[2])}});
    mask->Allocate();
    const auto& lg = labels.geometry;
    const Affine ijkFromRas = lg.ijkFromRas();
    const unsigned short* data = labels.image->GetBufferPointer();
    float* m = mask->GetBufferPointer();
    for (long k = 0; k < size_[2]; ++k)
      for (long j = 0; j < size_[1]; ++j)
        for (long i = 0; i < size_[0]; ++i) {
          const Vec3 q = ijkFromRas.apply(origin_ + Vec3{double(i), double(j), double(k)});
          const long li = std::lround(q.x), lj = std::lround(q.y), lk = std::lround(q.z);
          const bool within = li >= 0 && lj >= 0 && lk >= 0 && li < long(lg.size[0]) &&
                              lj < long(lg.size[1]) && lk < long(lg.size[2]);
          m[index(i, j, k)] = within && in(data[(lk * lg.size[1] + lj) * lg.size[0] + li]) ? 1.0f : 0.0f;
        }
    auto blur = itk::SmoothingRecursiveGaussianImageFilter<Image, Image>::New();
    blur->SetInput(mask);
    blur->SetSigma(kSigmaMm);  // spacing 1: mm
    blur->Update();
    return blur->GetOutput();
  }
  // The largest gradient magnitude of a blurred mask (per mm), on its lattice.
  double maxGradientOf(const Field& f) const {
    double largest = 0;
    for (long k = 1; k + 1 < size_[2]; ++k)
      for (long j = 1; j + 1 < size_[1]; ++j)
        for (long i = 1; i + 1 < size_[0]; ++i) {
          const float* d = f->GetBufferPointer();
          const auto at = [&](long di, long dj, long dk) { return double(d[index(i + di, j + dj, k + dk)]); };
          const Vec3 g{at(1, 0, 0) - at(-1, 0, 0), at(0, 1, 0) - at(0, -1, 0), at(0, 0, 1) - at(0, 0, -1)};
          largest = std::max(largest, 0.5 * norm(g));
        }
    return largest;
  }

  // The blurred mask at template point q (RAS mm), trilinear (the sampler's own interpolation: the
  // box's lattice is its index space, 1 mm per step from origin_); 0 outside the box.
  double sample(const Field& f, Vec3 q) const { return trilinear(*f, size_, q - origin_); }
  Vec3 gradient(const Field& f, Vec3 q) const {
    constexpr double h = 0.5;  // mm
    return (1 / (2 * h)) * Vec3{sample(f, q + Vec3{h, 0, 0}) - sample(f, q - Vec3{h, 0, 0}),
                                sample(f, q + Vec3{0, h, 0}) - sample(f, q - Vec3{0, h, 0}),
                                sample(f, q + Vec3{0, 0, h}) - sample(f, q - Vec3{0, 0, h})};
  }

  // Volume (mm^3) of a structure in the template (`deformed` false) or after the deformation,
  // counted on a lattice of kCalibrationStepMm over the box.
  template <typename Predicate>
  double volumeOf(Predicate in, bool deformed) const {
    double count = 0;
    for (double z = origin_.z; z < origin_.z + double(size_[2]); z += kCalibrationStepMm)
      for (double y = origin_.y; y < origin_.y + double(size_[1]); y += kCalibrationStepMm)
        for (double x = origin_.x; x < origin_.x + double(size_[0]); x += kCalibrationStepMm) {
          const Vec3 q{x, y, z};
          if (in(labelAt_(deformed ? source(q) : q))) count += 1;
        }
    return count * std::pow(kCalibrationStepMm, 3);
  }

  // The coefficient (`coefficient` points at a_ or b_) that brings the structure's volume to
  // `targetMm3`: the volume grows with a_ (ventricles) and shrinks with b_ (caudate).
  template <typename Predicate>
  double solve(double* coefficient, Predicate in, double targetMm3, bool grows) {
    double low = 0, high = 40;  // 40: a 3 mm blur's gradient peaks near 0.13/mm, about 5 mm of flow
    for (int iteration = 0; iteration < 11; ++iteration) {
      *coefficient = 0.5 * (low + high);
      const double v = volumeOf(in, true);
      if ((v < targetMm3) == grows)
        low = *coefficient;
      else
        high = *coefficient;
    }
    return 0.5 * (low + high);
  }

  Vec3 origin_;                 // template RAS mm of the box's first lattice point
  std::array<long, 3> size_{};  // lattice points per RAS axis, 1 mm apart
  Field ventricles_, caudate_;  // blurred masks, 0-1
  double maxVentricleGradient_ = 0, maxCaudateGradient_ = 0;  // per mm; sets the flow's step count
  double a_ = 0, b_ = 0;
  double templateVentricles_ = 0, templateCaudate_ = 0;
  double ventricleScaleReached_ = 1, caudateLossReached_ = 0;
  std::function<int(Vec3)> labelAt_;
};

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
  const AtrophyField* atrophy;  // null: no atrophy
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
          if (atrophy) q = atrophy->source(q);
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
  if (p.ventricleScale < 1 || p.ventricleScale > 3)
    throw ImagingError("ventricle scale must be 1-3 (the template's volume times this)");
  if (p.caudateLoss < 0 || p.caudateLoss > 0.6) throw ImagingError("caudate loss must be 0-0.6 (a fraction)");
  std::optional<AtrophyField> atrophy;
  if (p.ventricleScale > 1 || p.caudateLoss > 0)
    atrophy.emplace(templateLabels, p.ventricleScale, p.caudateLoss);

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
  if (atrophy) {
    out.ventricleScaleReached = atrophy->ventricleScaleReached();
    out.caudateLossReached = atrophy->caudateLossReached();
  }

  const SyntheticSliceSampler sampler{templateT1,
                                      templateLabels,
                                      p,
                                      g,
                                      templateFromPatient,
                                      warp,
                                      atrophy ? &*atrophy : nullptr,
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
