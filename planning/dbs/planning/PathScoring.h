// PathScoring: how one straight path is scored, shared by evaluateTrajectory (Trajectory.cpp), the
// search and the entry assessment (TrajectorySearch.cpp), so that the three score a path
// identically: the scan along the path (smallest distance to each risk structure and where, the
// contact levels in the target, the score), the path's angles and the frontal window, and the
// parallel chunking and low-discrepancy sampling the search uses. Internal to planning/ (namespace
// detail): not part of the library's interface.
//
// Coordinate systems used: patient RAS mm for points; AC-PC mm and degrees for angles and the window;
// depths in mm from the target towards the entry.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dbs/planning/Trajectory.h"

namespace dbs::detail {

constexpr double kPi = 3.14159265358979323846;

inline double degrees(double radians) {
  return radians * 180.0 / kPi;
}

inline double radians(double degrees) {
  return degrees * kPi / 180.0;
}

// Rotation of `v` about the unit axis `axis` by `angleRad` (right-handed; Rodrigues' formula).
inline Vec3 rotateAbout(Vec3 v, Vec3 axis, double angleRad) {
  const double c = std::cos(angleRad), s = std::sin(angleRad);
  return c * v + s * cross(axis, v) + (dot(axis, v) * (1 - c)) * axis;
}

// Smallest distance to each structure along a segment, and where. Shared by the search and by
// evaluateTrajectory so that both score a path identically.
struct PathScan {
  std::array<float, kRiskKinds> minDistance;
  std::array<double, kRiskKinds> depthAtMin;  // mm from the target towards the entry
  double score = 0;
  ScoreBreakdown terms{};
  bool safe = true;
};

// The lead's contact levels along the path (mm from the target towards the entry: each level's
// span, deepest first) and the labels of the side's GPi and GPe, for the contact terms.
struct LeadLevels {
  std::vector<std::pair<double, double>> spansMm;  // [lower, upper] depth of each level's contacts
  int gpiLabel = 0, gpeLabel = 0;
};

LeadLevels leadLevels(const ElectrodeModel& model, double deepestContactBeyondTargetMm, Side side);

// The path from `targetRas` to `entryRas` (patient RAS mm) scanned every s.stepMm from the lead's
// tip (tipBeyondMm beyond the target) to the entry, and scored term by term (ScoreTerms.h).
PathScan scanPath(const RiskField& field, const AcpcFrame& acpc, const SearchSettings& s, Side side,
                  Vec3 targetRas, Vec3 entryRas, double tipBeyondMm, const LeadLevels& levels);

struct Angles {
  double sagittalDeg, lateralDeg, toAcpcLineDeg;
};

Angles anglesOf(const AcpcFrame& acpc, Side side, Vec3 targetRas, Vec3 entryRas);

inline bool entryInWindow(const AcpcFrame& acpc, const SearchSettings& s, Side side, Vec3 entryRas) {
  const Vec3 e = acpc.acpcFromRas(entryRas);
  return e.x * sideSign(side) >= s.entryMinLateralMm && e.y >= s.entryMinAnteriorMm;
}

// The whole frontal window: the entry's own constraints and the path's angles.
bool pathInWindow(const AcpcFrame& acpc, const SearchSettings& s, Side side, Vec3 entryRas, const Angles& a);

// How far inside the window: the smallest distance of the angles to their limits (deg) and of the
// entry to its limits (mm); negative outside.
double windowInsideDeg(const SearchSettings& s, const Angles& a);
double windowInsideMm(const AcpcFrame& acpc, const SearchSettings& s, Side side, Vec3 entryRas);

// Runs work(begin, end) over [0, count) in contiguous chunks, one per core (at most 8), the calling
// thread taking the first chunk.
void parallelChunks(std::size_t count, const std::function<void(std::size_t, std::size_t)>& work);

// Radical-inverse (van der Corput) in `base`: the Halton sequence spreads candidates evenly over the
// window for any count, deterministically, with no clusters or gaps as a random draw would have.
double radicalInverse(std::size_t index, unsigned base);

const ElectrodeModel& electrodeOrThrow(const PlanningContext& context, const std::string& id);

// Distance from the deepest contact's centre to the lead's distal end, mm.
inline double tipBelowDeepestContactMm(const ElectrodeModel& model) {
  return model.contacts.front().centreMm();
}

}  // namespace dbs::detail
