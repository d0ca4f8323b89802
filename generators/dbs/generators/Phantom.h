// Phantom: dbsplan's own ground-truth head phantom. An analytic, MNI-like model of a head (scalp,
// skull, CSF, cortex with sulci, white matter, lateral and third ventricles, vessels, and the basal
// ganglia GPi, GPe, putamen, caudate, thalamus and internal capsule on both sides) is posed in a
// patient by a seeded random rigid + scale transform, optionally warped by a smooth displacement
// field, and sampled on a voxel grid of any axis order into a T1-weighted image and a label map
// whose labels follow the project table (standardLabels() in Labels.h). The truth (landmarks, GPi/GP
// centroids and volumes measured from the label map as written, the pose and the grid) is plain data and
// JSON. Same parameters => byte-identical files.
//
// Coordinate systems used:
//  - model RAS (mm): the anatomical model frame, MNI-like (origin near the anterior commissure).
//  - patient RAS (mm): the phantom's world frame; patientRasFromModelRas maps model to patient.
//  - ijk: voxel index of the written grid; grid.rasFromIjk maps it to patient RAS mm.
// Anatomy seen at a patient point x is the model at m + u(m), m = modelRasFromPatientRas(x), where u
// is the warp displacement (model mm); landmarks in patient RAS are mapped through the inverse.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dbs/imaging/ImageGeometry.h"
#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct PhantomParameters {
  std::uint64_t seed = 0;           // draws the pose, warp, bias and noise; 0 = identity pose
  Vec3 spacingMm{1, 1, 1};          // voxel size along the written i, j, k axes (mm)
  std::string orientation = "RAS";  // nibabel letters: where voxel axes i, j, k point (e.g. LPS, PIL)
  double noiseFraction = 0.02;      // Rician noise sigma as a fraction of the white-matter intensity
  double warpMm = 0;                // maximum magnitude of the smooth displacement field (mm, <= 10)
  double biasFraction = 0.05;       // peak deviation of the multiplicative bias field from 1
  bool antialias = false;           // T1 = mean of 2x2x2 sub-voxel samples (labels: voxel centre)
};

// Throws ImagingError (one line) if a parameter is out of range or the orientation is not a code.
void validatePhantomParameters(const PhantomParameters& parameters);

// Per hemisphere; index 0 = left, 1 = right. Centroids in patient RAS mm, volumes in mm^3, all
// measured from the label map as generated (voxel count x voxel volume, mean voxel centre).
struct PhantomSideTruth {
  Vec3 gpiCentroidRas, gpeCentroidRas, gpCentroidRas;  // GP = GPi + GPe
  double gpiVolumeMm3 = 0, gpeVolumeMm3 = 0, gpVolumeMm3 = 0;
};

struct PhantomLandmark {
  std::string name;  // "AC", "PC", "MCP", "midline" (a point high in the midsagittal plane)
  Vec3 modelRas;     // in the anatomical model (MNI-like RAS mm)
  Vec3 patientRas;   // where it lies in the phantom (patient RAS mm), through pose and warp
};

struct PhantomTruth {
  PhantomParameters parameters;
  Affine patientRasFromModelRas;  // the pose: rigid + per-axis scale (model mm -> patient mm)
  Vec3 poseRotationDeg;           // about model x, y, z (deg): patient = T * Rz * Ry * Rx * S * model
  Vec3 poseScale{1, 1, 1};        // per-axis scale in the model frame
  Vec3 poseTranslationMm;         // patient RAS translation (mm)
  ImageGeometry grid;             // dims and ras_from_ijk exactly as written to the files
  std::vector<PhantomLandmark> landmarks;
  std::array<PhantomSideTruth, 2> sides;
  std::array<std::uint64_t, 256> labelVoxelCounts{};  // voxels per label value
  std::array<Vec3, 256> labelCentroidsRas{};          // patient RAS mm (zero where count is 0)
  std::array<double, 256> labelMeanT1{};              // mean written T1 intensity per label
};

struct PhantomResult {
  Volume t1;           // float32 T1-weighted image; geometry == truth.grid
  LabelVolume labels;  // same grid as t1 (uint16 on disk)
  PhantomTruth truth;
};

// Generates the phantom. Reports progress and throws Cancelled when `progress` returns false, and
// ImagingError for invalid parameters. Uses up to min(hardware threads, 8) threads; the result does
// not depend on the number of threads.
PhantomResult generatePhantom(const PhantomParameters& parameters, const ProgressCallback& progress = {});

// The truth as JSON text, schema "dbsplan.phantom/1".
std::string phantomTruthJson(const PhantomResult& result);

// File names written into the output folder.
inline constexpr const char* kPhantomT1File = "phantom_t1.nii.gz";
inline constexpr const char* kPhantomLabelsFile = "phantom_labels.nii.gz";
inline constexpr const char* kPhantomTruthFile = "phantom_truth.json";

// Writes phantom_t1.nii.gz, phantom_labels.nii.gz and phantom_truth.json into `directory` (created
// if missing), each first under a temporary name in the same folder, then renamed: a reader never
// sees a half-written file. Throws ImagingError with a one-line message on failure.
void writePhantom(const PhantomResult& result, const std::string& directory);

}  // namespace dbs
