#include "dbs/generators/Phantom.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <unistd.h>

#include <itkImageFileWriter.h>
#include <itkNiftiImageIO.h>

#include <nlohmann/json.hpp>

#include "dbs/generators/TruthJson.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/VoxelBudget.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------
// Label values (the project table) and T1 intensities (arbitrary units, white matter = 1000).

enum Label : std::uint8_t {
  kOutside = 0,
  kGpiL = 1,
  kGpeL = 3,
  kPutamenL = 5,
  kThalamusL = 7,
  kCaudateL = 9,
  kVentricleL = 11,
  kCapsuleL = 13,
  kOpticTractL = 15,
  kScalp = 20,
  kSkull = 21,
  kCsf = 22,
  kGreyMatter = 23,
  kWhiteMatter = 24,
  kVessel = 25,
};
// The right-side label of a left-side label (L and R values are consecutive in the table).
inline std::uint8_t sided(std::uint8_t leftLabel, bool right) {
  return static_cast<std::uint8_t>(leftLabel + (right ? 1 : 0));
}

constexpr double kWhiteMatterT1 = 1000.0;

// T1 intensity of each label: WM > thalamus > GP > putamen/caudate > cortex > CSF; skull dark,
// scalp fat bright, vessels bright (gadolinium). GPi a little brighter than GPe (more myelinated
// fibres cross it), both brighter than the putamen, as on real T1 images.
float t1ForLabel(std::uint8_t label) {
  switch (label) {
    case 1:
    case 2:
      return 870.0f;  // GPi
    case 3:
    case 4:
      return 810.0f;  // GPe
    case 5:
    case 6:
      return 680.0f;  // putamen
    case 7:
    case 8:
      return 780.0f;  // thalamus
    case 9:
    case 10:
      return 660.0f;  // caudate
    case 11:
    case 12:
      return 250.0f;  // lateral ventricles (CSF)
    case 13:
    case 14:
      return 1030.0f;  // internal capsule
    case 15:
    case 16:
      return 1000.0f;  // optic tract (myelinated)
    case kScalp:
      return 780.0f;
    case kSkull:
      return 140.0f;
    case kCsf:
      return 250.0f;
    case kGreyMatter:
      return 610.0f;
    case kWhiteMatter:
      return static_cast<float>(kWhiteMatterT1);
    case kVessel:
      return 1400.0f;
    default:
      return 0.0f;
  }
}

// ---------------------------------------------------------------------------------------------------
// Deterministic random numbers: SplitMix64, the same sequence on every platform and compiler
// (std::*_distribution is not specified bit-exactly, so it is not used).

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(splitmix(seed ^ 0xD6E8FEB86659FD93ull)) {}
  double uniform() {  // [0, 1)
    state_ += 0x9E3779B97F4A7C15ull;
    return static_cast<double>(splitmix(state_) >> 11) * (1.0 / 9007199254740992.0);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

 private:
  std::uint64_t state_;
};

// Two independent standard normal numbers for one voxel, from a hash of (seed, voxel index), so noise
// is independent of thread scheduling.
std::pair<double, double> voxelNormals(std::uint64_t seed, std::uint64_t index) {
  const std::uint64_t a = splitmix(seed * 0x2545F4914F6CDD1Dull ^ splitmix(index));
  const std::uint64_t b = splitmix(a);
  const double u1 = (static_cast<double>(a >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  const double u2 = static_cast<double>(b >> 11) * (1.0 / 9007199254740992.0);
  const double r = std::sqrt(-2.0 * std::log(u1));
  return {r * std::cos(2.0 * M_PI * u2), r * std::sin(2.0 * M_PI * u2)};
}

// ---------------------------------------------------------------------------------------------------
// Small geometry: analytic shapes in the model frame (mm); rotations are WorldFrame's.

struct Box {
  Vec3 lo{1e30, 1e30, 1e30}, hi{-1e30, -1e30, -1e30};
  bool contains(Vec3 p) const {
    return p.x >= lo.x && p.x <= hi.x && p.y >= lo.y && p.y <= hi.y && p.z >= lo.z && p.z <= hi.z;
  }
  void add(Vec3 p, double margin) {
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a] - margin);
      hi[a] = std::max(hi[a], p[a] + margin);
    }
  }
};

// An ellipsoid (or, `boxy`, the superquadric |x|^4 + |y|^4 + |z|^4 <= 1) with semi-axes along its
// local axes: lateral (towards +x for the right side), anterior, superior. `yawDeg` turns it about
// z (positive: the anterior end moves medially on the right), `rollDeg` about y (positive: the
// superior end moves laterally on the right).
struct Blob {
  Vec3 centre, invSemi;
  Affine localFromModel;  // rotation only
  bool boxy = false;
  Box box;

