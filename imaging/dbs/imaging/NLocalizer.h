// NLocalizer: finds a stereotactic frame's N-localizer in a CT or MR image and solves the frame
// registration (frame mm from the image's RAS mm), with Brown's N-localizer geometry.
//
// The steps, each refusing rather than guessing:
//  1. candidates: on every slice across the rods (the image axis nearest to superior), small bright
//     compact blobs (2-D connected components above a threshold, 0.5 to 30 mm^2), each reduced to
//     its intensity-weighted centroid (RAS mm);
//  2. rods: straight 3-D lines through those centroids (RANSAC, then least squares on the inliers),
//     at most one point per slice each; a line needs 20 or more slices;
//  3. plates: triples of lines that form an N (two parallel verticals the model's width apart, a
//     diagonal coplanar with both at the model's angle), matched to the model's plates by their
//     layout; fewer than three plates is refused;
//  4. Brown: on each slice that cuts all three rods of a plate at A, B (diagonal) and C, the
//     fraction f = |AB| / |AC| places B on the diagonal's known segment in frame mm;
//  5. fit: the rigid transform from those point pairs (least squares, Kabsch), refined by the
//     distance of every rod cross-section to its model rod; the fiducial registration error (FRE)
//     is the RMS of those distances, per rod and overall, and above 1 mm is refused.
// The image's RAS must be right: the diagonals' directions tell a mirrored image apart (refused).
//
// Coordinate systems used: RAS mm of the image (WorldFrame.h); frame mm (StereotacticFrame.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/StereotacticFrame.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

// A refused detection: what was found, what is missing and what to check, in one line.
class FrameDetectionError : public ImagingError {
 public:
  using ImagingError::ImagingError;
};

// A point on a rod's cross-section, in the image's RAS, and the slice it came from.
struct RodPoint {
  Vec3 ras;
  int slice = 0;
};

struct DetectedRod {
  std::string plate, name;  // the model's names
  std::vector<RodPoint> points;
  double rmsResidualMm = 0, maxResidualMm = 0;  // distance to the model rod after the fit (mm)
};

struct FrameDetection {
  std::string frameId;
  Affine frameFromRas;            // frame mm from the image's RAS mm (rigid)
  double freMm = 0;               // RMS over every rod cross-section of its distance to its model rod (mm)
  double brownRmsMm = 0;          // RMS residual of the Brown points alone (mm)
  std::vector<DetectedRod> rods;  // plate by plate, in the model's order
  std::size_t brownPoints = 0;    // Brown image/frame point pairs used
  double frameZMinMm = 0, frameZMaxMm = 0;  // the heights (frame Z) the rods were seen over
  double threshold = 0;                     // intensity the candidates were thresholded at
  std::size_t candidates = 0;               // blobs found before the line fit
  std::vector<std::string> notes;
};

struct FrameDetectionOptions {
  std::optional<double> threshold;  // default: 450 for a CT (HU), else half the 98th percentile
  double maxFreMm = 1.0;            // refused above
  std::size_t minSlicesPerRod = 20;
};

// Finds the localizer in `image` and registers it to `model`. Throws FrameDetectionError when it
// refuses (see above) and Cancelled when `progress` returns false.
FrameDetection detectFrame(const Volume& image, const FrameModel& model,
                           const FrameDetectionOptions& options = {}, const ProgressCallback& progress = {});

// Steps 2-5 on given cross-section points (the automatic candidates, or points a user clicked on a
// few slices: then minSlicesPerRod is the number of slices clicked).
FrameDetection solveFrameFromRodPoints(const std::vector<RodPoint>& candidates, const FrameModel& model,
                                       const FrameDetectionOptions& options, double voxelSizeMm);

// Where a user's click near a rod's cross-section lands on it (the manual fallback): on the slice
// of `image` through `clickedRas` (across its axis nearest to superior), the intensity-weighted
// centre of the pixels above half the local peak within `radiusMm` of the click; nullopt when
// nothing there stands out from its surroundings (a click on tissue or air).
std::optional<RodPoint> rodCrossSectionNear(const Volume& image, Vec3 clickedRas, double radiusMm = 3.0);

// The rigid transform that maps `from[i]` onto `to[i]` in the least-squares sense (Kabsch), without
// reflection. Throws std::invalid_argument for fewer than 3 points or points on one line.
Affine rigidLeastSquares(const std::vector<Vec3>& from, const std::vector<Vec3>& to);

}  // namespace dbs
