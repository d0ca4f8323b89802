// The GPi atlas derived from Debian's mricron-data (AAL, Colin27 at 1 and 0.5 mm, JHU): GPi medial
// and ventral of GPe on both sides and reaching below the AC-PC plane, a GPi volume in the
// published range, plausible ventricles, the internal capsule on its own side medial of the GPi,
// the optic tract under it, and a posteroventral target inside the GPi just above its ventral
// border. Runs the derivation
// itself, as the build does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "dbs/atlas/AtlasDerivation.h"

namespace dbs {
namespace {

class Atlas : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = DBS_MRICRON_DIR;
    ASSERT_TRUE(std::filesystem::exists(dir + "/aal.nii.gz"))
        << "Debian package mricron-data is missing (" << dir << "): run scripts/setup.sh";
    const Volume t1 = loadVolume(dir + "/ch2.nii.gz");
    const LabelVolume aal = loadLabelVolume(dir + "/aal.nii.gz");
    const Volume highResolution = loadVolume(dir + "/ch2better.nii.gz");
    const LabelVolume whiteMatter = loadLabelVolume(dir + "/JHU-WhiteMatter-labels-1mm.nii.gz");
    atlas_ =
        new DerivedAtlas(deriveAtlas({t1, aal, highResolution, whiteMatter}, AtlasDerivationParameters{}));
    for (const auto& s : labelStatistics(atlas_->labels)) stats_[labelName(s.value)] = s;
  }
  static void TearDownTestSuite() { delete atlas_; }
  static DerivedAtlas* atlas_;
  static std::map<std::string, LabelStatistics> stats_;
};
DerivedAtlas* Atlas::atlas_ = nullptr;
std::map<std::string, LabelStatistics> Atlas::stats_;

TEST_F(Atlas, GpiLiesMedialToGpeOnBothSides) {
  // Left: medial means larger x (towards 0); right: smaller x.
  EXPECT_GT(stats_["GPi_L"].centroidRas.x, stats_["GPe_L"].centroidRas.x + 2.0);
  EXPECT_LT(stats_["GPi_R"].centroidRas.x, stats_["GPe_R"].centroidRas.x - 2.0);
  EXPECT_LT(stats_["GPi_L"].centroidRas.x, 0);
  EXPECT_GT(stats_["GPi_R"].centroidRas.x, 0);
  // GPe medial to putamen.
  EXPECT_GT(stats_["GPe_L"].centroidRas.x, stats_["Putamen_L"].centroidRas.x);
  EXPECT_LT(stats_["GPe_R"].centroidRas.x, stats_["Putamen_R"].centroidRas.x);
}

// The AC-PC plane of the Colin27 template, from the landmark catalogue the atlas is built with:
// through AC and PC, its normal perpendicular to the AC-PC line within the midsagittal plane x = 0.
struct AcpcPlane {
  Vec3 ac, pc, up;
  AcpcPlane() {
    std::ifstream in(DBS_LANDMARKS_JSON);
    const auto j = nlohmann::json::parse(in).at("landmarks");
    auto point = [&](const char* name) {
      const auto& r = j.at(name).at("ras_mm");
      return Vec3{r[0].get<double>(), r[1].get<double>(), r[2].get<double>()};
    };
    ac = point("AC");
    pc = point("PC");
    const Vec3 line = normalized(ac - pc);
    up = normalized(cross(Vec3{1, 0, 0}, line));
  }
  double heightMm(Vec3 p) const { return dot(p - 0.5 * (ac + pc), up); }
};

TEST_F(Atlas, GpiReachesItsVentralBorderBelowTheAcpcPlane) {
  // Published atlases put the GPi's ventral border 4-5 mm below the AC-PC plane; AAL's pallidum
  // stopped 1.8-2.8 mm below it. At 20 mm lateral the derived GPi must reach 4 mm below.
  const AcpcPlane plane;
  EXPECT_GT(plane.up.z, 0.99);
  const ImageGeometry& g = atlas_->labels.geometry;
  for (int side = 0; side < 2; ++side) {
    SCOPED_TRACE(side == 0 ? "left" : "right");
    const int gpi = labelValue("GPi_L") + side;
    double lowest = 1e30;
    const unsigned short* l = atlas_->labels.image->GetBufferPointer();
    for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
          if (l[idx] != gpi) continue;
          const Vec3 p = g.rasFromIndex({double(i), double(j), double(k)});
          if (std::abs(std::abs(p.x) - 20.0) > 0.5) continue;
          lowest = std::min(lowest, plane.heightMm(p) - 0.5);  // the voxel's lower face
        }
    EXPECT_LE(lowest, -4.0);
    EXPECT_GE(lowest, -8.0);  // and not into the optic tract and the basal cisterns
    // GPi ventral of GPe: the GPi is the ventromedial part of the pallidum.
    EXPECT_LT(stats_[side == 0 ? "GPi_L" : "GPi_R"].centroidRas.z,
              stats_[side == 0 ? "GPe_L" : "GPe_R"].centroidRas.z - 1.0);
  }
}

