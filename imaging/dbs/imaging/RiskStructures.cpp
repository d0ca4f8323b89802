#include "dbs/imaging/RiskStructures.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include <itkBinaryFillholeImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkImageToHistogramFilter.h>
#include <itkOtsuMultipleThresholdsCalculator.h>
#include <itkRelabelComponentImageFilter.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include "dbs/imaging/ImagingError.h"

namespace dbs {

MaskImage::Pointer emptyMaskLike(const itk::ImageBase<3>& reference) {
  auto mask = MaskImage::New();
  mask->CopyInformation(&reference);
  mask->SetRegions(reference.GetLargestPossibleRegion());
  mask->Allocate(true);
  return mask;
}

namespace {

using Clock = std::chrono::steady_clock;
using ComponentImage = itk::Image<unsigned int, 3>;

std::size_t countSet(const MaskImage* mask) {
  const unsigned char* m = mask->GetBufferPointer();
  return static_cast<std::size_t>(std::count_if(m, m + mask->GetLargestPossibleRegion().GetNumberOfPixels(),
                                                [](unsigned char v) { return v != 0; }));
}

// Connected components (26-connected) of a mask, largest first; keeps those for which `keep(rank,
// size)` is true.
template <typename Keep>
MaskImage::Pointer keepComponents(const MaskImage* mask, Keep keep) {
  auto components = itk::ConnectedComponentImageFilter<MaskImage, ComponentImage>::New();
  components->SetInput(mask);
  components->FullyConnectedOn();
  auto relabel = itk::RelabelComponentImageFilter<ComponentImage, ComponentImage>::New();
  relabel->SetInput(components->GetOutput());
  relabel->Update();
  const auto& sizes = relabel->GetSizeOfObjectsInPixels();
  auto out = emptyMaskLike(*mask);
  const unsigned int* c = relabel->GetOutput()->GetBufferPointer();
  unsigned char* o = out->GetBufferPointer();
  const std::size_t n = mask->GetLargestPossibleRegion().GetNumberOfPixels();
  std::vector<char> kept(sizes.size() + 1, 0);
  for (std::size_t r = 0; r < sizes.size(); ++r)
    kept[r + 1] = keep(r, static_cast<std::size_t>(sizes[r])) ? 1 : 0;
  for (std::size_t i = 0; i < n; ++i) o[i] = (c[i] != 0 && kept[c[i]]) ? 1 : 0;
  return out;
}

MaskImage::Pointer fillHoles(const MaskImage* mask) {
  auto fill = itk::BinaryFillholeImageFilter<MaskImage>::New();
  fill->SetInput(mask);
  fill->SetForegroundValue(1);
  fill->FullyConnectedOn();
  fill->Update();
  MaskImage::Pointer out = fill->GetOutput();
  out->DisconnectPipeline();
  return out;
}

// Voxels whose signed distance to `mask` satisfies `inside(d)`: d < r dilates by r, d <= -r erodes.
template <typename Predicate>
MaskImage::Pointer fromDistance(const FloatImage* distance, Predicate inside) {
  auto out = emptyMaskLike(*distance);
  const float* d = distance->GetBufferPointer();
  unsigned char* o = out->GetBufferPointer();
  const std::size_t n = distance->GetLargestPossibleRegion().GetNumberOfPixels();
  for (std::size_t i = 0; i < n; ++i) o[i] = inside(d[i]) ? 1 : 0;
  return out;
}

// ITK's Maurer map measures to the object's boundary voxels (which read 0): outside, that is the
// distance to the nearest object voxel centre, so thresholding it dilates exactly; inside it is not
// the distance to the background, so erosion dilates the complement instead.
MaskImage::Pointer dilate(const MaskImage* mask, double radiusMm) {
  const auto d = signedDistanceMm(mask);
  return fromDistance(d.GetPointer(), [radiusMm](float v) { return v <= radiusMm + 1e-3; });
}

MaskImage::Pointer inverted(const MaskImage* mask) {
  auto out = emptyMaskLike(*mask);
  const unsigned char* m = mask->GetBufferPointer();
  unsigned char* o = out->GetBufferPointer();
  const std::size_t n = mask->GetLargestPossibleRegion().GetNumberOfPixels();
  for (std::size_t i = 0; i < n; ++i) o[i] = m[i] ? 0 : 1;
  return out;
}

MaskImage::Pointer erode(const MaskImage* mask, double radiusMm) {
  return inverted(dilate(inverted(mask).GetPointer(), radiusMm).GetPointer());
}

MaskImage::Pointer closing(const MaskImage* mask, double radiusMm) {
  return erode(dilate(mask, radiusMm).GetPointer(), radiusMm);
}

// Otsu thresholds of `image` over the voxels of `mask` (ITK's multiple-threshold calculator on a
// 256-bin histogram).
std::vector<double> otsuThresholds(const FloatImage& image, const MaskImage* mask, unsigned thresholds) {
  const float* v = image.GetBufferPointer();
  const unsigned char* m = mask ? mask->GetBufferPointer() : nullptr;
  const std::size_t n = image.GetLargestPossibleRegion().GetNumberOfPixels();
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (std::size_t i = 0; i < n; ++i)
    if (!m || m[i]) {
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
  if (!(hi > lo)) return std::vector<double>(thresholds, lo);
  using Histogram = itk::Statistics::Histogram<double>;
  auto histogram = Histogram::New();
  histogram->SetMeasurementVectorSize(1);
  Histogram::SizeType size(1);
  size[0] = 256;
  Histogram::MeasurementVectorType lower(1), upper(1);
  lower[0] = lo;
  upper[0] = hi + (hi - lo) * 1e-6;
  histogram->Initialize(size, lower, upper);
  Histogram::MeasurementVectorType sample(1);
  Histogram::IndexType index(1);
  for (std::size_t i = 0; i < n; ++i)
    if (!m || m[i]) {
      sample[0] = v[i];
      histogram->GetIndex(sample, index);
      histogram->IncreaseFrequencyOfIndex(index, 1);
    }
  auto otsu = itk::OtsuMultipleThresholdsCalculator<Histogram>::New();
  otsu->SetInputHistogram(histogram);
  otsu->SetNumberOfThresholds(thresholds);
  otsu->Compute();
  const auto& t = otsu->GetOutput();
  return std::vector<double>(t.begin(), t.end());
}

double volumeOf(const MaskImage* mask) {
  const auto spacing = mask->GetSpacing();
  return static_cast<double>(countSet(mask)) * spacing[0] * spacing[1] * spacing[2];
}

}  // namespace

const char* riskName(RiskKind kind) {
  switch (kind) {
    case RiskKind::Ventricles:
      return "ventricles";
    case RiskKind::Sulci:
      return "sulci";
    case RiskKind::Vessels:
      return "vessels";
  }
  return "unknown";
}

FloatImage::Pointer signedDistanceMm(const MaskImage* mask) {
  if (countSet(mask) == 0) {
    auto far = FloatImage::New();
    far->CopyInformation(mask);
    far->SetRegions(mask->GetLargestPossibleRegion());
    far->Allocate();
    far->FillBuffer(1e6f);
    return far;
  }
  auto maurer = itk::SignedMaurerDistanceMapImageFilter<MaskImage, FloatImage>::New();
  maurer->SetInput(mask);
  maurer->SetBackgroundValue(0);
  maurer->SetInsideIsPositive(false);
  maurer->SetSquaredDistance(false);
  maurer->SetUseImageSpacing(true);
  maurer->Update();
  FloatImage::Pointer out = maurer->GetOutput();
  out->DisconnectPipeline();
  return out;
}

namespace {

// Head: everything brighter than half the image's two-class Otsu threshold (scalp fat and muscle
// are well above it, air is far below), the largest object, closed over 3 mm (ear canals, nasal
// openings) and filled. Sets out.headMask and out.headVolumeMm3 (T1 grid).
void segmentHeadMask(const Volume& t1, RiskStructures& out) {
  const std::size_t n = t1.geometry.voxelCount();
  const float* intensity = t1.image->GetBufferPointer();
  const double threshold = 0.5 * otsuThresholds(*t1.image, nullptr, 1).at(0);
  auto bright = emptyMaskLike(*t1.image);
  unsigned char* b = bright->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) b[i] = intensity[i] > threshold ? 1 : 0;
  auto largest = keepComponents(bright.GetPointer(), [](std::size_t rank, std::size_t) { return rank == 0; });
  out.headMask = fillHoles(closing(largest.GetPointer(), 3.0).GetPointer());
  out.headVolumeMm3 = volumeOf(out.headMask.GetPointer());
  if (out.headVolumeMm3 < 500e3)
    throw ImagingError("risk structures: no head found in " + t1.path + " (largest bright object " +
                       std::to_string(static_cast<long>(out.headVolumeMm3 / 1000)) + " cm3)");
}

// The carried brain prior as a mask on the T1 grid; sets the intensity classes inside it (three-class
// Otsu): CSF < out.csfUpperIntensity < grey < out.greyUpperIntensity < white.
MaskImage::Pointer brainPriorAndIntensityClasses(const Volume& t1, const LabelVolume& brainPrior,
                                                 RiskStructures& out) {
  const std::size_t n = t1.geometry.voxelCount();
  auto prior = emptyMaskLike(*t1.image);
  unsigned char* p = prior->GetBufferPointer();
  const unsigned short* bp = brainPrior.image->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) p[i] = bp[i] != 0 ? 1 : 0;
  if (countSet(prior.GetPointer()) == 0) throw ImagingError("risk structures: the brain prior is empty");
  const auto t = otsuThresholds(*t1.image, prior.GetPointer(), 2);
  out.csfUpperIntensity = t.at(0);
  out.greyUpperIntensity = t.at(1);
  return prior;
}

// Brain: non-CSF tissue within a few mm of the prior and inside the head, its largest object,
// holes (ventricles) filled. Sets out.brainMask and out.brainVolumeMm3.
void segmentBrainMask(const Volume& t1, const MaskImage* prior, const RiskSegmentationSettings& settings,
                      RiskStructures& out) {
  const std::size_t n = t1.geometry.voxelCount();
  const float* intensity = t1.image->GetBufferPointer();
  MaskImage::Pointer tissue;
  auto near = dilate(prior, settings.brainPriorGrowMm);
  unsigned char* t = near->GetBufferPointer();
  const unsigned char* h = out.headMask->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) t[i] = (t[i] && h[i] && intensity[i] > out.csfUpperIntensity) ? 1 : 0;
  tissue = keepComponents(near.GetPointer(), [](std::size_t rank, std::size_t) { return rank == 0; });
  out.brainMask = fillHoles(tissue.GetPointer());
  out.brainVolumeMm3 = volumeOf(out.brainMask.GetPointer());
}

// Ventricles: CSF-dark voxels within ventricleSearchMm of the atlas prior (labels Ventricle_L/R),
// in objects that touch it; the prior itself when the patient's CSF matches under 30 % of it.
// Fills `ventricles` (mask, volume) and adds a note saying which was used.
void segmentVentricles(const Volume& t1, const LabelVolume& labels, const RiskSegmentationSettings& settings,
                       RiskStructures& out, RiskMap& ventricles) {
  const std::size_t n = t1.geometry.voxelCount();
  const float* intensity = t1.image->GetBufferPointer();
  const unsigned short* label = labels.image->GetBufferPointer();
  auto ventriclePrior = emptyMaskLike(*t1.image);
  unsigned char* vp = ventriclePrior->GetBufferPointer();
  const int left = labelValue("Ventricle_L"), right = labelValue("Ventricle_R");
  for (std::size_t i = 0; i < n; ++i) vp[i] = (label[i] == left || label[i] == right) ? 1 : 0;
  const double priorVolume = volumeOf(ventriclePrior.GetPointer());
  if (priorVolume <= 0)
    throw ImagingError(
        "risk structures: the located labels hold no ventricles (labels Ventricle_L/R), so the "
        "ventricles cannot be assessed");
  auto candidates = dilate(ventriclePrior.GetPointer(), settings.ventricleSearchMm);
  unsigned char* c = candidates->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) c[i] = (c[i] && intensity[i] < out.csfUpperIntensity) ? 1 : 0;
  // Keep objects that overlap the prior.
  auto components = itk::ConnectedComponentImageFilter<MaskImage, ComponentImage>::New();
  components->SetInput(candidates);
  components->FullyConnectedOn();
  components->Update();
  const unsigned int* id = components->GetOutput()->GetBufferPointer();
  std::vector<char> touches(components->GetObjectCount() + 1, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (vp[i] && id[i]) touches[id[i]] = 1;
  ventricles.mask = emptyMaskLike(*t1.image);
  unsigned char* v = ventricles.mask->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) v[i] = (id[i] && touches[id[i]]) ? 1 : 0;
  ventricles.volumeMm3 = volumeOf(ventricles.mask.GetPointer());
  std::ostringstream note;
  note.precision(3);
  if (ventricles.volumeMm3 < 0.3 * priorVolume) {
    // The patient's CSF does not show (poor contrast, or a failed registration): rather the prior
    // than nothing, and say so.
    note << "ventricles: the patient's CSF matched only " << ventricles.volumeMm3 / 1000
         << " cm3 near the atlas prior; the atlas prior (" << priorVolume / 1000 << " cm3) is used as is";
    ventricles.mask = ventriclePrior;
    ventricles.volumeMm3 = priorVolume;
  } else {
    note << "ventricles: " << ventricles.volumeMm3 / 1000 << " cm3 of CSF-dark voxels (below "
         << out.csfUpperIntensity << ") within " << settings.ventricleSearchMm << " mm of the atlas prior ("
         << priorVolume / 1000 << " cm3)";
  }
  out.notes.push_back(note.str());
}

// Sulci: CSF-dark voxels inside the closed brain hull, deeper than a thin surface film, away from
// the ventricles and the labelled deep structures. Also computes the ventricles' final distance
// map (mm), which the sulci keep 3 mm away from and which is their risk map too.
void segmentSulci(const Volume& t1, const LabelVolume& labels, const RiskSegmentationSettings& settings,
                  RiskStructures& out, RiskMap& ventricles, RiskMap& sulci) {
  const std::size_t n = t1.geometry.voxelCount();
  const float* intensity = t1.image->GetBufferPointer();
  const unsigned short* label = labels.image->GetBufferPointer();
  const auto hull = closing(out.brainMask.GetPointer(), settings.sulcalClosingMm);
  const auto hullDistance = signedDistanceMm(hull.GetPointer());
  ventricles.distanceMm = signedDistanceMm(ventricles.mask.GetPointer());  // final: also the risk map
  const float* hd = hullDistance->GetBufferPointer();
  const float* vd = ventricles.distanceMm->GetBufferPointer();
  sulci.mask = emptyMaskLike(*t1.image);
  unsigned char* s = sulci.mask->GetBufferPointer();
  // Sulci reach at most about 30 mm below the hull (the insula's depth); deeper CSF is cisterns.
  for (std::size_t i = 0; i < n; ++i)
    s[i] = (hd[i] <= -settings.sulcalMinDepthMm && hd[i] > -30.0f && vd[i] > 3.0f && label[i] == 0 &&
            intensity[i] < out.csfUpperIntensity)
               ? 1
               : 0;
  sulci.volumeMm3 = volumeOf(sulci.mask.GetPointer());
}

