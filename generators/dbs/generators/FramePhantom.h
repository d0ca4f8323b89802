// FramePhantom: a stereotactic CT of dbsplan's head phantom inside a frame's N-localizer, with its
// ground truth, so that the chain planning T1 -> frame CT -> frame coordinates is tested end to end.
//
// The frame sits on the head at a seeded tilt and shift (as a frame is fixed by hand, never quite
// square); the head lies in the CT scanner at another seeded pose (a second session, another
// world). The CT has CT-like intensities (Hounsfield units: air -1000, soft tissue 20-45, bone
// 1300), metal-like rods of the model's diameter drawn with partial volume (sub-voxel sampling),
// the scanner's blur, Gaussian noise and, optionally, streaks radiating from four fixation pins.
// Rods can be left out and a plate cropped out of the field of view, to test refusals.
//
// Coordinate systems used:
//  - T1 RAS mm: the head phantom's world (PhantomResult's grid).
//  - CT RAS mm: the CT's world; ctRasFromT1Ras is the head's pose in the scanner.
//  - frame mm: the frame's own coordinates (StereotacticFrame.h); frameFromT1Ras, frameFromCtRas.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dbs/generators/Phantom.h"
#include "dbs/imaging/StereotacticFrame.h"

namespace dbs {

struct FramePhantomParameters {
  std::uint64_t seed = 1;                // draws the frame's pose on the head and the head's in the scanner
  Vec3 spacingMm{0.8, 0.8, 1.0};         // CT voxel size (mm): in-plane, in-plane, slice
  double noiseHu = 12;                   // Gaussian noise sigma (HU)
  bool streaks = true;                   // streaks from the fixation pins (metal artefact)
  std::vector<std::string> removedRods;  // names of rods left out (the model's names)
  std::string croppedPlate;              // a plate left out of the field of view ("" = none)
  // A frame MR instead of a CT: the head's T1 intensities, rods bright (copper sulphate), pins as
  // signal voids, no streaks, Rician-like noise (magnitude of the noisy value) of noiseHu in T1 units.
  bool magneticResonance = false;
  // Bright specks (1-2 mm, bone- to metal-bright) scattered through the field of view: what streak
  // fragments, calcifications and bits of the frame's hardware leave above a rod threshold.
  unsigned clutterSpecks = 0;
};

struct FramePhantomTruth {
  FramePhantomParameters parameters;
  std::string frameId;
  Affine frameFromT1Ras, ctRasFromT1Ras, frameFromCtRas;
  Vec3 frameTiltDeg;   // the frame's tilt on the head, about R, A, S (deg)
  ImageGeometry grid;  // the CT's grid
};

struct FramePhantom {
  Volume ct;  // float32, Hounsfield units
  FramePhantomTruth truth;
};

// Throws ImagingError for a rod or plate name the model does not have; Cancelled when `progress`
// returns false.
FramePhantom generateFramePhantom(const PhantomResult& head, const FrameModel& frame,
                                  const FramePhantomParameters& parameters,
                                  const ProgressCallback& progress = {});

// The truth as JSON text, schema "dbsplan.frame-phantom/1": the three transforms (4x4, row-major),
// the frame's tilt, the grid, and every rod in frame and CT RAS mm.
std::string framePhantomTruthJson(const FramePhantom& phantom, const FrameModel& frame);

inline constexpr const char* kFramePhantomCtFile = "phantom_frame_ct.nii.gz";
inline constexpr const char* kFramePhantomMrFile = "phantom_frame_mr.nii.gz";  // magneticResonance
inline constexpr const char* kFramePhantomTruthFile = "phantom_frame_truth.json";

// Writes the image (kFramePhantomCtFile, or kFramePhantomMrFile for an MR) and the truth into
// `directory`, each atomically.
void writeFramePhantom(const FramePhantom& phantom, const FrameModel& frame, const std::string& directory);

}  // namespace dbs
