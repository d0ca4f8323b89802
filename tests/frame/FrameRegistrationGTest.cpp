// Frame registration end to end on generated frame CTs (generators/FramePhantom.h): the N-localizer
// found and registered at several poses, with metal streaks, with rods and plates missing (refused
// or still right, never wrong), a mirrored image refused, and the chain T1 -> frame CT -> frame
// coordinates within 0.3 mm and 0.3 deg of the truth.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "TestSupport.h"
#include "dbs/generators/FramePhantom.h"
#include "dbs/generators/Phantom.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/NLocalizer.h"
#include "dbs/imaging/Registration.h"
#include "dbs/planning/FrameRegistration.h"

namespace dbs {
namespace {

FrameModel leksellG() {
  const std::string path = std::string(DBS_SOURCE_DIR) + "/data/frames/leksell_g.json";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return frameModelFromJson(text.str(), path);
}

// The head phantom every case here puts in a frame (1 mm, posed by seed 3).
const PhantomResult& head() {
  static const PhantomResult phantom = [] {
    PhantomParameters p;
    p.seed = 3;
    return generatePhantom(p);
  }();
  return phantom;
}

// Points where targets are set: the phantom's GPi centroids, and the frame centre's surroundings.
std::vector<Vec3> targetsT1() {
  return {head().truth.sides[0].gpiCentroidRas, head().truth.sides[1].gpiCentroidRas};
}

double maxTargetError(const Affine& frameFromCtRas, const FramePhantomTruth& truth) {
  double worst = 0;
  for (const Vec3 t : targetsT1()) {
    const Vec3 expected = truth.frameFromT1Ras.apply(t);
    const Vec3 found = frameFromCtRas.apply(truth.ctRasFromT1Ras.apply(t));
    worst = std::max(worst, norm(found - expected));
  }
  return worst;
}

// Generated frame CTs of the head, cached per parameter set within this process.
FramePhantom framed(const FramePhantomParameters& p) {
  return generateFramePhantom(head(), leksellG(), p);
}

FramePhantomParameters pose(std::uint64_t seed) {
  FramePhantomParameters p;
  p.seed = seed;
  return p;
}

TEST(FrameDetection, FindsTheLocalizerAtThreePosesWithinATenthOfAMillimetre) {
  const FrameModel model = leksellG();
  for (const std::uint64_t seed : {1, 2, 3}) {
    FramePhantomParameters p = pose(seed);
    if (seed == 3) {  // a coarser scan: 1 mm pixels, 2 mm slices, twice the noise
      p.spacingMm = {1.0, 1.0, 2.0};
      p.noiseHu = 25;
    }
    const FramePhantom phantom = framed(p);
    const FrameDetection found = detectFrame(phantom.ct, model);
    SCOPED_TRACE("seed " + std::to_string(seed));
    ASSERT_EQ(found.rods.size(), 9u);
    // Every rod identified by name, in the model's order.
    std::size_t r = 0;
    for (const LocalizerPlate& plate : model.plates)
      for (const LocalizerRod& rod : plate.rods) {
        EXPECT_EQ(found.rods[r].name, rod.name);
        EXPECT_GE(found.rods[r].points.size(), seed == 3 ? 30u : 60u) << rod.name;
        EXPECT_LT(found.rods[r].rmsResidualMm, 0.5) << rod.name;
        ++r;
      }
    EXPECT_LT(found.freMm, 0.5);
    EXPECT_LT(maxTargetError(found.frameFromRas, phantom.truth), 0.1);
    // The rods were seen over (nearly) their whole height, 40 to 160 mm.
    EXPECT_LT(found.frameZMinMm, 45);
    EXPECT_GT(found.frameZMaxMm, 155);
    std::cout << "seed " << seed << ": FRE " << found.freMm << " mm, Brown " << found.brownRmsMm
              << " mm over " << found.brownPoints << " points, target error "
              << maxTargetError(found.frameFromRas, phantom.truth) << " mm\n";
  }
}

// What a real scan does to a localizer: refused with a reason, or still right; never wrong.
TEST(FrameDetection, MissingRodsAndACroppedPlateAreRefusedAndNeverGiveAWrongFrame) {
  const FrameModel model = leksellG();
  struct Case {
    const char* what;
    std::vector<std::string> removed;
    std::string cropped;
    bool refused;
  };
  const std::vector<Case> cases = {
      {"a diagonal rod missing", {"left diagonal"}, "", true},
      {"a vertical rod missing", {"right posterior"}, "", true},
      {"the anterior plate cropped out of the field of view", {}, "anterior", true},
      {"the right plate cropped out of the field of view", {}, "right", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    FramePhantomParameters p = pose(4);
    p.removedRods = c.removed;
    p.croppedPlate = c.cropped;
    const FramePhantom phantom = framed(p);
    try {
      const FrameDetection found = detectFrame(phantom.ct, model);
      EXPECT_FALSE(c.refused) << "registered with FRE " << found.freMm;
      EXPECT_LT(maxTargetError(found.frameFromRas, phantom.truth), 0.3);
    } catch (const FrameDetectionError& e) {
      EXPECT_TRUE(c.refused) << e.what();
      EXPECT_NE(std::string(e.what()).find("found 2 of the 3 localizer plates"), std::string::npos)
          << e.what();
    }
  }
}

TEST(FrameDetection, StrongStreaksNoiseAndClutterStillGiveTheRightFrame) {
  const FrameModel model = leksellG();
  FramePhantomParameters p = pose(5);
  p.noiseHu = 60;          // five times a head CT's
  p.clutterSpecks = 4000;  // bright specks everywhere, more than the rods' cross-sections
  const FramePhantom phantom = framed(p);
  const FrameDetection found = detectFrame(phantom.ct, model);
  EXPECT_GT(found.candidates, 3000u) << "the clutter did not reach the candidates";
  EXPECT_EQ(found.rods.size(), 9u);
  EXPECT_LT(found.freMm, 0.5);
  EXPECT_LT(maxTargetError(found.frameFromRas, phantom.truth), 0.3);
}

// A frame MR: the head's own T1 intensities around bright copper-sulphate rods, no Hounsfield units
// to lean on (the threshold is then half the 98th percentile).
TEST(FrameDetection, FindsTheLocalizerInAFrameMr) {
  FramePhantomParameters p = pose(2);
  p.magneticResonance = true;
  p.noiseHu = 20;
  const FramePhantom phantom = framed(p);
  const FrameDetection found = detectFrame(phantom.ct, leksellG());
  EXPECT_EQ(found.rods.size(), 9u);
  EXPECT_LT(found.freMm, 0.5);
  EXPECT_LT(maxTargetError(found.frameFromRas, phantom.truth), 0.3);
}

// The manual fallback: a user clicks every rod near its cross-section (up to 1.5 mm off) on three
// slices; each click snaps to the cross-section, and the same solver gives the same frame. Two
// slices are not enough (refused by the window's registration, see registerPlanToFrameByHand).
TEST(FrameDetection, RodsClickedOnThreeSlicesGiveTheFrame) {
  const FrameModel model = leksellG();
  const FramePhantom phantom = framed(pose(2));
  const Affine ctFromFrame = phantom.truth.frameFromCtRas.inverse();
  const ImageGeometry& g = phantom.ct.geometry;
  std::vector<RodPoint> clicks;
  int n = 0;
  for (const double z : {60.0, 100.0, 140.0}) {  // frame Z: near the top, the middle, the bottom
    // The axial slice through the frame's centre line at that height.
    const Vec3 atHeight = ctFromFrame.apply({100, 100, z});
    const double k = std::round(g.indexFromRas(atHeight).z);
    const double sliceS = g.rasFromIndex({0, 0, k}).z;
    for (const LocalizerPlate& plate : model.plates)
      for (const LocalizerRod& rod : plate.rods) {
        const Vec3 a = ctFromFrame.apply(rod.fromFrame), b = ctFromFrame.apply(rod.toFrame);
        const Vec3 crossing = a + ((sliceS - a.z) / (b.z - a.z)) * (b - a);
        const Vec3 offset{1.5 * std::cos(n * 2.1), 1.5 * std::sin(n * 2.1), 0};  // a hand's aim
        ++n;
        const std::optional<RodPoint> snapped = rodCrossSectionNear(phantom.ct, crossing + offset);
        ASSERT_TRUE(snapped) << rod.name << " at Z " << z;
        EXPECT_LT(norm(snapped->ras - crossing), 0.5) << rod.name << ": the click did not snap onto the rod";
        clicks.push_back(*snapped);
      }
  }
  FrameDetectionOptions options;
  options.minSlicesPerRod = 3;
  const FrameDetection found = solveFrameFromRodPoints(clicks, model, options, 1.0);
  EXPECT_EQ(found.rods.size(), 9u);
  EXPECT_LT(found.freMm, 0.5);
  EXPECT_LT(maxTargetError(found.frameFromRas, phantom.truth), 0.3);
  // A click on tissue, far from any rod, snaps to nothing.
  EXPECT_FALSE(rodCrossSectionNear(phantom.ct,
                                   phantom.truth.ctRasFromT1Ras.apply(head().truth.sides[0].gpiCentroidRas)));
}

// A left-right flip of the image's geometry puts every lead in the wrong hemisphere: the anterior
// plate's diagonal then runs the wrong way, and the detection says so.
TEST(FrameDetection, AMirroredImageIsRefused) {
  const FrameModel model = leksellG();
  FramePhantom phantom = framed(pose(1));
  ImageGeometry mirrored = phantom.ct.geometry;
  for (int r = 0; r < 3; ++r) mirrored.rasFromIjk.m[0][r] = -mirrored.rasFromIjk.m[0][r];
  mirrored.rasFromIjk.m[0][3] = -mirrored.rasFromIjk.m[0][3];
  phantom.ct.geometry = mirrored;
  try {
    detectFrame(phantom.ct, model);
    ADD_FAILURE() << "a mirrored frame CT was registered";
  } catch (const FrameDetectionError& e) {
    EXPECT_NE(std::string(e.what()).find("mirrored"), std::string::npos) << e.what();
  }
}

TEST(FrameDetection, ABlankImageIsRefusedWithWhatWasFound) {
  FramePhantomParameters p = pose(1);
  p.removedRods = {};
  Volume blank = framed(p).ct;
  float* v = blank.image->GetBufferPointer();
  for (std::size_t i = 0; i < blank.geometry.voxelCount(); ++i) v[i] = std::min(v[i], 100.0f);
  try {
    detectFrame(blank, leksellG());
    ADD_FAILURE() << "a frame was found in an image without rods";
  } catch (const FrameDetectionError& e) {
    EXPECT_NE(std::string(e.what()).find("found 0 of the 3 localizer plates"), std::string::npos) << e.what();
  }
}

// The whole chain on three poses: the plan's T1 -> the frame CT (rigid, mutual information) -> the
// frame (N-localizer): every target's X, Y, Z within 0.3 mm of the truth, arc and ring within 0.3 deg.
TEST(FramePlanChain, TargetsArcsAndRingsMatchTheTruthAtTwoPosesAndUncoveredTargetsAreRefused) {
  const std::string dir = test::freshTestDir("frame_chain");
  writePhantom(head(), dir);
  PlanDocument plan;
  plan.image.path = dir + "/" + kPhantomT1File;
  plan.image.geometry = head().t1.geometry;
  for (const Side side : kBothSides) {
    PlannedTrajectory t;
    t.trajectory.side = side;
    t.trajectory.id = std::string(1, sideLetter(side)) + "1";
    t.trajectory.targetRas = head().truth.sides[sideIndex(side)].gpiCentroidRas;
    // A usual GPi path: entry 70 mm away, anterior, superior and a little lateral.
    t.trajectory.entryRas =
        t.trajectory.targetRas + 70.0 * normalized(Vec3{sideSign(side) * 0.25, 0.45, 0.86});
    plan.trajectories.push_back(t);
  }
  const FrameModel& model = frameModel("leksell-g");
  // Two poses (tilted differently, shifted differently in the scanner): the detection test covers a
  // third; each pose here costs a 1 mm co-registration, and CI's time is bounded.
  for (const std::uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    FramePhantomParameters p = pose(seed);
    p.spacingMm = {1.0, 1.0, 1.0};  // as fine as the phantom's T1: the chain's accuracy is the point here
    const FramePhantom phantom = framed(p);
    const std::string ctPath = dir + "/frame_ct_" + std::to_string(seed) + ".nii";  // no gzip: faster
    writeImageAtomically(phantom.ct.image.GetPointer(), ctPath, /*compress=*/false);
    plan.frame = registerPlanToFrame(plan, ctPath);
    for (const FrameSettings& s : frameSettings(plan)) {
      const Trajectory& t = chosenTrajectory(plan, s.side)->trajectory;
      const Vec3 truthTarget = phantom.truth.frameFromT1Ras.apply(t.targetRas);
      const Vec3 truthDirection = model.alignedRasFromFrame.applyLinear(
          phantom.truth.frameFromT1Ras.applyLinear(normalized(t.entryRas - t.targetRas)));
      const ArcRing truthRight = arcRingFromDirection(truthDirection, ArcMounting::LateralRight);
      const ArcRing truthLeft = arcRingFromDirection(truthDirection, ArcMounting::LateralLeft);
      EXPECT_LT(norm(s.targetFrame - truthTarget), 0.3);
      EXPECT_NEAR(s.lateralRight.arcDeg, truthRight.arcDeg, 0.3);
      EXPECT_NEAR(s.lateralRight.ringDeg, truthRight.ringDeg, 0.3);
      EXPECT_NEAR(s.lateralLeft.arcDeg, truthLeft.arcDeg, 0.3);
      EXPECT_NEAR(s.lateralLeft.ringDeg, truthLeft.ringDeg, 0.3);
      EXPECT_TRUE(s.targetWithinLocalizer);
      std::cout << sideWord(s.side) << ": target " << norm(s.targetFrame - truthTarget) << " mm, arc "
                << std::abs(s.lateralRight.arcDeg - truthRight.arcDeg) << " deg, ring "
                << std::abs(s.lateralRight.ringDeg - truthRight.ringDeg) << " deg off the truth\n";
    }
    EXPECT_LT(plan.frame->freMm, 0.5);
    if (seed == 1) {
      // A target far below the localizer's rods (frame Z beyond 160 mm): the image does not cover
      // its height, and the registration is refused.
      PlanDocument low = plan;
      low.trajectories[0].trajectory.targetRas = low.trajectories[0].trajectory.targetRas - Vec3{0, 0, 75};
      try {
        requireTargetsWithinLocalizer(low, *plan.frame, ctPath);
        ADD_FAILURE() << "a target outside the localizer's heights was accepted";
      } catch (const FrameDetectionError& e) {
        EXPECT_NE(std::string(e.what()).find("does not cover the target's height"), std::string::npos)
            << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace dbs
