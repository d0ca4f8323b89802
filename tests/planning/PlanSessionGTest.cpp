// The plan session: every edit is previewed without changing anything, committed with undo and a
// typed history entry, re-scored exactly as the search scores; undo and redo restore whole states;
// the AC-PC frame follows the landmarks; a saved plan reopens from its own folder with the same
// numbers, also from another folder; a changed or missing file is refused by name; an autosave is
// offered back. On the colin27 sample (Colin27 with dbsplan's atlas), planned once per build.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <unistd.h>

#include "PlanCache.h"
#include "TestSupport.h"
#include "dbs/planning/DicomExport.h"
#include "dbs/planning/PlanReferences.h"
#include "dbs/planning/PlanSession.h"
#include "dbs/planning/SampleCatalogue.h"
#include "dbs/planning/SlicerExport.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// The colin27 plan in `dir` (plan.json and the files it refers to), opened as a session from there:
// planned once per build by the library's pipeline (PlanCache.h) and copied, as the two tests
// would otherwise each run the whole registration.
std::unique_ptr<PlanSession> openColin27Plan(const std::string& dir) {
  const std::string key = "planning-colin27-plan-" + test::fileStamp("/proc/self/exe");
  const std::string planPath = test::copyOfCachedPlan(
      key,
      [](const std::string& folder) {
        const Sample& colin = SampleCatalogue::standard().find("colin27");
        EXPECT_EQ(colin.missingReason(), "");
        PlanInputs inputs;
        inputs.locate.imagePath = colin.t1Path;
        inputs.programVersion = "test";
#ifdef DBS_SANITIZED_BUILD
        // Several times slower under ASan: a coarser demons grid keeps CI's budget; the session's
        // tests edit, save and reopen the plan, whatever its registration's last tenth of a mm.
        inputs.locate.registration.demonsSpacingMm = 2.5;
        inputs.locate.registration.demonsIterations = {20, 10};
        // Every edit searches the side's alternatives again with the plan's own candidate count;
        // under ASan sampling the risk field along 10000 paths (each read also reads its shadow
        // byte) was two thirds of these tests. 2000 paths run the same code.
        inputs.search.candidatesPerSide = 2000;
#endif
        writePlanOutputs(runPlanPipeline(inputs), folder);
      },
      dir);
  return PlanSession::open(planPath);
}

// The plan the tests here share, made once per build before them (the CTest fixture of
// tests/CMakeLists.txt: SHARED_PLAN_TEST); it opens as a session.
TEST(PlanSession, TheSharedColin27PlanIsMadeOnce) {
  const std::string dir = test::freshTestDir("dbs_session_shared");
  const std::unique_ptr<PlanSession> session = openColin27Plan(dir);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->plan().trajectories.size(), 2u);
}

