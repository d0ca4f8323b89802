// OutputGeneration: a run's outputs replace the previous run's as one generation. Killed at every
// step of the commit and at random moments while writing, the folder afterwards (once recovered)
// holds either the whole old generation or the whole new one, and no temporaries (issue 11).
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/planning/OutputGeneration.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using Folder = std::map<std::string, std::string>;  // file name -> bytes, every entry of the folder

Folder readFolder(const fs::path& dir) {
  return test::folderContents(dir);
}

fs::path freshFolder(const std::string& name) {
  return test::freshTestDir(name);
}

// Generation `g`: a plan, labels and a report whose bytes name the generation; generation 2 has
// no report (as after --no-figures) and a transform generation 1 lacked.
Folder generationContents(int g) {
  const std::string big(200'000, char('a' + g));  // big enough that writing takes a while
  Folder f{{"plan.json", "{\"generation\": " + std::to_string(g) + "}"},
           {"labels.nii.gz", big + "labels"},
           {"locate.json", big + "locate"}};
  if (g == 1) f["report.pdf"] = big + "report";
  if (g == 2) f["transform_displacement.nii"] = big + "field";
  return f;
}

void writeGeneration(const fs::path& dir, int g) {
  OutputGeneration generation(dir.string());
  for (const auto& [name, bytes] : generationContents(g))
    writeTextAtomically((fs::path(generation.stagingFolder()) / name).string(), bytes);
  generation.commit("plan.json", isPlanOutputName);
}

// Runs writeGeneration(dir, 2) in a child process, optionally killed at commit step `killStep`
// or after `killAfter`; returns whether the child was killed.
bool writeInChild(const fs::path& dir, int killStep, std::chrono::microseconds killAfter) {
  const pid_t child = fork();
  if (child == 0) {
    if (killStep >= 0) setenv("DBSPLAN_TEST_KILL_AT_COMMIT_STEP", std::to_string(killStep).c_str(), 1);
    try {
      writeGeneration(dir, 2);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  if (killAfter.count() > 0) {
    std::this_thread::sleep_for(killAfter);
    kill(child, SIGKILL);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) {
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's commit failed";
  }
  return WIFSIGNALED(status);
}

TEST(OutputGeneration, CommitReplacesTheWholeGenerationAndRemovesWhatItLacks) {
  const fs::path dir = freshFolder("dbs_generation_commit");
  std::ofstream(dir / "my notes.txt") << "the user's own file";
  writeGeneration(dir, 1);
  writeGeneration(dir, 2);
  Folder expected = generationContents(2);
  expected["my notes.txt"] = "the user's own file";  // not an output: never touched
  EXPECT_EQ(readFolder(dir), expected) << "generation 1's report is gone, nothing hidden is left";
}

// Issue 26: a write that fails names the file where the user will look for it, never the hidden
// staging folder; the error keeps its type, and the previous generation stays.
TEST(OutputGeneration, AFailedWriteNamesTheFinalPathNotTheStagingFolder) {
  const fs::path dir = freshFolder("dbs_generation_names");
  writeGeneration(dir, 1);
  std::string message;
  try {
    OutputGeneration generation(dir.string());
    generation.write([](const std::string& staging) {
      writeTextAtomically(staging + "/plan.json", "{}\n");
      throw ImagingError(staging + "/scene.png: cannot write: the disk is full");
    });
    ADD_FAILURE() << "the error was swallowed";
  } catch (const ImagingError& e) {
    message = e.what();
  }
  EXPECT_EQ(message, dir.string() + "/scene.png: cannot write: the disk is full");
  EXPECT_EQ(readFolder(dir), generationContents(1));
}

TEST(OutputGeneration, AnUncommittedGenerationLeavesTheOldOneWhole) {
  const fs::path dir = freshFolder("dbs_generation_abandon");
  writeGeneration(dir, 1);
  {
    OutputGeneration abandoned(dir.string());
    writeTextAtomically((fs::path(abandoned.stagingFolder()) / "plan.json").string(), "{}");
    // destroyed without commit: an exception or a cancel in the pipeline
  }
  EXPECT_EQ(readFolder(dir), generationContents(1));
}

TEST(OutputGeneration, ASecondRunIntoTheSameFolderIsRefusedByName) {
  const fs::path dir = freshFolder("dbs_generation_lock");
  OutputGeneration first(dir.string());
  try {
    OutputGeneration second(dir.string());
    FAIL() << "two runs wrote one folder at once";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another dbsplan is writing to " + dir.string()), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(recoverInterruptedGenerations(dir.string()).empty()) << "a live run's staging is left alone";
  EXPECT_TRUE(fs::is_directory(first.stagingFolder()));
}

TEST(OutputGeneration, KilledAtEveryCommitStepRecoversToOneWholeGeneration) {
  // Generation 2 over 1: 4 renames and 1 removal, so steps 0 (before the manifest) to 6 (after
  // the last step, before the clean-up).
  for (int step = 0; step <= 6; ++step) {
    SCOPED_TRACE("killed at commit step " + std::to_string(step));
    const fs::path dir = freshFolder("dbs_generation_step");
    writeGeneration(dir, 1);
    ASSERT_TRUE(writeInChild(dir, step, {})) << "the test hook did not kill the child";
    bool stagingLeft = false;
    for (const auto& [name, bytes] : readFolder(dir))
      stagingLeft |= name.rfind(".dbsplan-generation-", 0) == 0;
    EXPECT_TRUE(stagingLeft) << "the kill left work for the recovery";
    const auto log = recoverInterruptedGenerations(dir.string());
    EXPECT_EQ(log.size(), 1u);
    EXPECT_EQ(readFolder(dir), generationContents(step == 0 ? 1 : 2))
        << "before the manifest the old generation stays; after it the new one is finished";
  }
}

TEST(OutputGeneration, KilledAtRandomMomentsLeavesTheOldOrTheNewGenerationWhole) {
  const fs::path timing = freshFolder("dbs_generation_timing");
  writeGeneration(timing, 1);
  const auto start = std::chrono::steady_clock::now();
  writeInChild(timing, -1, {});
  const auto whole =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  std::mt19937 random(20261202);
  // Up to 1.5 times a whole run: on a loaded machine a run takes longer than the one measured, and
  // the kills must still land on both sides of the commit (a kill after the end finds a whole run).
  std::uniform_int_distribution<long> moment(1, std::max<long>(2, whole.count() * 3 / 2));
  int killedBefore = 0, killedAfter = 0;
  for (int trial = 0; trial < 60; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const fs::path dir = freshFolder("dbs_generation_random");
    writeGeneration(dir, 1);
    writeInChild(dir, -1, std::chrono::microseconds(moment(random)));
    recoverInterruptedGenerations(dir.string());
    const Folder after = readFolder(dir);
    if (after == generationContents(1))
      ++killedBefore;
    else if (after == generationContents(2))
      ++killedAfter;
    else
      ADD_FAILURE() << "a mixture of generations, or temporaries, after a kill (" << after.size()
                    << " entries)";
  }
  // Both outcomes occur: the kills landed before the commit and after it.
  EXPECT_GT(killedBefore, 0);
  EXPECT_GT(killedAfter, 0);
}

TEST(OutputGeneration, TemporariesOfKilledWritersAreRemovedAndALiveOnesKept) {
  const fs::path dir = freshFolder("dbs_generation_partials");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // a PID that no longer runs
  std::ofstream(dir / (".partial-" + std::to_string(child) + "-plan.json")) << "{";
  const fs::path live = dir / (".partial-" + std::to_string(getpid()) + "-plan.json");
  std::ofstream(live) << "{";
  std::ofstream(dir / ".partial-notapid-plan.json") << "{";
  recoverInterruptedGenerations(dir.string());
  const Folder after = readFolder(dir);
  EXPECT_EQ(after.count(".partial-" + std::to_string(child) + "-plan.json"), 0u);
  EXPECT_EQ(after.count(live.filename().string()), 1u) << "a running writer's temporary is its own";
  EXPECT_EQ(after.count(".partial-notapid-plan.json"), 1u) << "only dbsplan's own names are removed";
}

}  // namespace
}  // namespace dbs
