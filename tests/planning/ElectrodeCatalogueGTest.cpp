// The electrode catalogue holds the leads the planner offers, with the contact geometry their
// makers publish, and every number names a source.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "dbs/planning/ElectrodeCatalogue.h"

namespace dbs {
namespace {

TEST(ElectrodeCatalogue, HasTheRequiredLeadsWithSources) {
  const auto& catalogue = ElectrodeCatalogue::standard();
  for (const char* id :
       {"medtronic_3389", "medtronic_3387", "boston_scientific_db2202", "abbott_6172", "abbott_6173"}) {
    SCOPED_TRACE(id);
    const ElectrodeModel& m = catalogue.find(id);
    EXPECT_FALSE(m.sources.empty());
    for (const auto& s : m.sources) EXPECT_FALSE(s.citation.empty());
    EXPECT_GT(m.diameterMm, 1.2);
    EXPECT_LT(m.diameterMm, 1.4);
  }
  EXPECT_THROW(catalogue.find("no_such_lead"), std::out_of_range);
}

TEST(ElectrodeCatalogue, Medtronic3389And3387MatchTheirManuals) {
  const auto& catalogue = ElectrodeCatalogue::standard();
  const ElectrodeModel& m3389 = catalogue.find("medtronic_3389");
  const ElectrodeModel& m3387 = catalogue.find("medtronic_3387");
  for (const ElectrodeModel* m : {&m3389, &m3387}) {
    EXPECT_DOUBLE_EQ(m->diameterMm, 1.27);
    EXPECT_DOUBLE_EQ(m->tipLengthMm, 1.5);
    EXPECT_FALSE(m->tipIsContact);
    EXPECT_FALSE(m->directional());
    ASSERT_EQ(m->contacts.size(), 4u);
    for (const auto& c : m->contacts) EXPECT_DOUBLE_EQ(c.endMm - c.startMm, 1.5);
  }
  // Centre-to-centre spacing: 1.5 mm contacts with 0.5 mm (3389) or 1.5 mm (3387) gaps.
  EXPECT_DOUBLE_EQ(m3389.levelCentreMm(1) - m3389.levelCentreMm(0), 2.0);
  EXPECT_DOUBLE_EQ(m3387.levelCentreMm(1) - m3387.levelCentreMm(0), 3.0);
  EXPECT_DOUBLE_EQ(m3389.activeLengthMm(), 9.0);
  EXPECT_DOUBLE_EQ(m3387.activeLengthMm(), 12.0);
}

TEST(ElectrodeCatalogue, DirectionalLeadsAreOneThreeThreeOne) {
  const auto& catalogue = ElectrodeCatalogue::standard();
  for (const char* id : {"boston_scientific_db2202", "abbott_6172", "abbott_6173"}) {
    SCOPED_TRACE(id);
    const ElectrodeModel& m = catalogue.find(id);
    EXPECT_TRUE(m.directional());
    ASSERT_EQ(m.contacts.size(), 8u);
    ASSERT_EQ(m.levels(), 4);
    int perLevel[4] = {0, 0, 0, 0};
    for (const auto& c : m.contacts) ++perLevel[c.level];
    EXPECT_EQ(perLevel[0], 1);
    EXPECT_EQ(perLevel[1], 3);
    EXPECT_EQ(perLevel[2], 3);
    EXPECT_EQ(perLevel[3], 1);
    // Segments of a level: centres 120 degrees apart, arcs that do not overlap.
    for (int level : {1, 2}) {
      std::set<double> centres;
      for (const auto& c : m.contacts)
        if (c.level == level) {
          ASSERT_TRUE(c.segment.has_value());
          EXPECT_LT(c.segment->arcDeg, 120.0);
          centres.insert(std::fmod(c.segment->centreDeg + 360.0, 360.0));
        }
      ASSERT_EQ(centres.size(), 3u);
      std::vector<double> sorted(centres.begin(), centres.end());
      EXPECT_DOUBLE_EQ(sorted[1] - sorted[0], 120.0);
      EXPECT_DOUBLE_EQ(sorted[2] - sorted[1], 120.0);
    }
  }
  EXPECT_TRUE(catalogue.find("boston_scientific_db2202").tipIsContact);
  EXPECT_DOUBLE_EQ(catalogue.find("abbott_6172").tipLengthMm, 1.0);
}

TEST(ElectrodeCatalogue, ContactsNeverOverlapAlongTheLead) {
  for (const auto& m : ElectrodeCatalogue::standard().models()) {
    SCOPED_TRACE(m.id);
    for (int level = 0; level + 1 < m.levels(); ++level) {
      double endOfLevel = 0, startOfNext = 1e9;
      for (const auto& c : m.contacts) {
        if (c.level == level) endOfLevel = std::max(endOfLevel, c.endMm);
        if (c.level == level + 1) startOfNext = std::min(startOfNext, c.startMm);
      }
      EXPECT_LT(endOfLevel, startOfNext);
    }
    if (!m.tipIsContact) {
      EXPECT_DOUBLE_EQ(m.contacts.front().startMm, m.tipLengthMm);
    }
  }
}

TEST(ElectrodeCatalogue, MalformedFilesNameTheFieldAndProblem) {
  const auto path = std::filesystem::temp_directory_path() / "dbs_bad_electrodes.json";
  auto expectError = [&](const std::string& text, const std::string& fragment) {
    std::ofstream(path) << text;
    try {
      ElectrodeCatalogue::load(path.string());
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectError("{not json", "not valid JSON");
  expectError(R"({"schema": "dbsplan.electrodes/1"})", "\"electrodes\"");
  expectError(
      R"({"schema": "dbsplan.electrodes/1", "electrodes": [{"id": "x", "manufacturer": "m", "model": "x",
    "name": "n", "diameter_mm": -1, "tip_length_mm": 1, "tip_is_contact": false, "contacts": [], "sources": []}]})",
      "diameter_mm must be positive");
}

}  // namespace
}  // namespace dbs