  Blob() = default;
  Blob(Vec3 c, Vec3 semi, double yawDeg = 0, double rollDeg = 0, bool isBoxy = false)
      : centre(c), boxy(isBoxy) {
    invSemi = {1.0 / semi.x, 1.0 / semi.y, 1.0 / semi.z};
    const Affine modelFromLocal = rotationAboutRasAxis(2, yawDeg) * rotationAboutRasAxis(1, rollDeg);
    // The inverse of a rotation is its transpose: the reversed product of the reversed rotations.
    localFromModel = rotationAboutRasAxis(1, -rollDeg) * rotationAboutRasAxis(2, -yawDeg);
    for (int k = 0; k < 3; ++k) {
      double extent = 0;
      for (int j = 0; j < 3; ++j) {
        const double e = modelFromLocal.m[k][j] * semi[j];
        extent += boxy ? std::abs(e) : e * e;
      }
      extent = boxy ? extent : std::sqrt(extent);
      box.lo[k] = c[k] - extent - 0.01;
      box.hi[k] = c[k] + extent + 0.01;
    }
  }
  Vec3 local(Vec3 p) const { return localFromModel.applyLinear(p - centre); }
  // < 1 inside, 1 on the surface.
  double level(Vec3 p) const {
    const Vec3 l = local(p);
    const double x = l.x * invSemi.x, y = l.y * invSemi.y, z = l.z * invSemi.z;
    if (boxy) return x * x * x * x + y * y * y * y + z * z * z * z;
    return x * x + y * y + z * z;
  }
  bool contains(Vec3 p) const { return box.contains(p) && level(p) <= 1.0; }
};

// A tube along a polyline, radius interpolated linearly along each segment.
struct Tube {
  std::vector<Vec3> points;
  std::vector<double> radii;
  Box box;
  Tube(std::vector<Vec3> pts, std::vector<double> r) : points(std::move(pts)), radii(std::move(r)) {
    for (std::size_t n = 0; n < points.size(); ++n) box.add(points[n], radii[n] + 0.01);
  }
  bool contains(Vec3 p) const {
    if (!box.contains(p)) return false;
    for (std::size_t n = 0; n + 1 < points.size(); ++n) {
      const Vec3 d = points[n + 1] - points[n];
      const double t = std::clamp(dot(p - points[n], d) / dot(d, d), 0.0, 1.0);
      const double r = radii[n] + t * (radii[n + 1] - radii[n]);
      const Vec3 off = p - (points[n] + t * d);
      if (dot(off, off) <= r * r) return true;
    }
    return false;
  }
};

// A sulcus: a thin radial sheet (a piece of a plane through the head centre) that cuts from the
// cortical surface `depthMm` into the brain, `halfAngle` either side of its central direction `u`
// along the tangent `t`; `m` is the sheet's normal.
struct Sulcus {
  Vec3 u, t, m;
  double cosReach, tanHalf, depthMm;
};

// ---------------------------------------------------------------------------------------------------
// The anatomical model, in model RAS mm (MNI-like: origin near the AC, x right, y anterior, z up).
// Paired structures are defined for the right side and evaluated on the mirrored point (|x|, y, z).

// Head: outer ellipsoid 152 x 192 x 172 mm; layers by depth along the ray from the centre.
const Vec3 kHeadCentre{0, -15, 5};
const Vec3 kHeadSemi{76, 96, 86};
constexpr double kScalpMm = 5.0, kSkullMm = 6.0, kOuterCsfMm = 2.0, kCortexMm = 2.7;
constexpr double kBrainDepth = kScalpMm + kSkullMm + kOuterCsfMm;  // depth of the brain surface (mm)

// Landmarks (MNI-like, model RAS mm).
const Vec3 kAcModel{0, 2, -4}, kPcModel{0, -24, -2}, kMidlineModel{0, -11, 45};

struct Sample {
  std::uint8_t label;
  float t1;
};

