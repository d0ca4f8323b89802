// The GPi atlas derived from AAL and Colin27 (Debian's mricron-data): GPi medial to GPe on both
// sides, a GPi volume in the published range, plausible ventricles, and a posteroventral target
// inside the GPi. Runs the derivation itself, as the build does.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dbs/imaging/AtlasDerivation.h"

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
    atlas_ = new DerivedAtlas(deriveAtlas(t1, aal, AtlasDerivationParameters{}));
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

TEST_F(Atlas, GpiVolumeIsInThePublishedRange) {
  for (const char* side : {"L", "R"}) {
    SCOPED_TRACE(side);
    const double gpi = stats_[std::string("GPi_") + side].volumeMm3, gpe = stats_[std::string("GPe_") + side].volumeMm3;
    const double fraction = gpi / (gpi + gpe);
    EXPECT_GE(fraction, 0.30);  // a third to a half of the whole GP (Thoerner 1975: 0.29; DBS atlases ~1/3)
    EXPECT_LE(fraction, 0.50);
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
    const auto label = atlas_->labels.image->GetPixel({{std::lround(ijk.x), std::lround(ijk.y), std::lround(ijk.z)}});
    EXPECT_EQ(label, labelValue("GPi_L") + side);
    const Vec3 centroid = stats_[side == 0 ? "GPi_L" : "GPi_R"].centroidRas;
    EXPECT_LT(t.pointRas.y, centroid.y);  // posterior
    EXPECT_LT(t.pointRas.z, centroid.z);  // ventral
  }
}

}  // namespace
}  // namespace dbs
