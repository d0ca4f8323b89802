#include "dbs/planning/FrameRegistration.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/Registration.h"
#include "dbs/planning/DataPaths.h"
#include "dbs/planning/PlanReferences.h"

namespace dbs {

namespace {

namespace fs = std::filesystem;

// Every frame model in data/frames, read once, by id.
const std::map<std::string, FrameModel>& frameCatalogue() {
  static std::mutex mutex;
  static std::map<std::string, FrameModel> catalogue;
  static bool loaded = false;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!loaded) {
    const fs::path folder = sourceDataPath("frames");
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      FrameModel model = frameModelFromJson(text.str(), file.string());
      catalogue.emplace(model.id, std::move(model));
    }
    loaded = true;
  }
  return catalogue;
}

std::string fixed(double v, int decimals = 1) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v;
  return s.str();
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<std::string> frameModelIds() {
  std::vector<std::string> ids;
  for (const auto& [id, model] : frameCatalogue()) ids.push_back(id);
  return ids;
}

const FrameModel& frameModel(const std::string& id) {
  const auto& catalogue = frameCatalogue();
  const auto it = catalogue.find(id);
  if (it == catalogue.end()) {
    std::string known;
    for (const auto& [k, model] : catalogue) known += (known.empty() ? "" : ", ") + k;
    throw std::runtime_error("no frame model \"" + id +
                             "\" (dbsplan knows: " + (known.empty() ? "none" : known) + "; see data/frames)");
  }
  return it->second;
}

FrameSettings frameSettingsFor(const PlanFrameRegistration& registration, const Trajectory& trajectory) {
  const FrameModel& model = frameModel(registration.frameId);
  const FrameCoordinates frame(model, registration.frameFromPlanRas);
  FrameSettings s;
  s.side = trajectory.side;
  s.trajectoryId = trajectory.id;
  s.targetFrame = frame.frameFromRasPoint(trajectory.targetRas);
  s.entryFrame = frame.frameFromRasPoint(trajectory.entryRas);
  s.lengthMm = norm(trajectory.entryRas - trajectory.targetRas);
  const Vec3 direction =
      frame.alignedFromRasDirection(normalized(trajectory.entryRas - trajectory.targetRas));
  s.lateralRight = arcRingFromDirection(direction, ArcMounting::LateralRight);
  s.lateralLeft = arcRingFromDirection(direction, ArcMounting::LateralLeft);
  s.lateralRightReachable = anglesReachable(model, s.lateralRight);
  s.lateralLeftReachable = anglesReachable(model, s.lateralLeft);
  s.targetInFrameRange = true;
  for (int a = 0; a < 3; ++a)
    s.targetInFrameRange = s.targetInFrameRange && s.targetFrame[a] >= model.coordinateMinFrame[a] &&
                           s.targetFrame[a] <= model.coordinateMaxFrame[a];
  s.targetWithinLocalizer =
      s.targetFrame.z >= registration.frameZMinMm && s.targetFrame.z <= registration.frameZMaxMm;
  return s;
}

std::vector<FrameSettings> frameSettings(const PlanDocument& plan) {
  std::vector<FrameSettings> out;
  if (!plan.frame) return out;
  for (const Side side : kBothSides)
    if (const PlannedTrajectory* t = chosenTrajectory(plan, side))
      out.push_back(frameSettingsFor(*plan.frame, t->trajectory));
  return out;
}

