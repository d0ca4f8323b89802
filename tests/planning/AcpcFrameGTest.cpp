// AC-PC frame: origin at the mid-commissural point, y along PC->AC, z up in the midsagittal plane,
// x to the patient's right, whatever the head's pose in the scanner.
#include <gtest/gtest.h>

#include <stdexcept>

#include "TestNifti.h"
#include "dbs/planning/AcpcFrame.h"

namespace dbs {
namespace {

TEST(AcpcFrame, AlignedHeadGivesTheObviousFrame) {
  const AcpcFrame frame({0, 12, 0}, {0, -12, 0}, {0, 0, 50});
  EXPECT_DOUBLE_EQ(frame.acPcDistanceMm(), 24.0);
  EXPECT_NEAR(norm(frame.mcpRas() - Vec3{0, 0, 0}), 0, 1e-12);
  EXPECT_NEAR(norm(frame.rightAxisRas() - Vec3{1, 0, 0}), 0, 1e-12);
  // A typical GPi indirect target: 20 mm lateral (right), 3 mm anterior, 4 mm inferior to MCP.
  const Vec3 target = frame.rasFromAcpc({20, 3, -4});
  EXPECT_NEAR(norm(target - Vec3{20, 3, -4}), 0, 1e-12);
}

TEST(AcpcFrame, RotatedAndShiftedHeadRoundTrips) {
  // The same anatomy after a rigid motion: AC-PC coordinates must not change.
  const Affine motion =
      test::rotationAbout(0, 14.0) * test::rotationAbout(2, -9.0) * test::rotationAbout(1, 6.0);
  auto move = [&](Vec3 p) { return motion.apply(p) + Vec3{4, -7, 11}; };
  const Vec3 ac{0.5, 13, -1}, pc{0.5, -12, 1}, top{0.5, 0, 60};
  const AcpcFrame original(ac, pc, top), moved(move(ac), move(pc), move(top));
  const Vec3 targetRas{-19.5, 2.5, -3};
  const Vec3 a = original.acpcFromRas(targetRas), b = moved.acpcFromRas(move(targetRas));
  EXPECT_NEAR(norm(a - b), 0, 1e-9);
  EXPECT_LT(a.x, 0) << "a target left of the midline has negative x (x points to the patient's right)";
  EXPECT_NEAR(norm(moved.rasFromAcpc(b) - move(targetRas)), 0, 1e-9);
  // The frame is right-handed and orthonormal.
  EXPECT_NEAR(dot(moved.rightAxisRas(), moved.anteriorAxisRas()), 0, 1e-12);
  EXPECT_NEAR(norm(cross(moved.rightAxisRas(), moved.anteriorAxisRas()) - moved.superiorAxisRas()), 0, 1e-12);
  EXPECT_NEAR(moved.rasFromAcpcTransform().determinant3x3(), 1.0, 1e-12);
}

TEST(AcpcFrame, DegenerateLandmarksAreRejected) {
  EXPECT_THROW(AcpcFrame({0, 0, 0}, {0, 0, 0}, {0, 0, 10}), std::invalid_argument);
  EXPECT_THROW(AcpcFrame({0, 10, 0}, {0, -10, 0}, {0, 30, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace dbs