class HeadModel {
 public:
  HeadModel() {
    // Pallidum (GPe + GPi): centroid (19, -1, 0) per side (AAL: L -18.7, 0.0, 0.2; R 20.2, 0.2, 0.2),
    // 10 x 23 x 18 mm, about 2.17 cm^3, long axis turned 8 degrees (anterior end lateral), top
    // tilted 20 degrees laterally: a wedge pointing inferomedially to the internal capsule.
    gp_ = Blob({19, -1, 0}, {5.0, 11.5, 9.0}, -8, 20);
    gpLamina_ = Blob({19, -1, 0}, {6.0, 12.5, 10.0}, -8, 20);  // lateral medullary lamina (WM)
    // Medial medullary lamina: GPi is the part of the GP medial-inferior of a plane whose normal
    // (local lateral, tilted 25 degrees up) points into GPe; -1.1 mm gives GPi ~36% of the GP.
    gpiSplitNormal_ = {std::cos(25 * M_PI / 180), 0, std::sin(25 * M_PI / 180)};
    gpiSplitOffsetMm_ = -1.1;
    // Putamen: lateral to the GP around x = 26, about 4 cm^3 once the GP is carved out.
    putamen_ = Blob({25.5, 2, 1}, {6.0, 19.0, 11.5}, -8, 20);
    // Thalamus: centred near (11, -18, 6) once the ventricles are carved out, anterior end medial
    // (yaw 20 degrees) so the posterior limb of the internal capsule separates it from the GP; ~5 cm^3.
    thalamus_ = Blob({10.5, -20, 7}, {8.0, 15.5, 10.5}, 20, 0);
    // Caudate: head lateral to the frontal horn, body along the ventricle's superolateral wall.
    caudateHead_ = Blob({12, 13, 10}, {5.0, 10.0, 8.5});
    caudateBody_.emplace_back(Tube({{14, 5, 16}, {17.5, -10, 21}, {19, -24, 21}}, {4.0, 3.0, 2.0}));
    // Lateral ventricle: frontal horn, body (x 3.5-15.5, y -30..+18, z 12-24), atrium, occipital
    // and temporal horns; about 7 cm^3 per side.
    ventricleParts_ = {Blob({7, 16, 12}, {4.5, 10, 7}), Blob({9.5, -6, 18}, {6.0, 24, 5.5}, 8, 0),
                       Blob({17, -32, 14}, {6.5, 9, 8})};
    ventricleTubes_.emplace_back(Tube({{18, -38, 13}, {17, -55, 8}}, {3.0, 1.5}));
    ventricleTubes_.emplace_back(Tube({{22, -36, 8}, {29, -26, -8}, {28, -12, -17}}, {2.2, 2.0, 1.5}));
    thirdVentricle_ = Blob({0, -11, 3}, {1.8, 11, 8}, 0, 0, true);
    // Internal capsule: anterior limb (genu to anterolateral) and posterior limb (genu to
    // posterolateral) as slabs; nuclei override them, so the capsule is the WM between.
    capsule_ = {capsuleLimb({13.5, -1, 5}, {21, 22, 6}, 3.5, 11.0),
                capsuleLimb({13.5, -1, 5}, {25, -29, 6}, 4.0, 12.0)};
    // Optic tract: from the chiasm, posterolaterally under the GPi's ventral border, to the lateral
    // geniculate body (about 3 x 2 mm in cross-section; the GP overrides it where they touch).
    opticTract_.emplace_back(
        Tube({{6, 3, -14}, {14, -5, -13}, {20, -15, -11}, {23, -25, -7}}, {1.6, 1.6, 1.6, 1.6}));
    // Insular cortex, deep in the Sylvian fissure, lateral to the putamen and the extreme capsule.
    insula_ = Blob({36, -6, 2}, {2.0, 22, 14}, -8, 0);

    // Vessels (contrast-enhanced T1: bright). Right side; the midline ones are symmetric.
    std::vector<Vec3> sinus;
    std::vector<double> sinusRadii;
    for (int deg = 20; deg <= 175; deg += 5) {
      const double a = deg * M_PI / 180;
      sinus.push_back({0, kHeadCentre.y + (kHeadSemi.y - 12.5) * std::cos(a),
                       kHeadCentre.z + (kHeadSemi.z - 12.5) * std::sin(a)});
      sinusRadii.push_back(3.0);
    }
    vessels_.emplace_back(sinus, sinusRadii);                               // superior sagittal sinus
    vessels_.emplace_back(Tube({{15, 4, -45}, {15, 3, -17}}, {2.0, 2.0}));  // internal carotid
    vessels_.emplace_back(Tube({{15, 3, -17}, {30, 4, -15}, {39, 4, -6}, {42, -10, 1.75}, {44, -28, 8}},
                               {1.6, 1.5, 1.3, 1.2, 1.0}));  // middle cerebral, into the Sylvian fissure
    vessels_.emplace_back(Tube({{15, 3, -17},
                                {2.2, 12, -12},
                                {2.2, 28, -2},
                                {2.2, 38, 18},
                                {2.2, 25, 42},
                                {2.2, 0, 52},
                                {2.2, -30, 52}},
                               {1.4, 1.3, 1.2, 1.2, 1.1, 1.0, 0.9}));         // anterior cerebral
    vessels_.emplace_back(Tube({{0, -24, -55}, {0, -20, -22}}, {1.7, 1.7}));  // basilar
    vessels_.emplace_back(Tube({{0, -20, -22}, {10, -26, -17}, {22, -45, -9}, {20, -70, 0}},
                               {1.3, 1.2, 1.1, 1.0}));  // posterior cerebral

    deepBox_ = Box{{-1, -62, -30}, {46, 42, 40}};
    for (const auto& b : {gp_, putamen_, thalamus_, caudateHead_, insula_}) {
      for (int a = 0; a < 3; ++a) {
        deepBox_.lo[a] = std::min(deepBox_.lo[a], b.box.lo[a]);
        deepBox_.hi[a] = std::max(deepBox_.hi[a], b.box.hi[a]);
      }
    }

    // Sulci: a fixed (not seed-dependent) set of radial clefts spread over the convexity by a
    // Fibonacci lattice, 8-16 mm deep and 24-46 mm long, in random in-plane directions.
    Random rng(20240611);
    const int n = 110;
    for (int k = 0; k < n; ++k) {
      const double z = 1.0 - 2.0 * (k + 0.5) / n, r = std::sqrt(1.0 - z * z),
                   phi = k * M_PI * (3.0 - std::sqrt(5.0));
      const Vec3 u{r * std::cos(phi), r * std::sin(phi), z};
      const double along = rng.uniform(), lengthMm = rng.uniform(24, 46), depthMm = rng.uniform(8, 16);
      if (u.z < -0.5 || std::abs(u.x) < 0.15) continue;  // skull base; the midline has its fissure
      const Vec3 e1 = normalized(cross(u, {0, 0, 1})), e2 = cross(u, e1);
      const Vec3 t = normalized(std::cos(M_PI * along) * e1 + std::sin(M_PI * along) * e2);
      const double halfAngle = 0.5 * lengthMm / 72.0;
      sulci_.push_back(
          {u, t, normalized(cross(u, t)), std::cos(halfAngle + 0.2), std::tan(halfAngle), depthMm});
    }
  }

  Sample evaluate(Vec3 p) const {
    const std::uint8_t label = labelAt(p);
    return {label, t1ForLabel(label)};
  }