// Vessels: voxels of the co-registered contrast volume brighter than the brain's mean plus
// vesselSdAboveBrain SD, within 3 mm of the brain, in objects of at least vesselMinVoxels. Notes
// the result, and the part of the brain the volume does not cover (not assessed there).
void segmentVessels(const Volume& vesselVolume, const RiskSegmentationSettings& settings, RiskStructures& out,
                    RiskMap& vessels) {
  const std::size_t n = out.geometry.voxelCount();
  const float* c = vesselVolume.image->GetBufferPointer();
  const unsigned char* b = out.brainMask->GetBufferPointer();
  double sum = 0, sumSq = 0, count = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (b[i]) {
      sum += c[i];
      sumSq += double(c[i]) * c[i];
      count += 1;
    }
  if (count == 0) throw ImagingError("risk structures: no brain found to look for vessels in");
  const double mean = sum / count, sd = std::sqrt(std::max(0.0, sumSq / count - mean * mean));
  // Voxels the co-registered volume does not cover read 0 (resampled from outside its field of
  // view): they are not vessel-free, they are unassessed, and the plan must say so.
  double covered = 0;
  for (std::size_t i = 0; i < n; ++i) covered += (b[i] && c[i] != 0.0f) ? 1 : 0;
  const double coverage = covered / count;
  const double threshold = mean + settings.vesselSdAboveBrain * sd;
  // Vessels on the brain's surface matter most: look within 3 mm of the brain too.
  auto near = dilate(out.brainMask.GetPointer(), 3.0);
  unsigned char* v = near->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) v[i] = (v[i] && c[i] > threshold) ? 1 : 0;
  const std::size_t minVoxels = settings.vesselMinVoxels;
  vessels.mask = keepComponents(near.GetPointer(),
                                [minVoxels](std::size_t, std::size_t size) { return size >= minVoxels; });
  vessels.volumeMm3 = volumeOf(vessels.mask.GetPointer());
  vessels.present = true;
  if (coverage < 0.98) {
    std::ostringstream partial;
    partial.precision(3);
    partial << "vessels: " << vesselVolume.path << " covers only " << 100 * coverage
            << " % of the brain; outside its field of view vessels are NOT assessed (clearances there read "
               "as free)";
    out.notes.push_back(partial.str());
  }
  std::ostringstream note;
  note << "vessels: " << vessels.volumeMm3 / 1000 << " cm3 brighter than " << threshold << " in "
       << vesselVolume.path;
  out.notes.push_back(note.str());
}

}  // namespace

