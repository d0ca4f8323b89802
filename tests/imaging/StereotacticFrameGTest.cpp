// The frame model as data and the one conversion point: Leksell G's axes and centre, RAS -> frame ->
// RAS exact to 1e-6 mm, arc/ring -> direction -> arc/ring exact to 1e-6 deg over the scales, the
// directions the published convention gives, and frame files that are wrong refused by field.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dbs/imaging/NLocalizer.h"
#include "dbs/imaging/StereotacticFrame.h"

namespace dbs {
namespace {

std::string leksellText() {
  std::ifstream in(std::string(DBS_SOURCE_DIR) + "/data/frames/leksell_g.json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

FrameModel leksellG() {
  return frameModelFromJson(leksellText(), "leksell_g.json");
}

// A rigid transform: rotations about the three axes (deg), then a shift (mm).
Affine rigid(Vec3 degrees, Vec3 shift) {
  Affine a = rotationAboutRasAxis(2, degrees.z) * rotationAboutRasAxis(1, degrees.y) *
             rotationAboutRasAxis(0, degrees.x);
  for (int r = 0; r < 3; ++r) a.m[r][3] = shift[r];
  return a;
}

TEST(StereotacticFrame, LeksellGAxesAreLeftAnteriorInferiorAboutTheCentre) {
  const FrameModel m = leksellG();
  EXPECT_EQ(m.id, "leksell-g");
  // R = 100 - X, A = Y - 100, S = 100 - Z.
  const Vec3 centre = m.alignedRasFromFrame.apply({100, 100, 100});
  EXPECT_LT(norm(centre), 1e-12);
  const Vec3 p = m.alignedRasFromFrame.apply({120, 90, 130});
  EXPECT_DOUBLE_EQ(p.x, -20);  // X 120: 20 mm to the patient's left
  EXPECT_DOUBLE_EQ(p.y, -10);  // Y 90: 10 mm posterior
  EXPECT_DOUBLE_EQ(p.z, -30);  // Z 130: 30 mm inferior
  ASSERT_EQ(m.plates.size(), 3u);
  EXPECT_EQ(m.plate("right").rods[0].fromFrame.x, 4);   // the right plate at X 4 (R +96)
  EXPECT_EQ(m.plate("left").rods[0].fromFrame.x, 196);  // the left plate at X 196 (R -96)
  EXPECT_DOUBLE_EQ(m.plate("right").widthMm(), 120);
  EXPECT_DOUBLE_EQ(m.arcRadiusMm, 190);
}

TEST(StereotacticFrame, RasToFrameAndBackIsExactOverTheFramesRange) {
  const FrameModel m = leksellG();
  double worst = 0;
  for (int pose = 0; pose < 20; ++pose) {
    const Affine frameFromRas =
        m.alignedRasFromFrame.inverse() * rigid({-15.0 + 1.5 * pose, 10.0 - pose, 3.0 * std::sin(pose)},
                                                {20.0 * std::cos(pose), -30.0 + 3 * pose, 7.0 * pose});
    const FrameCoordinates frame(m, frameFromRas);
    for (double x = 0; x <= 200; x += 25)
      for (double y = 0; y <= 200; y += 25)
        for (double z = 0; z <= 200; z += 25) {
          const Vec3 f{x, y, z};
          worst = std::max(worst, norm(frame.frameFromRasPoint(frame.rasFromFramePoint(f)) - f));
          const Vec3 ras = frame.rasFromFramePoint(f);
          worst = std::max(worst, norm(frame.rasFromFramePoint(frame.frameFromRasPoint(ras)) - ras));
        }
  }
  EXPECT_LT(worst, 1e-6);
  // A reflection or a scale is not a frame registration.
  Affine mirrored = Affine::identity();
  mirrored.m[0][0] = -1;
  EXPECT_THROW(FrameCoordinates(m, mirrored), std::invalid_argument);
  Affine scaled = Affine::identity();
  scaled.m[1][1] = 1.01;
  EXPECT_THROW(FrameCoordinates(m, scaled), std::invalid_argument);
}

TEST(StereotacticFrame, ArcAndRingGiveThePublishedDirections) {
  // Vertical at arc = ring = 90 on both mountings.
  for (const ArcMounting mounting : {ArcMounting::LateralRight, ArcMounting::LateralLeft}) {
    const Vec3 up = directionFromArcRing({90, 90}, mounting);
    EXPECT_NEAR(up.x, 0, 1e-12);
    EXPECT_NEAR(up.y, 0, 1e-12);
    EXPECT_NEAR(up.z, 1, 1e-12);
  }
  // Lateral-right: an arc below 90 tilts the entry to the patient's right; a ring below 90 anterior.
  const Vec3 right = directionFromArcRing({70, 90}, ArcMounting::LateralRight);
  EXPECT_GT(right.x, 0.3);
  const Vec3 anterior = directionFromArcRing({90, 60}, ArcMounting::LateralRight);
  EXPECT_NEAR(anterior.y, 0.5, 1e-12);
  EXPECT_NEAR(anterior.z, std::sqrt(0.75), 1e-12);
  // Lateral-left mirrors R and A: the same angles point to the left and posterior.
  const Vec3 left = directionFromArcRing({70, 60}, ArcMounting::LateralLeft);
  const Vec3 mirror = directionFromArcRing({70, 60}, ArcMounting::LateralRight);
  EXPECT_NEAR(left.x, -mirror.x, 1e-12);
  EXPECT_NEAR(left.y, -mirror.y, 1e-12);
  EXPECT_NEAR(left.z, mirror.z, 1e-12);
}

TEST(StereotacticFrame, AnglesToDirectionAndBackAreExactOverTheScales) {
  const FrameModel m = leksellG();
  double worst = 0;
  for (const ArcMounting mounting : {ArcMounting::LateralRight, ArcMounting::LateralLeft})
    for (double arc = 0.25; arc < 180; arc += 0.5)
      for (double ring = 0; ring <= 180; ring += 0.5) {
        ASSERT_TRUE(anglesReachable(m, {arc, ring}));
        const ArcRing back = arcRingFromDirection(directionFromArcRing({arc, ring}, mounting), mounting);
        worst = std::max({worst, std::abs(back.arcDeg - arc), std::abs(back.ringDeg - ring)});
      }
  EXPECT_LT(worst, 1e-6);
  // Along the arc's axis the ring is undefined; below the target no setting reaches.
  EXPECT_THROW(arcRingFromDirection({1, 0, 0}, ArcMounting::LateralRight), std::domain_error);
  EXPECT_THROW(arcRingFromDirection({0, 0.3, -1}, ArcMounting::LateralRight), std::domain_error);
  EXPECT_FALSE(anglesReachable(m, {190, 90}));
}

TEST(StereotacticFrame, AWrongFrameFileIsRefusedByField) {
  auto refusal = [](const std::function<void(nlohmann::json&)>& spoil) {
    nlohmann::json j = nlohmann::json::parse(leksellText());
    spoil(j);
    try {
      frameModelFromJson(j.dump(), "frame.json");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(
      refusal([](auto& j) { j["coordinates"].erase("x_towards"); }).find("coordinates.x_towards: missing"),
      std::string::npos);
  EXPECT_NE(refusal([](auto& j) { j["coordinates"]["y_towards"] = "L"; }).find("different anatomical axes"),
            std::string::npos);
  EXPECT_NE(refusal([](auto& j) {
              j["localizer"]["plates"][0]["rods"][2]["to_mm"] = {4, 170, 160};
            }).find("localizer.plates[0]"),
            std::string::npos);
  EXPECT_NE(refusal([](auto& j) {
              j["localizer"]["plates"][1]["rods"][1]["from_mm"] = {196, 50, 40};
            }).find("its diagonal (rods[1]) must run from a point of rods[0]"),
            std::string::npos);
  EXPECT_NE(refusal([](auto& j) {
              j["arc"]["ring_range_deg"] = {20, 200};
            }).find("arc.ring_range_deg"),
            std::string::npos);
  EXPECT_NE(refusal([](auto& j) { j["schema_version"] = 2; }).find("schema_version"), std::string::npos);
}

TEST(StereotacticFrame, TheRigidLeastSquaresFitRecoversAKnownTransform) {
  const Affine truth = rigid({12, -7, 25}, {5, -40, 110});
  std::vector<Vec3> from, to;
  for (int i = 0; i < 30; ++i) {
    const Vec3 p{std::sin(i) * 80, std::cos(1.3 * i) * 60, 0.7 * i * i - 100};
    from.push_back(p);
    to.push_back(truth.apply(p));
  }
  EXPECT_LT(rigidLeastSquares(from, to).maxAbsDifference(truth), 1e-9);
  // Collinear points leave a rotation free: refused.
  std::vector<Vec3> line{{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {5, 5, 5}};
  EXPECT_THROW(rigidLeastSquares(line, line), std::invalid_argument);
}

}  // namespace
}  // namespace dbs