  std::uint8_t labelAt(Vec3 p) const {
    const Vec3 q = p - kHeadCentre;
    const double nx = q.x / kHeadSemi.x, ny = q.y / kHeadSemi.y, nz = q.z / kHeadSemi.z;
    const double rho2 = nx * nx + ny * ny + nz * nz;
    if (rho2 > 1.0) return kOutside;
    const double rho = std::sqrt(rho2), radius = norm(q);
    // Depth below the scalp surface along the ray from the head centre (mm).
    const double depth = rho > 1e-9 ? radius * (1.0 / rho - 1.0) : 1e9;
    if (depth < kScalpMm) return kScalp;
    if (depth < kScalpMm + kSkullMm) return kSkull;

    const bool right = p.x >= 0;
    const Vec3 pm{std::abs(p.x), p.y, p.z};  // mirrored onto the right side
    const bool deep = deepBox_.contains(pm);
    if (deep) {
      for (const auto& v : ventricleParts_)
        if (v.contains(pm)) return sided(kVentricleL, right);
      for (const auto& v : ventricleTubes_)
        if (v.contains(pm)) return sided(kVentricleL, right);
      if (thirdVentricle_.contains(pm)) return kCsf;
      if (gp_.contains(pm)) {
        const Vec3 l = gp_.local(pm);
        const bool internal = l.x * gpiSplitNormal_.x + l.z * gpiSplitNormal_.z < gpiSplitOffsetMm_;
        return sided(internal ? kGpiL : kGpeL, right);
      }
      if (gpLamina_.contains(pm) && gp_.local(pm).x > 0) return kWhiteMatter;
      if (putamen_.contains(pm)) return sided(kPutamenL, right);
      if (thalamus_.contains(pm)) return sided(kThalamusL, right);
      for (const auto& t : opticTract_)
        if (t.contains(pm)) return sided(kOpticTractL, right);
      if (caudateHead_.contains(pm)) return sided(kCaudateL, right);
      for (const auto& c : caudateBody_)
        if (c.contains(pm)) return sided(kCaudateL, right);
    }
    for (const auto& v : vessels_)
      if (v.contains(pm)) return kVessel;
    if (deep) {
      for (const auto& c : capsule_)
        if (c.contains(pm)) return sided(kCapsuleL, right);
    }
    if (depth < kBrainDepth) return kCsf;
    const double brainDepth = depth - kBrainDepth;

    // Interhemispheric fissure, down to the corpus callosum; not through the diencephalon.
    const double cy = (p.y + 10) / 46.0, cz = (p.z - 6) / 24.0;
    const bool belowCore = p.z < 6 && p.y > -50 && p.y < 25;
    if (pm.x < 1.0 + kCortexMm && cy * cy + cz * cz > 1.0 && !belowCore)
      return pm.x < 1.0 ? kCsf : kGreyMatter;

    // Sylvian fissure (rising posteriorly) down to the insula; the insula's own cortex.
    if (pm.x > 37.5 && pm.y > -36 && pm.y < 18) {
      const double offset = std::abs(0.35 * (pm.y + 5) + pm.z) / std::sqrt(1 + 0.35 * 0.35);
      if (offset < 1.0) return kCsf;
      if (offset < 1.0 + kCortexMm) return kGreyMatter;
    }
    if (deep && insula_.contains(pm)) return kGreyMatter;

    // Sulci of the convexity.
    if (brainDepth < 16 + kCortexMm && radius > 1e-9) {
      const Vec3 dir = (1.0 / radius) * q;
      for (const auto& s : sulci_) {
        if (brainDepth > s.depthMm + kCortexMm || dot(dir, s.u) < s.cosReach) continue;
        const double along = dot(q, s.u);
        if (along <= 0 || std::abs(dot(q, s.t)) > s.tanHalf * along) continue;
        const double across = std::abs(dot(q, s.m));
        if (across < 0.8 && brainDepth < s.depthMm) return kCsf;
        if (across < 0.8 + kCortexMm) return kGreyMatter;
      }
    }
    if (brainDepth < kCortexMm) return kGreyMatter;
    return kWhiteMatter;
  }

 private:
  static Blob capsuleLimb(Vec3 from, Vec3 to, double halfWidth, double halfHeight) {
    const Vec3 d = to - from;
    const double yawDeg = std::atan2(-d.x, d.y) * 180.0 / M_PI;  // local anterior axis along the limb
    return Blob(0.5 * (from + to), {halfWidth, 0.5 * std::hypot(d.x, d.y), halfHeight}, yawDeg, 0, true);
  }

  Blob gp_, gpLamina_, putamen_, thalamus_, caudateHead_, thirdVentricle_, insula_;
  Vec3 gpiSplitNormal_;
  double gpiSplitOffsetMm_ = 0;
  std::vector<Tube> caudateBody_, ventricleTubes_, vessels_, opticTract_;
  std::vector<Blob> ventricleParts_, capsule_;
  std::vector<Sulcus> sulci_;
  Box deepBox_;
};

// ---------------------------------------------------------------------------------------------------
// Warp: a smooth displacement (model mm) as a sum of Gaussian bumps, scaled so that its largest
// magnitude over the head is `maxMm`. With sigma 28 mm and maxMm <= 10 it stays invertible.

