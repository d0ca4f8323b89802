// Issue 26: geometry that is not in the file is never invented for planning, and voxels that cannot
// hold a head are refused before the pipeline runs. Loading still shows such an image (dbsplan
// info); requireGeometryFromFile and requireVoxelsFitForPlanning are what locate and plan call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "TestNifti.h"
#include "TestSupport.h"
#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using test::affineFromColumns;
using test::TestNifti;

std::string trustTempPath(const std::string& name) {
  return test::tempFilePath("dbs_imaging_tests/trust", name);
}

// A head-sized NIfTI (24 x 24 x 24 voxels of 5 mm: 120 mm each way) with a bright ball in it.
TestNifti headSizedNifti() {
  TestNifti n;
  n.setSize(24, 24, 24);
  for (int k = 0; k < 24; ++k)
    for (int j = 0; j < 24; ++j)
      for (int i = 0; i < 24; ++i)
        n.at(i, j, k) = (i - 12) * (i - 12) + (j - 12) * (j - 12) + (k - 12) * (k - 12) < 81 ? 100.0f : 0.0f;
  n.pixdim = {1, 5, 5, 5, 1, 1, 1, 1};
  return n;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ImagingError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an ImagingError";
  return {};
}

TEST(ImageTrust, NiftiWithoutSformOrQformIsShownButNotPlannedUnlessTheUserStatesItsGeometry) {
  TestNifti n = headSizedNifti();  // both codes 0
  const std::string path = trustTempPath("no_codes.nii");
  n.write(path);
  Volume v = loadVolume(path);  // info may show it
  ASSERT_EQ(v.geometryNotInFile.size(), 1u);
  EXPECT_NE(v.geometryNotInFile[0].find("sform_code and qform_code are both 0"), std::string::npos);
  const std::string refused = messageOf([&] { requireGeometryFromFile(v, "plan"); });
  EXPECT_NE(refused.find(path), std::string::npos) << refused;
  EXPECT_NE(refused.find("will not plan"), std::string::npos) << refused;
  EXPECT_NE(refused.find("--assume-orientation"), std::string::npos) << refused;

  // The user's statement: axes to L, P, S at 5 mm; the volume centred at RAS 0.
  applyStatedGeometry(v, {"LPS", {5, 5, 5}});
  EXPECT_NO_THROW(requireGeometryFromFile(v, "plan"));
  ASSERT_TRUE(v.geometryStatedByUser.has_value());
  EXPECT_EQ(v.geometry.orientationCode(), "LPS");
  const Vec3 centre = v.geometry.rasFromIndex({11.5, 11.5, 11.5});
  EXPECT_NEAR(norm(centre), 0.0, 1e-9);
  EXPECT_NEAR(v.geometry.rasFromIndex({1, 0, 0}).x - v.geometry.rasFromIndex({0, 0, 0}).x, -5.0, 1e-9);
  // The ITK image carries the same geometry (LPS: i points to +x).
  EXPECT_NEAR(v.image->GetDirection()(0, 0), 1.0, 1e-12);
  EXPECT_NE(v.geometrySource.find("STATED BY THE USER"), std::string::npos);
}

TEST(ImageTrust, AStatementNeverOverridesAFilesOwnGeometryAndIsChecked) {
  TestNifti n = headSizedNifti();
  n.setSform(affineFromColumns({5, 0, 0}, {0, 5, 0}, {0, 0, 5}, {-60, -60, -60}));
  const std::string path = trustTempPath("with_sform.nii");
  n.write(path);
  Volume v = loadVolume(path);
  EXPECT_TRUE(v.geometryNotInFile.empty());
  EXPECT_NE(messageOf([&] {
              applyStatedGeometry(v, {"RAS", {1, 1, 1}});
            }).find("gives its own geometry"),
            std::string::npos);
  EXPECT_NE(statedGeometryProblem({"RRS", {1, 1, 1}}).find("same direction twice"), std::string::npos);
  EXPECT_NE(statedGeometryProblem({"RAX", {1, 1, 1}}).find("three letters"), std::string::npos);
  EXPECT_NE(statedGeometryProblem({"RAS", {1, 0, 1}}).find("0.05 to 20"), std::string::npos);
  EXPECT_NE(statedGeometryProblem({"RAS", {1, std::nan(""), 1}}).find("0.05 to 20"), std::string::npos);
  EXPECT_EQ(statedGeometryProblem({"PIR", {0.5, 0.5, 2}}), "");
}

void writeText(const std::string& path, const std::string& header, std::size_t voxels) {
  std::ofstream out(path, std::ios::binary);
  out << header;
  const std::vector<float> data(voxels, 1.0f);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * 4));
}

