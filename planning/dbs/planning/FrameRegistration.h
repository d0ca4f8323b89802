// FrameRegistration: a plan taken into the operating room. The frame catalogue (data/frames), the
// registration of a plan to a stereotactic frame (the N-localizer found in a frame CT or MR, that
// image co-registered rigidly to the plan's image, the two composed), and the frame settings of
// every trajectory: target and entry X, Y, Z, arc and ring for both mountings, the length.
//
// Coordinate systems used: plan image RAS mm, stereotactic image RAS mm, frame mm and frame-aligned
// RAS (StereotacticFrame.h). The one conversion between frame mm and RAS is FrameCoordinates.
#pragma once

#include <string>
#include <vector>

#include "dbs/imaging/NLocalizer.h"
#include "dbs/imaging/StereotacticFrame.h"
#include "dbs/planning/PlanModel.h"

namespace dbs {

// The frame models dbsplan knows (data/frames/*.json), by id ("leksell-g").
std::vector<std::string> frameModelIds();
// Throws std::runtime_error naming the ids there are when `id` is not one.
const FrameModel& frameModel(const std::string& id);

// What the OR team sets for one trajectory.
struct FrameSettings {
  Side side = Side::Left;
  std::string trajectoryId;
  Vec3 targetFrame, entryFrame;  // frame mm
  double lengthMm = 0;           // entry to target (mm)
  ArcRing lateralRight, lateralLeft;
  bool lateralRightReachable = false, lateralLeftReachable = false;  // inside the arc's scales
  bool targetInFrameRange = false;     // X, Y, Z inside the frame's coordinate range
  bool targetWithinLocalizer = false;  // Z inside the heights the localizer's rods were seen over
};
// One per chosen trajectory (left first); empty when the plan has no frame registration.
std::vector<FrameSettings> frameSettings(const PlanDocument& plan);
FrameSettings frameSettingsFor(const PlanFrameRegistration& registration, const Trajectory& trajectory);

struct FrameRegistrationOptions {
  std::string frameId = "leksell-g";
  FrameDetectionOptions detection;
};

// Registers `plan` to the frame seen in `stereotacticImagePath`: detects the localizer, registers
// that image rigidly to the plan's image (mutual information, multi-resolution, finest level 1 mm),
// composes them, and refuses (FrameDetectionError) when a chosen target lies outside the heights the
// rods cover. Throws ImagingError for an unreadable image, Cancelled when `progress` returns false.
// `check`, when given, receives the plan's image and the stereotactic image resampled onto its grid
// through the co-registration, for the overlay a user looks at before trusting the registration.
struct FrameRegistrationCheck {
  Volume planImage, stereotacticOnPlanGrid;
};
PlanFrameRegistration registerPlanToFrame(const PlanDocument& plan, const std::string& stereotacticImagePath,
                                          const FrameRegistrationOptions& options = {},
                                          const ProgressCallback& progress = {},
                                          FrameRegistrationCheck* check = nullptr);

// The manual fallback: the same solver (solveFrameFromRodPoints) on rod cross-sections a user
// clicked in `stereotacticImagePath` (RAS mm of that image, with the slice index each lies on):
// every rod of every plate on at least 3 slices. Then the same co-registration and checks.
PlanFrameRegistration registerPlanToFrameByHand(const PlanDocument& plan,
                                                const std::string& stereotacticImagePath,
                                                const std::vector<RodPoint>& clickedRas,
                                                const FrameRegistrationOptions& options = {},
                                                const ProgressCallback& progress = {},
                                                FrameRegistrationCheck* check = nullptr);

// Throws FrameDetectionError when a chosen trajectory's target lies outside the heights over which
// `registration`'s rods were seen (the image does not cover the target's height), naming the side.
void requireTargetsWithinLocalizer(const PlanDocument& plan, const PlanFrameRegistration& registration,
                                   const std::string& imagePath);

// The frame sheet in words, as the OR team reads it aloud: per side X, Y, Z, arc, ring, mounting,
// length, and the registration's error and image. One line each, for the CLI and the report.
std::vector<std::string> frameSheetLines(const PlanDocument& plan);

}  // namespace dbs