class Warp {
 public:
  Warp(std::uint64_t seed, double maxMm) {
    if (maxMm <= 0) return;
    Random rng(seed ^ 0x57A2ull);
    for (int k = 0; k < 8; ++k) {
      const Vec3 c{rng.uniform(-50, 50), rng.uniform(-70, 45), rng.uniform(-30, 55)};
      Vec3 a{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
      bumps_.push_back({c, a});
    }
    double largest = 0;
    for (double x = -kHeadSemi.x; x <= kHeadSemi.x; x += 4)
      for (double y = -kHeadSemi.y; y <= kHeadSemi.y; y += 4)
        for (double z = -kHeadSemi.z; z <= kHeadSemi.z; z += 4) {
          const Vec3 p = kHeadCentre + Vec3{x, y, z};
          largest = std::max(largest, norm(displacement(p)));
        }
    const double scale = largest > 0 ? maxMm / largest : 0;
    for (auto& b : bumps_) b.second = scale * b.second;
  }
  bool active() const { return !bumps_.empty(); }
  Vec3 displacement(Vec3 p) const {
    Vec3 u;
    for (const auto& b : bumps_) {
      const Vec3 d = p - b.first;
      u = u + std::exp(-dot(d, d) * kInvTwoSigma2) * b.second;
    }
    return u;
  }
  // The model point actually sampled at `m` (m + u(m)).
  Vec3 apply(Vec3 m) const { return active() ? m + displacement(m) : m; }
  // The m with m + u(m) = target (fixed-point iteration; |grad u| < 1).
  Vec3 invert(Vec3 target) const {
    Vec3 m = target;
    for (int it = 0; it < 100 && active(); ++it) m = target - displacement(m);
    return m;
  }

 private:
  static constexpr double kInvTwoSigma2 = 1.0 / (2.0 * 28.0 * 28.0);
  std::vector<std::pair<Vec3, Vec3>> bumps_;
};

// ---------------------------------------------------------------------------------------------------

// Voxel axis directions (RAS unit vectors) for a nibabel orientation code; throws on a bad code.
std::array<Vec3, 3> axesForOrientation(const std::string& code) {
  const std::string bad = "orientation '" + code +
                          "' is not a 3-letter code using each of R/L, A/P, S/I once (e.g. RAS, LPS, PIL)";
  if (code.size() != 3) throw ImagingError(bad);
  std::array<Vec3, 3> axes;
  bool used[3] = {false, false, false};
  for (int i = 0; i < 3; ++i) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(code[i])));
    int axis = -1;
    double sign = 1;
    switch (c) {
      case 'R':
        axis = 0;
        break;
      case 'L':
        axis = 0;
        sign = -1;
        break;
      case 'A':
        axis = 1;
        break;
      case 'P':
        axis = 1;
        sign = -1;
        break;
      case 'S':
        axis = 2;
        break;
      case 'I':
        axis = 2;
        sign = -1;
        break;
      default:
        throw ImagingError(bad);
    }
    if (used[axis]) throw ImagingError(bad);
    used[axis] = true;
    axes[i] = Vec3{};
    axes[i][axis] = sign;
  }
  return axes;
}

double asFloat(double v) {
  return static_cast<double>(static_cast<float>(v));
}

void report(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

using truth::affineJson;
using truth::vecJson;

template <typename ImageType>
void writeNifti(const ImageType& image, const std::string& path) {
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetImageIO(itk::NiftiImageIO::New());
  writer->SetFileName(path);
  writer->SetInput(&image);
  writer->SetUseCompression(true);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    std::string text = e.GetDescription();
    std::replace(text.begin(), text.end(), '\n', ' ');
    throw ImagingError(path + ": cannot write: " + text);
  }
}

}  // namespace

void validatePhantomParameters(const PhantomParameters& p) {
  for (int a = 0; a < 3; ++a)
    // 0.5 mm at the finest (the sample data's finest, ch2better): 0.2 mm made a billion-voxel grid
    // that ran for minutes (issue 11).
    if (!(p.spacingMm[a] >= 0.5 && p.spacingMm[a] <= 10.0))
      throw ImagingError("phantom spacing must be between 0.5 and 10 mm per axis, got " +
                         std::to_string(p.spacingMm[a]));
  axesForOrientation(p.orientation);
  if (!(p.noiseFraction >= 0 && p.noiseFraction <= 0.5))
    throw ImagingError("phantom noise must be a fraction of the WM intensity between 0 and 0.5");
  if (!(p.warpMm >= 0 && p.warpMm <= 10))
    throw ImagingError("phantom warp must be between 0 and 10 mm (larger fields fold)");
  if (!(p.biasFraction >= 0 && p.biasFraction <= 0.3))
    throw ImagingError("phantom bias field must be between 0 and 0.3");
}

namespace {

// Pose: patient = T * Rz * Ry * Rx * S * model (rotations about the model origin, near the AC),
// drawn from the seed (seed 0: the identity). Sets the truth's pose and patientRasFromModelRas.
void drawPhantomPose(const PhantomParameters& parameters, PhantomTruth& truth) {
  Random poseRng(parameters.seed);
  if (parameters.seed != 0) {
    truth.poseRotationDeg = {poseRng.uniform(-10, 10), poseRng.uniform(-10, 10), poseRng.uniform(-10, 10)};
    truth.poseScale = {poseRng.uniform(0.95, 1.05), poseRng.uniform(0.95, 1.05), poseRng.uniform(0.95, 1.05)};
    truth.poseTranslationMm = {poseRng.uniform(-10, 10), poseRng.uniform(-10, 10), poseRng.uniform(-10, 10)};
  }
  const Affine rot = rotationAboutRasAxis(2, truth.poseRotationDeg.z) *
                     rotationAboutRasAxis(1, truth.poseRotationDeg.y) *
                     rotationAboutRasAxis(0, truth.poseRotationDeg.x);
  Affine& pose = truth.patientRasFromModelRas;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) pose.m[r][c] = rot.m[r][c] * truth.poseScale[c];
    pose.m[r][3] = truth.poseTranslationMm[r];
  }
}