TEST(PlanSession, EditsArePreviewedCommittedUndoneAndRecorded) {
  const std::string dir = test::freshTestDir("dbs_session_test");
  const std::unique_ptr<PlanSession> opened = openColin27Plan(dir);
  PlanSession& session = *opened;
  const nlohmann::json original = planToJson(session.plan());
  const PlannedTrajectory left = *chosenTrajectory(session.plan(), Side::Left);
  ASSERT_EQ(left.trajectory.id, "L1");
  EXPECT_FALSE(session.modified());

  // Preview: the moved path re-scored, the session untouched.
  const Vec3 moved = left.trajectory.targetRas + Vec3{0, 0, -2};
  const PlanDocument preview = session.preview(PlanEdit::moveTarget(Side::Left, moved));
  EXPECT_EQ(chosenTrajectory(preview, Side::Left)->trajectory.targetRas.z, moved.z);
  EXPECT_NEAR(chosenTrajectory(preview, Side::Left)->metrics.lengthMm, left.metrics.lengthMm + 2, 0.5);
  EXPECT_EQ(planToJson(session.plan()), original);
  EXPECT_FALSE(session.canUndo());

  // Commit: the same numbers as the search's scoring of that path, a typed history entry, fresh
  // alternatives with ids never used before.
  const unsigned long before = session.revision();
  session.commit(PlanEdit::moveTarget(Side::Left, moved));
  const PlannedTrajectory& now = *chosenTrajectory(session.plan(), Side::Left);
  EXPECT_EQ(now.trajectory.id, "L1");
  EXPECT_EQ(now.trajectory.origin, TrajectoryOrigin::Manual);
  const TrajectoryMetrics rescored = evaluateTrajectory(session.result().context(), now.trajectory);
  EXPECT_EQ(rescored.closest[0].distanceMm, now.metrics.closest[0].distanceMm);
  EXPECT_EQ(rescored.score, now.metrics.score);
  ASSERT_EQ(session.plan().history.size(), 1u);
  const PlanHistoryEntry& entry = session.plan().history.back();
  EXPECT_EQ(entry.action, EditAction::MoveTarget);
  EXPECT_EQ(entry.side, Side::Left);
  EXPECT_EQ(entry.trajectoryId, "L1");
  EXPECT_EQ(entry.from, nlohmann::json::array({left.trajectory.targetRas.x, left.trajectory.targetRas.y,
                                               left.trajectory.targetRas.z}));
  EXPECT_EQ(entry.to, nlohmann::json::array({moved.x, moved.y, moved.z}));
  EXPECT_FALSE(entry.time.empty());
  for (const PlannedTrajectory& a : session.plan().alternatives)
    if (a.trajectory.side == Side::Left) {
      EXPECT_GE(std::stoi(a.trajectory.id.substr(1)), 4)
          << a.trajectory.id << ": an id of the old alternatives reused";
      EXPECT_LT(norm(a.trajectory.targetRas - moved), 1e-9) << "alternatives searched from the new target";
    }
  EXPECT_NE(session.revision(), before);
  EXPECT_TRUE(session.modified());
  EXPECT_EQ(session.undoText(), "Move left target");
  const nlohmann::json afterMove = planToJson(session.plan());

  // Undo restores the whole state (the history entry too); redo the edited one.
  session.undo();
  EXPECT_EQ(planToJson(session.plan()), original);
  EXPECT_FALSE(session.modified());
  session.redo();
  EXPECT_EQ(planToJson(session.plan()), afterMove);

  // Refused edits leave the session as it was.
  const unsigned long revision = session.revision();
  EXPECT_THROW(session.commit(PlanEdit::setDepth(Side::Left, 11)), std::invalid_argument);
  EXPECT_THROW(session.commit(PlanEdit::setElectrode(Side::Left, "no_such_lead")), std::invalid_argument);
  EXPECT_THROW(session.commit(PlanEdit::moveEntry(Side::Left, moved)),
               std::invalid_argument);  // entry on the target
  EXPECT_THROW(session.commit(PlanEdit::chooseAlternative(Side::Left, "R2")), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(PlanEdit::placeAc(moved).sided()),
               std::invalid_argument);  // plan-wide: no side
  EXPECT_EQ(session.revision(), revision);
  EXPECT_EQ(planToJson(session.plan()), afterMove);

  // Electrode, depth and roll: the contacts move with them.
  session.commit(PlanEdit::setElectrode(Side::Right, "boston_scientific_db2202"));
  session.commit(PlanEdit::setDepth(Side::Right, 1.5));
  session.commit(PlanEdit::setRoll(Side::Right, 90));
  const PlannedTrajectory& right = *chosenTrajectory(session.plan(), Side::Right);
  EXPECT_EQ(right.trajectory.electrodeId, "boston_scientific_db2202");
  EXPECT_EQ(right.trajectory.deepestContactBeyondTargetMm, 1.5);
  EXPECT_EQ(right.trajectory.markerRollDeg, 90);
  EXPECT_EQ(right.metrics.contacts.size(), 8u);  // 1-3-3-1
  EXPECT_GT(dot(right.metrics.contacts.front().centreRas - right.trajectory.targetRas,
                normalized(right.trajectory.targetRas - right.trajectory.entryRas)),
            1.0);  // the deepest contact 1.5 mm beyond the target
  ASSERT_GE(session.plan().history.size(), 4u);
  EXPECT_EQ(session.plan().history.back().action, EditAction::SetRoll);

  // Choose an alternative: it becomes the side's trajectory, the old one an alternative.
  std::string alternativeId;
  for (const PlannedTrajectory& a : session.plan().alternatives)
    if (a.trajectory.side == Side::Left) alternativeId = a.trajectory.id;
  ASSERT_FALSE(alternativeId.empty());
  session.commit(PlanEdit::chooseAlternative(Side::Left, alternativeId));
  EXPECT_EQ(chosenTrajectory(session.plan(), Side::Left)->trajectory.id, alternativeId);
  EXPECT_TRUE(std::any_of(session.plan().alternatives.begin(), session.plan().alternatives.end(),
                          [](const PlannedTrajectory& a) { return a.trajectory.id == "L1"; }));

  // AC moved 2 mm anterior: the MCP moves 1 mm, every AC-PC coordinate follows.
  const Vec3 targetAcpc = chosenTrajectory(session.plan(), Side::Left)->metrics.targetAcpc;
  const Vec3 ac = session.plan().acRas;
  session.commit(PlanEdit::placeAc(ac + Vec3{0, 2, 0}));
  EXPECT_NEAR(norm(session.plan().mcpRas - (0.5 * (ac + Vec3{0, 2, 0} + session.plan().pcRas))), 0, 1e-9);
  EXPECT_NEAR(chosenTrajectory(session.plan(), Side::Left)->metrics.targetAcpc.y, targetAcpc.y - 1.0, 0.1);
  EXPECT_NEAR(session.result().acpc->mcpRas().y, session.plan().mcpRas.y, 1e-9)
      << "the figures' frame follows";
  EXPECT_EQ(session.plan().history.back().action, EditAction::PlaceAc);
  EXPECT_THROW(session.commit(PlanEdit::placePc(session.plan().acRas)), std::invalid_argument);
  session.commit(PlanEdit::editNote("reviewed: left entry 1 cm anterior to the coronal suture"));
  EXPECT_EQ(session.plan().reviewNote, "reviewed: left entry 1 cm anterior to the coronal suture");

  // An alternatives job made before another edit is not installed after it.
  const AlternativesJob job = session.alternativesJob(Side::Right);
  const std::vector<PlannedTrajectory> found = job.run();
  session.commit(PlanEdit::setRoll(Side::Right, 120));
  EXPECT_FALSE(session.setAlternatives(job, found));
  const AlternativesJob fresh = session.alternativesJob(Side::Right);
  EXPECT_TRUE(session.setAlternatives(fresh, fresh.run()));
  fs::remove_all(dir);
}

