// Locate: finds both GPi in a patient's T1. Registers the MNI template (Colin27) to the patient,
// carries the atlas labels onto the patient's own grid, maps AC, PC, MCP and the atlas GPi target
// into patient space, computes the indirect (AC-PC textbook) target beside it, and rigidly
// co-registers further volumes of the same patient. The GUI and `dbsplan locate` both call this.
//
// Coordinate systems used: patient RAS mm, template (MNI) RAS mm, AC-PC mm (AcpcFrame.h).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/LabelRefinement.h"
#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Registration.h"
#include "dbs/imaging/Volume.h"
#include "dbs/planning/HeadLikeness.h"

namespace dbs {

struct LocateInputs {
  std::string imagePath;
  std::vector<std::string> withPaths;  // further volumes of the same patient (T2, FGATIR, CT...)
  // Template and atlas; empty = the Colin27 sample and the atlas the build derived.
  std::string templatePath, atlasLabelsPath, atlasJsonPath;
  RegistrationParameters registration;
  bool refineWithPatientIntensities = true;  // GPi/GPe boundary from the patient's T1 where it shows
  // The geometry the user states for an image whose file lacks it (ImageTrust.h); without it such
  // an image is refused. Never applied to an image whose file gives its own geometry.
  std::optional<StatedGeometry> statedGeometry;
};

// The published indirect range of the dystonia GPi target, AC-PC mm from the MCP, for one side
// (x negative on the left).
struct IndirectRange {
  Vec3 minAcpc, maxAcpc;
  double outsideMm(Vec3 acpc) const;  // Euclidean distance from the box, 0 inside
};
IndirectRange indirectRangeOf(const nlohmann::json& atlasInfo, Side side);

struct ProposedTarget {
  Vec3 ras, acpc;                // patient RAS mm; AC-PC mm from the MCP
  bool insideRange = false;      // inside the published indirect range
  double outsideRangeMm = 0;     // how far outside it (AC-PC mm; 0 inside)
  double fromAtlasTargetMm = 0;  // moved this far from the atlas target
  bool onPatientGpi = false;     // on a GPi voxel of the patient's labels
  // The default lead, deepest contact on the target, at the usual angles of GPi leads (the middle
  // of scoring.json's ranges), keeps its deepest contacts (scoring.json contacts_in_gpi levels)
  // wholly on the patient's GPi label.
  bool holdsLeadAtUsualAngles = false;
  std::size_t candidates = 0;  // sensorimotor GPi points considered
  std::size_t candidatesInRange = 0;
  std::string rule;  // how it was chosen, in words, for plan notes and reports
};

struct LocateSide {
  Side side = Side::Left;
  Vec3 atlasTargetRas;     // the atlas's posteroventral GPi target mapped into the patient
  Vec3 atlasTargetMni;     // the same point in template (MNI) space
  Vec3 indirectTargetRas;  // AC-PC textbook target (lateral, anterior, inferior of MCP)
  Vec3 indirectTargetAcpc;
  double targetDistanceMm = 0;  // between the two
  // The default target, the one a plan aims at, chosen as surgeons choose it: in the sensorimotor
  // GPi (the atlas's posteroventral GPi, 1-2 mm above its ventral border, carried into the patient
  // and on the patient's own GPi label) and inside the published indirect range (the atlas
  // catalogue's indirect_targets_acpc ranges, in this patient's AC-PC frame). Of those points, the one
  // nearest the atlas target; where none lies inside the range, the one nearest the range.
  ProposedTarget proposed;
  Vec3 gpiCentroidRas, gpCentroidRas;
  double gpiVolumeMm3 = 0, gpeVolumeMm3 = 0;
};

struct CoregisteredVolume {
  std::string path;
  RigidRegistration registration;
  Volume onPatientGrid;  // resampled onto the planning T1's grid
};

struct LocateResult {
  Volume patient;
  LabelVolume labels;  // on the patient's grid
  TemplateRegistration registration;
  Vec3 acRas, pcRas, mcpRas, midlineRas;  // mapped landmarks, patient RAS
  std::array<LocateSide, 2> sides;        // left, right
  std::vector<CoregisteredVolume> coregistered;
  std::array<SideRefinement, 2> refinement;    // GPi/GPe boundary moved by the patient's T1
  std::size_t labelsRemovedAcrossMidline = 0;  // voxels the warp had put on the wrong side
  HeadLikeness headLikeness;                   // measured after the registration; in bounds, else refused
  double loadSeconds = 0, totalSeconds = 0;
  nlohmann::json atlasInfo;  // the atlas JSON (sources of landmarks and targets)
};

// Throws ImagingError naming the image when it cannot carry a plan: geometry not in the file and not
// stated, voxels that are too few, not finite or noise (ImageTrust.h), or a registration whose result is
// not a human head (HeadLikeness.h: every measure out of bounds is named with its value and range).
LocateResult locateGpi(const LocateInputs& inputs, const ProgressCallback& progress = {});

// Writes DIR/labels.nii.gz (patient grid), DIR/labels.json, DIR/locate.json, DIR/transform_affine.tfm
// and DIR/transform_displacement.nii (ITK displacement field), and DIR/with_N.nii.gz for each
// co-registered volume (on the T1's grid); each file atomically. Returns locate.json's content.
nlohmann::json writeLocateOutputs(const LocateResult& result, const std::string& outDir);

}  // namespace dbs