// Grid: axes from the orientation code, covering the posed head (exact ellipsoid extents) plus the
// warp and a 4 mm margin. Spacing and origin are rounded to float32 so the file holds them exactly.
// Writes size and rasFromIjk (voxel index -> patient RAS mm) into `grid`.
void layOutPhantomGrid(const PhantomParameters& parameters, const std::array<Vec3, 3>& axes,
                       const Affine& pose, ImageGeometry& grid) {
  Vec3 centreRas = pose.apply(kHeadCentre), extentRas;
  for (int k = 0; k < 3; ++k) {
    double e2 = 0;
    for (int j = 0; j < 3; ++j) e2 += std::pow(pose.m[k][j] * kHeadSemi[j], 2);
    extentRas[k] = std::sqrt(e2) + parameters.warpMm * 1.1 + 4.0;
    centreRas[k] = std::round(centreRas[k] * 2.0) / 2.0;
  }
  Vec3 originRas = centreRas;
  for (int i = 0; i < 3; ++i) {
    const double spacing = asFloat(parameters.spacingMm[i]);
    int axis = 0;
    for (int k = 0; k < 3; ++k)
      if (axes[i][k] != 0) axis = k;
    grid.size[i] = static_cast<std::size_t>(std::ceil(2.0 * extentRas[axis] / spacing)) + 1;
    originRas = originRas - (0.5 * spacing * static_cast<double>(grid.size[i] - 1)) * axes[i];
    for (int r = 0; r < 3; ++r) grid.rasFromIjk.m[r][i] = axes[i][r] * spacing;
  }
  for (int r = 0; r < 3; ++r) grid.rasFromIjk.m[r][3] = asFloat(originRas[r]);
}

// Bias field: 1 + biasFraction * (low-order polynomial in the head-normalised patient position),
// its six coefficients drawn from the seed; 1 everywhere when biasFraction is 0.
class BiasField {
 public:
  BiasField(std::uint64_t seed, double biasFraction, Vec3 headCentreRas, double headRadius)
      : biasFraction_(biasFraction), headCentreRas_(headCentreRas), headRadius_(headRadius) {
    Random biasRng(seed ^ 0xB1A5ull);
    for (auto& c : biasCoefficients_) {
      c = biasRng.uniform(-1, 1);
      biasNorm_ += std::abs(c);
    }
  }
  double at(Vec3 xRas) const {
    if (biasFraction_ <= 0) return 1.0;
    const Vec3 u = (1.0 / headRadius_) * (xRas - headCentreRas_);
    const double poly = biasCoefficients_[0] * u.x + biasCoefficients_[1] * u.y + biasCoefficients_[2] * u.z +
                        biasCoefficients_[3] * u.x * u.y + biasCoefficients_[4] * u.y * u.z +
                        biasCoefficients_[5] * (u.z * u.z - 0.5);
    return 1.0 + biasFraction_ * std::clamp(poly / biasNorm_, -1.0, 1.0);
  }

 private:
  double biasFraction_;
  Vec3 headCentreRas_;
  double headRadius_;
  std::array<double, 6> biasCoefficients_{};
  double biasNorm_ = 0;
};

// Samples the posed, warped head model on the phantom grid one axial slice (k) at a time: the T1
// (optionally averaged over 8 sub-voxel points, times the bias field, with Rician noise from a hash
// of the voxel index, so independent of the thread) and the label. Slices are independent.
struct PhantomSliceSampler {
  const PhantomParameters& parameters;
  const HeadModel& model;
  const Warp& warp;
  const ImageGeometry& grid;
  const BiasField& bias;
  Affine modelFromIjk;
  double sigma;
  std::uint64_t noiseSeed;
  float* t1Data;
  LabelImage::PixelType* labelData;

  Sample sampleModel(Vec3 ijk) const { return model.evaluate(warp.apply(modelFromIjk.apply(ijk))); }

  void sampleSlice(std::size_t k) const {
    const std::size_t nx = grid.size[0], ny = grid.size[1];
    for (std::size_t j = 0; j < ny; ++j) {
      for (std::size_t i = 0; i < nx; ++i) {
        const Vec3 ijk{double(i), double(j), double(k)};
        const std::size_t index = (k * ny + j) * nx + i;
        const Sample s = sampleModel(ijk);
        double value = s.t1;
        if (parameters.antialias) {
          value = 0;
          for (int sub = 0; sub < 8; ++sub) {
            const Vec3 offset{(sub & 1) ? 0.25 : -0.25, (sub & 2) ? 0.25 : -0.25, (sub & 4) ? 0.25 : -0.25};
            value += sampleModel(ijk + offset).t1;
          }
          value /= 8.0;
        }
        value *= bias.at(grid.rasFromIjk.apply(ijk));
        if (sigma > 0) {  // Rician: magnitude of a complex signal with Gaussian noise in both channels
          const auto [n1, n2] = voxelNormals(noiseSeed, index);
          value = std::sqrt((value + sigma * n1) * (value + sigma * n1) + (sigma * n2) * (sigma * n2));
        }
        t1Data[index] = static_cast<float>(value);
        labelData[index] = s.label;
      }
    }
  }
};

