// `dbsplan frame` as a user runs it: a phantom with its frame CT, the localizer alone (--detect-only
// --json against the truth), a plan of the phantom registered to the frame, the sheet in plan-info,
// an edit that re-computes the frame coordinates, a tampered sheet refused, refusals by exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "CliTestSupport.h"
#include "PlanCache.h"
#include "PlanSchema.h"
#include "TestSupport.h"
#include "dbs/imaging/StereotacticFrame.h"

namespace dbs {
namespace {

using test::runDbsplan;
using test::RunResult;

nlohmann::json readJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

Affine affineOf(const nlohmann::json& rows) {
  Affine a;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) a.m[r][c] = rows[r][c].get<double>();
  return a;
}

Vec3 vecOf(const nlohmann::json& v) {
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
}

TEST(FrameCli, DetectsRegistersPrintsTheSheetAndKeepsItInStepWithEdits) {
  const std::string dir = test::freshTestDir("frame_cli");
  // The phantom with its frame CT (`dbsplan phantom --frame-ct`), planned by `dbsplan plan`: the plan
  // the workstation's frame tests share (PlanCache.h), made once per build.
  std::string images;
  const std::string planPath = test::framedPhantomPlan(dir + "/plan", &images);
  const std::string ct = images + "/phantom_frame_ct.nii.gz";
  const nlohmann::json truth = readJson(images + "/phantom_frame_truth.json");

  // The localizer alone: frame_from_ras against the truth at the head's centre.
  const RunResult detect = runDbsplan("frame --image " + ct + " --detect-only --json");
  ASSERT_EQ(detect.exitCode, 0) << detect.err;
  const nlohmann::json found = nlohmann::json::parse(detect.out);
  EXPECT_LT(found["fre_mm"].get<double>(), 0.5);
  EXPECT_EQ(found["fre_per_rod_mm"].size(), 9u);
  EXPECT_EQ(found["rods"].size(), 9u);
  const Affine frameFromRas = affineOf(found["frame_from_ras"]),
               truthFromRas = affineOf(truth["frame_from_ct_ras"]);
  const Affine t1ToCt = affineOf(truth["ct_ras_from_t1_ras"]);
  for (const Vec3 p : {Vec3{0, 0, 0}, Vec3{-20, -5, -5}, Vec3{20, -5, -5}})
    EXPECT_LT(norm(frameFromRas.apply(t1ToCt.apply(p)) - truthFromRas.apply(t1ToCt.apply(p))), 0.1);

  // The plan registered to the frame: the sheet, and the plan stores it.
  const RunResult frame = runDbsplan("frame " + planPath + " --image " + ct);
  ASSERT_EQ(frame.exitCode, 0) << frame.err;
  for (const char* expected :
       {"fiducial registration error", "left (L", "right (R", "lateral-right: arc", "lateral-left: arc",
        "length entry to target", "plan written", "frame_overlay.png"})
    EXPECT_NE(frame.out.find(expected), std::string::npos) << expected << " in\n" << frame.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/plan/frame_overlay.png")) << "the overlay to check it by";
  nlohmann::json saved = readJson(planPath);
  EXPECT_EQ(saved["schema_version"], 5);
  EXPECT_EQ(test::planSchemaProblems(planPath), "") << "the registered plan against plan.schema.json";
  ASSERT_TRUE(saved.contains("frame_registration"));
  ASSERT_EQ(saved["frame_settings"].size(), 2u);
  const Affine frameFromPlan = affineOf(saved["frame_registration"]["frame_from_plan_ras"]);
  const Affine truthFrameFromT1 = affineOf(truth["frame_from_t1_ras"]);
  for (const auto& t : saved["trajectories"]) {
    const Vec3 target = vecOf(t["target_ras"]);
    EXPECT_LT(norm(frameFromPlan.apply(target) - truthFrameFromT1.apply(target)), 0.3);
  }
  const RunResult info = runDbsplan("plan-info " + planPath);
  EXPECT_EQ(info.exitCode, 0) << info.err;
  EXPECT_NE(info.out.find("lateral-right: arc"), std::string::npos) << info.out;

  // An edit moves the left target: its frame coordinates follow.
  const Vec3 oldTarget = vecOf(saved["trajectories"][0]["target_ras"]);
  const Vec3 newTarget = oldTarget + Vec3{0, 1.5, -1};
  std::ostringstream where;
  where << newTarget.x << "," << newTarget.y << "," << newTarget.z;
  const RunResult edit = runDbsplan("edit " + planPath + " --target L " + where.str());
  ASSERT_EQ(edit.exitCode, 0) << edit.err;
  EXPECT_NE(edit.out.find("lateral-right: arc"), std::string::npos) << edit.out;
  saved = readJson(planPath);
  const Vec3 editedFrame = vecOf(saved["frame_settings"][0]["target_frame_mm"]);
  EXPECT_LT(norm(editedFrame - frameFromPlan.apply(vecOf(saved["trajectories"][0]["target_ras"]))), 1e-6);
  EXPECT_GT(norm(editedFrame - frameFromPlan.apply(oldTarget)), 1.0);

  // A sheet changed by hand no longer matches the registration: refused, by field.
  saved["frame_settings"][0]["target_frame_mm"][0] = editedFrame.x + 2;
  std::ofstream(dir + "/tampered.json") << saved.dump(2);
  const RunResult tampered = runDbsplan("plan-info " + dir + "/tampered.json");
  EXPECT_EQ(tampered.exitCode, 1);
  EXPECT_NE(tampered.err.find("frame_settings[0]: does not match frame_registration"), std::string::npos)
      << tampered.err;

  // Refusals: no plan without --detect-only (usage), an unknown frame (usage), a localizer with a
  // rod missing (failure, saying what was found).
  EXPECT_EQ(runDbsplan("frame --image " + ct).exitCode, 2);
  EXPECT_EQ(runDbsplan("frame --image " + ct + " --detect-only --frame crw").exitCode, 2);
  const RunResult broken = runDbsplan("phantom --out " + dir +
                                      "/broken --seed 3 --frame-ct --frame-remove-rod "
                                      "'left diagonal'");
  ASSERT_EQ(broken.exitCode, 0) << broken.err;
  EXPECT_NE(broken.out.find("phantom_frame_ct.nii.gz"), std::string::npos) << broken.out;
  const RunResult refused =
      runDbsplan("frame --image " + dir + "/broken/phantom_frame_ct.nii.gz --detect-only");
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("found 2 of the 3 localizer plates"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace dbs
