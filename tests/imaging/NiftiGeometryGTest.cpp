// NIfTI geometry: for every orientation case we can construct, dbsplan's ras_from_ijk must be the
// affine the file defines (nibabel's rule: sform if sform_code > 0, else qform, else the centred
// fallback), the ITK image must agree with it, and voxels must stay where the file put them.
#include <gtest/gtest.h>

#include <filesystem>

#include "TestNifti.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/NiftiHeader.h"
#include "dbs/imaging/Volume.h"
#include "dbs/imaging/WorldFrame.h"

namespace dbs {
namespace {

using test::affineFromColumns;
using test::rotationAbout;
using test::TestNifti;

std::string tempPath(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "dbs_imaging_tests";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// Float32 header fields round the affine; a qform's float32 quaternion near a 180-degree rotation
// holds direction cosines to about 3e-4 (nibabel decodes the same bytes to the same numbers).
// 1e-3 is also the tolerance of the nibabel peer check in ../shared/checks.
void expectAffineNear(const Affine& got, const Affine& want, double tolerance = 1e-3) {
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_NEAR(got.m[r][c], want.m[r][c], tolerance * std::max(1.0, std::abs(want.m[r][c])))
          << "element [" << r << "][" << c << "]";
}

// The ITK image's index-to-physical mapping (LPS), converted to RAS, must equal the geometry.
void expectItkAgrees(const Volume& v) {
  const auto& g = v.geometry;
  const FloatImage::IndexType probes[3] = {
      {{0, 0, 0}},
      {{static_cast<long>(g.size[0]) - 1, 0, static_cast<long>(g.size[2]) - 1}},
      {{1, static_cast<long>(g.size[1]) - 1, 2}}};
  for (const auto& idx : probes) {
    FloatImage::PointType lps;
    v.image->TransformIndexToPhysicalPoint(idx, lps);
    const Vec3 ras = rasFromLps({lps[0], lps[1], lps[2]});
    const Vec3 want = g.rasFromIndex({double(idx[0]), double(idx[1]), double(idx[2])});
    EXPECT_NEAR(norm(ras - want), 0.0, 1e-6) << "ITK and dbsplan disagree at index " << idx;
  }
}

struct OrientationCase {
  std::string name;
  Affine rasFromIjk;
  bool useSform, useQform;
  std::string orientation;
};

void PrintTo(const OrientationCase& c, std::ostream* os) {
  *os << c.name << " (" << c.orientation << ")";
}

class NiftiOrientation : public ::testing::TestWithParam<OrientationCase> {};

TEST_P(NiftiOrientation, AffineOrientationAndVoxelPlacement) {
  const OrientationCase& c = GetParam();
  TestNifti nifti;
  nifti.setSize(7, 6, 5);
  nifti.at(5, 1, 3) = 1000.0f;  // a marker voxel that must come back at the same index
  if (c.useQform) nifti.setQform(c.rasFromIjk);
  if (c.useSform) nifti.setSform(c.rasFromIjk);
  const std::string path = tempPath(c.name + ".nii");
  nifti.write(path);

  const Volume v = loadVolume(path);
  expectAffineNear(v.geometry.rasFromIjk, c.rasFromIjk);
  EXPECT_EQ(v.geometry.orientationCode(), c.orientation);
  EXPECT_EQ(v.geometry.size[0], 7u);
  EXPECT_EQ(v.geometry.size[2], 5u);
  EXPECT_EQ(v.image->GetPixel({{5, 1, 3}}), 1000.0f);
  EXPECT_EQ(v.image->GetPixel({{1, 5, 3}}), 0.0f);
  expectItkAgrees(v);
  // The marker's world position is the file's affine applied to its index.
  float value = 0;
  EXPECT_TRUE(sampleNearest(v, c.rasFromIjk.apply({5, 1, 3}), &value));
  EXPECT_EQ(value, 1000.0f);
}

const Affine kOblique = rotationAbout(0, 20.0) * rotationAbout(2, -12.0) *
                        affineFromColumns({0.9, 0, 0}, {0, 1.1, 0}, {0, 0, 2.4}, {0, 0, 0});

Affine withOrigin(Affine a, Vec3 origin) {
  for (int r = 0; r < 3; ++r) a.m[r][3] = origin[r];
  return a;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NiftiOrientation,
    ::testing::Values(
        OrientationCase{"ras_sform", affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-3, -2, -2}), true,
                        false, "RAS"},
        OrientationCase{"lps_sform", affineFromColumns({-1, 0, 0}, {0, -1, 0}, {0, 0, 1}, {3, 2, -2}), true,
                        false, "LPS"},
        OrientationCase{"coronal_2x2x3_both",
                        affineFromColumns({2, 0, 0}, {0, 0, 2}, {0, -3, 0}, {-6, 7, -4}), true, true, "RSP"},
        OrientationCase{"permuted_pil_anisotropic",
                        affineFromColumns({0, -1.2, 0}, {0, 0, -0.9}, {-2.5, 0, 0}, {5, 4, 3}), true, false,
                        "PIL"},
        OrientationCase{"oblique_qform_only", withOrigin(kOblique, {-10.5, 22.25, 7}), false, true, "RAS"},
        OrientationCase{"oblique_sform_only", withOrigin(kOblique, {-10.5, 22.25, 7}), true, false, "RAS"},
        OrientationCase{"flipped_qform_qfac_minus1",
                        affineFromColumns({0.8, 0, 0}, {0, 0.8, 0}, {0, 0, -1.5}, {1, 2, 30}), false, true,
                        "RAI"},
        OrientationCase{"sagittal_qform",
                        affineFromColumns({0, 0, -1}, {0, -1, 0}, {-1.3, 0, 0}, {80, 90, 100}), false, true,
                        "IPL"}),
    [](const auto& info) { return info.param.name; });

// A slice view's title says where the slice is in words (issue 23: "Axial   I 3.4 mm" read as 13.4).
TEST(WorldFrame, PositionsAlongAnAxisAreSaidInWords) {
  EXPECT_EQ(patientDirectionWords(-19.5, 0), "19.5 mm left");
  EXPECT_EQ(patientDirectionWords(19.54, 0), "19.5 mm right");
  EXPECT_EQ(patientDirectionWords(-5.2, 1), "5.2 mm posterior");
  EXPECT_EQ(patientDirectionWords(12, 1), "12.0 mm anterior");
  EXPECT_EQ(patientDirectionWords(-3.4, 2), "3.4 mm inferior");
  EXPECT_EQ(patientDirectionWords(3, 2, 0), "3 mm superior");
  EXPECT_EQ(patientDirectionWords(-0.01, 0), "0.0 mm") << "no side for what rounds to zero";
}

TEST(NiftiGeometry, SformWinsOverQformAndDisagreementIsReported) {
  TestNifti nifti;
  nifti.setSize(4, 4, 4);
  const Affine qform = affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0});
  const Affine sform = affineFromColumns({-1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0});  // left-right flipped
  nifti.setQform(qform);
  nifti.setSform(sform);
  const std::string path = tempPath("sform_vs_qform.nii");
  nifti.write(path);
  const Volume v = loadVolume(path);
  expectAffineNear(v.geometry.rasFromIjk, sform);
  EXPECT_NE(v.geometrySource.find("sform"), std::string::npos);
  ASSERT_FALSE(v.notes.empty()) << "a left/right disagreement between sform and qform must be reported";
  EXPECT_NE(v.notes[0].find("disagree"), std::string::npos);
}

