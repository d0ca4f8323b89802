#include "dbs/generators/FramePhantom.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <itkSmoothingRecursiveGaussianImageFilter.h>
#include <nlohmann/json.hpp>

#include "dbs/generators/TruthJson.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs {

namespace {

// Deterministic random numbers (SplitMix64), as the head phantom's: same seed, same CT.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
  double normal() {
    const double u1 = std::max(1e-300, uniform(0, 1)), u2 = uniform(0, 1);
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  std::uint64_t state_;
};

// Hounsfield units of each phantom label (Phantom.cpp's table): soft tissue 20-45, CSF near water,
// bone 1300, vessels without contrast a little above brain.
float huForLabel(unsigned label) {
  switch (label) {
    case 0:
      return -1000.0f;  // air
    case 11:
    case 12:
    case 22:
      return 8.0f;  // ventricles, CSF
    case 20:
      return 20.0f;  // scalp
    case 21:
      return 1300.0f;  // skull
    case 23:
      return 38.0f;  // cortex
    case 24:
    case 13:
    case 14:
    case 15:
    case 16:
      return 28.0f;  // white matter, capsule, optic tract
    case 25:
      return 55.0f;  // vessels
    default:
      return 40.0f;  // deep grey matter
  }
}

constexpr float kRodHu = 2200.0f;  // aluminium-like ("metal-like" rods)
constexpr float kPinHu = 3000.0f;  // titanium fixation pins
// MR localizer rods are tubes of copper sulphate solution: brighter than any tissue on a T1 (the
// phantom's white matter is 1000).
constexpr float kRodT1 = 1800.0f;

Vec3 asFloatVec(Vec3 v) {
  return {static_cast<double>(static_cast<float>(v.x)), static_cast<double>(static_cast<float>(v.y)),
          static_cast<double>(static_cast<float>(v.z))};
}

using truth::affineJson;
using truth::vecJson;

double segmentDistance(Vec3 p, Vec3 a, Vec3 b) {
  const Vec3 d = b - a;
  const double t = std::clamp(dot(p - a, d) / dot(d, d), 0.0, 1.0);
  return norm(p - (a + t * d));
}

}  // namespace

