#include <sys/resource.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "dbs/app/Commands.h"
#include "dbs/planning/Locate.h"

namespace dbs::app {

int runLocate(const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  LocateInputs inputs;
  std::string outDir;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--out" && i + 1 < args.size()) outDir = args[++i];
    else if (a == "--with" && i + 1 < args.size()) inputs.withPaths.push_back(args[++i]);
    else if (a == "--json") json = true;
    else if (a == "--affine-only") inputs.registration.deformable = false;
    else if (a == "--no-refine") inputs.refineWithPatientIntensities = false;
    // Another template and atlas than Colin27 (labels from the standard table; JSON with
    // "landmarks" AC/PC/midline, "targets" GPi_posteroventral_L/R and "indirect_targets_acpc").
    else if (a == "--template" && i + 1 < args.size()) inputs.templatePath = args[++i];
    else if (a == "--atlas" && i + 1 < args.size()) inputs.atlasLabelsPath = args[++i];
    else if (a == "--atlas-json" && i + 1 < args.size()) inputs.atlasJsonPath = args[++i];
    // Advanced: the deformable stage's settings (see RegistrationParameters).
    else if (a == "--demons-sigma" && i + 1 < args.size()) inputs.registration.demonsFieldSigmaVoxels = std::stod(args[++i]);
    else if (a == "--demons-step" && i + 1 < args.size()) inputs.registration.demonsMaximumStepVoxels = std::stod(args[++i]);
    else if (a == "--demons-bias-sigma" && i + 1 < args.size()) inputs.registration.demonsBiasSigmaMm = std::stod(args[++i]);
    else if (a == "--demons-spacing" && i + 1 < args.size()) inputs.registration.demonsSpacingMm = std::stod(args[++i]);
    else if (a == "--demons-iterations" && i + 1 < args.size()) {
      inputs.registration.demonsIterations.clear();
      std::stringstream list(args[++i]);
      for (std::string item; std::getline(list, item, ',');) inputs.registration.demonsIterations.push_back(std::stoul(item));
    }
    else if (!a.empty() && a[0] == '-') {
      std::cerr << "dbsplan locate: unknown or incomplete option " << a << "\n";
      return 2;
    } else if (inputs.imagePath.empty()) inputs.imagePath = a;
    else {
      std::cerr << "dbsplan locate: one image at a time (use --with for further volumes)\n";
      return 2;
    }
  }
  if (inputs.imagePath.empty() || outDir.empty()) {
    std::cerr << "dbsplan locate: usage: dbsplan locate IMAGE --out DIR [--with FILE]... [--json] [--template T1 --atlas LABELS --atlas-json JSON] [--affine-only] [--no-refine]\n";
    return 2;
  }
  const LocateResult result = locateGpi(inputs, stderrProgress());
  nlohmann::json j = writeLocateOutputs(result, outDir);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << std::fixed << std::setprecision(2) << "locate: " << wall << " s wall, peak memory "
            << usage.ru_maxrss / 1024.0 << " MB; outputs in " << outDir << "\n";
  for (const auto& s : result.sides)
    std::cerr << "  GPi " << s.side << ": atlas target RAS (" << s.atlasTargetRas.x << ", " << s.atlasTargetRas.y << ", "
              << s.atlasTargetRas.z << "), indirect (" << s.indirectTargetRas.x << ", " << s.indirectTargetRas.y << ", "
              << s.indirectTargetRas.z << "), " << s.targetDistanceMm << " mm apart\n";
  if (json) std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace dbs::app
