// RiskStructures: what a DBS trajectory must avoid, segmented in the patient's own image, and the
// signed Euclidean distance (mm) to each, computed once per image so that scoring a path is only a
// matter of sampling.
//
//  - Head (scalp surface): the largest connected object brighter than the background, holes filled.
//    Trajectories enter where they leave this mask.
//  - Brain: the template's brain mask carried into the patient (`brainPrior`), grown a little and
//    then cut back to the patient's own non-CSF tissue.
//  - Ventricles: the atlas prior (labels Ventricle_L/R from locate) grown by `ventricleSearchMm`,
//    kept where the patient's intensity is CSF (below the CSF/grey threshold), joined to the prior.
//  - Sulcal CSF: CSF-dark voxels inside the brain's closed hull (a morphological closing of the brain
//    with radius `sulcalClosingMm`) that are at least `sulcalMinDepthMm` deep, i.e. sulci, not the thin
//    CSF film every path crosses at the cortical surface, and not the ventricles.
//  - Vessels: only when a contrast-enhanced T1 or an angiogram co-registered to the T1 is given:
//    voxels inside the brain brighter than `vesselSdAboveBrain` standard deviations above the brain
//    mean of that volume, in connected objects of at least `vesselMinVoxels`.
// Intensity classes (CSF / grey / white) come from ITK's 3-class Otsu thresholds inside the brain.
// Morphology is done by thresholding Maurer distance maps (exact Euclidean, any radius in mm,
// anisotropic voxels) instead of structuring elements, which on a 1 mm head with a 4 mm radius
// are several times slower and approximate the ball.
//
// Coordinate systems used: every image here is on the patient T1's grid (ImageGeometry, RAS mm
// API; ITK LPS inside). Distances are mm, negative inside the structure, positive outside.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <itkImage.h>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

using MaskImage = itk::Image<unsigned char, 3>;

// The structures a trajectory is scored against, in the order of RiskStructures::risks.
enum class RiskKind { Ventricles = 0, Sulci = 1, Vessels = 2 };
constexpr int kRiskKinds = 3;
const char* riskName(RiskKind kind);  // "ventricles", "sulci", "vessels"

struct RiskSegmentationSettings {
  double ventricleSearchMm = 4.0;   // how far beyond the atlas prior a ventricle may reach
  double brainPriorGrowMm = 4.0;    // the carried brain mask is only approximate at the cortex
  double sulcalClosingMm = 5.0;     // fills sulci up to about twice this width
  double sulcalMinDepthMm = 2.0;    // below the hull surface: deeper CSF is sulcal
  double vesselSdAboveBrain = 3.0;  // contrast volume: vessel = brain mean + this many SD
  std::size_t vesselMinVoxels = 8;  // drop isolated bright specks
};

struct RiskMap {
  RiskKind kind = RiskKind::Ventricles;
  bool present = false;            // vessels are absent without a contrast volume
  MaskImage::Pointer mask;         // 1 inside
  FloatImage::Pointer distanceMm;  // signed Euclidean distance to the mask's surface, mm
  double volumeMm3 = 0;
};

struct RiskStructures {
  ImageGeometry geometry;  // the T1's grid; every image below has it
  MaskImage::Pointer headMask, brainMask;
  FloatImage::Pointer headDistanceMm;  // signed distance to the scalp surface (negative inside the head)
  std::array<RiskMap, kRiskKinds> risks;
  double headVolumeMm3 = 0, brainVolumeMm3 = 0;
  // Otsu thresholds inside the brain: below csfUpper = CSF, above greyUpper = white matter.
  double csfUpperIntensity = 0, greyUpperIntensity = 0;
  std::vector<std::string> notes;  // what was decided, e.g. a fallback to the atlas prior
  double seconds = 0;

  const RiskMap& risk(RiskKind kind) const { return risks[static_cast<std::size_t>(kind)]; }
};

// `t1` is the planning T1; `labels` its located labels (Ventricle_L/R are the prior); `brainPrior`
// a brain mask on the same grid (non-zero = brain; e.g. the template's carried by the registration);
// `vesselVolume` null or a contrast T1 / angiogram already on the T1's grid.
// Throws ImagingError on mismatched grids or an image without a head, Cancelled on cancel.
RiskStructures segmentRiskStructures(const Volume& t1, const LabelVolume& labels,
                                     const LabelVolume& brainPrior, const Volume* vesselVolume,
                                     const RiskSegmentationSettings& settings = {},
                                     const ProgressCallback& progress = {});

// The risk structures as one label map for review and for reopening a plan (risk_structures.nii.gz):
// 1 head (scalp to brain), 2 brain, 3 ventricles, 4 sulcal CSF, 5 vessels; where two overlap, the
// later value wins.
LabelVolume riskStructureMap(const RiskStructures& risks);
// The inverse: masks and distance maps rebuilt from such a map (a few seconds on a 1 mm head), with
// `present[k]` saying which structures were assessed. The brain mask is every voxel valued 2 to 5
// (the brain and what lies inside its hull). Exact for the head and for structures that do not
// overlap a later one (a vessel voxel inside a ventricle is no longer a ventricle voxel); Otsu
// thresholds and notes are not stored in the map and are left empty. Throws ImagingError for a
// value above 5.
RiskStructures riskStructuresFromMap(const LabelVolume& map, const std::array<bool, kRiskKinds>& present,
                                     const ProgressCallback& progress = {});

// An all-zero mask on the grid of `reference` (same origin, spacing, direction and region).
MaskImage::Pointer emptyMaskLike(const itk::ImageBase<3>& reference);

// Signed Euclidean distance (mm, negative inside) of a mask, with the image's own spacing (ITK's
// SignedMaurerDistanceMapImageFilter). An empty mask gives +1e6 everywhere.
FloatImage::Pointer signedDistanceMm(const MaskImage* mask);

}  // namespace dbs