// Issue 23: typing a depth once left 13 set_depth entries, no-ops among them (1.0 -> 1.0), and a target
// "move" whose from and to were equal. An edit that changes nothing is not recorded; a burst of edits
// of one field is one undo step and one history entry from its first value to its last.
TEST(PlanSession, NoOpsAreNotRecordedAndABurstIsOneUndoStep) {
  const std::string dir = test::freshTestDir("dbs_session_burst_test");
  const std::unique_ptr<PlanSession> opened = openColin27Plan(dir);
  PlanSession& session = *opened;
  const nlohmann::json original = planToJson(session.plan());
  const Trajectory left = chosenTrajectory(session.plan(), Side::Left)->trajectory;
  const std::size_t historyBefore = session.plan().history.size();

  EXPECT_FALSE(session.commit(PlanEdit::setDepth(Side::Left, left.deepestContactBeyondTargetMm)));
  EXPECT_FALSE(session.commit(PlanEdit::moveTarget(Side::Left, left.targetRas)));
  EXPECT_FALSE(session.commit(PlanEdit::setElectrode(Side::Left, left.electrodeId)));
  EXPECT_FALSE(session.canUndo());
  EXPECT_FALSE(session.modified());
  EXPECT_EQ(planToJson(session.plan()), original);

  // Four steps of the depth's arrows: one undo step, one entry from the first value to the last.
  const double start = left.deepestContactBeyondTargetMm;
  EXPECT_TRUE(session.commit(PlanEdit::setDepth(Side::Left, start + 0.5)));
  for (double step : {1.0, 1.5, 2.0})
    EXPECT_TRUE(session.commit(PlanEdit::setDepth(Side::Left, start + step), true,
                               EditMerge::WithPreviousOfTheSameKind));
  EXPECT_EQ(chosenTrajectory(session.plan(), Side::Left)->trajectory.deepestContactBeyondTargetMm,
            start + 2.0);
  ASSERT_EQ(session.plan().history.size(), historyBefore + 1);
  EXPECT_EQ(session.plan().history.back().from, start);
  EXPECT_EQ(session.plan().history.back().to, start + 2.0);
  session.undo();
  EXPECT_FALSE(session.canUndo());
  EXPECT_EQ(planToJson(session.plan()), original);
  session.redo();
  EXPECT_EQ(chosenTrajectory(session.plan(), Side::Left)->trajectory.deepestContactBeyondTargetMm,
            start + 2.0);

  // After an undo or redo nothing joins the step before it, and another kind of edit never does.
  EXPECT_TRUE(session.commit(PlanEdit::setDepth(Side::Left, start + 2.5), true,
                             EditMerge::WithPreviousOfTheSameKind));
  EXPECT_TRUE(session.commit(PlanEdit::setRoll(Side::Left, 30), true, EditMerge::WithPreviousOfTheSameKind));
  EXPECT_EQ(session.plan().history.size(), historyBefore + 3);

  // A burst that comes back to where it began leaves no trace.
  const nlohmann::json beforeBurst = planToJson(session.plan());
  const std::size_t undoable = session.plan().history.size();
  EXPECT_TRUE(session.commit(PlanEdit::setRoll(Side::Left, 45)));
  EXPECT_TRUE(session.commit(PlanEdit::setRoll(Side::Left, 30), true, EditMerge::WithPreviousOfTheSameKind));
  EXPECT_EQ(planToJson(session.plan()), beforeBurst);
  EXPECT_EQ(session.plan().history.size(), undoable);
  fs::remove_all(dir);
}

