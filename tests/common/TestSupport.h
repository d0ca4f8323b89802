// Helpers every test executable uses: a fresh folder per test process, every entry of a folder with
// its bytes, and comparing JSON documents with a tolerance on numbers (a plan saved and reopened
// against the original).
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbs::test {

// temp/NAME_PID, emptied: ctest runs each test in its own process, in parallel.
// DIR/NAME in the temporary folder `dir` (created, kept between tests of one executable).
inline std::string tempFilePath(const std::string& dir, const std::string& name) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / dir;
  std::filesystem::create_directories(folder);
  return (folder / name).string();
}

// A full disk, simulated: while it lives, no file this process writes may grow beyond `bytes`
// (RLIMIT_FSIZE), and SIGXFSZ is ignored, so that such writes fail with EFBIG instead of killing
// the test. `applied()` says whether the limit could be set.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    applied_ = setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  bool applied() const { return applied_; }

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
  bool applied_ = false;
};

// The folders freshTestDir made, removed when the test process exits (ctest runs one test per
// process, so its test is done by then; before, every run left them in /tmp, hundreds a day). Only
// by the process that made them: a forked child that returned normally must not take them.
struct TestDirsRemovedAtExit {
  pid_t owner = getpid();
  std::vector<std::filesystem::path> dirs;
  ~TestDirsRemovedAtExit() {
    if (getpid() != owner) return;
    for (const auto& dir : dirs) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }
};
inline void removeAtExit(const std::filesystem::path& dir) {
  static TestDirsRemovedAtExit removed;
  removed.dirs.push_back(dir);
}

inline std::string freshTestDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  removeAtExit(dir);
  return dir.string();
}

// Every entry of `dir`: file name -> bytes; folders as "name/" with no bytes (a staging folder or a
// temporary left behind shows up as an entry of its own).
inline std::map<std::string, std::string> folderContents(const std::filesystem::path& dir) {
  std::map<std::string, std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::stringstream bytes;
    if (e.is_regular_file()) bytes << std::ifstream(e.path(), std::ios::binary).rdbuf();
    entries[e.path().filename().string() + (e.is_directory() ? "/" : "")] = bytes.str();
  }
  return entries;
}

// Numbers within `tolerance`, everything else equal; failures name the JSON path.
inline void expectJsonNear(const nlohmann::json& a, const nlohmann::json& b, double tolerance,
                           const std::string& where) {
  if (a.is_number() && b.is_number()) {
    EXPECT_NEAR(a.get<double>(), b.get<double>(), tolerance) << where;
    return;
  }
  ASSERT_EQ(a.type(), b.type()) << where;
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (const auto& [key, value] : a.items()) {
      ASSERT_TRUE(b.contains(key)) << where << "." << key;
      expectJsonNear(value, b[key], tolerance, where + "." + key);
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (std::size_t i = 0; i < a.size(); ++i)
      expectJsonNear(a[i], b[i], tolerance, where + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(a, b) << where;
  }
}

}  // namespace dbs::test