TEST(NiftiGeometry, NoTransformCodeUsesNibabelFallback) {
  TestNifti nifti;
  nifti.setSize(5, 4, 3);
  nifti.pixdim = {1, 2.0f, 3.0f, 4.0f, 1, 1, 1, 1};
  const std::string path = tempPath("no_codes.nii");
  nifti.write(path);
  const Volume v = loadVolume(path);
  // nibabel: diag(-zx, zy, zz), centred on the middle voxel.
  expectAffineNear(v.geometry.rasFromIjk, affineFromColumns({-2, 0, 0}, {0, 3, 0}, {0, 0, 4}, {4, -4.5, -4}));
}

TEST(NiftiGeometry, BigEndianAndGzipGiveTheSameGeometry) {
  TestNifti nifti;
  nifti.setSize(6, 5, 4);
  nifti.at(1, 2, 3) = 42.0f;
  const Affine a = withOrigin(kOblique, {1, 2, 3});
  nifti.setSform(a);
  nifti.setQform(a);
  nifti.bigEndian = true;
  nifti.gzip = true;
  const std::string path = tempPath("big_endian.nii.gz");
  nifti.write(path);
  const Volume v = loadVolume(path);
  expectAffineNear(v.geometry.rasFromIjk, a);
  EXPECT_EQ(v.image->GetPixel({{1, 2, 3}}), 42.0f);
}

TEST(NiftiGeometry, ShearedSformIsReportedExactlyButRefusedForProcessing) {
  TestNifti nifti;
  nifti.setSize(4, 4, 4);
  const Affine sheared = affineFromColumns({1, 0, 0}, {0.3, 1, 0}, {0, 0, 1}, {0, 0, 0});
  nifti.setSform(sheared);
  nifti.setQform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  const std::string path = tempPath("sheared.nii");
  nifti.write(path);
  EXPECT_THROW(loadVolume(path), ImagingError);
  LoadOptions options;
  options.allowShearedGeometry = true;
  const Volume v = loadVolume(path, {}, options);
  expectAffineNear(v.geometry.rasFromIjk, sheared);
  ASSERT_FALSE(v.notes.empty());
}

TEST(NiftiGeometry, ScaleSlopeIsApplied) {
  TestNifti nifti;
  nifti.setSize(3, 3, 3);
  nifti.at(1, 1, 1) = 10.0f;
  nifti.sclSlope = 2.0f;
  nifti.sclInter = 5.0f;
  nifti.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  const std::string path = tempPath("slope.nii");
  nifti.write(path);
  const Volume v = loadVolume(path);
  EXPECT_FLOAT_EQ(v.image->GetPixel({{1, 1, 1}}), 25.0f);  // as nibabel's get_fdata()
}

TEST(WorldFrame, LpsRasConversionIsAnInvolution) {
  const Vec3 p{1.5, -2.0, 3.25};
  EXPECT_EQ(lpsFromRas(p).x, -1.5);
  EXPECT_EQ(lpsFromRas(p).y, 2.0);
  EXPECT_EQ(lpsFromRas(p).z, 3.25);
  EXPECT_EQ(norm(rasFromLps(lpsFromRas(p)) - p), 0.0);
}

TEST(WorldFrame, AffineInverseAndOrientationCodes) {
  const Affine a = withOrigin(kOblique, {3, -4, 5});
  const Affine identity = a * a.inverse();
  EXPECT_LT(identity.maxAbsDifference(Affine::identity()), 1e-12);
  EXPECT_EQ(orientationCode(affineFromColumns({0, 0, 1}, {-1, 0, 0}, {0, 1, 0}, {})), "SLA");
  EXPECT_EQ(anatomicalLetter({-0.2, 0.1, -0.9}), 'I');
}

}  // namespace
}  // namespace dbs