// Every leaf of a JSON document with its JSON pointer ("/trajectories/0/side").
void collectLeaves(const nlohmann::json& j, const std::string& path,
                   std::map<std::string, nlohmann::json>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [key, value] : j.items()) collectLeaves(value, path + "/" + key, out);
  } else if (j.is_array() && !j.empty()) {
    for (std::size_t n = 0; n < j.size(); ++n) collectLeaves(j[n], path + "/" + std::to_string(n), out);
  } else {
    out[path] = j;
  }
}

// The pointers of the leaves that differ between two documents (present in one only, or unequal).
std::vector<std::string> changedLeaves(const nlohmann::json& before, const nlohmann::json& after) {
  std::map<std::string, nlohmann::json> a, b;
  collectLeaves(before, "", a);
  collectLeaves(after, "", b);
  std::vector<std::string> changed;
  for (const auto& [path, value] : a)
    if (!b.count(path) || b.at(path) != value) changed.push_back(path);
  for (const auto& [path, value] : b)
    if (!a.count(path)) changed.push_back(path);
  return changed;
}

// Issue 26: an edit never changes what it was not asked to change. Each kind of edit of one side,
// applied to the colin27 plan: every field of the document outside that side's chosen trajectory,
// its alternatives, its targets, its electrode and the history is the same, leaf by leaf; and the
// plan written after the edit reads back equal to the one in memory.
TEST(PlanSession, AnEditChangesOnlyWhatItWasAskedToChange) {
  const std::string dir = test::freshTestDir("dbs_session_only_test");
  const std::unique_ptr<PlanSession> opened = openColin27Plan(dir);
  PlanSession& session = *opened;
  const Trajectory left = chosenTrajectory(session.plan(), Side::Left)->trajectory;
  // The left side's first alternative as it is when the edit is made (edits before it search again).
  auto firstLeftAlternative = [&session] {
    for (const PlannedTrajectory& a : session.plan().alternatives)
      if (a.trajectory.side == Side::Left) return PlanEdit::chooseAlternative(Side::Left, a.trajectory.id);
    throw std::runtime_error("the left side has no alternative");
  };
  const std::pair<const char*, std::function<PlanEdit()>> edits[] = {
      {"depth", [&] { return PlanEdit::setDepth(Side::Left, left.deepestContactBeyondTargetMm + 1.0); }},
      {"roll", [] { return PlanEdit::setRoll(Side::Left, 45); }},
      {"electrode", [] { return PlanEdit::setElectrode(Side::Left, "boston_scientific_db2202"); }},
      {"alternative", firstLeftAlternative},
      {"target",
       [&] {
         return PlanEdit::moveTarget(Side::Left, left.targetRas + Vec3{0, 0, -1});
       }},
      {"entry",
       [&] {
         return PlanEdit::moveEntry(Side::Left, left.entryRas + Vec3{0, 4, 0});
       }},
      {"note", [] { return PlanEdit::editNote("checked by the test"); }}};
  for (const auto& [name, makeEdit] : edits) {
    SCOPED_TRACE(name);
    const PlanEdit edit = makeEdit();
    const nlohmann::json before = planToJson(session.plan());
    std::size_t leftIndex = 0;
    while (before.at("trajectories").at(leftIndex).at("side") != "L") ++leftIndex;
    ASSERT_TRUE(session.commit(edit));
    const nlohmann::json after = planToJson(session.plan());
    const std::vector<std::string> changed = changedLeaves(before, after);
    EXPECT_FALSE(changed.empty()) << "the edit changed nothing";
    const std::string leftTrajectory = "/trajectories/" + std::to_string(leftIndex) + "/";
    for (const std::string& path : changed) {
      const bool asked = path.rfind("/history", 0) == 0 || path.rfind(leftTrajectory, 0) == 0 ||
                         path.rfind("/alternatives", 0) == 0 || path.rfind("/targets", 0) == 0 ||
                         path == "/electrodes/L" || path == "/review_note";
      EXPECT_TRUE(asked) << path << " changed: "
                         << (before.contains(nlohmann::json::json_pointer(path))
                                 ? before.at(nlohmann::json::json_pointer(path)).dump()
                                 : "(absent)")
                         << " -> "
                         << (after.contains(nlohmann::json::json_pointer(path))
                                 ? after.at(nlohmann::json::json_pointer(path)).dump()
                                 : "(absent)");
    }
    // The right side's alternatives and targets are not the left edit's to change.
    for (const char* list : {"alternatives", "targets"}) {
      for (const auto& item : before.at(list)) {
        if (item.at("side") != "R") continue;
        EXPECT_NE(std::find(after.at(list).begin(), after.at(list).end(), item), after.at(list).end())
            << list << " of the right side changed";
      }
    }
  }
  session.save();
  test::expectJsonNear(planToJson(PlanSession::open(session.planPath())->plan()), planToJson(session.plan()),
                       1e-9, "plan read back");
  fs::remove_all(dir);
}

