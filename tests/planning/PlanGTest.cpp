// The plan file: round trip, atomic writing, a plan the reader would refuse is never written,
// errors that name the field on malformed files, and image paths that are not regular files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <sys/stat.h>
#include <unistd.h>

#include "PlanSchema.h"
#include "TestSupport.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/PlanMigration.h"
#include "dbs/planning/PlanPipeline.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

PlanDocument handMadePlan() {
  PlanDocument p;
  p.programVersion = "test";
  p.created = "2026-11-25T12:00:00Z";
  p.image.path = "/data/patient.nii.gz";
  p.image.sha256 = std::string(64, 'a');
  p.image.geometry.size = {10, 20, 30};
  p.image.geometry.rasFromIjk.m[0][0] = -1.0;
  p.labelsFile = "labels.nii.gz";
  p.transforms.affineFile = "transform_affine.tfm";
  p.transforms.displacementFile = "transform_displacement.nii";
  p.acRas = {0.1, 12.3, -4};
  p.pcRas = {0, -11.9, -3.5};
  p.mcpRas = 0.5 * (p.acRas + p.pcRas);
  p.midlineRas = {0, 0, 40};
  p.targets.push_back(
      {Side::Left, TargetSource::Atlas, {-19.5, -5.2, -3.2}, {-19.4, 5.1, -1.2}, Vec3{-19.6, -5.3, -3.1}});
  for (Side side : kBothSides) {
    PlannedTrajectory t;
    t.trajectory.side = side;
    t.trajectory.targetRas = {side == Side::Left ? -20.0 : 20.0, -5, -3};
    t.trajectory.entryRas = {side == Side::Left ? -35.0 : 35.0, 40, 70};
    t.trajectory.electrodeId = side == Side::Left ? "medtronic_3389" : "boston_scientific_db2202";
    t.trajectory.markerRollDeg = 15;
    t.metrics.lengthMm = norm(t.trajectory.entryRas - t.trajectory.targetRas);  // 87.0574... mm
    t.metrics.tipRas = t.trajectory.targetRas;                                  // tip_beyond_target_mm 0
    t.metrics.closest[0] = {RiskKind::Ventricles, true, 6.5, 22.25, {-14, 5, 15}, 2.0, true};
    t.metrics.closest[2].kind = RiskKind::Vessels;
    t.metrics.passesThrough.push_back({"Putamen_L", 12.0, 3.5});
    // One placed contact per contact of the electrode, as evaluateTrajectory writes them.
    for (const ElectrodeContact& contact :
         ElectrodeCatalogue::standard().find(t.trajectory.electrodeId).contacts) {
      PlacedContact c;
      c.label = contact.label;
      c.level = contact.level;
      c.centreRas = t.trajectory.targetRas + Vec3{0, 0, 2.0 * contact.level};
      if (contact.segment) c.segmentDirectionRas = Vec3{0, 1, 0};
      c.structure = contact.level == 0 ? (side == Side::Left ? "GPi_L" : "GPi_R") : "GPe_L";
      c.inGpi = contact.level == 0;
      t.metrics.contacts.push_back(c);
    }
    t.metrics.contactsInGpi = 1;
    t.metrics.targetMni = Vec3{-19, -5, -3};
    t.metrics.sagittalAngleDeg = 62.5;
    p.trajectories.push_back(t);
  }
  p.search.candidates = 20480;
  p.search.seconds = 0.0625;
  p.search.settings = searchSettingsToJson(SearchSettings{});
  // As the pipeline writes it (risksJson): the summary of the segmentation beside the plan.
  p.riskStructures = {{"brain_volume_mm3", 1.2e6},
                      {"csf_upper_intensity", 68.0},
                      {"file", "risk_structures.nii.gz"},
                      {"file_values",
                       {{"1", "head (scalp to brain)"},
                        {"2", "brain"},
                        {"3", "ventricles"},
                        {"4", "sulcal CSF"},
                        {"5", "vessels"}}},
                      {"grey_upper_intensity", 96.0},
                      {"head_volume_mm3", 4.0e6},
                      {"notes", nlohmann::json::array({"vessels: not assessed"})},
                      {"seconds", 5.0},
                      {"structures",
                       {{"sulci", {{"assessed", true}, {"volume_mm3", 141039.0}}},
                        {"ventricles", {{"assessed", true}, {"volume_mm3", 24018.0}}},
                        {"vessels", {{"assessed", false}, {"volume_mm3", 0.0}}}}}};
  p.notes = {"a note"};
  return p;
}

