// RiskField: the precomputed fields a trajectory is scored against, built once per image from the
// risk structures' distance maps and the located labels, and the side-effect structures it
// measures margins to (internal capsule, optic tract).
//
// Coordinate systems used: patient RAS mm at the interface; the grid's voxel index inside.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/RiskStructures.h"

namespace dbs {

// Structures beside the GPi whose stimulation causes side effects: the internal capsule (posterior
// limb, medial and behind the GPi: capsular, i.e. motor, side effects) and the optic tract (below
// it: phosphenes). Reported per trajectory, not part of the search's score or safety.
enum class SideEffectStructure { InternalCapsule = 0, OpticTract = 1 };
constexpr int kSideEffectStructures = 2;
const char* sideEffectName(SideEffectStructure structure);         // "internal_capsule", "optic_tract"
const char* sideEffectDisplayName(SideEffectStructure structure);  // "internal capsule", "optic tract"
// Closer than this (mm, from a contact's surface) a structure is likely to be stimulated at ordinary
// settings, so the panel, the CLI and the report warn (orange), though the path stays safe: neither
// structure is a bleeding risk, and the programmer can choose other contacts.
//  - Internal capsule, 2 mm: a GPi contact at 2-3 V, 60-90 us activates tissue out to about 2-3 mm
//    from the lead (volume-of-tissue-activated models, Butson et al. 2007, NeuroImage 34:661-670);
//    capsular effects (tonic contraction, dysarthria) then limit the usable amplitude.
//  - Optic tract, 1 mm: the posteroventral target is placed just above the optic tract by design
//    (its phosphenes are what microstimulation in the operating room tests for), so the deepest
//    contact normally lies 1-2 mm from it; within 1 mm phosphenes come at the lowest amplitudes.
double sideEffectWarningMm(SideEffectStructure structure);

// The precomputed fields a path is scored against: the distance maps, interleaved for fast
// trilinear sampling, and the labels for nearest-neighbour lookup. Built once per image.
class RiskField {
 public:
  RiskField(const RiskStructures& risks, const LabelVolume& labels);
  // Signed distance to the scalp surface and to each risk structure at a RAS point (trilinear), mm.
  // Distances are to the structure's voxel surface (centre distance less half a voxel), the scalp's too.
  // Absent structures report kFar. Outside the grid the nearest border value is used, except the
  // scalp, which is then "outside the head" (+kFar).
  struct Sample {
    float head;
    std::array<float, kRiskKinds> risk;
    float caudate;  // signed distance to either caudate (labels), mm; kFar when the labels lack it
  };
  Sample sample(Vec3 pointRas) const;
  int labelAt(Vec3 pointRas) const;  // 0 outside the grid
  bool present(RiskKind kind) const { return present_[static_cast<std::size_t>(kind)]; }
  bool caudatePresent() const { return caudatePresent_; }
  // Inside the brain mask (nearest voxel; the brain and the CSF inside its hull); false outside the
  // grid or when the risk structures carry no brain mask (brainPresent() false).
  bool brainAt(Vec3 pointRas) const;
  bool brainPresent() const { return brainPresent_; }
  // Signed distance (trilinear, mm, negative inside) to the nearest voxel surface of a side-effect
  // structure (either side's label), from the label map; kFar when the labels lack it.
  float sideEffectDistanceMm(SideEffectStructure structure, Vec3 pointRas) const;
  bool present(SideEffectStructure structure) const {
    return sideEffectPresent_[static_cast<std::size_t>(structure)];
  }
  // RAS y (mm) dividing a side's GPi into its posterior (sensorimotor) and anterior halves: the
  // median y of its voxel centres, the patient-space form of the rule of SensorimotorGpi.h
  // (data/atlas/SOURCES.md 6c). Nothing when the labels have no GPi on that side.
  std::optional<double> gpiMedianYRas(Side side) const { return gpiMedianY_[sideIndex(side)]; }

  static constexpr float kFar = 1e6f;
  // How far from the caudate its distance is measured, mm; beyond, sample().caudate reads this
  // (a lower bound). Above the score's caudate saturation (ScoreTerms.h), so the term is exact.
  static constexpr double kCaudateBandMm = 12.0;

 private:
  template <std::size_t Channels>
  std::array<float, Channels> interpolate(const std::vector<float>& interleaved, Vec3 pointRas,
                                          bool& outside) const;
  std::array<std::size_t, 3> size_{};
  Affine ijkFromRas_;
  // Nearest voxel's index, or nothing outside the grid.
  std::optional<std::size_t> voxelAt(Vec3 pointRas) const;
  static constexpr unsigned short kBrainBit = 0x8000;  // set in labels_ inside the brain mask
  static constexpr std::size_t kChannels = 2 + kRiskKinds;
  std::vector<float> channels_;            // per voxel: head, ventricles, sulci, vessels, caudate
  std::vector<float> sideEffectChannels_;  // per voxel: internal capsule, optic tract
  std::array<bool, kSideEffectStructures> sideEffectPresent_{};
  std::vector<unsigned short> labels_;
  std::array<bool, kRiskKinds> present_{};
  bool caudatePresent_ = false, brainPresent_ = false;
  std::array<std::optional<double>, 2> gpiMedianY_{};
};

}  // namespace dbs
