// 3D Slicer's markups as dbsplan writes and reads them (planning/SlicerExport.h): the fields Slicer's
// markups schema (v1.0.3) names, positions exact in LPS and RAS, Slicer's reading of a file without a
// coordinate system (LPS), a line drawn in Slicer without dbsplan's labels, and every malformed file
// refused by name. (The plan-level export and import round trip is in PlanSessionGTest.cpp.)
#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "TestSupport.h"
#include "dbs/planning/SlicerExport.h"

namespace dbs {
namespace {

const Vec3 kTarget{-21.137618505890810, -6.3880516652306670, -5.7665817844110610};
const Vec3 kEntry{-47.580795738379805, 31.709107340302115, 67.860867517651680};

std::string written(const std::string& name, const nlohmann::json& doc) {
  const std::string path = test::tempFilePath("dbs_slicer_markups", name);
  std::ofstream(path) << doc.dump(2);
  return path;
}

TEST(SlicerMarkups, ALineHasTheSchemasFieldsAndExactPositionsInLps) {
  const nlohmann::json doc =
      markupsLineJson("L1 chosen", kTarget, kEntry, {1, 0.85, 0}, MarkupsCoordinates::Lps);
  EXPECT_NE(doc.at("@schema").get<std::string>().find("markups-schema-v1.0.3.json"), std::string::npos);
  ASSERT_EQ(doc.at("markups").size(), 1u);
  const auto& m = doc["markups"][0];
  EXPECT_EQ(m.at("type"), "Line");
  EXPECT_EQ(m.at("name"), "L1 chosen");
  EXPECT_EQ(m.at("coordinateSystem"), "LPS");
  EXPECT_EQ(m.at("coordinateUnits"), "mm");
  ASSERT_EQ(m.at("controlPoints").size(), 2u);
  const auto& target = m["controlPoints"][0];
  EXPECT_EQ(target.at("label"), "target");
  EXPECT_EQ(target.at("positionStatus"), "defined");
  EXPECT_EQ(target.at("orientation").size(), 9u);
  // LPS: x and y negated, bit for bit.
  EXPECT_EQ(target.at("position")[0].get<double>(), -kTarget.x);
  EXPECT_EQ(target.at("position")[1].get<double>(), -kTarget.y);
  EXPECT_EQ(target.at("position")[2].get<double>(), kTarget.z);
  EXPECT_EQ(m["controlPoints"][1].at("label"), "entry");
  for (const double c : m.at("display").at("color")) EXPECT_TRUE(c >= 0 && c <= 1);
}

TEST(SlicerMarkups, ALineReadsBackExactlyInEitherCoordinateSystem) {
  for (MarkupsCoordinates c : {MarkupsCoordinates::Lps, MarkupsCoordinates::Ras}) {
    const MarkupsLine line = readMarkupsLine(
        written("line.mrk.json", markupsLineJson("L1 chosen", kTarget, kEntry, {1, 1, 1}, c)));
    EXPECT_EQ(line.name, "L1 chosen");
    EXPECT_LT(norm(line.targetRas - kTarget), 1e-12);
    EXPECT_LT(norm(line.entryRas - kEntry), 1e-12);
  }
  // Fiducials carry every point with its label.
  const nlohmann::json f = markupsFiducialsJson("AC-PC landmarks", {{"AC", {0, 1.5, 0}}, {"PC", {0, -24, 0}}},
                                                {0.2, 0.8, 1}, MarkupsCoordinates::Ras);
  EXPECT_EQ(f["markups"][0]["type"], "Fiducial");
  EXPECT_EQ(f["markups"][0]["controlPoints"][1]["label"], "PC");
  EXPECT_EQ(f["markups"][0]["controlPoints"][1]["position"][1].get<double>(), -24.0);
}

TEST(SlicerMarkups, ALineDrawnInSlicerIsReadAsSlicerReadsIt) {
  // No coordinateSystem: LPS, as Slicer reads it. Points labelled as Slicer labels them ("L-1",
  // "L-2"), entry first: the lower point is the target.
  nlohmann::json doc = markupsLineJson("L", kTarget, kEntry, {1, 1, 1}, MarkupsCoordinates::Lps);
  auto& m = doc["markups"][0];
  m.erase("coordinateSystem");
  std::swap(m["controlPoints"][0]["position"], m["controlPoints"][1]["position"]);
  m["controlPoints"][0]["label"] = "L-1";
  m["controlPoints"][1]["label"] = "L-2";
  const MarkupsLine line = readMarkupsLine(written("drawn.mrk.json", doc));
  EXPECT_LT(norm(line.targetRas - kTarget), 1e-12);
  EXPECT_LT(norm(line.entryRas - kEntry), 1e-12);
  EXPECT_NE(line.targetRule.find("lower"), std::string::npos);
}

TEST(SlicerMarkups, AFileThatIsNotOneLineOfTwoPlacedPointsIsRefusedByName) {
  const nlohmann::json good = markupsLineJson("L", kTarget, kEntry, {1, 1, 1}, MarkupsCoordinates::Lps);
  auto expectRefused = [](const std::string& path, const std::string& field) {
    try {
      readMarkupsLine(path);
      ADD_FAILURE() << path << " was read";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    }
  };
  nlohmann::json d = good;
  d["markups"][0]["type"] = "Fiducial";
  expectRefused(written("fiducial.mrk.json", d), "markups[0].type");
  d = good;
  d["markups"].push_back(d["markups"][0]);
  expectRefused(written("two.mrk.json", d), "markups");
  d = good;
  d["markups"][0]["controlPoints"].push_back(d["markups"][0]["controlPoints"][0]);
  expectRefused(written("three.mrk.json", d), "controlPoints");
  d = good;
  d["markups"][0]["coordinateUnits"] = "um";
  expectRefused(written("um.mrk.json", d), "coordinateUnits");
  d = good;
  d["markups"][0]["coordinateSystem"] = "IJK";
  expectRefused(written("ijk.mrk.json", d), "coordinateSystem");
  d = good;
  d["markups"][0]["controlPoints"][1]["positionStatus"] = "undefined";
  expectRefused(written("unplaced.mrk.json", d), "positionStatus");
  d = good;
  d["markups"][0]["controlPoints"][1]["position"][2] = 1e300;
  expectRefused(written("far.mrk.json", d), "position");
  d = good;
  d["markups"][0]["controlPoints"][1]["position"] = d["markups"][0]["controlPoints"][0]["position"];
  expectRefused(written("point.mrk.json", d), "less than 1 mm apart");
  const std::string notJson = test::tempFilePath("dbs_slicer_markups", "plan.json");
  std::ofstream(notJson) << "{ not json";
  expectRefused(notJson, "not JSON");
}

}  // namespace
}  // namespace dbs