RiskStructures segmentRiskStructures(const Volume& t1, const LabelVolume& labels,
                                     const LabelVolume& brainPrior, const Volume* vesselVolume,
                                     const RiskSegmentationSettings& settings,
                                     const ProgressCallback& progress) {
  const auto start = Clock::now();
  auto report = [&](double f, const std::string& s) {
    if (progress && !progress(f, s)) throw Cancelled();
  };
  const ImageGeometry& g = t1.geometry;
  if (labels.geometry.size != g.size || labels.geometry.rasFromIjk.maxAbsDifference(g.rasFromIjk) > 1e-4)
    throw ImagingError("risk structures: the label map is not on the T1's grid");
  if (brainPrior.geometry.size != g.size ||
      brainPrior.geometry.rasFromIjk.maxAbsDifference(g.rasFromIjk) > 1e-4)
    throw ImagingError("risk structures: the brain prior is not on the T1's grid");
  if (vesselVolume && (vesselVolume->geometry.size != g.size ||
                       vesselVolume->geometry.rasFromIjk.maxAbsDifference(g.rasFromIjk) > 1e-4))
    throw ImagingError("risk structures: the vessel volume is not on the T1's grid (co-register it first)");

  RiskStructures out;
  out.geometry = g;

  report(0.0, "segmenting the head (scalp surface)");
  segmentHeadMask(t1, out);
  report(0.2, "scalp distance map");
  out.headDistanceMm = signedDistanceMm(out.headMask.GetPointer());

  report(0.3, "segmenting the brain");
  const MaskImage::Pointer prior = brainPriorAndIntensityClasses(t1, brainPrior, out);
  segmentBrainMask(t1, prior.GetPointer(), settings, out);

  report(0.45, "segmenting the ventricles");
  RiskMap& ventricles = out.risks[static_cast<std::size_t>(RiskKind::Ventricles)];
  ventricles.kind = RiskKind::Ventricles;
  ventricles.present = true;
  segmentVentricles(t1, labels, settings, out, ventricles);

  report(0.6, "segmenting the sulcal CSF");
  RiskMap& sulci = out.risks[static_cast<std::size_t>(RiskKind::Sulci)];
  sulci.kind = RiskKind::Sulci;
  sulci.present = true;
  segmentSulci(t1, labels, settings, out, ventricles, sulci);

  RiskMap& vessels = out.risks[static_cast<std::size_t>(RiskKind::Vessels)];
  vessels.kind = RiskKind::Vessels;
  if (vesselVolume) {
    report(0.75, "segmenting the vessels");
    segmentVessels(*vesselVolume, settings, out, vessels);
  } else {
    vessels.mask = emptyMaskLike(*t1.image);
    out.notes.push_back("vessels: not assessed (no contrast-enhanced T1 or angiogram given)");
  }

  report(0.85, "distance maps");
  for (RiskMap& risk : out.risks)
    if (!risk.distanceMm) risk.distanceMm = signedDistanceMm(risk.mask.GetPointer());
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report(1.0, "risk structures ready");
  return out;
}