namespace {

// Progress from `from` to `to` of the whole, as a callback of its own.
ProgressCallback partOf(const ProgressCallback& progress, double from, double to) {
  if (!progress) return {};
  return [progress, from, to](double f, const std::string& step) {
    return progress(from + (to - from) * f, step);
  };
}

Volume loadStereotacticImage(const std::string& path, const ProgressCallback& progress) {
  if (progress && !progress(0.0, "loading the stereotactic image")) throw Cancelled();
  Volume image = loadVolume(path, progress);
  requireGeometryFromFile(image, "register a frame");
  return image;
}

// The steps after the localizer is solved, whoever found its rods: the stereotactic image
// co-registered to the plan's, the composition, the targets' heights checked.
PlanFrameRegistration completeRegistration(const PlanDocument& plan, const Volume& stereotactic,
                                           const std::string& stereotacticImagePath, const FrameModel& model,
                                           const FrameDetection& detection, const std::string& method,
                                           double detectionSeconds, const ProgressCallback& progress,
                                           FrameRegistrationCheck* check) {
  if (progress && !progress(0.0, "loading the plan's image")) throw Cancelled();
  Volume planImage = loadVolumeForPlanning(plan.image.path, {}, plan.image.binFactors);
  if (plan.image.statedGeometry)
    applyStatedGeometry(planImage, *plan.image.statedGeometry);
  else
    requireGeometryFromFile(planImage, "register a frame");
  const RigidRegistration rigid =
      registerRigid(planImage, stereotactic, partOf(progress, 0.03, 1.0), /*finestLevelMm=*/1.0);

  PlanFrameRegistration r;
  r.frameId = model.id;
  r.imagePath = fs::absolute(stereotacticImagePath).lexically_normal().string();
  r.imageSha256 = sha256OfPath(stereotacticImagePath);
  r.method = method;
  r.created = utcNowIso8601();
  r.frameFromImageRas = detection.frameFromRas;
  r.planRasFromImageRas = rigid.fixedRasFromMovingRas;
  r.frameFromPlanRas = detection.frameFromRas * rigid.fixedRasFromMovingRas.inverse();
  r.freMm = detection.freMm;
  r.brownRmsMm = detection.brownRmsMm;
  r.brownPoints = detection.brownPoints;
  for (const DetectedRod& rod : detection.rods)
    r.rods.push_back({rod.name, rod.points.size(), rod.rmsResidualMm, rod.maxResidualMm});
  r.frameZMinMm = detection.frameZMinMm;
  r.frameZMaxMm = detection.frameZMaxMm;
  r.coRegistrationMetric = rigid.metric;
  r.coRegistrationSeconds = rigid.seconds;
  r.detectionSeconds = detectionSeconds;
  requireTargetsWithinLocalizer(plan, r, stereotacticImagePath);
  if (check) {
    check->stereotacticOnPlanGrid = resampleOntoGrid(stereotactic, r.planRasFromImageRas, planImage.geometry);
    check->planImage = std::move(planImage);
  }
  return r;
}

}  // namespace

PlanFrameRegistration registerPlanToFrame(const PlanDocument& plan, const std::string& stereotacticImagePath,
                                          const FrameRegistrationOptions& options,
                                          const ProgressCallback& progress, FrameRegistrationCheck* check) {
  const FrameModel& model = frameModel(options.frameId);
  // Progress: loading 0-5 %, detection 5-30 %, co-registration 30-100 %.
  const Volume stereotactic = loadStereotacticImage(stereotacticImagePath, partOf(progress, 0.0, 0.05));
  const auto detectionStart = std::chrono::steady_clock::now();
  const FrameDetection detection =
      detectFrame(stereotactic, model, options.detection, partOf(progress, 0.05, 0.3));
  return completeRegistration(plan, stereotactic, stereotacticImagePath, model, detection, "automatic",
                              secondsSince(detectionStart), partOf(progress, 0.3, 1.0), check);
}

