#include "dbs/planning/HeadLikeness.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/RiskStructures.h"
#include "dbs/imaging/Side.h"
#include "dbs/imaging/TextFormat.h"
#include "dbs/planning/Locate.h"

namespace dbs {
namespace {

double medianOf(std::vector<float> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// The patient's intensities under the carried labels of the putamen and under the core of the
// carried lateral ventricles, both sides. The labels lie on the patient's own grid
// (warpLabelsToPatient), so voxel n of one is voxel n of the other.
//
// The core: voxels at least kVentricleCoreDepthMm inside the carried ventricles' border. A
// registration 1-2 mm off there leaves the whole label only half on the true ventricles (the
// phantom, whose geometric head Colin27 fits loosely: 46-60 % depending on the demons' settings),
// and the median then fell on CSF or on tissue by chance: the phantom measured 0.3, 5.0 or 13.5
// with settings that moved its ventricles by a millimetre. 2 mm inside, 67-85 % of the voxels are
// on its ventricles in every setting tried. An image that is not a head gains nothing by it: its
// ventricles' core lies on whatever the blob has there. A label too thin to have a core (under
// kMinimumVentricleCoreVoxels: a coarse grid) is used whole.
constexpr double kVentricleCoreDepthMm = 2.0;
constexpr std::size_t kMinimumVentricleCoreVoxels = 50;

struct PutamenAndVentricles {
  std::vector<float> putamen, ventricles;
};
PutamenAndVentricles intensitiesUnderPutamenAndVentricles(const LocateResult& located) {
  auto both = [](const char* structure) {
    return std::array<int, 2>{labelValue(sidedLabelName(structure, Side::Left)),
                              labelValue(sidedLabelName(structure, Side::Right))};
  };
  const std::array<int, 2> putamen = both("Putamen"), ventricles = both("Ventricle");
  const float* t1 = located.patient.image->GetBufferPointer();
  const unsigned short* labels = located.labels.image->GetBufferPointer();
  const std::size_t count = located.patient.geometry.voxelCount();
  const MaskImage::Pointer ventricleMask = emptyMaskLike(*located.labels.image);
  unsigned char* inVentricle = ventricleMask->GetBufferPointer();
  PutamenAndVentricles values;
  for (std::size_t n = 0; n < count; ++n) {
    if (labels[n] == putamen[0] || labels[n] == putamen[1]) values.putamen.push_back(t1[n]);
    if (labels[n] == ventricles[0] || labels[n] == ventricles[1]) {
      inVentricle[n] = 1;
      values.ventricles.push_back(t1[n]);
    }
  }
  // Signed distance to the ventricles' border, mm (negative inside).
  const auto depth = signedDistanceMm(ventricleMask.GetPointer());
  const float* d = depth->GetBufferPointer();
  std::vector<float> core;
  for (std::size_t n = 0; n < count; ++n)
    if (inVentricle[n] && d[n] <= -kVentricleCoreDepthMm) core.push_back(t1[n]);
  if (core.size() >= kMinimumVentricleCoreVoxels) values.ventricles = std::move(core);
  return values;
}

std::string rangeText(const double range[2], int decimals) {
  return fixedText(range[0], decimals) + " to " + fixedText(range[1], decimals);
}

}  // namespace

HeadLikeness measureHeadLikeness(const LocateResult& located) {
  HeadLikeness measured;
  const auto [putamen, ventricles] = intensitiesUnderPutamenAndVentricles(located);
  if (!putamen.empty() && !ventricles.empty()) {
    const double putamenMedian = medianOf(putamen);
    std::vector<float> deviations;
    deviations.reserve(putamen.size());
    for (float v : putamen) deviations.push_back(static_cast<float>(std::abs(v - putamenMedian)));
    const double robustSd = 1.4826 * medianOf(deviations);
    const double difference = putamenMedian - medianOf(ventricles);
    // A putamen of one value (a synthetic image) has no spread: any darker ventricle is contrast.
    measured.ventricleContrast =
        robustSd > 0 ? difference / robustSd : (difference > 0 ? 1e9 : (difference < 0 ? -1e9 : 0));
  }
  const auto& quality = located.registration.quality();
  measured.affineMattesMi = quality.affineMetric;
  const double templatePerPatientVolume =
      located.registration.affineTemplateRasFromPatientRas().determinant3x3();
  measured.headScale = templatePerPatientVolume > 0 ? std::cbrt(1.0 / templatePerPatientVolume) : 0;
  measured.acPcDistanceMm = norm(located.acRas - located.pcRas);
  for (std::size_t s = 0; s < 2; ++s) measured.gpiVolumeMm3[s] = located.sides[s].gpiVolumeMm3;
  return measured;
}

std::vector<std::string> headLikenessProblems(const HeadLikeness& m) {
  std::vector<std::string> problems;
  if (!(m.ventricleContrast >= kMinimumVentricleContrast))
    problems.push_back(
        "the located lateral ventricles are not darker than the putamen as in a T1 of a head "
        "(contrast " +
        fixedText(m.ventricleContrast, 1) + " robust SDs; heads measured 4.9 to 13.5, at least " +
        fixedText(kMinimumVentricleContrast, 1) + " needed)");
  if (!(m.affineMattesMi <= kMaximumAffineMattesMi))
    problems.push_back("the template does not match this image at all (Mattes MI " +
                       fixedText(m.affineMattesMi, 2) + "; heads measured -1.69 to -0.48, at most " +
                       fixedText(kMaximumAffineMattesMi, 2) + " needed)");
  if (!(m.headScale >= kHeadScaleRange[0] && m.headScale <= kHeadScaleRange[1]))
    problems.push_back("the registration makes this head " + fixedText(m.headScale, 2) +
                       " times the template's size (a human head: " + rangeText(kHeadScaleRange, 1) + ")");
  if (!(m.acPcDistanceMm >= kAcPcDistanceRangeMm[0] && m.acPcDistanceMm <= kAcPcDistanceRangeMm[1]))
    problems.push_back("the located AC-PC distance is " + fixedText(m.acPcDistanceMm, 1) +
                       " mm (a human brain: " + rangeText(kAcPcDistanceRangeMm, 0) + " mm)");
  for (std::size_t s = 0; s < 2; ++s) {
    const double v = m.gpiVolumeMm3[s];
    if (!(v >= kGpiVolumeRangeMm3[0] && v <= kGpiVolumeRangeMm3[1]))
      problems.push_back(std::string("the located ") + sideWord(sideAt(s)) + " GPi is " + fixedText(v, 0) +
                         " mm3 (a human GPi: " + rangeText(kGpiVolumeRangeMm3, 0) + " mm3)");
  }
  return problems;
}

nlohmann::json headLikenessJson(const HeadLikeness& m) {
  return {{"ventricle_contrast_sd", std::round(m.ventricleContrast * 100) / 100},
          {"affine_mattes_mi", m.affineMattesMi},
          {"head_scale", std::round(m.headScale * 1000) / 1000},
          {"ac_pc_distance_mm", std::round(m.acPcDistanceMm * 100) / 100},
          {"gpi_volume_mm3", {std::round(m.gpiVolumeMm3[0]), std::round(m.gpiVolumeMm3[1])}},
          {"bounds",
           {{"ventricle_contrast_sd_min", kMinimumVentricleContrast},
            {"affine_mattes_mi_max", kMaximumAffineMattesMi},
            {"head_scale", {kHeadScaleRange[0], kHeadScaleRange[1]}},
            {"ac_pc_distance_mm", {kAcPcDistanceRangeMm[0], kAcPcDistanceRangeMm[1]}},
            {"gpi_volume_mm3", {kGpiVolumeRangeMm3[0], kGpiVolumeRangeMm3[1]}}}}};
}

}  // namespace dbs