FramePhantom generateFramePhantom(const PhantomResult& head, const FrameModel& frame,
                                  const FramePhantomParameters& parameters,
                                  const ProgressCallback& progress) {
  for (const std::string& name : parameters.removedRods) {
    bool known = false;
    for (const auto& plate : frame.plates)
      for (const auto& rod : plate.rods) known = known || rod.name == name;
    if (!known) throw ImagingError("frame phantom: the " + frame.name + " has no rod \"" + name + "\"");
  }
  if (!parameters.croppedPlate.empty()) {
    try {
      frame.plate(parameters.croppedPlate);
    } catch (const std::out_of_range& e) {
      throw ImagingError(std::string("frame phantom: ") + e.what());
    }
  }
  if (!(parameters.noiseHu >= 0 && parameters.noiseHu <= 200))
    throw ImagingError("frame phantom: noise must be 0-200 HU");
  for (int a = 0; a < 3; ++a)
    if (!(parameters.spacingMm[a] >= 0.3 && parameters.spacingMm[a] <= 3))
      throw ImagingError("frame phantom: voxel size must be 0.3-3 mm");

  FramePhantom out;
  FramePhantomTruth& truth = out.truth;
  truth.parameters = parameters;
  truth.frameId = frame.id;
  Random rng(parameters.seed);

  // The frame on the head: its centre near the head's mid-commissural point, a little superior and
  // anterior as a frame is placed for basal-ganglia targets, tilted by a few degrees.
  Vec3 mcp;
  for (const auto& l : head.truth.landmarks)
    if (l.name == "MCP") mcp = l.patientRas;
  const Vec3 centreT1 = mcp + Vec3{rng.uniform(-4, 4), rng.uniform(0, 8), rng.uniform(5, 15)};
  truth.frameTiltDeg = {rng.uniform(-8, 8), rng.uniform(-6, 6), rng.uniform(-6, 6)};
  const Affine tilt = rotationAboutRasAxis(2, truth.frameTiltDeg.z) *
                      rotationAboutRasAxis(1, truth.frameTiltDeg.y) *
                      rotationAboutRasAxis(0, truth.frameTiltDeg.x);
  Affine alignedFromT1 = tilt;  // aligned = tilt (x - centre)
  const Vec3 shifted = tilt.applyLinear(centreT1);
  for (int r = 0; r < 3; ++r) alignedFromT1.m[r][3] = -shifted[r];
  truth.frameFromT1Ras = frame.alignedRasFromFrame.inverse() * alignedFromT1;

  // The head in the scanner: another session, another world.
  const Affine scannerTurn = rotationAboutRasAxis(2, rng.uniform(-10, 10)) *
                             rotationAboutRasAxis(1, rng.uniform(-6, 6)) *
                             rotationAboutRasAxis(0, rng.uniform(-12, 12));
  truth.ctRasFromT1Ras = scannerTurn;
  for (int r = 0; r < 3; ++r) truth.ctRasFromT1Ras.m[r][3] = rng.uniform(-25, 25);
  truth.frameFromCtRas = truth.frameFromT1Ras * truth.ctRasFromT1Ras.inverse();
  const Affine ctRasFromFrame = truth.frameFromCtRas.inverse();

  // Rods and pins in CT RAS.
  struct Segment {
    Vec3 a, b;
    double radius;
    float hu;
  };
  std::vector<Segment> metal;
  for (const auto& plate : frame.plates) {
    if (plate.name == parameters.croppedPlate) continue;
    for (const auto& rod : plate.rods)
      if (std::find(parameters.removedRods.begin(), parameters.removedRods.end(), rod.name) ==
          parameters.removedRods.end())
        metal.push_back({ctRasFromFrame.apply(rod.fromFrame), ctRasFromFrame.apply(rod.toFrame),
                         0.5 * frame.rodDiameterMm, parameters.magneticResonance ? kRodT1 : kRodHu});
  }
  // Four pins from the frame's posts into the skull, at the height of the frame's centre.
  const Affine ctFromAligned = ctRasFromFrame * frame.alignedRasFromFrame.inverse();
  std::vector<Vec3> pinTips;
  for (const double r : {-1.0, 1.0})
    for (const double a : {-1.0, 1.0}) {
      const Vec3 post{r * 85, a * 55, 15}, tip{r * 62, a * 48, 15};
      // In MR a titanium pin is a signal void; in CT it is the brightest thing in the image.
      metal.push_back({ctFromAligned.apply(post), ctFromAligned.apply(tip), 1.5,
                       parameters.magneticResonance ? 0.0f : kPinHu});
      pinTips.push_back(ctFromAligned.apply(tip));
    }

  // Clutter: short bright segments anywhere in the box around the localizer, steep or flat.
  {
    Random specks(parameters.seed ^ 0x5BECC5ULL);
    for (unsigned n = 0; n < parameters.clutterSpecks; ++n) {
      const Vec3 centre =
          ctFromAligned.apply({specks.uniform(-110, 110), specks.uniform(-90, 130), specks.uniform(-65, 65)});
      const Vec3 along = normalized({specks.uniform(-1, 1), specks.uniform(-1, 1), specks.uniform(-1, 1)});
      const double halfLength = specks.uniform(0.2, 1.2);
      metal.push_back({centre - halfLength * along, centre + halfLength * along, specks.uniform(0.5, 1.0),
                       static_cast<float>(specks.uniform(600, 2500))});
    }
  }

  // The grid: axial slices (LPS voxel axes, as DICOM), covering the head and every rod's full length
  // except a cropped plate (cut off 10 mm inside it).
  const std::array<Vec3, 2> headBounds = head.truth.grid.rasBoundsMm();
  Vec3 lo{1e9, 1e9, 1e9}, hi{-1e9, -1e9, -1e9};
  auto include = [&](Vec3 p, double margin) {
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a] - margin);
      hi[a] = std::max(hi[a], p[a] + margin);
    }
  };
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 c{headBounds[corner & 1].x, headBounds[(corner >> 1) & 1].y, headBounds[(corner >> 2) & 1].z};
    // The head's whole breadth, but only its height between the rods' ends (below), as a frame CT.
    const Vec3 inCt = truth.ctRasFromT1Ras.apply(c);
    include({inCt.x, inCt.y, truth.ctRasFromT1Ras.apply(mcp).z}, 0);
  }
  for (const auto& plate : frame.plates)
    for (const auto& rod : plate.rods) {
      include(ctRasFromFrame.apply(rod.fromFrame), 6);
      include(ctRasFromFrame.apply(rod.toFrame), 6);
    }
  if (!parameters.croppedPlate.empty()) {
    // The field of view stops short of the cropped plate, on the side where it lies.
    const LocalizerPlate& cropped = frame.plate(parameters.croppedPlate);
    const Vec3 centre = ctRasFromFrame.apply(0.5 * (cropped.rods[1].fromFrame + cropped.rods[1].toFrame));
    const Vec3 frameCentre = ctFromAligned.apply({0, 0, 0});
    // The plates stand left, right and in front: the plate lies off the centre along R or A.
    const int axis = std::abs(centre.y - frameCentre.y) > std::abs(centre.x - frameCentre.x) ? 1 : 0;
    if (centre[axis] > frameCentre[axis])
      hi[axis] = centre[axis] - 15;
    else
      lo[axis] = centre[axis] + 15;
  }
  ImageGeometry& grid = truth.grid;
  const Vec3 spacing = asFloatVec(parameters.spacingMm);
  const std::array<Vec3, 3> axes{Vec3{-1, 0, 0}, Vec3{0, -1, 0}, Vec3{0, 0, 1}};  // LPS
  Vec3 origin{hi.x, hi.y, lo.z};
  for (int i = 0; i < 3; ++i) {
    grid.size[i] = static_cast<std::size_t>(std::ceil((hi[i] - lo[i]) / spacing[i])) + 1;
    for (int r = 0; r < 3; ++r) grid.rasFromIjk.m[r][i] = axes[static_cast<std::size_t>(i)][r] * spacing[i];
  }
  origin = asFloatVec({std::round(origin.x), std::round(origin.y), std::round(origin.z)});
  for (int r = 0; r < 3; ++r) grid.rasFromIjk.m[r][3] = origin[r];

  // Tissue: the phantom's label at each CT voxel (nearest voxel of the head's label map).
  auto image = FloatImage::New();
  image->SetRegions(FloatImage::SizeType{{grid.size[0], grid.size[1], grid.size[2]}});
  applyGeometryToItk(grid, *image, "frame phantom CT");
  image->Allocate();
  float* data = image->GetBufferPointer();
  const ImageGeometry& headGrid = head.labels.geometry;
  const Affine headIjkFromCtRas = headGrid.ijkFromRas() * truth.ctRasFromT1Ras.inverse();
  const auto* labels = head.labels.image->GetBufferPointer();
  const float* headT1 = head.t1.image->GetBufferPointer();  // the same grid as the labels
  const std::size_t nx = grid.size[0], ny = grid.size[1], nz = grid.size[2];
  for (std::size_t k = 0; k < nz; ++k) {
    if (progress && k % 8 == 0 &&
        !progress(0.6 * static_cast<double>(k) / static_cast<double>(nz), "frame CT: tissue"))
      throw Cancelled();
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const Vec3 h = headIjkFromCtRas.apply(grid.rasFromIjk.apply({double(i), double(j), double(k)}));
        const long hi0 = std::lround(h.x), hj = std::lround(h.y), hk = std::lround(h.z);
        unsigned label = 0;
        float t1 = 0;
        if (hi0 >= 0 && hj >= 0 && hk >= 0 && static_cast<std::size_t>(hi0) < headGrid.size[0] &&
            static_cast<std::size_t>(hj) < headGrid.size[1] &&
            static_cast<std::size_t>(hk) < headGrid.size[2]) {
          const std::size_t at =
              (static_cast<std::size_t>(hk) * headGrid.size[1] + static_cast<std::size_t>(hj)) *
                  headGrid.size[0] +
              static_cast<std::size_t>(hi0);
          label = labels[at];
          t1 = headT1[at];
        }
        data[(k * ny + j) * nx + i] = parameters.magneticResonance ? t1 : huForLabel(label);
      }
  }

  // Metal with partial volume: each voxel near a segment takes the covered fraction of 4x4x4
  // sub-samples. Slice by slice, only around where the segment crosses the slice.
  const Affine ijkFromCt = grid.ijkFromRas();
  for (std::size_t s = 0; s < metal.size(); ++s) {
    const Segment& seg = metal[s];
    const Vec3 ia = ijkFromCt.apply(seg.a), ib = ijkFromCt.apply(seg.b);
    const double reach = seg.radius + 2.0;
    const long kLo = std::max(0L, static_cast<long>(std::floor(std::min(ia.z, ib.z) - reach / spacing.z)));
    const long kHi = std::min(static_cast<long>(nz) - 1,
                              static_cast<long>(std::ceil(std::max(ia.z, ib.z) + reach / spacing.z)));
    for (long k = kLo; k <= kHi; ++k) {
      // The segment's points nearest this slice bound the in-plane window.
      const double t0 = std::abs(ib.z - ia.z) < 1e-9
                            ? 0.0
                            : std::clamp((double(k) - reach / spacing.z - ia.z) / (ib.z - ia.z), 0.0, 1.0);
      const double t1 = std::abs(ib.z - ia.z) < 1e-9
                            ? 1.0
                            : std::clamp((double(k) + reach / spacing.z - ia.z) / (ib.z - ia.z), 0.0, 1.0);
      const Vec3 p0 = ia + std::min(t0, t1) * (ib - ia), p1 = ia + std::max(t0, t1) * (ib - ia);
      const long iLo = std::max(0L, static_cast<long>(std::floor(std::min(p0.x, p1.x) - reach / spacing.x)));
      const long iHi = std::min(static_cast<long>(nx) - 1,
                                static_cast<long>(std::ceil(std::max(p0.x, p1.x) + reach / spacing.x)));
      const long jLo = std::max(0L, static_cast<long>(std::floor(std::min(p0.y, p1.y) - reach / spacing.y)));
      const long jHi = std::min(static_cast<long>(ny) - 1,
                                static_cast<long>(std::ceil(std::max(p0.y, p1.y) + reach / spacing.y)));
      for (long j = jLo; j <= jHi; ++j)
        for (long i = iLo; i <= iHi; ++i) {
          const Vec3 centre = grid.rasFromIjk.apply({double(i), double(j), double(k)});
          const double d = segmentDistance(centre, seg.a, seg.b);
          if (d > seg.radius + 1.0) continue;
          int covered = 0;
          for (int a = 0; a < 4; ++a)
            for (int b = 0; b < 4; ++b)
              for (int c = 0; c < 4; ++c) {
                const Vec3 sub =
                    grid.rasFromIjk.apply({double(i) + (a + 0.5) / 4 - 0.5, double(j) + (b + 0.5) / 4 - 0.5,
                                           double(k) + (c + 0.5) / 4 - 0.5});
                if (segmentDistance(sub, seg.a, seg.b) <= seg.radius) ++covered;
              }
          if (covered == 0) continue;
          float& v = data[(static_cast<std::size_t>(k) * ny + static_cast<std::size_t>(j)) * nx +
                          static_cast<std::size_t>(i)];
          const float fraction = static_cast<float>(covered) / 64.0f;
          const float mixed = (1 - fraction) * v + fraction * seg.hu;
          v = parameters.magneticResonance ? mixed : std::max(v, mixed);
        }
    }
  }
  if (progress && !progress(0.75, "frame CT: blur, streaks and noise")) throw Cancelled();

  // The scanner's point spread (sigma 0.4 mm), then streaks and noise.
  auto blur = itk::SmoothingRecursiveGaussianImageFilter<FloatImage, FloatImage>::New();
  blur->SetInput(image);
  blur->SetSigma(0.4);
  blur->Update();
  FloatImage::Pointer ct = blur->GetOutput();
  ct->DisconnectPipeline();
  float* v = ct->GetBufferPointer();
  Random noise(parameters.seed ^ 0xC7C7C7ULL);
  std::vector<double> phases;
  for (std::size_t p = 0; p < pinTips.size(); ++p) phases.push_back(rng.uniform(0, 2 * M_PI));
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        double value = v[(k * ny + j) * nx + i];
        if (parameters.streaks && !parameters.magneticResonance) {
          const Vec3 p = grid.rasFromIjk.apply({double(i), double(j), double(k)});
          for (std::size_t pin = 0; pin < pinTips.size(); ++pin) {
            const double dz = std::abs(p.z - pinTips[pin].z);
            if (dz > 12) continue;
            const double dx = p.x - pinTips[pin].x, dy = p.y - pinTips[pin].y;
            const double r = std::hypot(dx, dy);
            // Bright and dark rays, fading with distance and with height from the pin.
            value += 350.0 * std::sin(9.0 * std::atan2(dy, dx) + phases[pin]) * std::exp(-r / 70.0) *
                     (1 - dz / 12) * std::min(1.0, r / 4.0);
          }
        }
        value += parameters.noiseHu * noise.normal();
        v[(k * ny + j) * nx + i] = static_cast<float>(
            parameters.magneticResonance ? std::abs(value) : std::clamp(value, -1024.0, 3071.0));
      }
  out.ct.image = ct;
  out.ct.geometry = grid;
  out.ct.format = "NIfTI-1";
  out.ct.storedPixelType = "float32";
  out.ct.fileSize = grid.size;
  if (progress) progress(1.0, "frame CT done");
  return out;
}

