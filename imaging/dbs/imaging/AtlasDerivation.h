// AtlasDerivation: derives dbsplan's basal-ganglia atlas in MNI space from Debian's AAL atlas and
// the Colin27 T1 (mricron-data), by stated anatomical rules, so the result is reproducible code
// output and never hand-edited.
//
// Rules (every number is a named parameter below; see data/atlas/SOURCES.md for the literature):
//  - Caudate, putamen, thalamus: AAL 71/72, 73/74, 77/78 as they are (odd = left).
//  - GPi / GPe: AAL's Pallidum (75/76) is the whole globus pallidus. The internal medullary lamina
//    separates the medial GPi from the lateral GPe and runs roughly parallel to the pallidum's long
//    axis. We approximate it, per side, by a vertical plane parallel to the pallidum's long axis in
//    the axial plane (principal axis of the voxel cloud's x-y coordinates), placed so that the most
//    medial `gpiFractionOfPallidum` of the pallidum's volume is GPi.
//  - Lateral ventricles: voxels darker than `csfFractionOfDeepGrey` x the mean thalamus intensity,
//    grown from the darkest voxel near each ventricle body, confined to a box around the ventricles
//    and to their own side of the midline.
//  - Posteroventral GPi target (no citable MNI figure was found): the centroid of the GPi voxels that
//    lie in its posterior half (y <= median y) and its ventral third (z <= 33rd percentile of z).
//
// Coordinate systems used: RAS mm (MNI space of the Colin27 template).
#pragma once

#include <string>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct AtlasDerivationParameters {
  // Fraction of each pallidum labelled GPi: published post-mortem and MRI figures put the GPi at
  // about 0.3-0.5 of the whole GP (Thoerner 1975: 0.29; the DBS atlases about a third).
  double gpiFractionOfPallidum = 0.35;
  // CSF is far darker than deep grey matter on T1; below this fraction of the thalamus mean = CSF.
  double csfFractionOfDeepGrey = 0.55;
};

struct DerivedTarget {
  std::string name;  // "GPi_posteroventral_L"
  Vec3 pointRas;
  std::string rule;
};

struct DerivedAtlas {
  LabelVolume labels;                   // on the AAL / Colin27 grid, values from standardLabels()
  std::vector<DerivedTarget> targets;   // posteroventral GPi per side
  AtlasDerivationParameters parameters;
  std::vector<std::string> log;         // what was done, with counts, for the atlas JSON
};

DerivedAtlas deriveAtlas(const Volume& colin27T1, const LabelVolume& aal, const AtlasDerivationParameters& parameters,
                         const ProgressCallback& progress = {});

}  // namespace dbs
