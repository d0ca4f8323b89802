// The ground-truth phantom: plausible anatomy (volumes, medial/lateral order, left at -x), T1
// contrast per tissue, determinism down to the bytes of the files, and a truth JSON that agrees with
// what dbs::loadVolume reads back from the files (geometry, GPi centroids), for any voxel order.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "dbs/generators/Phantom.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

fs::path freshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "dbs_imaging_tests" / "phantom" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string fileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

PhantomParameters smallParameters(std::uint64_t seed = 0, double spacing = 2.0,
                                  const std::string& orientation = "RAS") {
  PhantomParameters p;
  p.seed = seed;
  p.spacingMm = {spacing, spacing, spacing};
  p.orientation = orientation;
  return p;
}

Vec3 jsonVec(const nlohmann::json& j) {
  return {j.at(0).get<double>(), j.at(1).get<double>(), j.at(2).get<double>()};
}

// Mean voxel centre (RAS mm) of a label in a label map read back from disk.
Vec3 centroidFromVolume(const Volume& labels, int value, std::size_t* count) {
  const auto& g = labels.geometry;
  const float* data = labels.image->GetBufferPointer();
  double sum[3] = {0, 0, 0};
  std::size_t n = 0;
  for (std::size_t k = 0, index = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++index)
        if (data[index] == static_cast<float>(value)) {
          sum[0] += double(i);
          sum[1] += double(j);
          sum[2] += double(k);
          ++n;
        }
  *count = n;
  if (n == 0) return {};
  return g.rasFromIndex({sum[0] / double(n), sum[1] / double(n), sum[2] / double(n)});
}

// One 2 mm phantom in the identity pose, shared by the anatomy tests.
const PhantomResult& identityPhantom() {
  static const PhantomResult result = generatePhantom(smallParameters());
  return result;
}

TEST(Phantom, EveryLabelOfTheTableIsPresentWithPlausibleVolumes) {
  const PhantomTruth& t = identityPhantom().truth;
  const double voxelMm3 = std::abs(t.grid.rasFromIjk.determinant3x3());
  for (const auto& label : standardLabels())
    EXPECT_GT(t.labelVoxelCounts[label.value], 0u) << label.name << " is missing from the label map";
  for (int side = 0; side < 2; ++side) {
    const PhantomSideTruth& s = t.sides[side];
    EXPECT_GE(s.gpVolumeMm3, 1500.0) << "side " << side;
    EXPECT_LE(s.gpVolumeMm3, 3000.0) << "side " << side;
    const double gpiFraction = s.gpiVolumeMm3 / s.gpVolumeMm3;
    EXPECT_GE(gpiFraction, 0.3) << "side " << side;
    EXPECT_LE(gpiFraction, 0.5) << "side " << side;
    // Lateral ventricle, putamen, thalamus: adult sizes (cm^3 per side, generous ranges).
    const double ventricle = double(t.labelVoxelCounts[11 + side]) * voxelMm3;
    const double putamen = double(t.labelVoxelCounts[5 + side]) * voxelMm3;
    const double thalamus = double(t.labelVoxelCounts[7 + side]) * voxelMm3;
    EXPECT_GT(ventricle, 4000.0);
    EXPECT_LT(ventricle, 15000.0);
    EXPECT_GT(putamen, 3000.0);
    EXPECT_LT(putamen, 7000.0);
    EXPECT_GT(thalamus, 4000.0);
    EXPECT_LT(thalamus, 9000.0);
  }
  // The head: ~150 x 190 x 170 mm ellipsoid; its volume is (pi/6) * product of the extents.
  std::uint64_t headVoxels = 0;
  for (int v = 1; v < 256; ++v) headVoxels += t.labelVoxelCounts[v];
  const double headMm3 = double(headVoxels) * voxelMm3;
  EXPECT_NEAR(headMm3, M_PI / 6 * 152 * 192 * 172, 0.03 * M_PI / 6 * 152 * 192 * 172);
}

TEST(Phantom, BasalGangliaSitWhereMniPutsThem) {
  const PhantomTruth& t = identityPhantom().truth;
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? -1.0 : 1.0;
    const PhantomSideTruth& s = t.sides[side];
    // Pallidum centroid about (+-19, -1, 0) (AAL: +-19..20, 0, 0.2).
    EXPECT_NEAR(s.gpCentroidRas.x, sign * 19.0, 1.5);
    EXPECT_NEAR(s.gpCentroidRas.y, -1.0, 1.5);
    EXPECT_NEAR(s.gpCentroidRas.z, 0.0, 1.5);
    // GPi medial to GPe, GPe medial to the putamen; thalamus posteromedial, caudate anteromedial.
    const Vec3 putamen = t.labelCentroidsRas[5 + side], thalamus = t.labelCentroidsRas[7 + side],
               caudate = t.labelCentroidsRas[9 + side];
    EXPECT_LT(std::abs(s.gpiCentroidRas.x) + 1.0, std::abs(s.gpeCentroidRas.x))
        << "GPi must be medial to GPe";
    EXPECT_LT(std::abs(s.gpeCentroidRas.x) + 1.0, std::abs(putamen.x)) << "GPe must be medial to the putamen";
    EXPECT_NEAR(putamen.x, sign * 26.0, 3.0);
    EXPECT_NEAR(thalamus.x, sign * 11.0, 2.0);
    EXPECT_NEAR(thalamus.y, -18.0, 2.0);
    EXPECT_NEAR(thalamus.z, 6.0, 2.0);
    EXPECT_LT(std::abs(caudate.x), std::abs(putamen.x));
    EXPECT_GT(caudate.y, s.gpCentroidRas.y);
    EXPECT_LT(s.gpiCentroidRas.z, s.gpeCentroidRas.z) << "GPi lies inferomedially";
  }
  // Landmarks in the identity pose without warp are the model's (MNI-like) numbers.
  ASSERT_EQ(t.landmarks.size(), 4u);
  EXPECT_EQ(t.landmarks[0].name, "AC");
  EXPECT_LT(norm(t.landmarks[0].patientRas - Vec3{0, 2, -4}), 1e-9);
  EXPECT_LT(norm(t.landmarks[1].patientRas - Vec3{0, -24, -2}), 1e-9);
  EXPECT_LT(norm(t.landmarks[2].patientRas - Vec3{0, -11, -3}), 1e-9);
}

TEST(Phantom, LeftStructuresLieAtNegativeXInTheIdentityPose) {
  const PhantomTruth& t = identityPhantom().truth;
  for (int left = 1; left <= 13; left += 2) {
    EXPECT_LT(t.labelCentroidsRas[left].x, -2.0) << "label " << left;
    EXPECT_GT(t.labelCentroidsRas[left + 1].x, 2.0) << "label " << left + 1;
    EXPECT_NEAR(t.labelCentroidsRas[left].x, -t.labelCentroidsRas[left + 1].x, 1.0)
        << "mirror of label " << left;
  }
}

TEST(Phantom, T1ContrastPerTissue) {
  const PhantomTruth& t = identityPhantom().truth;
  const auto& mean = t.labelMeanT1;
  EXPECT_GT(mean[24], mean[23] + 200) << "WM brighter than GM";
  EXPECT_GT(mean[23], mean[22] + 200) << "GM brighter than CSF";
  for (int v : {11, 12}) EXPECT_LT(mean[v], 0.4 * mean[24]) << "ventricle " << v << " is dark";
  EXPECT_LT(mean[21], mean[22]) << "skull darkest inside the head";
  EXPECT_GT(mean[25], mean[24]) << "vessels bright (contrast)";
  for (int side = 0; side < 2; ++side) {
    EXPECT_GT(std::abs(mean[1 + side] - mean[3 + side]), 20.0) << "GPi and GPe differ slightly";
    EXPECT_LT(std::abs(mean[1 + side] - mean[3 + side]), 150.0);
    EXPECT_GT(mean[3 + side], mean[5 + side]) << "pallidum brighter than putamen on T1";
    EXPECT_GT(mean[13 + side], mean[1 + side]) << "internal capsule brighter than GPi";
  }
  EXPECT_LT(mean[0], 0.1 * mean[24]) << "air";
}

TEST(Phantom, SameSeedGivesIdenticalVoxelsAndFilesDifferentSeedDiffers) {
  PhantomParameters p = smallParameters(3, 3.0);
  p.warpMm = 3;
  const PhantomResult a = generatePhantom(p), b = generatePhantom(p);
  const std::size_t n = a.truth.grid.voxelCount();
  ASSERT_EQ(b.truth.grid.voxelCount(), n);
  EXPECT_EQ(std::memcmp(a.t1.image->GetBufferPointer(), b.t1.image->GetBufferPointer(), n * sizeof(float)),
            0);
  EXPECT_EQ(std::memcmp(a.labels.image->GetBufferPointer(), b.labels.image->GetBufferPointer(), n * 2), 0);
  EXPECT_EQ(phantomTruthJson(a), phantomTruthJson(b));

  const fs::path dirA = freshDir("det_a"), dirB = freshDir("det_b");
  writePhantom(a, dirA.string());
  writePhantom(b, dirB.string());
  for (const char* file : {kPhantomT1File, kPhantomLabelsFile, kPhantomTruthFile}) {
    const std::string bytesA = fileBytes(dirA / file);
    EXPECT_GT(bytesA.size(), 300u) << file;
    EXPECT_TRUE(bytesA == fileBytes(dirB / file)) << file << " differs between two runs with the same seed";
  }
  // Only the three files remain: no temporary left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dirA), fs::directory_iterator()), 3);

  p.seed = 4;
  const PhantomResult c = generatePhantom(p);
  EXPECT_GT(a.truth.patientRasFromModelRas.maxAbsDifference(c.truth.patientRasFromModelRas), 1e-3);
  const bool sameSize = c.truth.grid.voxelCount() == n;
  EXPECT_TRUE(!sameSize ||
              std::memcmp(a.t1.image->GetBufferPointer(), c.t1.image->GetBufferPointer(), n * 4) != 0);
}

TEST(Phantom, FilesReadBackAsTheTruthSays) {
  PhantomParameters p = smallParameters(5, 2.0, "LPS");
  p.warpMm = 3;
  const PhantomResult phantom = generatePhantom(p);
  const fs::path dir = freshDir("roundtrip");
  writePhantom(phantom, dir.string());

  std::ifstream in(dir / kPhantomTruthFile);
  const nlohmann::json truth = nlohmann::json::parse(in);
  EXPECT_EQ(truth.at("schema"), "dbsplan.phantom/1");
  EXPECT_EQ(truth.at("labels").at("GPi_L"), 1);
  EXPECT_EQ(truth.at("labels").at("InternalCapsule_R"), 14);
  EXPECT_EQ(truth.at("labels").at("Vessel"), 25);
  EXPECT_EQ(truth.at("parameters").at("seed"), 5);
  Affine rasFromIjk, pose;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      rasFromIjk.m[r][c] = truth.at("grid").at("ras_from_ijk").at(r).at(c).get<double>();
      pose.m[r][c] = truth.at("patient_ras_from_model_ras").at(r).at(c).get<double>();
    }
  EXPECT_LT(pose.maxAbsDifference(phantom.truth.patientRasFromModelRas), 1e-12);

  for (const char* file : {kPhantomT1File, kPhantomLabelsFile}) {
    const Volume v = loadVolume((dir / file).string());
    EXPECT_LT(v.geometry.rasFromIjk.maxAbsDifference(rasFromIjk), 1e-4) << file;
    EXPECT_EQ(v.geometry.orientationCode(), "LPS") << file;
    for (int a = 0; a < 3; ++a)
      EXPECT_EQ(v.geometry.size[a], truth.at("grid").at("dims").at(a).get<std::size_t>());
  }
  const Volume t1 = loadVolume((dir / kPhantomT1File).string());
  EXPECT_EQ(t1.storedPixelType, "float");
  const std::size_t n = t1.geometry.voxelCount();
  EXPECT_EQ(
      std::memcmp(t1.image->GetBufferPointer(), phantom.t1.image->GetBufferPointer(), n * sizeof(float)), 0);

  const Volume labels = loadVolume((dir / kPhantomLabelsFile).string());
  EXPECT_EQ(labels.storedPixelType, "unsigned_short");
  const char* sides[2] = {"left", "right"};
  for (int side = 0; side < 2; ++side) {
    std::size_t count = 0;
    const Vec3 measured = centroidFromVolume(labels, 1 + side, &count);
    EXPECT_GT(count, 50u);
    const Vec3 want = jsonVec(truth.at("gpi_centroid_ras").at(sides[side]));
    EXPECT_LT(norm(measured - want), 0.01) << sides[side] << " GPi centroid";
    const double gpVolume = truth.at("gp").at(sides[side]).at("volume_mm3").get<double>();
    std::size_t gpeCount = 0;
    centroidFromVolume(labels, 3 + side, &gpeCount);
    EXPECT_NEAR(gpVolume, double(count + gpeCount) * 8.0, 1e-6);
  }
}

TEST(Phantom, PermutedVoxelOrderPutsTheSameAnatomyAtTheSameRasPositions) {
  const PhantomResult pil = generatePhantom(smallParameters(0, 1.5, "PIL"));
  EXPECT_EQ(pil.truth.grid.orientationCode(), "PIL");
  EXPECT_NEAR(pil.truth.grid.spacingMm().x, 1.5, 1e-9);
  const PhantomTruth& ras = identityPhantom().truth;
  for (int side = 0; side < 2; ++side) {
    EXPECT_LT(norm(pil.truth.sides[side].gpiCentroidRas - ras.sides[side].gpiCentroidRas), 1.0)
        << "side " << side;
    EXPECT_NEAR(pil.truth.sides[side].gpVolumeMm3, ras.sides[side].gpVolumeMm3,
                0.1 * ras.sides[side].gpVolumeMm3);
  }
  // The whole head is on the grid: nothing but air on the outermost voxels of every face.
  const auto& g = pil.truth.grid;
  const auto* data = pil.labels.image->GetBufferPointer();
  std::size_t touching = 0;
  for (std::size_t k = 0, index = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++index) {
        const bool face =
            i == 0 || j == 0 || k == 0 || i + 1 == g.size[0] || j + 1 == g.size[1] || k + 1 == g.size[2];
        if (face && data[index] != 0) ++touching;
      }
  EXPECT_EQ(touching, 0u);
}

TEST(Phantom, PoseMovesTheAnatomyAsTheTruthSays) {
  // Without warp, the posed phantom's GPi is the identity phantom's GPi carried by the pose.
  const PhantomResult posed = generatePhantom(smallParameters(11));
  const Affine& pose = posed.truth.patientRasFromModelRas;
  EXPECT_GT(pose.maxAbsDifference(Affine::identity()), 1e-3);
  EXPECT_NEAR(std::abs(pose.determinant3x3()), 1.0, 0.16);
  const PhantomTruth& identity = identityPhantom().truth;
  for (int side = 0; side < 2; ++side)
    EXPECT_LT(norm(posed.truth.sides[side].gpiCentroidRas - pose.apply(identity.sides[side].gpiCentroidRas)),
              1.0);
  EXPECT_LT(norm(posed.truth.landmarks[0].patientRas - pose.apply({0, 2, -4})), 1e-9);

  // With a warp the anatomy moves by at most about the warp's size, and the landmarks follow it.
  PhantomParameters warped = smallParameters(11);
  warped.warpMm = 4;
  const PhantomResult w = generatePhantom(warped);
  for (int side = 0; side < 2; ++side) {
    const double moved = norm(w.truth.sides[side].gpiCentroidRas - posed.truth.sides[side].gpiCentroidRas);
    EXPECT_LT(moved, 4.5 * 1.05 + 1.0);
  }
  const double acMoved = norm(w.truth.landmarks[0].patientRas - posed.truth.landmarks[0].patientRas);
  EXPECT_GT(acMoved, 0.01);
  EXPECT_LT(acMoved, 4.0 * 1.06);
}

TEST(Phantom, CancelThrowsAndBadParametersAreRefused) {
  int calls = 0;
  EXPECT_THROW(generatePhantom(smallParameters(0, 4.0),
                               [&](double f, const std::string&) { return ++calls < 3 && f < 0.5; }),
               Cancelled);
  EXPECT_GE(calls, 1);
  PhantomParameters p = smallParameters();
  p.orientation = "RAX";
  EXPECT_THROW(generatePhantom(p), ImagingError);
  p.orientation = "RRS";
  EXPECT_THROW(validatePhantomParameters(p), ImagingError);
  p.orientation = "pil";
  EXPECT_NO_THROW(validatePhantomParameters(p));
  p.spacingMm = {0, 1, 1};
  EXPECT_THROW(validatePhantomParameters(p), ImagingError);
  p = smallParameters();
  p.warpMm = 50;
  EXPECT_THROW(validatePhantomParameters(p), ImagingError);
  p = smallParameters();
  p.noiseFraction = -1;
  EXPECT_THROW(validatePhantomParameters(p), ImagingError);
}

}  // namespace
}  // namespace dbs