std::string framePhantomTruthJson(const FramePhantom& phantom, const FrameModel& frame) {
  const FramePhantomTruth& t = phantom.truth;
  const Affine ctRasFromFrame = t.frameFromCtRas.inverse();
  nlohmann::json rods = nlohmann::json::array();
  for (const auto& plate : frame.plates)
    for (const auto& rod : plate.rods) {
      const bool removed = plate.name == t.parameters.croppedPlate ||
                           std::find(t.parameters.removedRods.begin(), t.parameters.removedRods.end(),
                                     rod.name) != t.parameters.removedRods.end();
      rods.push_back({{"plate", plate.name},
                      {"name", rod.name},
                      {"in_image", !removed},
                      {"from_frame_mm", vecJson(rod.fromFrame)},
                      {"to_frame_mm", vecJson(rod.toFrame)},
                      {"from_ct_ras_mm", vecJson(ctRasFromFrame.apply(rod.fromFrame))},
                      {"to_ct_ras_mm", vecJson(ctRasFromFrame.apply(rod.toFrame))}});
    }
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& r : t.parameters.removedRods) removed.push_back(r);
  const nlohmann::json j = {{"schema", "dbsplan.frame-phantom"},
                            {"schema_version", 1},
                            {"frame", t.frameId},
                            {"seed", t.parameters.seed},
                            {"noise_hu", t.parameters.noiseHu},
                            {"streaks", t.parameters.streaks && !t.parameters.magneticResonance},
                            {"modality", t.parameters.magneticResonance ? "MR (T1-weighted)" : "CT (HU)"},
                            {"removed_rods", removed},
                            {"clutter_specks", t.parameters.clutterSpecks},
                            {"cropped_plate", t.parameters.croppedPlate},
                            {"frame_tilt_deg", vecJson(t.frameTiltDeg)},
                            {"frame_from_t1_ras", affineJson(t.frameFromT1Ras)},
                            {"ct_ras_from_t1_ras", affineJson(t.ctRasFromT1Ras)},
                            {"frame_from_ct_ras", affineJson(t.frameFromCtRas)},
                            {"ct_size", {t.grid.size[0], t.grid.size[1], t.grid.size[2]}},
                            {"ct_ras_from_ijk", affineJson(t.grid.rasFromIjk)},
                            {"rods", rods},
                            {"coordinates",
                             "T1 RAS mm: the head phantom's world (phantom_t1.nii.gz); CT RAS mm: "
                             "phantom_frame_ct.nii.gz's world; frame "
                             "mm: the frame's own coordinates (data/frames/" +
                                 frame.id + ")"}};
  return j.dump(2) + "\n";
}

void writeFramePhantom(const FramePhantom& phantom, const FrameModel& frame, const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (!std::filesystem::is_directory(directory, ec))
    throw ImagingError(directory + ": cannot create the output folder");
  const std::filesystem::path dir(directory);
  writeVolume(phantom.ct,
              (dir / (phantom.truth.parameters.magneticResonance ? kFramePhantomMrFile : kFramePhantomCtFile))
                  .string());
  writeTextAtomically((dir / kFramePhantomTruthFile).string(), framePhantomTruthJson(phantom, frame));
}

}  // namespace dbs
