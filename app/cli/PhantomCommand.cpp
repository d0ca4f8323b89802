#include "cli/PhantomCommand.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "dbs/generators/Phantom.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs::app {

namespace {

constexpr const char* kUsage =
    "usage: dbsplan phantom --out DIR [--seed N] [--spacing SX,SY,SZ] [--orientation CODE] [--noise "
    "FRACTION] "
    "[--warp-mm MM] [--bias FRACTION] [--antialias]";

bool parseDouble(const std::string& text, double* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtod(text.c_str(), &end);
  return errno == 0 && end && *end == '\0' && std::isfinite(*value);
}

bool parseSeed(const std::string& text, std::uint64_t* value) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtoull(text.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0';
}

// "1.5" (isotropic) or "1,1,1.2" (along voxel axes i, j, k).
bool parseSpacing(const std::string& text, Vec3* spacing) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    double v = 0;
    if (!parseDouble(part, &v)) return false;
    values.push_back(v);
  }
  if (!text.empty() && text.back() == ',') return false;
  if (values.size() == 1) values.assign(3, values[0]);
  if (values.size() != 3) return false;
  *spacing = {values[0], values[1], values[2]};
  return true;
}

std::string formatVec(Vec3 v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << "(" << v.x << ", " << v.y << ", " << v.z << ")";
  return s.str();
}

int usageError(const std::string& message) {
  std::cerr << "dbsplan phantom: " << message << " (" << kUsage << ")\n";
  return 2;
}

}  // namespace

int runPhantom(const std::vector<std::string>& args) {
  PhantomParameters parameters;
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool hasValue = i + 1 < args.size();
    if (a == "--antialias") {
      parameters.antialias = true;
      continue;
    }
    if (a != "--out" && a != "--seed" && a != "--spacing" && a != "--orientation" && a != "--noise" &&
        a != "--warp-mm" && a != "--bias")
      return usageError(a.rfind("-", 0) == 0 ? "unknown option " + a : "unexpected argument " + a);
    if (!hasValue) return usageError(a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--out") {
      out = v;
    } else if (a == "--seed") {
      if (!parseSeed(v, &parameters.seed)) return usageError("--seed wants a non-negative integer, got " + v);
    } else if (a == "--spacing") {
      if (!parseSpacing(v, &parameters.spacingMm))
        return usageError("--spacing wants SX,SY,SZ or S in mm, got " + v);
    } else if (a == "--orientation") {
      parameters.orientation = v;
    } else if (a == "--noise") {
      if (!parseDouble(v, &parameters.noiseFraction)) return usageError("--noise wants a fraction, got " + v);
    } else if (a == "--warp-mm") {
      if (!parseDouble(v, &parameters.warpMm)) return usageError("--warp-mm wants millimetres, got " + v);
    } else if (a == "--bias") {
      if (!parseDouble(v, &parameters.biasFraction)) return usageError("--bias wants a fraction, got " + v);
    }
  }
  if (out.empty()) return usageError("missing --out DIR");
  try {
    validatePhantomParameters(parameters);
  } catch (const ImagingError& e) {
    return usageError(e.what());
  }

  const auto start = std::chrono::steady_clock::now();
  int lastPercent = -1;
  std::string lastStep;
  const PhantomResult phantom = generatePhantom(parameters, [&](double fraction, const std::string& step) {
    const int percent = static_cast<int>(std::floor(fraction * 100.0));
    if (step != lastStep || percent >= lastPercent + 10) {
      std::cerr << "dbsplan phantom: " << std::setw(3) << percent << "% " << step << "\n";
      lastPercent = percent;
      lastStep = step;
    }
    return true;
  });
  std::cerr << "dbsplan phantom: writing " << out << "\n";
  writePhantom(phantom, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const PhantomTruth& t = phantom.truth;
  const auto& g = t.grid;
  const std::filesystem::path dir(out);
  std::cout << "phantom written in " << std::fixed << std::setprecision(2) << seconds << " s (seed "
            << t.parameters.seed << ", " << g.size[0] << " x " << g.size[1] << " x " << g.size[2]
            << " voxels, " << g.orientationCode() << ", spacing " << formatVec(g.spacingMm()) << " mm)\n"
            << "  " << (dir / kPhantomT1File).string() << "\n"
            << "  " << (dir / kPhantomLabelsFile).string() << "\n"
            << "  " << (dir / kPhantomTruthFile).string() << "\n";
  const char* sides[2] = {"left ", "right"};
  for (int s = 0; s < 2; ++s)
    std::cout << "GPi " << sides[s] << " centroid (RAS mm): " << formatVec(t.sides[s].gpiCentroidRas)
              << ", GP " << std::setprecision(0) << t.sides[s].gpVolumeMm3 << " mm3, GPi "
              << t.sides[s].gpiVolumeMm3 << " mm3\n";
  for (const auto& l : t.landmarks) std::cout << l.name << " (RAS mm): " << formatVec(l.patientRas) << "\n";
  return 0;
}

}  // namespace dbs::app