LabelVolume riskStructureMap(const RiskStructures& r) {
  LabelVolume map = makeLabelVolume(r.geometry);
  unsigned short* out = map.image->GetBufferPointer();
  const unsigned char* head = r.headMask->GetBufferPointer();
  const unsigned char* brain = r.brainMask->GetBufferPointer();
  const unsigned char* ventricles = r.risk(RiskKind::Ventricles).mask->GetBufferPointer();
  const unsigned char* sulci = r.risk(RiskKind::Sulci).mask->GetBufferPointer();
  const unsigned char* vessels = r.risk(RiskKind::Vessels).mask->GetBufferPointer();
  for (std::size_t i = 0; i < r.geometry.voxelCount(); ++i)
    out[i] = vessels[i] ? 5 : sulci[i] ? 4 : ventricles[i] ? 3 : brain[i] ? 2 : head[i] ? 1 : 0;
  return map;
}

RiskStructures riskStructuresFromMap(const LabelVolume& map, const std::array<bool, kRiskKinds>& present,
                                     const ProgressCallback& progress) {
  const auto start = Clock::now();
  auto report = [&](double f, const std::string& s) {
    if (progress && !progress(f, s)) throw Cancelled();
  };
  RiskStructures out;
  out.geometry = map.geometry;
  const unsigned short* v = map.image->GetBufferPointer();
  const std::size_t n = map.geometry.voxelCount();
  if (const unsigned short* bad = std::find_if(v, v + n, [](unsigned short x) { return x > 5; });
      bad != v + n)
    throw ImagingError(map.path + ": value " + std::to_string(*bad) + " is not a risk structure (0-5)");
  auto maskWhere = [&](auto inside) {
    auto mask = emptyMaskLike(*map.image);
    unsigned char* m = mask->GetBufferPointer();
    for (std::size_t i = 0; i < n; ++i) m[i] = inside(v[i]) ? 1 : 0;
    return mask;
  };
  report(0.0, "risk structures: head");
  out.headMask = maskWhere([](unsigned short x) { return x >= 1; });
  out.brainMask = maskWhere([](unsigned short x) { return x >= 2; });
  out.headVolumeMm3 = volumeOf(out.headMask.GetPointer());
  out.brainVolumeMm3 = volumeOf(out.brainMask.GetPointer());
  out.headDistanceMm = signedDistanceMm(out.headMask.GetPointer());
  for (int k = 0; k < kRiskKinds; ++k) {
    report(0.25 * (k + 1), std::string("risk structures: ") + riskName(static_cast<RiskKind>(k)));
    RiskMap& risk = out.risks[static_cast<std::size_t>(k)];
    risk.kind = static_cast<RiskKind>(k);
    risk.present = present[static_cast<std::size_t>(k)];
    const unsigned short value = static_cast<unsigned short>(3 + k);
    risk.mask = maskWhere([value](unsigned short x) { return x == value; });
    risk.volumeMm3 = volumeOf(risk.mask.GetPointer());
    risk.distanceMm = signedDistanceMm(risk.mask.GetPointer());
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report(1.0, "risk structures ready");
  return out;
}

}  // namespace dbs
