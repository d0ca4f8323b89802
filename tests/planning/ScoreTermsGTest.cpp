// The shapes of the trajectory score's terms (ScoreTerms.h), read from data/trajectory/scoring.json:
// each rises or falls the way its source says (data/trajectory/SOURCES.md), and the weights the CLI
// takes are checked.
#include <gtest/gtest.h>

#include <stdexcept>

#include "dbs/planning/ScoreTerms.h"

namespace dbs {
namespace {

TEST(ScoreTerms, TheCatalogueNamesEveryTermWithASourceAndAWeight) {
  const ScoringModel& m = scoringModel();
  for (std::size_t k = 0; k < kScoreTerms; ++k) {
    const char* id = kScoreTermNames.name(static_cast<ScoreTerm>(k));
    EXPECT_FALSE(m.terms[k].name.empty()) << id;
    EXPECT_FALSE(m.terms[k].explains.empty()) << id;
    EXPECT_NE(m.terms[k].source.find("SOURCES.md"), std::string::npos) << id;
    EXPECT_GT(m.terms[k].defaultWeight, 0) << id;
  }
  // The usual GPi angles the search prefers (SOURCES.md 6).
  EXPECT_EQ(m.sagittal.usualMinDeg, 55);
  EXPECT_EQ(m.sagittal.usualMaxDeg, 75);
  EXPECT_EQ(m.lateral.usualMinDeg, 0);
  EXPECT_EQ(m.lateral.usualMaxDeg, 20);
}

TEST(ScoreTerms, AnglesArePreferredAtTheUsualRangesCentreAndFallOffOutside) {
  const ScoringModel::AngleRange& r = scoringModel().sagittal;  // 55-75 deg
  EXPECT_DOUBLE_EQ(angleValue(r, 65), 1.0);
  EXPECT_NEAR(angleValue(r, 55), 0.7, 1e-12);
  EXPECT_NEAR(angleValue(r, 75), 0.7, 1e-12);
  // Monotone away from the centre on both sides, 0 from 15 deg past the range on.
  double previous = 1.0;
  for (double a = 65; a <= 95; a += 0.5) {
    EXPECT_LE(angleValue(r, a), previous + 1e-12) << a;
    previous = angleValue(r, a);
  }
  EXPECT_DOUBLE_EQ(angleValue(r, 90), 0.0);
  EXPECT_DOUBLE_EQ(angleValue(r, 40), 0.0);
  EXPECT_NEAR(angleValue(r, 60), angleValue(r, 70), 1e-12);
}

TEST(ScoreTerms, TheDeepestContactIsBestJustAboveTheVentralBorder) {
  const ScoringModel& m = scoringModel();  // best 1-3 mm, 0.5 at the border, 0 from 7 mm
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, std::nullopt), 0.0) << "the deepest contact is not in the GPi";
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, 3.0), 1.0);
  EXPECT_NEAR(ventralBorderValue(m, 5.0), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, 7.0), 0.0);
  EXPECT_DOUBLE_EQ(ventralBorderValue(m, 8.0), 0.0);
  EXPECT_LT(ventralBorderValue(m, 0.5), ventralBorderValue(m, 1.0));
  EXPECT_GT(ventralBorderValue(m, 4.0), ventralBorderValue(m, 6.0));
}

TEST(ScoreTerms, GyralCrownAndCaudateSaturate) {
  const ScoringModel& m = scoringModel();
  EXPECT_DOUBLE_EQ(gyralCrownValue(m, -1.0), 0.0) << "in a sulcus";
  EXPECT_DOUBLE_EQ(gyralCrownValue(m, 2.0), 0.5);
  EXPECT_DOUBLE_EQ(gyralCrownValue(m, 4.0), 1.0);
  EXPECT_DOUBLE_EQ(gyralCrownValue(m, 40.0), 1.0);
  EXPECT_DOUBLE_EQ(saturating(2.5, m.caudateSaturationMm), 0.5);
}

TEST(ScoreTerms, TheEntryIsPreferredInFrontOfTheCoronalSutureAwayFromTheMidline) {
  const ScoringModel& m = scoringModel();  // suture at AC-PC y 10; 0-35 mm in front, 25-45 mm lateral
  EXPECT_DOUBLE_EQ(entryRegionValue(m, 30, 35), 1.0);
  EXPECT_DOUBLE_EQ(entryRegionValue(m, 10, 25), 1.0);
  EXPECT_NEAR(entryRegionValue(m, 0, 35), 0.5, 1e-12) << "10 mm behind the suture";
  EXPECT_NEAR(entryRegionValue(m, 55, 35), 0.5, 1e-12) << "10 mm further forward than 35 mm";
  EXPECT_NEAR(entryRegionValue(m, 30, 15), 0.5, 1e-12) << "10 mm nearer the midline (the sinus)";
  EXPECT_DOUBLE_EQ(entryRegionValue(m, -15, 35), 0.0);
  EXPECT_NEAR(entryRegionValue(m, 0, 15), 0.25, 1e-12) << "both factors count";
}

TEST(ScoreTerms, WeightsAreSetByNameAndBadSettingsAreRefusedByName) {
  ScoreWeights w = defaultScoreWeights();
  applyWeightSetting(w, "sagittal_angle=2.5");
  EXPECT_DOUBLE_EQ(w[static_cast<std::size_t>(ScoreTerm::SagittalAngle)], 2.5);
  applyWeightSetting(w, "length=0");
  EXPECT_DOUBLE_EQ(w[static_cast<std::size_t>(ScoreTerm::Length)], 0.0);
  EXPECT_NE(describeWeights(w).find("sagittal_angle=2.5"), std::string::npos);
  for (const char* bad : {"sagittal=1", "sagittal_angle", "sagittal_angle=", "sagittal_angle=-1",
                          "sagittal_angle=1x", "gyral_crown=nan", "=1"}) {
    try {
      applyWeightSetting(w, bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("score weight"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dbs