// Runs sampler.sampleSlice(k) for every k < nz in chunks of slices; the worker threads share a
// slice counter within a chunk, and the calling thread reports progress (0.05-0.9, and honours
// cancellation) between chunks.
void sampleSlicesInChunks(const PhantomSliceSampler& sampler, std::size_t nz,
                          const ProgressCallback& progress) {
  const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  const std::size_t chunk = std::max<std::size_t>(4, nz / 20);
  for (std::size_t k0 = 0; k0 < nz; k0 += chunk) {
    report(progress, 0.05 + 0.85 * double(k0) / double(nz), "sampling the head model");
    const std::size_t k1 = std::min(nz, k0 + chunk);
    std::atomic<std::size_t> next{k0};
    auto worker = [&] {
      for (std::size_t k = next++; k < k1; k = next++) sampler.sampleSlice(k);
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }
}

// Truth measured from the label map as generated: exact integer sums of voxel indices per label,
// giving each label's voxel count, centroid (patient RAS mm) and mean T1, and each side's GPi, GPe
// and whole-GP centroids and volumes (mm3).
void measurePhantomLabels(const ImageGeometry& grid, const LabelImage::PixelType* labelData,
                          const float* t1Data, PhantomTruth& truth) {
  const std::size_t nx = grid.size[0], ny = grid.size[1], nz = grid.size[2];
  std::array<std::array<std::uint64_t, 3>, 256> indexSums{};
  std::array<double, 256> t1Sums{};
  for (std::size_t k = 0, index = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i, ++index) {
        const auto l = std::min<int>(labelData[index], 255);
        ++truth.labelVoxelCounts[l];
        indexSums[l][0] += i;
        indexSums[l][1] += j;
        indexSums[l][2] += k;
        t1Sums[l] += t1Data[index];
      }
  const double voxelVolume = std::abs(grid.rasFromIjk.determinant3x3());
  auto centroidOf = [&](std::initializer_list<int> values) {
    std::uint64_t count = 0;
    std::array<std::uint64_t, 3> sums{};
    for (int v : values) {
      count += truth.labelVoxelCounts[v];
      for (int a = 0; a < 3; ++a) sums[a] += indexSums[v][a];
    }
    if (count == 0) return Vec3{};
    return grid.rasFromIjk.apply(
        {double(sums[0]) / double(count), double(sums[1]) / double(count), double(sums[2]) / double(count)});
  };
  for (int l = 0; l < 256; ++l) {
    if (truth.labelVoxelCounts[l] == 0) continue;
    truth.labelCentroidsRas[l] = centroidOf({l});
    truth.labelMeanT1[l] = t1Sums[l] / double(truth.labelVoxelCounts[l]);
  }
  for (int side = 0; side < 2; ++side) {
    const int gpi = kGpiL + side, gpe = kGpeL + side;
    PhantomSideTruth& s = truth.sides[side];
    s.gpiCentroidRas = centroidOf({gpi});
    s.gpeCentroidRas = centroidOf({gpe});
    s.gpCentroidRas = centroidOf({gpi, gpe});
    s.gpiVolumeMm3 = double(truth.labelVoxelCounts[gpi]) * voxelVolume;
    s.gpeVolumeMm3 = double(truth.labelVoxelCounts[gpe]) * voxelVolume;
    s.gpVolumeMm3 = s.gpiVolumeMm3 + s.gpeVolumeMm3;
  }
}

}  // namespace

PhantomResult generatePhantom(const PhantomParameters& parameters, const ProgressCallback& progress) {
  validatePhantomParameters(parameters);
  report(progress, 0.0, "building the head model");
  PhantomResult result;
  PhantomTruth& truth = result.truth;
  truth.parameters = parameters;
  truth.parameters.orientation.clear();
  for (char c : parameters.orientation)
    truth.parameters.orientation += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  drawPhantomPose(parameters, truth);
  const Affine& pose = truth.patientRasFromModelRas;
  const Affine modelFromPatient = pose.inverse();
  const HeadModel model;
  const Warp warp(parameters.seed, parameters.warpMm);

  const auto axes = axesForOrientation(truth.parameters.orientation);
  ImageGeometry& grid = truth.grid;
  layOutPhantomGrid(parameters, axes, pose, grid);
  checkVoxelBudget("phantom", grid.size, 4);

  // Images.
  auto t1 = FloatImage::New();
  LabelVolume labelVolume = makeLabelVolume(grid);
  LabelImage& labels = *labelVolume.image;
  t1->SetRegions(FloatImage::SizeType{{grid.size[0], grid.size[1], grid.size[2]}});
  applyGeometryToItk(grid, *t1, "phantom");
  t1->Allocate();
  float* t1Data = t1->GetBufferPointer();
  LabelImage::PixelType* labelData = labels.GetBufferPointer();

  const BiasField bias(parameters.seed, parameters.biasFraction, pose.apply(kHeadCentre), kHeadSemi.y * 1.05);
  const PhantomSliceSampler sampler{parameters,
                                    model,
                                    warp,
                                    grid,
                                    bias,
                                    modelFromPatient * grid.rasFromIjk,
                                    parameters.noiseFraction * kWhiteMatterT1,
                                    splitmix(parameters.seed ^ 0x4E015Eull),
                                    t1Data,
                                    labelData};
  sampleSlicesInChunks(sampler, grid.size[2], progress);

  report(progress, 0.92, "measuring the label map");
  measurePhantomLabels(grid, labelData, t1Data, truth);
  const Vec3 mcpModel = 0.5 * (kAcModel + kPcModel);
  for (const auto& [name, m] : {std::pair<const char*, Vec3>{"AC", kAcModel},
                                {"PC", kPcModel},
                                {"MCP", mcpModel},
                                {"midline", kMidlineModel}})
    truth.landmarks.push_back({name, m, pose.apply(warp.invert(m))});

  result.t1.image = t1;
  result.t1.geometry = grid;
  result.t1.path = "";
  result.t1.format = "phantom";
  result.t1.storedPixelType = "float";
  result.t1.geometrySource = "generated (phantom grid)";
  labelVolume.path = "";
  result.labels = labelVolume;
  report(progress, 1.0, "phantom ready");
  return result;
}

