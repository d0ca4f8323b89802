// What the drag benchmarks share: wall-clock milliseconds, percentiles, and the command line
// `NAME PLAN.json [--steps N]`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace dbs::bench {

using Clock = std::chrono::steady_clock;
inline double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The value below which a fraction `p` of `v` lies (nearest rank).
inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(
      std::min<double>(static_cast<double>(v.size()) - 1, p * static_cast<double>(v.size())))];
}

// Parses `PLAN.json [--steps N]` (N at least minimumSteps); false after printing the usage.
inline bool parsePlanAndSteps(int argc, char** argv, const char* name, std::string& planPath, int& steps,
                              int minimumSteps) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc)
      steps = std::max(minimumSteps, std::atoi(argv[++i]));
    else if (planPath.empty() && a[0] != '-')
      planPath = a;
    else {
      planPath.clear();  // an unknown option or a second plan
      break;
    }
  }
  if (planPath.empty()) std::cerr << "usage: " << name << " PLAN.json [--steps N]\n";
  return !planPath.empty();
}

}  // namespace dbs::bench
