// What the command-line tests share: dbsplan run as a user runs it (its own settings folder, stdout
// and stderr captured, the exit code), and a small coronal 2 x 2 x 3 mm test volume.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "TestNifti.h"

namespace dbs::test {

namespace fs = std::filesystem;

struct RunResult {
  int exitCode = -1;
  std::string out, err;
};

inline RunResult runDbsplan(const std::string& arguments) {
  const fs::path dir = fs::temp_directory_path() / "dbs_app_tests";
  fs::create_directories(dir);
  // Unique capture files: ctest runs tests in parallel processes.
  static int runs = 0;
  const std::string stem = "run_" + std::to_string(getpid()) + "_" + std::to_string(++runs);
  const std::string outPath = (dir / (stem + ".out")).string(), errPath = (dir / (stem + ".err")).string();
  // Its own settings folder: a user's saved window layout must not change what a test sees.
  const std::string config = (dir / ("config_" + std::to_string(getpid()))).string();
  const std::string command = "XDG_CONFIG_HOME=" + config + " " + std::string(DBSPLAN_EXECUTABLE) + " " +
                              arguments + " >" + outPath + " 2>" + errPath;
  RunResult r;
  const int status = std::system(command.c_str());
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream o, e;
  o << std::ifstream(outPath).rdbuf();
  e << std::ifstream(errPath).rdbuf();
  r.out = o.str();
  r.err = e.str();
  return r;
}

// Coronal acquisition, 2 x 2 x 3 mm: i -> Right, j -> Superior, k -> Posterior. A head-sized
// ellipsoid whose right hemisphere (x > 0) is twice as bright as the left, and a small 1000 block
// in the right hemisphere. The automatic window shows the right hemisphere white, the left grey.
inline std::string writeCoronalVolume() {
  const Affine rasFromIjk = affineFromColumns({2, 0, 0}, {0, 0, 2}, {0, -3, 0}, {-90, 100, -70});
  test::TestNifti n;
  n.setSize(90, 80, 70);
  for (int k = 0; k < 70; ++k)
    for (int j = 0; j < 80; ++j)
      for (int i = 0; i < 90; ++i) {
        const Vec3 p = rasFromIjk.apply({double(i), double(j), double(k)});
        const double e = std::pow(p.x / 70, 2) + std::pow(p.y / 85, 2) + std::pow(p.z / 60, 2);
        float value = e < 1.0 ? (p.x > 0 ? 400.0f : 200.0f) : 0.0f;
        if (p.x > 25 && p.x < 45 && std::abs(p.y) < 12 && std::abs(p.z) < 12) value = 1000.0f;
        n.at(i, j, k) = value;
      }
  n.setSform(rasFromIjk, 1);
  n.setQform(rasFromIjk, 1);
  n.gzip = true;
  // Per process: ctest runs the tests that use this file in parallel.
  const fs::path path =
      fs::temp_directory_path() / "dbs_app_tests" / ("coronal_2x2x3_" + std::to_string(getpid()) + ".nii.gz");
  fs::create_directories(path.parent_path());
  n.write(path.string());
  return path.string();
}

}  // namespace dbs::test
