// Rigid co-registration of another volume of the same patient: a contrast-inverted ("T2-like"),
// rigidly moved copy must come back to within a voxel.
#include <gtest/gtest.h>

#include <filesystem>

#include <itkLinearInterpolateImageFunction.h>

#include "dbs/generators/SyntheticPatient.h"
#include "dbs/imaging/Registration.h"

namespace dbs {
namespace {

TEST(Registration, RigidCoregistrationRecoversAKnownMotion) {
  const std::string t = DBS_MRICRON_DIR;
  ASSERT_TRUE(std::filesystem::exists(t + "/ch2.nii.gz")) << "Debian package mricron-data is missing";
  SyntheticPatientParameters p;
  p.seed = 3;
  p.warpMm = 0;
  p.spacingMm = {2, 2, 2};
  const SyntheticPatient patient =
      makeSyntheticPatient(loadVolume(t + "/ch2.nii.gz"), loadLabelVolume(t + "/aal.nii.gz"), p);
  // The second volume: same head, moved by 6 degrees about z and (4, -3, 5) mm, contrast inverted.
  const Volume& fixed = patient.t1;
  Volume moving = fixed;
  {
    // Build the moved copy by resampling: moving(x) = fixed(M x), i.e. a point x of the moving
    // volume shows the anatomy at M x of the fixed one.
    const double a = 6 * M_PI / 180;
    Affine m;
    m.m[0][0] = std::cos(a);
    m.m[0][1] = -std::sin(a);
    m.m[1][0] = std::sin(a);
    m.m[1][1] = std::cos(a);
    const Vec3 centre = fixed.geometry.rasFromIndex(
        {fixed.geometry.size[0] / 2.0, fixed.geometry.size[1] / 2.0, fixed.geometry.size[2] / 2.0});
    Affine toCentre, back;
    for (int r = 0; r < 3; ++r) {
      toCentre.m[r][3] = -centre[r];
      back.m[r][3] = centre[r] + Vec3{4, -3, 5}[r];
    }
    const Affine fixedFromMoving = back * m * toCentre;  // RAS
    auto out = FloatImage::New();
    out->CopyInformation(fixed.image);
    out->SetRegions(fixed.image->GetLargestPossibleRegion());
    out->Allocate();
    const auto& g = fixed.geometry;
    const Affine ijkFromRas = g.ijkFromRas();
    const IntensityRange range = intensityRange(*fixed.image);
    auto interpolator = itk::LinearInterpolateImageFunction<FloatImage, double>::New();
    interpolator->SetInputImage(fixed.image);
    for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
          const Vec3 src =
              ijkFromRas.apply(fixedFromMoving.apply(g.rasFromIndex({double(i), double(j), double(k)})));
          itk::ContinuousIndex<double, 3> c;
          c[0] = src.x;
          c[1] = src.y;
          c[2] = src.z;
          const float v = interpolator->IsInsideBuffer(c)
                              ? static_cast<float>(interpolator->EvaluateAtContinuousIndex(c))
                              : 0.0f;
          out->GetBufferPointer()[idx] =
              v > 0.05 * range.robustHigh ? static_cast<float>(range.robustHigh * 1.2 - v) : 0.0f;
        }
    moving.image = out;
    const RigidRegistration r = registerRigid(fixed, moving);
    // Compare the recovered and the true moving -> fixed maps at points around the brain.
    double worst = 0;
    for (const Vec3 offset :
         {Vec3{0, 0, 0}, Vec3{30, 0, 0}, Vec3{0, 40, 0}, Vec3{0, 0, 30}, Vec3{-30, -30, 20}}) {
      const Vec3 x = centre + offset;
      worst = std::max(worst, norm(r.fixedRasFromMovingRas.apply(x) - fixedFromMoving.apply(x)));
    }
    // Under one voxel (2 mm). Measured 1.27 mm: the inverted contrast and the part of the head the
    // motion pushes out of the field of view limit mutual information here; see the issue notes.
    EXPECT_LT(worst, 1.5) << "largest error " << worst << " mm";

    // Resampled onto the fixed grid, the moved volume lines up with the fixed one voxel for voxel:
    // in the brain, its intensity is the inverted fixed intensity, up to interpolation and noise.
    const Volume aligned = resampleOntoGrid(moving, r.fixedRasFromMovingRas, fixed.geometry);
    EXPECT_EQ(aligned.geometry.size, fixed.geometry.size);
    double sumError = 0, n = 0;
    for (std::size_t idx = 0; idx < g.voxelCount(); ++idx) {
      const float f = fixed.image->GetBufferPointer()[idx], a = aligned.image->GetBufferPointer()[idx];
      if (f < 0.3 * range.robustHigh || a <= 0) continue;  // brain voxels seen in both
      sumError += std::abs(a - (range.robustHigh * 1.2 - f));
      n += 1;
    }
    ASSERT_GT(n, 1000);
    EXPECT_LT(sumError / n, 0.1 * range.robustHigh) << "mean |difference| " << sumError / n;
  }
}

}  // namespace
}  // namespace dbs