TEST(PlanSession, ReopensFromItsFolderAndRefusesChangedFiles) {
  const std::string dir = test::freshTestDir("dbs_session_reopen");
  const std::string planPath = dir + "/plan.json";
  const std::unique_ptr<PlanSession> opened = openColin27Plan(dir);
  PlanSession& session = *opened;
  session.commit(PlanEdit::moveEntry(
      Side::Left, chosenTrajectory(session.plan(), Side::Left)->trajectory.entryRas + Vec3{0, 3, 0}));
  session.commit(PlanEdit::setDepth(Side::Right, -1));
  session.save();
  EXPECT_FALSE(session.modified());

  // The same plan, every field, from the folder alone (no registration).
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> reopened = PlanSession::open(planPath, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  test::expectJsonNear(planToJson(reopened->plan()), planToJson(session.plan()), 1e-3, "plan");
  EXPECT_FALSE(reopened->modified());
  EXPECT_FALSE(reopened->canUndo());

  // Saved elsewhere (issue 23): the plan takes its files along, so the new folder is self-contained:
  // it reopens after being moved away from the old one. Another plan's files are never overwritten.
  fs::create_directories(dir + "/elsewhere");
  reopened->save(dir + "/elsewhere/moved.json");
  EXPECT_EQ(reopened->plan().labelsFile, "labels.nii.gz");
  EXPECT_EQ(reopened->lastCarriedFiles().size(), planReferencedFiles(reopened->plan()).size());
  for (const std::string& file : planReferencedFiles(reopened->plan()))
    EXPECT_EQ(sha256OfPath(dir + "/elsewhere/" + file), sha256OfPath(dir + "/" + file)) << file;
  fs::create_directories(dir + "/taken");
  std::ofstream(dir + "/taken/labels.nii.gz") << "another plan's labels";
  try {
    reopened->save(dir + "/taken/plan.json");
    ADD_FAILURE() << "saved over another plan's labels";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("taken/labels.nii.gz already exists with other content"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir + "/taken/plan.json"));
  const std::string away = test::freshTestDir("dbs_session_away");
  fs::rename(dir + "/elsewhere", away + "/moved");
  EXPECT_NO_THROW(PlanSession::open(away + "/moved/moved.json"));
  fs::remove_all(away);

  // An autosave newer than the plan and different from it is offered back, and recovers the edit.
  reopened = PlanSession::open(planPath);
  EXPECT_EQ(PlanSession::recoverableAutosave(planPath), "");
  const Vec3 target = chosenTrajectory(reopened->plan(), Side::Right)->trajectory.targetRas + Vec3{1, 0, 0};
  reopened->commit(PlanEdit::moveTarget(Side::Right, target));
  reopened->writeAutosave();
  const std::string autosave = PlanSession::recoverableAutosave(planPath);
  ASSERT_EQ(autosave, PlanSession::autosavePathFor(planPath));
  std::unique_ptr<PlanSession> recovered = PlanSession::open(planPath);
  recovered->recoverAutosave(autosave);
  EXPECT_TRUE(recovered->modified());
  EXPECT_LT(norm(chosenTrajectory(recovered->plan(), Side::Right)->trajectory.targetRas - target), 1e-9);
  recovered->undo();  // back to the saved plan
  EXPECT_FALSE(recovered->modified());
  recovered->save();
  EXPECT_FALSE(fs::exists(autosave)) << "saving forgets the autosave";

  // A file the plan refers to changed, or gone: refused, naming it; never a silent stale score.
  std::ofstream(dir + "/risk_structures.nii.gz", std::ios::app) << "x";
  try {
    PlanSession::open(planPath);
    ADD_FAILURE() << "a changed risk-structure map was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("risk_structures.nii.gz has changed since the plan was written"),
              std::string::npos)
        << e.what();
  }
  fs::remove(dir + "/transform_affine.tfm");
  try {
    PlanSession::open(planPath);
    ADD_FAILURE() << "a missing transform was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("transform_affine.tfm is missing"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// Issue 26: setting schema_version from 2 to 1 once turned off the companion files' checksums, and
// mirrored labels or zeroed risk structures were then used with a warning. A schema-1 plan (no
// checksums) opens read-only: it can be looked at, never edited or saved, until planned again.
TEST(PlanSession, ASchemaOnePlanWithoutChecksumsOpensReadOnly) {
  const std::string dir = test::freshTestDir("dbs_session_schema1");
  openColin27Plan(dir);  // copies the cached plan into dir
  const std::string planPath = dir + "/plan.json";
  nlohmann::json j;
  std::ifstream(planPath) >> j;
  j["schema_version"] = 1;
  std::ofstream(dir + "/v1.json") << j.dump();
  std::vector<std::string> warnings;
  const std::unique_ptr<PlanSession> session = PlanSession::open(dir + "/v1.json", &warnings);
  ASSERT_FALSE(session->readOnlyReason().empty());
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.front().find("read-only"), std::string::npos) << warnings.front();
  const unsigned long revision = session->revision();
  try {
    session->commit(PlanEdit::setDepth(Side::Left, 1));
    ADD_FAILURE() << "a schema-1 plan was edited";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
  }
  EXPECT_EQ(session->revision(), revision);
  EXPECT_THROW(session->save(dir + "/v1_saved.json"), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir + "/v1_saved.json"));
  EXPECT_TRUE(planCompanionsUnverified(readPlan(dir + "/v1.json")));
  EXPECT_FALSE(planCompanionsUnverified(readPlan(planPath)));

  // Schema 2 with a referenced file missing from file_checksums: refused, naming the file.
  j["schema_version"] = 2;
  j["file_checksums"].erase("labels.nii.gz");
  std::ofstream(dir + "/unchecked.json") << j.dump();
  try {
    PlanSession::open(dir + "/unchecked.json");
    ADD_FAILURE() << "a plan with an unchecked labels file was opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("labels.nii.gz has no checksum in file_checksums"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

// Issue 24: a plan goes to 3D Slicer and back. Every trajectory, the landmarks and the targets are
// markups at their exact positions, the labels a segmentation on the plan's grid with every label
// named, the T1 the plan's own bytes, the scene names every file; a line brought back through the
// session becomes the side's trajectory within 1e-6 mm, as a recorded, undoable edit.
TEST(PlanSession, APlanGoesToSlicerAndATrajectoryComesBack) {
  const std::string dir = test::freshTestDir("dbs_session_slicer");
  const std::unique_ptr<PlanSession> session = openColin27Plan(dir);
  const PlanDocument& plan = session->plan();
  const std::string out = dir + "/slicer";
  const std::vector<std::string> files = exportPlanToSlicer(*session, out);
  ASSERT_EQ(files.back(), "plan.mrml");
  std::ifstream sceneFile(out + "/plan.mrml");
  const std::string scene((std::istreambuf_iterator<char>(sceneFile)), std::istreambuf_iterator<char>());
  for (const std::string& f : files) {
    EXPECT_TRUE(fs::is_regular_file(out + "/" + f)) << f;
    if (f != "plan.mrml") {
      EXPECT_NE(scene.find("fileName=\"" + f + "\""), std::string::npos) << f;
    }
  }
  for (const auto* list : {&plan.trajectories, &plan.alternatives})
    for (const PlannedTrajectory& p : *list) {
      const std::string name = p.trajectory.id + (list == &plan.trajectories ? " chosen" : " alternative");
      const MarkupsLine line =
          readMarkupsLine(out + "/" + p.trajectory.id +
                          (list == &plan.trajectories ? "_chosen" : "_alternative") + ".mrk.json");
      EXPECT_EQ(line.name, name);
      EXPECT_LT(norm(line.targetRas - p.trajectory.targetRas), 1e-9) << name;
      EXPECT_LT(norm(line.entryRas - p.trajectory.entryRas), 1e-9) << name;
    }
  std::ifstream landmarksFile(out + "/AC-PC_landmarks.mrk.json");
  const nlohmann::json landmarks = nlohmann::json::parse(landmarksFile);
  EXPECT_EQ(landmarks["markups"][0]["controlPoints"][0]["label"], "AC");
  EXPECT_EQ(landmarks["markups"][0]["controlPoints"][0]["position"][0].get<double>(), -plan.acRas.x);  // LPS
  EXPECT_TRUE(fs::is_regular_file(out + "/L_targets.mrk.json"));
  EXPECT_EQ(sha256OfPath(out + "/t1.nii.gz"), plan.image.sha256);

  // The segmentation holds the plan's labels, voxel for voxel, on the plan's grid, each segment named.
  const LabelVolume segmentation = loadLabelVolume(out + "/labels.seg.nrrd");
  const LabelVolume& labels = session->result().locate.labels;
  ASSERT_EQ(segmentation.geometry.size, labels.geometry.size);
  EXPECT_LT(segmentation.geometry.rasFromIjk.maxAbsDifference(labels.geometry.rasFromIjk), 1e-9);
  EXPECT_TRUE(std::equal(labels.image->GetBufferPointer(),
                         labels.image->GetBufferPointer() + labels.geometry.voxelCount(),
                         segmentation.image->GetBufferPointer()));
  std::ifstream nrrd(out + "/labels.seg.nrrd", std::ios::binary);
  std::string header(8192, '\0');
  nrrd.read(header.data(), static_cast<std::streamsize>(header.size()));
  for (const LabelStatistics& s : labelStatistics(labels))
    EXPECT_NE(header.find("_Name:=" + labelName(s.value) + "\n"), std::string::npos) << labelName(s.value);
  EXPECT_NE(header.find("Segmentation_MasterRepresentation:=Binary labelmap"), std::string::npos);

  // Back: the left side's second alternative, as a line from Slicer, becomes the left trajectory.
  const PlannedTrajectory* alternative = nullptr;
  for (const PlannedTrajectory& a : plan.alternatives)
    if (a.trajectory.side == Side::Left && !alternative) alternative = &a;
  ASSERT_NE(alternative, nullptr);
  const Trajectory expected = alternative->trajectory;
  const MarkupsLine line = readMarkupsLine(out + "/" + expected.id + "_alternative.mrk.json");
  const std::size_t historyBefore = plan.history.size();
  session->commit(PlanEdit::moveTarget(Side::Left, line.targetRas));
  session->commit(PlanEdit::moveEntry(Side::Left, line.entryRas));
  const Trajectory& now = chosenTrajectory(session->plan(), Side::Left)->trajectory;
  EXPECT_LT(norm(now.targetRas - expected.targetRas), 1e-6);
  EXPECT_LT(norm(now.entryRas - expected.entryRas), 1e-6);
  EXPECT_GT(session->plan().history.size(), historyBefore);
  EXPECT_TRUE(session->canUndo());
  fs::remove_all(dir);
}

// Issue 24: a plan for a navigation system. The derived series reads back on the plan's grid (within
// 1e-3 mm), carries every chosen lead's contacts and target burned in at their places and the T1
// elsewhere; the report is an Encapsulated PDF; both pass dciodvfy (dicom3tools) without an error.
TEST(PlanSession, APlanGoesToDicomWithItsLeadsBurnedInAndItsReport) {
  const std::string dir = test::freshTestDir("dbs_session_dicom");
  const std::unique_ptr<PlanSession> session = openColin27Plan(dir);
  const std::string pdf = dir + "/report.pdf";
  std::ofstream(pdf) << "%PDF-1.4\n% a stand-in for the report\n%%EOF\n";
  const DicomExportResult result = exportPlanToDicom(*session, dir + "/dicom", pdf);
  ASSERT_EQ(result.files.back(), "report.dcm");
  EXPECT_FALSE(result.notes.empty()) << "a NIfTI source: the empty identity must be explained";

  const Volume series = loadVolume(dir + "/dicom/series");
  const ImageGeometry& planned = session->result().locate.patient.geometry;
  ASSERT_EQ(series.geometry.size, planned.size);
  EXPECT_LT(series.geometry.rasFromIjk.maxAbsDifference(planned.rasFromIjk), 1e-3);
  auto valueAt = [&](Vec3 ras) {
    float v = 0;
    EXPECT_TRUE(sampleNearest(series, ras, &v));
    return v;
  };
  for (const PlannedTrajectory& p : session->plan().trajectories) {
    EXPECT_EQ(valueAt(p.trajectory.targetRas), kContactValue);
    for (const PlacedContact& c : p.metrics.contacts)
      EXPECT_EQ(valueAt(c.centreRas), kContactValue) << c.label;
    const Vec3 halfway = 0.5 * (p.trajectory.entryRas + p.trajectory.targetRas);
    EXPECT_GE(valueAt(halfway), kLeadValue);
    EXPECT_LT(valueAt(halfway + Vec3{0, 0, 0} + 8.0 * Vec3{1, 0, 0}), kLeadValue) << "8 mm beside the lead";
  }
  for (const std::string& file : {std::string("series/IM0090.dcm"), std::string("report.dcm")}) {
    const std::string command = "dciodvfy " + dir + "/dicom/" + file + " 2>&1";
    std::string output;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[4096];
      for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
      pclose(pipe);
    }
    EXPECT_NE(output.find(file == "report.dcm" ? "EncapsulatedPDF" : "MRImage"), std::string::npos) << output;
    EXPECT_EQ(output.find("Error"), std::string::npos) << file << ":\n" << output;
  }
  std::ifstream report(dir + "/dicom/report.dcm", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("application/pdf"), std::string::npos);
  EXPECT_NE(bytes.find("% a stand-in for the report"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbs
