// AtlasDerivation: derives dbsplan's basal-ganglia atlas on the Colin27 template from Debian's
// mricron-data (AAL labels, the Colin27 T1 at 1 mm and at 0.5 mm, JHU white-matter labels), by
// stated anatomical rules, so the result is reproducible code output and never hand-edited.
// Every number below is a named parameter; data/atlas/SOURCES.md gives the literature for each.
//
// Rules:
//  - Caudate, putamen, thalamus: AAL 71/72, 73/74, 77/78 as they are (odd = left).
//  - Globus pallidus: AAL's Pallidum (75/76) is the prior. AAL stops 1.8-2.8 mm below the AC-PC
//    plane, short of the GP's ventral border, which Colin27's 0.5 mm T1 (ch2better) shows: on T1 the
//    pallidum is brighter than the putamen and the substantia innominata under it is darker. So each
//    pallidum column is extended downwards, voxel by voxel, while the 0.5 mm T1 stays at least as
//    bright as the mean putamen, for at most `ventralExtensionMaxMm`.
//  - GPi / GPe: the internal medullary lamina separates the medial GPi from the lateral GPe. It runs
//    parallel to the pallidum's long axis in the axial plane (anteromedial to posterolateral) and is
//    oblique in the coronal plane, the GPi widening ventrally. It is modelled, per side, by a plane
//    whose normal is the axial in-plane normal to the long axis (medial and slightly posterior)
//    tilted `laminaTiltDegrees` downwards, placed so that the most medial `gpiFractionOfPallidum`
//    of the extended pallidum is GPi.
//  - Lateral ventricles: voxels darker than `csfFractionOfDeepGrey` x the mean thalamus intensity,
//    grown from the darkest voxel near each ventricle body, confined to a box around the ventricles
//    and to their own side of the midline.
//  - Internal capsule: JHU's posterior limb (labels 19, 20), moved onto the Colin27 midline (the
//    JHU volume's own midline, measured on its midline labels, lies off x = 0), where no grey
//    nucleus is. The side of every voxel comes from where it lies (its x), never from the label's
//    name: in Debian's JHU file the names say right for the structures at negative (left) x.
//  - Optic tract: no atlas mricron-data ships has it (JHU's 48 labels have none), so it is traced
//    on the 0.5 mm T1 by its anatomy: from the chiasm's posterolateral angle it runs backwards and
//    outwards on the ventral surface of the brain, along the hypothalamus and around the lateral
//    side of the cerebral peduncle, under the GPi, to the lateral geniculate body. On T1 it is the
//    white matter (at least as bright as the mean putamen) that has the dark CSF of the basal
//    cisterns (below `cisternFractionOfPutamen` x that mean) directly under it. Traced plane by plane
//    from the most medial such voxel at the front of the corridor, each step staying within 2 mm
//    and never turning medially or downwards; the label is the tube of `opticTractRadiusMm` around
//    the smoothed centre line, outside the CSF. Traced before the pallidum's ventral extension,
//    which stops at it. A side whose trace does not reach the peduncle's lateral side (|x| 20 mm)
//    is not located, and plans then say "not assessed" (DerivedAtlas::notLocated says why).
//  - Dystonia target (the sensorimotor GPi: posterior, lateral, ventral): the GPi's columns in its
//    posterior half (y <= the GPi's median y), which, the GPi's long axis running anteromedial to
//    posterolateral, are also its lateral part; the target's x, y is their mean, and its z lies
//    `targetAboveVentralBorderMm` above the GPi's ventral border there (the lowest GPi voxel's
//    lower face, averaged over the columns within 1.5 mm), so the deepest contact sits just above
//    the border and the optic tract under it. (Restricting further to the lateral half of those
//    columns put the targets 23.5 / 24.4 mm from the midline, outside every published range.)
//
// Coordinate systems used: RAS mm in the Colin27 template's space (ch2.nii.gz), which is aligned to
// MNI305 space linearly, not the nonlinear ICBM 2009b average; see SOURCES.md.
#pragma once

#include <string>
#include <vector>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/SensorimotorGpi.h"
#include "dbs/imaging/TemplateSpace.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct AtlasDerivationParameters {
  // Fraction of each (extended) pallidum labelled GPi: fresh, shrinkage-corrected post-mortem
  // volumes give 0.29-0.30 (Thoerner 1975; SOURCES.md 4a); sensitivity range 0.28-0.35.
  double gpiFractionOfPallidum = 0.30;
  // The GP reaches 4-5 mm below the AC-PC plane, AAL's pallidum 1.8-2.8 mm: at most this much is
  // added below AAL's lowest voxel of each column (mm).
  double ventralExtensionMaxMm = 3.0;
  // Tilt of the internal medullary lamina from the vertical in the coronal plane (degrees); its
  // normal points medially and downwards, so the GPi takes more of the pallidum ventrally.
  // No published angle was found (SOURCES.md 5); 20 deg puts the GPi's centroid 2.7 mm below and
  // 1.1 mm behind the whole GP's, near the 2 mm and 2 mm of published 3-D atlases.
  double laminaTiltDegrees = 20.0;
  // Where the deepest contact's centre goes: this far above the GPi's ventral border (mm; the
  // clinical aim is 1-2 mm).
  double targetAboveVentralBorderMm = 1.5;
  // CSF is far darker than deep grey matter on T1; below this fraction of the thalamus mean = CSF.
  double csfFractionOfDeepGrey = 0.55;
  // Optic tract (SOURCES.md 6e): the basal-cistern CSF under it is darker than this fraction of the
  // mean putamen on the 0.5 mm T1 (0.70: 69 on Colin27; the trace moves by under 1 mm for
  // 0.63-0.81); the tube's radius (mm: the tract is a band about 3-4 mm wide); a trace shorter
  // than this (mm from front to back) is not the tract.
  double cisternFractionOfPutamen = 0.70;
  double opticTractRadiusMm = 1.5;
  double opticTractMinimumLengthMm = 15.0;
};

struct DerivedTarget {
  std::string name;  // "GPi_posteroventral_L"
  Vec3 pointRas;
  std::string rule;
  double ventralBorderZ = 0;  // the GPi's lower face under the target (RAS z, mm)
};

struct AtlasInputs {
  const Volume& t1;                // Colin27 at 1 mm (ch2.nii.gz), the grid of AAL and of the atlas
  const LabelVolume& aal;          // AAL on that grid
  const Volume& t1HighResolution;  // Colin27 at 0.5 mm (ch2better.nii.gz), same space
  const LabelVolume& whiteMatter;  // JHU white-matter labels (JHU-WhiteMatter-labels-1mm.nii.gz)
};

struct DerivedAtlas {
  LabelVolume labels;                  // on the AAL / Colin27 grid, values from standardLabels()
  std::vector<DerivedTarget> targets;  // posteroventral GPi per side
  AtlasDerivationParameters parameters;
  std::vector<std::string> log;         // what was done, with counts, for the atlas JSON
  std::vector<std::string> notLocated;  // structures the rules could not find, with the reason
  std::vector<std::vector<Vec3>> opticTractCentreLines;  // per located side (L first), RAS mm, front first
};

DerivedAtlas deriveAtlas(const AtlasInputs& inputs, const AtlasDerivationParameters& parameters,
                         const ProgressCallback& progress = {});

}  // namespace dbs