PlanFrameRegistration registerPlanToFrameByHand(const PlanDocument& plan,
                                                const std::string& stereotacticImagePath,
                                                const std::vector<RodPoint>& clickedRas,
                                                const FrameRegistrationOptions& options,
                                                const ProgressCallback& progress,
                                                FrameRegistrationCheck* check) {
  const FrameModel& model = frameModel(options.frameId);
  const Volume stereotactic = loadStereotacticImage(stereotacticImagePath, partOf(progress, 0.0, 0.05));
  std::vector<int> slices;
  for (const RodPoint& p : clickedRas)
    if (std::find(slices.begin(), slices.end(), p.slice) == slices.end()) slices.push_back(p.slice);
  if (slices.size() < 3)
    throw FrameDetectionError(
        "rod cross-sections clicked on " + std::to_string(slices.size()) +
        " slice(s): click every rod on at least 3 slices, well apart (e.g. near the top, "
        "the middle and the bottom of the localizer)");
  FrameDetectionOptions solve = options.detection;
  solve.minSlicesPerRod = slices.size();  // every rod clicked on every slice
  const Vec3 spacing = stereotactic.geometry.spacingMm();
  const auto start = std::chrono::steady_clock::now();
  FrameDetection detection =
      solveFrameFromRodPoints(clickedRas, model, solve, std::max({spacing.x, spacing.y, spacing.z}));
  return completeRegistration(plan, stereotactic, stereotacticImagePath, model, detection, "manual",
                              secondsSince(start), partOf(progress, 0.05, 1.0), check);
}

void requireTargetsWithinLocalizer(const PlanDocument& plan, const PlanFrameRegistration& r,
                                   const std::string& imagePath) {
  // The localizer's rods must be seen at every target's height: above or below them, the frame's
  // Z is extrapolated from the fit, and a tilt error grows with the distance.
  for (const Side side : kBothSides)
    if (const PlannedTrajectory* t = chosenTrajectory(plan, side)) {
      const FrameSettings s = frameSettingsFor(r, t->trajectory);
      if (!s.targetWithinLocalizer)
        throw FrameDetectionError(imagePath + ": the localizer's rods are seen from Z " +
                                  fixed(r.frameZMinMm) + " to " + fixed(r.frameZMaxMm) + " mm, and the " +
                                  sideWord(side) + " target lies at Z " + fixed(s.targetFrame.z) +
                                  " mm: the image does not cover the target's height; not registered");
    }
}

std::vector<std::string> frameSheetLines(const PlanDocument& plan) {
  std::vector<std::string> lines;
  if (!plan.frame) return lines;
  const PlanFrameRegistration& r = *plan.frame;
  const FrameModel& model = frameModel(r.frameId);
  lines.push_back("frame: " + model.name + " (" + r.frameId + "), registered " + r.method + " from " +
                  r.imagePath);
  lines.push_back("  fiducial registration error " + fixed(r.freMm, 2) + " mm over " +
                  std::to_string(r.rods.size()) + " rods (worst rod " +
                  fixed(std::max_element(r.rods.begin(), r.rods.end(),
                                         [](const auto& a, const auto& b) { return a.rmsMm < b.rmsMm; })
                            ->rmsMm,
                        2) +
                  " mm); rods seen from Z " + fixed(r.frameZMinMm) + " to " + fixed(r.frameZMaxMm) + " mm");
  for (const FrameSettings& s : frameSettings(plan)) {
    lines.push_back("  " + std::string(sideWord(s.side)) + " (" + s.trajectoryId + "): X " +
                    fixed(s.targetFrame.x) + "  Y " + fixed(s.targetFrame.y) + "  Z " +
                    fixed(s.targetFrame.z) + " mm" +
                    (s.targetInFrameRange ? "" : "  OUTSIDE THE FRAME'S RANGE") +
                    (s.targetWithinLocalizer ? "" : "  OUTSIDE THE LOCALIZER'S HEIGHTS"));
    lines.push_back("      lateral-right: arc " + fixed(s.lateralRight.arcDeg) + " deg, ring " +
                    fixed(s.lateralRight.ringDeg) + " deg" +
                    (s.lateralRightReachable ? "" : " (OUTSIDE THE SCALES)") + "; lateral-left: arc " +
                    fixed(s.lateralLeft.arcDeg) + " deg, ring " + fixed(s.lateralLeft.ringDeg) + " deg" +
                    (s.lateralLeftReachable ? "" : " (OUTSIDE THE SCALES)"));
    lines.push_back("      entry X " + fixed(s.entryFrame.x) + "  Y " + fixed(s.entryFrame.y) + "  Z " +
                    fixed(s.entryFrame.z) + " mm; length entry to target " + fixed(s.lengthMm) + " mm");
  }
  return lines;
}

}  // namespace dbs
