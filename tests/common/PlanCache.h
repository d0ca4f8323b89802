// One plan per build, shared by the tests that start from it: made once under a lock on the cache
// folder (ctest runs tests in parallel processes), kept under a key that changes with the program
// that made it (so a rebuilt program plans again), and copied into each test's own folder, which
// the test may then edit, move or damage. A colin27 plan costs 20 s in Release and 90 s under ASan:
// the workstation and plan-session tests would otherwise each pay it.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace dbs::test {

// "SIZE-MTIME" of a file (an executable): changes whenever it is rebuilt.
inline std::string fileStamp(const std::string& path) {
  namespace fs = std::filesystem;
  return std::to_string(fs::file_size(path)) + "-" +
         std::to_string(fs::last_write_time(path).time_since_epoch().count());
}

// The plan folder made by make(folder) for `key`, copied into `outDir`; returns outDir/plan.json.
inline std::string copyOfCachedPlan(const std::string& key,
                                    const std::function<void(const std::string&)>& make,
                                    const std::string& outDir) {
  namespace fs = std::filesystem;
  const fs::path cacheRoot(DBS_TEST_CACHE_DIR);
  fs::create_directories(cacheRoot);
  const fs::path cached = cacheRoot / key;
  {
    const int lock = ::open(cacheRoot.c_str(), O_RDONLY | O_DIRECTORY);
    EXPECT_GE(lock, 0);
    ::flock(lock, LOCK_EX);
    if (!fs::exists(cached / "plan.json")) {
      const fs::path making = cached.string() + ".making-" + std::to_string(getpid());
      fs::remove_all(making);
      fs::create_directories(making);
      make(making.string());
      fs::rename(making, cached);
    }
    ::flock(lock, LOCK_UN);
    ::close(lock);
  }
  fs::create_directories(outDir);
  fs::copy(cached, outDir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return outDir + "/plan.json";
}

#ifdef DBSPLAN_EXECUTABLE
// The phantom (seed 3) with its frame CT, planned by this build's `dbsplan plan`, cached as
// planColin27WithTheCli's plan is; the images stay in the cache (the plan refers to its T1 there).
// Returns the copy's plan.json; `images` is the folder of phantom_t1.nii.gz, phantom_frame_ct.nii.gz
// and phantom_frame_truth.json.
inline std::string framedPhantomPlan(const std::string& outDir, std::string* images) {
  const std::string stamp = fileStamp(DBSPLAN_EXECUTABLE);
  *images = std::string(DBS_TEST_CACHE_DIR) + "/phantom3-frame-images-" + stamp;
  return copyOfCachedPlan(
      "phantom3-frame-plan-" + stamp,
      [images](const std::string& folder) {
        const std::string command = std::string(DBSPLAN_EXECUTABLE) + " phantom --out " + *images +
                                    " --seed 3 --frame-ct --frame-seed 2 > " + folder + ".log 2>&1 && " +
                                    DBSPLAN_EXECUTABLE + " plan " + *images +
                                    "/phantom_t1.nii.gz --no-figures --out " + folder + " >> " + folder +
                                    ".log 2>&1";
        EXPECT_EQ(std::system(command.c_str()), 0) << "see " << folder << ".log";
      },
      outDir);
}

#endif

}  // namespace dbs::test