// The reader's error for `good` spoiled by `spoil`, written to DIR/bad.json ("no error" if it reads).
std::string readErrorOf(const nlohmann::json& good, const std::function<void(nlohmann::json&)>& spoil,
                        const std::string& dir) {
  nlohmann::json j = good;
  spoil(j);
  std::ofstream(dir + "/bad.json") << j.dump();
  try {
    readPlan(dir + "/bad.json");
  } catch (const std::runtime_error& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

// Writes `plan` to DIR/plain.json and returns the path.
std::string writtenPlanOf(const PlanDocument& plan, const std::string& dir) {
  writePlan(plan, dir + "/plain.json");
  return dir + "/plain.json";
}

// Issue 22: when a side's atlas and indirect targets disagree, the plan says which one its trajectory
// aims at and why, and says it truly: the proposed target (what the search aims at; once called "set
// by hand"), a target moved by hand, or either named target; and the distances to both.
TEST(PlanTargets, TheTargetChoiceSaysWhatTheTrajectoryAimsAt) {
  PlanDocument plan;
  const Vec3 atlas{-20, -5, -4}, indirect{-23, -4, -3}, proposed{-20.8, -5, -4};  // RAS mm, 3.3 mm apart
  plan.targets = {{Side::Left, TargetSource::Proposed, proposed, {}, {}},
                  {Side::Left, TargetSource::Atlas, atlas, {}, {}},
                  {Side::Left, TargetSource::Indirect, indirect, {}, {}}};
  PlannedTrajectory chosen;
  chosen.trajectory.side = Side::Left;
  chosen.trajectory.id = "L1";
  chosen.trajectory.targetRas = proposed;
  plan.trajectories.push_back(chosen);
  Trajectory& aim = plan.trajectories.front().trajectory;
  auto said = [&] {
    const auto agreement = targetAgreement(plan, Side::Left);
    EXPECT_TRUE(agreement && !agreement->agrees());
    return agreement ? targetChoiceText(*agreement) : std::string();
  };
  auto says = [&](const std::string& phrase) { return said().find(phrase) != std::string::npos; };

  EXPECT_TRUE(says("aims at the proposed target")) << said();
  EXPECT_TRUE(says("0.8 mm from the atlas target, 2.6 mm from the indirect one, nearer the atlas target"))
      << said();
  EXPECT_TRUE(says("deformable registration")) << said();
  EXPECT_FALSE(says("set by hand")) << said();

  aim.targetRas = indirect + Vec3{0.1, 0, 0};
  EXPECT_TRUE(says("aims at the indirect (AC-PC) target (0.1 mm from it, 3.2 mm from the atlas one)"))
      << said();

  aim.targetRas = atlas;
  EXPECT_TRUE(says("aims at the atlas target (0.0 mm from it")) << said();

  aim.origin = TrajectoryOrigin::Manual;
  aim.targetRas = {-25, -3, -2};
  EXPECT_TRUE(says("aims at a target set by hand (5.7 mm from the atlas target")) << said();
  aim.targetRas = proposed;  // moved by hand back onto the proposed target
  EXPECT_TRUE(says("aims at the proposed target")) << said();

  plan.trajectories.clear();
  EXPECT_TRUE(says("no trajectory aims at either target yet")) << said();
}

TEST(PlanFile, RoundTripsExactlyAndIsWrittenAtomically) {
  const std::string dir = test::freshTestDir("dbs_planfile_test");
  const PlanDocument plan = handMadePlan();
  writePlan(plan, dir + "/plan.json");
  EXPECT_EQ(test::planSchemaProblems(dir + "/plan.json"), "");
  const PlanDocument back = readPlan(dir + "/plan.json");
  EXPECT_EQ(planToJson(back), planToJson(plan));
  EXPECT_EQ(back.trajectories[1].trajectory.electrodeId, "boston_scientific_db2202");
  EXPECT_EQ(back.trajectories[0].metrics.lengthMm,
            plan.trajectories[0].metrics.lengthMm);                           // no rounding on the way
  ASSERT_TRUE(back.trajectories[1].metrics.contacts[1].segmentDirectionRas);  // the DB-2202's 2A
  EXPECT_FALSE(back.trajectories[0].metrics.closest[2].present);
  const nlohmann::json j = planToJson(plan);
  EXPECT_EQ(j.at("trajectories").at(0).at("side"), "L");
  EXPECT_EQ(j.at("search").at("candidates"), 20480);

  // A failed write leaves the previous file whole and no temporary behind.
  const std::string before = [&] {
    std::ifstream in(dir + "/plan.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  fs::create_directories(dir + "/blocked.json");  // a folder where the file should go: rename fails
  EXPECT_THROW(writePlan(plan, dir + "/blocked.json"), ImagingError);
  EXPECT_TRUE(fs::is_directory(dir + "/blocked.json"));
  std::ifstream in(dir + "/plan.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), before);
  fs::remove_all(dir);
}

// Issue 26: a plan made on a geometry the user stated (the image file lacks it) records the
// statement; it reads back exactly, the schema knows it, and a statement dbsplan would not accept
// is refused by the reader, naming the field.
TEST(PlanFile, AStatedImageGeometryIsRecordedAndReadBackAndAnInvalidOneRefused) {
  const std::string dir = test::freshTestDir("dbs_planstated_test");
  PlanDocument plan = handMadePlan();
  plan.image.statedGeometry = StatedGeometry{"LPS", {0.9, 0.9, 1.2}};
  writePlan(plan, dir + "/plan.json");
  EXPECT_EQ(test::planSchemaProblems(dir + "/plan.json"), "");
  const PlanDocument back = readPlan(dir + "/plan.json");
  ASSERT_TRUE(back.image.statedGeometry.has_value());
  EXPECT_EQ(back.image.statedGeometry->orientation, "LPS");
  EXPECT_EQ(back.image.statedGeometry->spacingMm.z, 1.2);
  EXPECT_EQ(planToJson(back), planToJson(plan));
  EXPECT_FALSE(readPlan(writtenPlanOf(handMadePlan(), dir)).image.statedGeometry.has_value());

  nlohmann::json j = planToJson(plan);
  j["image"]["stated_geometry"]["orientation"] = "RRS";
  std::ofstream(dir + "/bad.json") << j.dump();
  try {
    readPlan(dir + "/bad.json");
    ADD_FAILURE() << "a stated orientation naming one direction twice must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("image.stated_geometry"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("same direction twice"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// dbsplan never writes a plan its own reader refuses (a noise image once gave an entry 1e15 mm away,
// written with exit 0 and then refused by plan-info): the write fails, naming the field, and the
// previous plan stays.
// A version 1 file (no ids, history, note or checksums) is brought up to version 2 before the one
// strict reader sees it: ids as version 2 numbers them (per side, chosen first, then alternatives),
// an empty history and note, no checksums; the rest of the plan as it was. A version 2 file is left
// as it is, and a version this dbsplan does not read is refused by the reader, naming the field.
TEST(PlanFile, Version1FilesAreMigratedToVersion2BeforeReading) {
  PlanDocument plan = handMadePlan();
  PlannedTrajectory alternative = plan.trajectories[0];
  alternative.trajectory.entryRas = alternative.trajectory.entryRas + Vec3{0, 5, 0};
  alternative.metrics.lengthMm = norm(alternative.trajectory.entryRas - alternative.trajectory.targetRas);
  plan.alternatives.push_back(alternative);
  plan.alternatives.push_back(alternative);
  assignMissingTrajectoryIds(plan);
  const nlohmann::json current = planToJson(plan);
  EXPECT_EQ(migratePlanJson(current), current) << "a current file is left as it is";

  nlohmann::json version1 = current;
  version1["schema_version"] = 1;
  for (const char* key : {"history", "review_note", "file_checksums"}) version1.erase(key);
  for (const char* list : {"trajectories", "alternatives"})
    for (auto& t : version1[list]) t.erase("id");
  const nlohmann::json migrated = migratePlanJson(version1);
  EXPECT_EQ(migrated["schema_version"], kPlanSchemaVersion);
  EXPECT_EQ(migrated["trajectories"][0]["id"], "L1");
  EXPECT_EQ(migrated["trajectories"][1]["id"], "R1");
  EXPECT_EQ(migrated["alternatives"][0]["id"], "L2");
  EXPECT_EQ(migrated["alternatives"][1]["id"], "L3");
  EXPECT_TRUE(migrated["history"].empty());
  EXPECT_EQ(migrated["review_note"], "");
  EXPECT_TRUE(migrated["file_checksums"].empty());

  const PlanDocument read = planFromJson(version1, "v1.json");
  EXPECT_EQ(read.schemaVersion, kPlanSchemaVersion);
  EXPECT_TRUE(read.fileSha256.empty());
  EXPECT_EQ(read.alternatives[1].trajectory.id, "L3");
  nlohmann::json expected = current;  // what the migration cannot know is empty
  expected["history"] = nlohmann::json::array();
  expected["review_note"] = "";
  expected["file_checksums"] = nlohmann::json::object();
  EXPECT_EQ(planToJson(read), expected);

  // Version 2 is version 3 without a frame registration: read as it is.
  nlohmann::json version2 = current;
  version2["schema_version"] = 2;
  EXPECT_EQ(planToJson(planFromJson(version2, "v2.json")), current);

  nlohmann::json future = current;
  future["schema_version"] = kPlanSchemaVersion + 1;
  try {
    planFromJson(future, "future.json");
    ADD_FAILURE() << "a file of a future version was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("future.json: schema_version: version " +
                                         std::to_string(kPlanSchemaVersion + 1) + " is not supported"),
              std::string::npos)
        << e.what();
  }
}

// The schema is the plan's published contract: its electrode list mirrors the catalogue (the one
// source of truth), and it refuses what the writer never writes: an unknown key at the top or in a
// trajectory, a side that is neither L nor R, a point of two numbers, a checksum that is not
// SHA-256, a missing required key.
TEST(PlanFile, SchemaMirrorsTheCatalogueAndRefusesWhatTheWriterNeverWrites) {
  std::ifstream schemaFile(test::planSchemaPath());
  const nlohmann::json schema = nlohmann::json::parse(schemaFile);
  std::vector<std::string> schemaIds = schema.at("$defs").at("electrodeId").at("enum");
  std::vector<std::string> catalogueIds;
  for (const ElectrodeModel& m : ElectrodeCatalogue::standard().models()) catalogueIds.push_back(m.id);
  std::sort(schemaIds.begin(), schemaIds.end());
  std::sort(catalogueIds.begin(), catalogueIds.end());
  EXPECT_EQ(schemaIds, catalogueIds) << "planning/schema/plan.schema.json lists other electrodes than "
                                        "data/electrodes/electrodes.json";

  const std::string dir = test::freshTestDir("dbs_planschema_test");
  PlanDocument plan = handMadePlan();
  assignMissingTrajectoryIds(plan);
  const nlohmann::json valid = planToJson(plan);
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> mutations = {
      {"unknown top-level key", [](nlohmann::json& j) { j["surgeon"] = "x"; }},
      {"unknown trajectory key", [](nlohmann::json& j) { j["trajectories"][0]["colour"] = "red"; }},
      {"side X", [](nlohmann::json& j) { j["trajectories"][0]["side"] = "X"; }},
      {"a point of two numbers",
       [](nlohmann::json& j) {
         j["trajectories"][0]["target_ras"] = {1.0, 2.0};
       }},
      {"a checksum that is not SHA-256", [](nlohmann::json& j) { j["image"]["sha256"] = "abc123"; }},
      {"no trajectories", [](nlohmann::json& j) { j.erase("trajectories"); }},
  };
  std::ofstream(dir + "/valid.json") << valid.dump(2);
  EXPECT_EQ(test::planSchemaProblems(dir + "/valid.json"), "");
  for (const auto& [what, mutate] : mutations) {
    nlohmann::json bad = valid;
    mutate(bad);
    const std::string path = dir + "/bad.json";
    std::ofstream(path) << bad.dump(2);
    EXPECT_NE(test::planSchemaProblems(path), "") << what << " passed the schema";
  }
  fs::remove_all(dir);
}

TEST(PlanFile, APlanTheReaderWouldRefuseIsNeverWritten) {
  const std::string dir = test::freshTestDir("dbs_planrefused_test");
  const PlanDocument good = handMadePlan();
  writePlan(good, dir + "/plan.json");
  PlanDocument bad = good;
  bad.trajectories[0].trajectory.entryRas = {1e15, 0, 0};
  bad.trajectories[0].metrics.lengthMm = 1e15;
  try {
    writePlan(bad, dir + "/plan.json");
    ADD_FAILURE() << "the plan was written";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("refusing to write"), std::string::npos) << message;
    EXPECT_NE(message.find("trajectories[0].entry_ras[0]: must be between -10000 and 10000"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(planToJson(readPlan(dir + "/plan.json")), planToJson(good));
  fs::remove_all(dir);
}

// Issue 26: the reader refuses what the writer would never write, naming the field, instead of an
// in-place edit silently "repairing" it (200,000 contacts became 4, unknown keys were dropped).
TEST(PlanTrust, TheReaderRefusesWhatTheWriterNeverWrites) {
  const std::string dir = test::freshTestDir("dbs_plantrust_reader");
  const nlohmann::json good = planToJson(handMadePlan());
  auto errorFor = [&](const std::function<void(nlohmann::json&)>& spoil) {
    return readErrorOf(good, spoil, dir);
  };
  const std::pair<std::function<void(nlohmann::json&)>, const char*> cases[] = {
      {[](auto& j) {
         auto& contacts = j["trajectories"][0]["metrics"]["contacts"];
         const nlohmann::json one = contacts[0];
         for (int i = 0; i < 20000; ++i) contacts.push_back(one);  // 200,000 exceed the 16 MiB bound
       },
       "trajectories[0].metrics.contacts: holds 20004 contacts; the medtronic_3389 has 4"},
      {[](auto& j) { j["landmarks_ras"]["AC"][0] = 1e308; },
       "landmarks_ras.AC[0]: must be between -10000 and 10000 (is 1e+308)"},
      {[](auto& j) { j["electrodes"]["X"] = "medtronic_3389"; },
       "electrodes.X: unknown key: dbsplan never writes it"},
      {[](auto& j) { j["surgeon"] = "unknown"; }, "surgeon: unknown key"},
      {[](auto& j) { j["trajectories"][1]["colour"] = "red"; }, "trajectories[1].colour: unknown key"},
      {[](auto& j) { j["trajectories"][0]["metrics"]["contacts"][0]["volts"] = 3; },
       "trajectories[0].metrics.contacts[0].volts: unknown key"},
      {[](auto& j) { j["image"]["vendor"] = "x"; }, "image.vendor: unknown key"},
      {[](auto& j) { j["targets"][0]["source"] = "guess"; }, "targets[0].source: must be \"proposed\""},
      {[](auto& j) { j["trajectories"][0]["origin"] = "imported"; },
       "trajectories[0].origin: must be \"search\""},
  };
  for (const auto& [spoil, expected] : cases) {
    const std::string e = errorFor(spoil);
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    EXPECT_LT(e.size(), 400u) << "one readable line, not the whole file";
  }
  fs::remove_all(dir);
}

TEST(PlanFile, MalformedFilesGetAnErrorNamingTheFieldAndTheProblem) {
  const std::string dir = test::freshTestDir("dbs_planbad_test");
  const nlohmann::json good = planToJson(handMadePlan());
  auto errorFor = [&](const std::function<void(nlohmann::json&)>& spoil) {
    return readErrorOf(good, spoil, dir);
  };
  auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  std::string e = errorFor([](auto& j) { j["trajectories"][0].erase("target_ras"); });
  EXPECT_TRUE(contains(e, "trajectories[0].target_ras: missing")) << e;
  e = errorFor([](auto& j) { j["trajectories"][1]["side"] = "X"; });
  EXPECT_TRUE(contains(e, "trajectories[1].side: must be \"L\" or \"R\"")) << e;
  e = errorFor([](auto& j) { j["trajectories"][0]["entry_ras"] = {1, 2}; });
  EXPECT_TRUE(contains(e, "trajectories[0].entry_ras: must be an array of 3 numbers")) << e;
  e = errorFor([](auto& j) { j["schema_version"] = 99; });
  EXPECT_TRUE(contains(e, "schema_version: version 99 is not supported")) << e;
  // The other JSON files of a plan folder are named for what they are (issue 23: File > Open plan
  // offered labels.json and locate.json).
  e = errorFor([](auto& j) { j = {{"labels", {{"GPi_L", 1}}}}; });
  EXPECT_TRUE(contains(e, "bad.json: this is dbsplan's label table (labels.json")) << e;
  e = errorFor([](auto& j) { j = {{"landmarks", {}}, {"transforms", {}}, {"quality", {}}}; });
  EXPECT_TRUE(contains(e, "this is dbsplan's locate result (locate.json")) << e;
  e = errorFor([](auto& j) { j = {{"@schema", "https://.../markups-schema-v1.0.3.json#"}}; });
  EXPECT_TRUE(contains(e, "this is a 3D Slicer markups file")) << e;
  e = errorFor([](auto& j) { j["schema"] = "dbsplan.samples/1"; });
  EXPECT_TRUE(contains(e, "this is a \"dbsplan.samples/1\" file, not a dbsplan plan")) << e;
  e = errorFor([](auto& j) { j = nlohmann::json::array(); });
  EXPECT_TRUE(contains(e, "not a dbsplan plan (a plan is a JSON object)")) << e;
  e = errorFor([](auto& j) { j["image"]["sha256"] = "xyz"; });
  EXPECT_TRUE(contains(e, "image.sha256: must be 64 hexadecimal digits")) << e;
  e = errorFor([](auto& j) {
    j["trajectories"][1]["side"] = "L";
    j["trajectories"][1]["id"] = "L9";
  });
  EXPECT_TRUE(contains(e, "a second trajectory for the same side")) << e;
  e = errorFor([](auto& j) { j["trajectories"][1]["side"] = "L"; });  // its id still says R
  EXPECT_TRUE(contains(e, "trajectories[1].id: must be the side's letter and a number")) << e;
  e = errorFor([](auto& j) { j["alternatives"] = nlohmann::json::array({j["trajectories"][0]}); });
  EXPECT_TRUE(contains(e, "trajectory id \"L1\" is used twice")) << e;
  e = errorFor([](auto& j) {
    j["history"] = nlohmann::json::array({{{"time", "t"},
                                           {"action", "teleport"},
                                           {"side", "L"},
                                           {"trajectory", "L1"},
                                           {"from", 0},
                                           {"to", 1}}});
  });
  EXPECT_TRUE(contains(e, "history[0].action: must be \"move_target\"")) << e;
  EXPECT_TRUE(contains(e, "(is \"teleport\")")) << e;
  e = errorFor(
      [](auto& j) { j["trajectories"][0]["metrics"]["closest"]["ventricles"]["distance_mm"] = "near"; });
  EXPECT_TRUE(contains(e, "trajectories[0].metrics.closest.ventricles.distance_mm: must be a number")) << e;
  e = errorFor([](auto& j) { j["electrodes"]["R"] = "medtronic_3389"; });
  EXPECT_TRUE(contains(e, "electrodes.R: disagrees")) << e;
  e = errorFor([](auto& j) { j["trajectories"][0]["electrode"] = "medtronic_9999"; });
  EXPECT_TRUE(contains(e, "trajectories[0].electrode: unknown electrode 'medtronic_9999'")) << e;
  e = errorFor([](auto& j) { j["trajectories"][1]["entry_ras"][2] = 60.0; });  // moved by hand, metrics stale
  EXPECT_TRUE(contains(e, "trajectories[1].metrics.length_mm: does not match target_ras and entry_ras")) << e;
  e = errorFor([](auto& j) { j["search"]["seconds"] = -1; });
  EXPECT_TRUE(contains(e, "search.seconds: must be between")) << e;
  std::ofstream(dir + "/truncated.json") << good.dump().substr(0, 200);
  EXPECT_THROW(
      {
        try {
          readPlan(dir + "/truncated.json");
        } catch (const std::runtime_error& err) {
          EXPECT_TRUE(contains(err.what(), "not valid JSON")) << err.what();
          throw;
        }
      },
      std::runtime_error);
  EXPECT_THROW(readPlan(dir + "/missing.json"), std::runtime_error);
  fs::remove_all(dir);
}

// A plan is untrusted input: an image path naming a FIFO or a device must not hang the checksum
// (it used to read forever); it is reported, by name, at once.
TEST(PlanTrust, ImagePathThatIsAFifoOrADeviceIsReportedNotRead) {
  const fs::path dir = fs::temp_directory_path() / ("dbs_plan_fifo_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string fifo = (dir / "image.nii").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero")}) {
    SCOPED_TRACE(path);
    PlanDocument plan;
    plan.image.path = path;
    plan.image.sha256 = std::string(64, '0');
    const std::string problem = planImageProblem(plan);
    EXPECT_NE(problem.find("not a regular file"), std::string::npos) << problem;
    EXPECT_THROW(sha256OfPath(path), ImagingError);
  }
  fs::remove_all(dir);
}

// Issue 26: a plan file is a regular file of bounded size and JSON, refused by name otherwise, in
// dbsplan's words: a FIFO or a device is not read (it would block or stream forever), 16 MiB of
// whitespace is refused before it is parsed, and a number JSON cannot hold is named without the JSON
// library's error code.
TEST(PlanTrust, PlanFilesThatAreFifosDevicesHugeOrNotJsonAreRefusedByName) {
  const fs::path dir = fs::temp_directory_path() / ("dbs_plan_hostile_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto refusal = [](const std::string& path) -> std::string {
    try {
      readPlan(path);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "accepted";
  };
  const std::string fifo = (dir / "plan.json").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(refusal(fifo).find("not a regular file"), std::string::npos) << refusal(fifo);
  EXPECT_NE(refusal("/dev/zero").find("not a regular file"), std::string::npos);

  const std::string huge = (dir / "huge.json").string();
  {
    std::ofstream out(huge);
    const std::string spaces(1 << 20, ' ');
    for (int mib = 0; mib < 17; ++mib) out << spaces;
    out << "{}";
  }
  const std::string tooBig = refusal(huge);
  EXPECT_NE(tooBig.find("huge.json"), std::string::npos) << tooBig;
  EXPECT_NE(tooBig.find("at most 16 MiB"), std::string::npos) << tooBig;

  const std::string overflow = (dir / "overflow.json").string();
  std::ofstream(overflow) << R"({"schema": "dbsplan.plan", "schema_version": 1e999})";
  const std::string notJson = refusal(overflow);
  EXPECT_NE(notJson.find("overflow.json: not valid JSON"), std::string::npos) << notJson;
  EXPECT_EQ(notJson.find("json.exception"), std::string::npos) << notJson;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbs
