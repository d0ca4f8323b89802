// HeadLikeness: whether what `locate` registered is a human head, measured after the registration
// and before anything is planned on it. A smooth random blob registers to the template with a
// similarity close to the phantom's and gets GPi of plausible volume (the atlas carries them), so
// the registration's own numbers cannot tell it from a head; the patient's intensities under the
// carried labels can: in a T1 the lateral ventricles are far darker than the putamen.
//
// Every range below was measured with `dbsplan locate` over every image we have (2026-12-04): Colin27
// (ch2, ch2better), the coronal 2 x 2 x 3 mm patient, the phantom, five synthetic patients
// (../shared/checks/make_synthetic_patient.py, seeds 1-5, 6 mm warps), a smooth random blob and
// uniform noise; the bounds leave wide margins around the heads and exclude both non-heads.
//
// Coordinate systems used: patient RAS mm, template (MNI) RAS mm.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbs {

struct LocateResult;

struct HeadLikeness {
  // (median T1 in the carried putamen - median in the core of the carried lateral ventricles, 2 mm
  // inside their border: HeadLikeness.cpp says why) / robust SD of the putamen (1.4826 x its median
  // absolute deviation). Heads (2026-12-06, default registration): 5.4-13.2 (coronal patient 5.4,
  // synthetic patients with 8 mm warps or atrophy 7.2-7.4, ch2 9.2, phantom 9.6-13.1 over every
  // demons setting tried, ch2better 13.2); blob 0.2, noise 0.04. Over the whole label (before) the
  // phantom swung between 0.3 and 13.5 with the demons' settings and the blob measured -1.5.
  double ventricleContrast = 0;
  // Mattes MI at the end of the affine stage (negative; lower is better). Heads: -1.69 to -0.48;
  // blob -0.45, noise -0.02. Only noise is told apart by it, hence the contrast above.
  double affineMattesMi = 0;
  // Linear size of the patient's head relative to the template: det(patient from template)^(1/3).
  // Heads: 0.93-1.01; blob 0.85, noise 1.03.
  double headScale = 1;
  double acPcDistanceMm = 0;                 // heads 26.9-28.5 mm
  std::array<double, 2> gpiVolumeMm3{0, 0};  // left, right; heads 623-899 mm3
};

// The bounds. Contrast: under half the lowest head measured. MI: no similarity at all. Head
// scale: a child of seven (the youngest DBS patients for dystonia; brain volume is then about 90 %
// of an adult's, linear 0.97) to the largest adult heads, with margin. AC-PC: adult MRI series
// give 23-30 mm; 20-35 allows for children and for the atlas's own landmark error. GPi: each side
// between a third and twice the atlas's own (about 800 mm3).
constexpr double kMinimumVentricleContrast = 2.5;
constexpr double kMaximumAffineMattesMi = -0.25;
constexpr double kHeadScaleRange[2] = {0.7, 1.4};
constexpr double kAcPcDistanceRangeMm[2] = {20.0, 35.0};
constexpr double kGpiVolumeRangeMm3[2] = {250.0, 1600.0};

HeadLikeness measureHeadLikeness(const LocateResult& located);

// One line per measure outside its bound, each naming the value and the range; empty for a head.
std::vector<std::string> headLikenessProblems(const HeadLikeness& measured);

nlohmann::json headLikenessJson(const HeadLikeness& measured);

}  // namespace dbs
