// SyntheticPatient: a test patient made from a template (e.g. Colin27 with its atlas) by a known
// random affine pose, a smooth nonlinear warp of a few mm, a multiplicative bias field, a contrast
// change, noise, and another voxel order and spacing, with the ground-truth labels carried the same
// way. Registration benchmarks and tests measure themselves against it.
//
// Coordinate systems used: template RAS mm, patient RAS mm (patient = pose(template + warp)).
#pragma once

#include <cstdint>
#include <string>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct SyntheticPatientParameters {
  std::uint64_t seed = 1;
  double warpMm = 6.0;              // largest displacement of the smooth warp
  Vec3 spacingMm{1.0, 1.0, 1.2};    // patient voxel size
  std::string orientation = "LPI";  // nibabel letters of the patient grid
  double noiseFraction = 0.03;      // Gaussian noise sigma, fraction of the robust maximum
  double biasFraction = 0.15;       // left-right linear bias amplitude (plus a quadratic in z)
  double gamma = 1.1;               // contrast change: intensity^gamma
  // Atrophy, as in Huntington's disease or old age (1 and 0 = none): the lateral ventricles grow to
  // `ventricleScale` times the template's volume (1.5-2.5 in the HD cases) and the caudate
  // loses `caudateLoss` of its volume (0-0.5), by a smooth, fold-free deformation of the template's
  // anatomy before the pose and warp; the truth labels follow it.
  double ventricleScale = 1.0;
  double caudateLoss = 0.0;
};

struct SyntheticPatient {
  Volume t1;
  LabelVolume labels;                // template labels carried onto the patient grid (truth)
  Affine patientRasFromTemplateRas;  // the pose (without the warp)
  // Atrophy as generated, measured on the template's own grid before pose and warp (1 and 0 when
  // none was asked for): lateral ventricle volume / template's, caudate volume lost (fraction).
  double ventricleScaleReached = 1.0;
  double caudateLossReached = 0.0;
};

SyntheticPatient makeSyntheticPatient(const Volume& templateT1, const LabelVolume& templateLabels,
                                      const SyntheticPatientParameters& parameters);

struct OverlapScore {
  double dice = 0;
  double centroidErrorMm = 0;
  double volumeMm3 = 0, truthVolumeMm3 = 0;
};
// Dice and centroid distance between the union of `labels` in `a` and the union of `truthLabels` in
// `truth`; both label maps must share a grid.
OverlapScore scoreOverlap(const LabelVolume& a, const std::vector<int>& labels, const LabelVolume& truth,
                          const std::vector<int>& truthLabels);

}  // namespace dbs
