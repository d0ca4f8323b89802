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

namespace dbs {

struct LocateInputs {
  std::string imagePath;
  std::vector<std::string> withPaths;  // further volumes of the same patient (T2, FGATIR, CT...)
  // Template and atlas; empty = the Colin27 sample and the atlas the build derived.
  std::string templatePath, atlasLabelsPath, atlasJsonPath;
  RegistrationParameters registration;
  bool refineWithPatientIntensities = true;  // GPi/GPe boundary from the patient's T1 where it shows
};

struct LocateSide {
  char side = 'L';
  Vec3 atlasTargetRas;     // the atlas's posteroventral GPi target mapped into the patient
  Vec3 atlasTargetMni;     // the same point in template (MNI) space
  Vec3 indirectTargetRas;  // AC-PC textbook target (lateral, anterior, inferior of MCP)
  Vec3 indirectTargetAcpc;
  double targetDistanceMm = 0;  // between the two
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
  std::array<SideRefinement, 2> refinement;     // GPi/GPe boundary moved by the patient's T1
  std::size_t labelsRemovedAcrossMidline = 0;  // voxels the warp had put on the wrong side
  double loadSeconds = 0, totalSeconds = 0;
  nlohmann::json atlasInfo;  // the atlas JSON (sources of landmarks and targets)
};

LocateResult locateGpi(const LocateInputs& inputs, const ProgressCallback& progress = {});

// Writes DIR/labels.nii.gz (patient grid), DIR/labels.json, DIR/locate.json, DIR/transform_affine.tfm
// and DIR/transform_displacement.nii (ITK displacement field), and DIR/with_N.nii.gz for each
// co-registered volume (on the T1's grid); each file atomically. Returns locate.json's content.
nlohmann::json writeLocateOutputs(const LocateResult& result, const std::string& outDir);

}  // namespace dbs