TEST(ImageTrust, NrrdWithoutAnAnatomicalSpaceOrOriginIsNotPlanned) {
  const std::string body = "type: float\ndimension: 3\nsizes: 4 4 4\nencoding: raw\nendian: little\n";
  struct Case {
    const char* name;
    std::string header;
    const char* missing;  // "" when the geometry is all there
  };
  const Case cases[] = {
      {"no_space.nrrd", "NRRD0004\n" + body + "spacings: 5 5 5\n\n", "no 'space:' field"},
      {"space_dimension_only.nrrd",
       "NRRD0004\n" + body +
           "space dimension: 3\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nspace origin: (0,0,0)\n\n",
       "no 'space:' field"},
      {"scanner.nrrd",
       "NRRD0004\n" + body +
           "space: scanner-xyz\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nspace origin: (0,0,0)\n\n",
       "not an anatomical space"},
      {"no_origin.nrrd", "NRRD0004\n" + body + "space: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n\n",
       "no 'space origin'"},
      {"no_directions.nrrd", "NRRD0004\n" + body + "space: RAS\nspace origin: (0,0,0)\n\n",
       "no 'space directions'"},
      {"complete.nrrd",
       "NRRD0004\n" + body +
           "space: left-posterior-superior\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nspace origin: "
           "(0,0,0)\n\n",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = trustTempPath(c.name);
    writeText(path, c.header, 64);
    const Volume v = loadVolume(path);
    if (std::string(c.missing).empty()) {
      EXPECT_TRUE(v.geometryNotInFile.empty());
      continue;
    }
    ASSERT_FALSE(v.geometryNotInFile.empty());
    EXPECT_NE(v.geometryNotInFile[0].find(c.missing), std::string::npos) << v.geometryNotInFile[0];
    EXPECT_NE(v.geometrySource.find("INCOMPLETE"), std::string::npos) << v.geometrySource;
    EXPECT_THROW(requireGeometryFromFile(v, "plan"), ImagingError);
  }
}

TEST(ImageTrust, MetaImageWithoutTransformOffsetOrSpacingIsNotPlanned) {
  const std::string path = trustTempPath("bare.mha");
  writeText(
      path,
      "ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n",
      64);
  const Volume v = loadVolume(path);
  ASSERT_EQ(v.geometryNotInFile.size(), 3u);
  EXPECT_NE(v.geometryNotInFile[0].find("TransformMatrix"), std::string::npos);
  EXPECT_NE(v.geometryNotInFile[1].find("Offset"), std::string::npos);
  EXPECT_NE(v.geometryNotInFile[2].find("ElementSpacing"), std::string::npos);
}

TEST(ImageTrust, ImagesTooSmallNotFiniteOrConstantAreRefusedByName) {
  auto refusal = [](TestNifti n, const std::string& name) {
    const std::string path = trustTempPath(name);
    n.write(path);
    const Volume v = loadVolume(path);
    return messageOf([&] { requireVoxelsFitForPlanning(v); });
  };
  TestNifti tiny;  // 8 x 8 x 8 voxels of 1 mm
  tiny.setSize(8, 8, 8);
  tiny.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  tiny.at(1, 1, 1) = 5;
  EXPECT_NE(refusal(tiny, "tiny.nii").find("too small to plan: 8 x 8 x 8 voxels (8 x 8 x 8 mm)"),
            std::string::npos);
  TestNifti flat;  // 200 x 200 x 1: a 2-D image
  flat.setSize(200, 200, 1);
  flat.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  flat.at(3, 3, 0) = 5;
  EXPECT_NE(refusal(flat, "flat.nii").find("too small to plan: 200 x 200 x 1 voxels"), std::string::npos);

  TestNifti head = headSizedNifti();
  head.setSform(affineFromColumns({5, 0, 0}, {0, 5, 0}, {0, 0, 5}, {-60, -60, -60}));
  {
    const std::string path = trustTempPath("head.nii");
    head.write(path);
    EXPECT_NO_THROW(requireVoxelsFitForPlanning(loadVolume(path)));
  }
  TestNifti withNan = head;
  withNan.at(3, 4, 5) = std::numeric_limits<float>::quiet_NaN();
  withNan.at(5, 4, 3) = std::numeric_limits<float>::infinity();
  EXPECT_NE(refusal(withNan, "nan.nii").find("2 of 13824 voxels are NaN or infinite"), std::string::npos);
  TestNifti constant = head;
  std::fill(constant.voxels.begin(), constant.voxels.end(), 7.0f);
  EXPECT_NE(refusal(constant, "constant.nii").find("no head"), std::string::npos);
  // Noise: the ball's voxels shuffled among themselves, same values, no neighbourhood.
  TestNifti noise = head;
  std::mt19937 random(3);
  std::shuffle(noise.voxels.begin(), noise.voxels.end(), random);
  const std::string noisePath = trustTempPath("noise.nii");
  noise.write(noisePath);
  const Volume noiseVolume = loadVolume(noisePath);
  EXPECT_LT(std::abs(leastNeighbourCorrelation(*noiseVolume.image)), 0.1);
  EXPECT_NE(refusal(noise, "noise.nii").find("this image is noise, not a head"), std::string::npos);
  const std::string ballPath = trustTempPath("ball.nii");
  head.write(ballPath);
  EXPECT_GT(leastNeighbourCorrelation(*loadVolume(ballPath).image), 0.8);
}

}  // namespace
}  // namespace dbs