TEST_F(Atlas, InternalCapsuleLiesOnItsSideMedialOfTheGpi) {
  for (int side = 0; side < 2; ++side) {
    const std::string s = side == 0 ? "_L" : "_R";
    SCOPED_TRACE(s);
    const LabelStatistics& capsule = stats_["InternalCapsule" + s];
    const LabelStatistics& gpi = stats_["GPi" + s];
    EXPECT_GT(capsule.volumeMm3, 1000.0);
    EXPECT_EQ(capsule.centroidRas.x < 0, side == 0) << "the capsule is on the wrong side";
    EXPECT_LT(std::abs(capsule.centroidRas.x), std::abs(stats_["Putamen" + s].centroidRas.x));
    // The posterior limb lies medial and behind the GPi (capsular side effects), above the thalamus'
    // lowest part but lateral of its centroid.
    EXPECT_LT(capsule.centroidRas.y, gpi.centroidRas.y);
    EXPECT_GT(std::abs(capsule.centroidRas.x), std::abs(stats_["Thalamus" + s].centroidRas.x));
  }
  // Medial of the GPi where both are: on every axial row (y, z) holding GPi and capsule voxels of a
  // side, the capsule's mean distance from the midline is smaller than the GPi's.
  const ImageGeometry& g = atlas_->labels.geometry;
  const unsigned short* l = atlas_->labels.image->GetBufferPointer();
  for (int side = 0; side < 2; ++side) {
    SCOPED_TRACE(side == 0 ? "left" : "right");
    const int gpiValue = labelValue("GPi_L") + side, capsuleValue = labelValue("InternalCapsule_L") + side;
    std::size_t rows = 0, medialRows = 0;
    for (std::size_t k = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j) {
        double gpiSum = 0, capsuleSum = 0;
        std::size_t gpiCount = 0, capsuleCount = 0;
        for (std::size_t i = 0; i < g.size[0]; ++i) {
          const int v = l[(k * g.size[1] + j) * g.size[0] + i];
          const double x = std::abs(g.rasFromIndex({double(i), double(j), double(k)}).x);
          if (v == gpiValue) gpiSum += x, ++gpiCount;
          if (v == capsuleValue) capsuleSum += x, ++capsuleCount;
        }
        if (gpiCount == 0 || capsuleCount == 0) continue;
        ++rows;
        if (capsuleSum / capsuleCount < gpiSum / gpiCount) ++medialRows;
      }
    EXPECT_GT(rows, 20u) << "the capsule does not border the GPi";
    EXPECT_GE(medialRows, 0.9 * rows)
        << medialRows << " of " << rows << " rows have the capsule medial of the GPi";
  }
  // Every capsule voxel is on its side of the midline.
  std::size_t wrongSide = 0;
  for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
        if (l[idx] != labelValue("InternalCapsule_L") && l[idx] != labelValue("InternalCapsule_R")) continue;
        const double x = g.rasFromIndex({double(i), double(j), double(k)}).x;
        if ((l[idx] == labelValue("InternalCapsule_L")) != (x < 0)) ++wrongSide;
      }
  EXPECT_EQ(wrongSide, 0u);
}