std::string phantomTruthJson(const PhantomResult& result) {
  const PhantomTruth& t = result.truth;
  const PhantomParameters& p = t.parameters;
  nlohmann::json j;
  j["schema"] = "dbsplan.phantom/1";
  j["frames"] = {
      {"model_ras", "anatomical model frame, MNI-like RAS mm (origin near the anterior commissure)"},
      {"patient_ras", "the phantom's world frame, RAS mm; every *_ras value below is in it"},
      {"ijk", "0-based voxel index of the written images; ras_from_ijk maps it to patient RAS mm"},
      {"warp",
       "anatomy at patient point x is the model at m + u(m), m = inverse(patient_ras_from_model_ras) x"}};
  j["files"] = {{"t1", kPhantomT1File}, {"labels", kPhantomLabelsFile}};
  nlohmann::json table = nlohmann::json::object();
  for (const auto& l : standardLabels()) table[l.name] = l.value;
  j["labels"] = table;
  j["parameters"] = {{"seed", p.seed},
                     {"spacing_mm", vecJson(p.spacingMm)},
                     {"orientation", p.orientation},
                     {"noise_fraction", p.noiseFraction},
                     {"warp_mm", p.warpMm},
                     {"bias_fraction", p.biasFraction},
                     {"antialias", p.antialias}};
  j["pose"] = {{"rotation_deg", vecJson(t.poseRotationDeg)},
               {"rotation_order", "patient = T * Rz * Ry * Rx * S * model"},
               {"scale", vecJson(t.poseScale)},
               {"translation_mm", vecJson(t.poseTranslationMm)}};
  j["patient_ras_from_model_ras"] = affineJson(t.patientRasFromModelRas);
  j["grid"] = {{"dims", {t.grid.size[0], t.grid.size[1], t.grid.size[2]}},
               {"ras_from_ijk", affineJson(t.grid.rasFromIjk)},
               {"spacing_mm", vecJson(t.grid.spacingMm())},
               {"orientation", t.grid.orientationCode()}};
  j["ras_from_ijk"] = affineJson(t.grid.rasFromIjk);
  j["dims"] = {t.grid.size[0], t.grid.size[1], t.grid.size[2]};
  nlohmann::json landmarks = nlohmann::json::object(), landmarksModel = nlohmann::json::object();
  for (const auto& l : t.landmarks) {
    landmarks[l.name] = vecJson(l.patientRas);
    landmarksModel[l.name] = vecJson(l.modelRas);
  }
  j["landmarks_ras"] = landmarks;
  j["landmarks_model_ras"] = landmarksModel;
  const char* sideNames[2] = {"left", "right"};
  for (int s = 0; s < 2; ++s) {
    const PhantomSideTruth& side = t.sides[s];
    j["gpi_centroid_ras"][sideNames[s]] = vecJson(side.gpiCentroidRas);
    j["gp"][sideNames[s]] = {
        {"centroid_ras", vecJson(side.gpCentroidRas)},
        {"volume_mm3", side.gpVolumeMm3},
        {"gpi_volume_mm3", side.gpiVolumeMm3},
        {"gpe_volume_mm3", side.gpeVolumeMm3},
        {"gpe_centroid_ras", vecJson(side.gpeCentroidRas)},
        {"gpi_fraction", side.gpVolumeMm3 > 0 ? side.gpiVolumeMm3 / side.gpVolumeMm3 : 0.0}};
  }
  const double voxelVolume = std::abs(t.grid.rasFromIjk.determinant3x3());
  nlohmann::json structures = nlohmann::json::object();
  for (const auto& l : standardLabels()) {
    const std::uint64_t n = t.labelVoxelCounts[l.value];
    structures[l.name] = {{"value", l.value},
                          {"voxels", n},
                          {"volume_mm3", double(n) * voxelVolume},
                          {"centroid_ras", vecJson(t.labelCentroidsRas[l.value])},
                          {"mean_t1", t.labelMeanT1[l.value]}};
  }
  j["structures"] = structures;
  return j.dump(2) + "\n";
}

void writePhantom(const PhantomResult& result, const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (!fs::is_directory(directory, ec)) throw ImagingError(directory + ": cannot create the output folder");
  const fs::path dir(directory);
  const std::string tag = ".tmp-" + std::to_string(::getpid()) + "-";
  const std::array<std::string, 3> finals{kPhantomT1File, kPhantomLabelsFile, kPhantomTruthFile};
  std::array<fs::path, 3> temps;
  for (int n = 0; n < 3; ++n) temps[n] = dir / (tag + finals[n]);  // keeps .nii.gz: ITK compresses
  auto removeTemps = [&] {
    for (const auto& t : temps) fs::remove(t, ec);
  };
  try {
    writeNifti(*result.t1.image, temps[0].string());
    writeNifti(*result.labels.image, temps[1].string());
    const std::string json = phantomTruthJson(result);
    std::ofstream out(temps[2], std::ios::binary);
    out << json;
    out.close();
    if (!out) throw ImagingError(temps[2].string() + ": cannot write");
    for (int n = 0; n < 3; ++n) {
      fs::rename(temps[n], dir / finals[n], ec);
      if (ec) throw ImagingError((dir / finals[n]).string() + ": cannot rename into place: " + ec.message());
    }
  } catch (...) {
    removeTemps();
    throw;
  }
}

}  // namespace dbs
