// LabelRefinement: moves the GPi/GPe boundary of a warped atlas towards what the patient's own T1
// shows, where it shows anything. The internal medullary lamina is rarely visible on T1, so this
// acts only when the two atlas classes differ in the patient's intensities by at least
// `minimumSeparationSd` pooled standard deviations, only on voxels within `bandMm` of the current
// GPi/GPe interface, and only by swapping GPi and GPe of the same side: the GP never grows or
// shrinks and no label crosses the midline.
#pragma once

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct RefinementParameters {
  double minimumSeparationSd = 1.0;  // |mean(GPi) - mean(GPe)| / pooled SD needed to act at all
  double bandMm = 2.0;               // how far from the atlas boundary a voxel may change class
  double atlasPriorNats = 1.0;       // log-likelihood margin a voxel needs to leave its atlas class
};

struct SideRefinement {
  Side side = Side::Left;
  double separationSd = 0;
  bool applied = false;
  std::size_t relabelled = 0;
};

// `labels` must be on `image`'s grid. Returns what was done per side (left, right).
std::array<SideRefinement, 2> refineGpiGpe(const Volume& image, LabelVolume& labels,
                                           const RefinementParameters& p = {});

}  // namespace dbs