// The optic tract, traced on the 0.5 mm T1: on its own side, under the GPi and below each target
// (phosphenes are the sign of a contact too deep), and running from the chiasm near the midline
// backwards and outwards around the cerebral peduncle towards the lateral geniculate body.
TEST_F(Atlas, OpticTractRunsUnderTheGpiFromTheChiasmTowardsTheGeniculateBody) {
  EXPECT_TRUE(atlas_->notLocated.empty()) << atlas_->notLocated.front();
  ASSERT_EQ(atlas_->opticTractCentreLines.size(), 2u);
  const ImageGeometry& g = atlas_->labels.geometry;
  const unsigned short* l = atlas_->labels.image->GetBufferPointer();
  for (int side = 0; side < 2; ++side) {
    const std::string suffix = side == 0 ? "_L" : "_R";
    SCOPED_TRACE(suffix);
    const double sign = side == 0 ? -1.0 : 1.0;
    const LabelStatistics& tract = stats_["OpticTract" + suffix];
    // A band about 3 mm across and 30 mm long: 100-500 mm3.
    EXPECT_GE(tract.volumeMm3, 100.0);
    EXPECT_LE(tract.volumeMm3, 500.0);
    EXPECT_GT(tract.centroidRas.x * sign, 8.0);
    EXPECT_LT(tract.centroidRas.z, stats_["GPi" + suffix].centroidRas.z - 4.0) << "under the GPi";
    const std::vector<Vec3>& line = atlas_->opticTractCentreLines[side];
    const Vec3 front = line.front(), back = line.back();
    EXPECT_LT(std::abs(front.x), 10.0) << "starts near the chiasm";
    EXPECT_GT(std::abs(back.x), std::abs(front.x) + 10.0) << "runs outwards";
    EXPECT_LT(back.y, front.y - 20.0) << "runs backwards";
    EXPECT_GT(back.z, front.z) << "rises towards the lateral geniculate body";
    // Every tract voxel is on its side; the nearest one to the target lies below it, 2-8 mm away
    // (the deepest contact sits 1-2 mm above the GPi's border, the tract a few mm under it).
    const Vec3 target = atlas_->targets[side].pointRas;
    double nearest = 1e30;
    Vec3 nearestPoint{};
    std::size_t wrongSide = 0;
    for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
          if (l[idx] != labelValue("OpticTract" + suffix)) continue;
          const Vec3 r = g.rasFromIndex({double(i), double(j), double(k)});
          if (r.x * sign <= 0) ++wrongSide;
          if (norm(r - target) < nearest) nearest = norm(r - target), nearestPoint = r;
        }
    EXPECT_EQ(wrongSide, 0u);
    EXPECT_GE(nearest, 2.0);
    EXPECT_LE(nearest, 8.0);
    EXPECT_LT(nearestPoint.z, target.z - 1.5) << "the tract is under the target, not beside it";
  }
}

TEST_F(Atlas, GpiVolumeIsInThePublishedRange) {
  for (const char* side : {"L", "R"}) {
    SCOPED_TRACE(side);
    const double gpi = stats_[std::string("GPi_") + side].volumeMm3,
                 gpe = stats_[std::string("GPe_") + side].volumeMm3;
    const double fraction = gpi / (gpi + gpe);
    EXPECT_GE(fraction, 0.28);  // Thoerner 1975: 0.29-0.30 of the whole GP; DBS atlases about a third
    EXPECT_LE(fraction, 0.40);
    EXPECT_GT(gpi, 400.0);  // mm3: post-mortem 430-520 (Thoerner 1975); MRI atlases larger
    EXPECT_LT(gpi, 1100.0);
  }
}

TEST_F(Atlas, VentriclesArePlausible) {
  for (const char* name : {"Ventricle_L", "Ventricle_R"}) {
    SCOPED_TRACE(name);
    EXPECT_GT(stats_[name].volumeMm3, 3000.0);  // lateral ventricles of a healthy adult: a few cm3 to ~25 cm3
    EXPECT_LT(stats_[name].volumeMm3, 30000.0);
    EXPECT_GT(stats_[name].centroidRas.z, 8.0);  // above the basal ganglia
  }
  EXPECT_LT(stats_["Ventricle_L"].centroidRas.x, -5.0);
  EXPECT_GT(stats_["Ventricle_R"].centroidRas.x, 5.0);
}

TEST_F(Atlas, PosteroventralTargetsLieInTheirGpi) {
  ASSERT_EQ(atlas_->targets.size(), 2u);
  for (int side = 0; side < 2; ++side) {
    const DerivedTarget& t = atlas_->targets[static_cast<std::size_t>(side)];
    SCOPED_TRACE(t.name);
    const Vec3 ijk = atlas_->labels.geometry.indexFromRas(t.pointRas);
    const auto label =
        atlas_->labels.image->GetPixel({{std::lround(ijk.x), std::lround(ijk.y), std::lround(ijk.z)}});
    EXPECT_EQ(label, labelValue("GPi_L") + side);
    const Vec3 centroid = stats_[side == 0 ? "GPi_L" : "GPi_R"].centroidRas;
    EXPECT_LT(t.pointRas.y, centroid.y);  // posterior
    EXPECT_LT(t.pointRas.z, centroid.z);  // ventral
    // The deepest contact's centre 1-2 mm above the GPi's ventral border.
    EXPECT_GE(t.pointRas.z - t.ventralBorderZ, 1.0);
    EXPECT_LE(t.pointRas.z - t.ventralBorderZ, 2.0);
    // Below the AC-PC plane (the old atlas's target sat 0.3 mm above it).
    EXPECT_LT(AcpcPlane().heightMm(t.pointRas), -1.0);
  }
}

}  // namespace
}  // namespace dbs
