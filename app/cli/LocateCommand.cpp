#include <sys/resource.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/Commands.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/OutputGeneration.h"

namespace dbs::app {

int runLocate(const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  LocateInputs inputs;
  std::string outDir;
  bool json = false, affineOnly = false, noRefine = false;
  // Options are parsed by CLI11: per-subcommand --help, typed values, and every bound named. The
  // registration's loops are bounded here (issue 11: -1 iterations used to wrap to 2^32).
  CLI::App cli{
      "Find both GPi: register the Colin27 template to IMAGE, carry the atlas labels and landmarks "
      "into the patient, and propose the targets.",
      "dbsplan locate"};
  cli.add_option("IMAGE", inputs.imagePath,
                 "the patient's T1 (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM folder)")
      ->required();
  cli.add_option("--out", outDir, "folder for labels.nii.gz, locate.json and the transforms")->required();
  cli.add_option("--with", inputs.withPaths, "a further volume of the same patient, co-registered rigidly");
  cli.add_flag("--json", json, "print locate.json on stdout");
  cli.add_flag("--affine-only", affineOnly, "skip the deformable stage");
  cli.add_flag("--no-refine", noRefine,
               "keep the atlas's GPi/GPe boundary (no refinement by the patient's T1)");
  // Another template and atlas than Colin27 (labels from the standard table; JSON with
  // "landmarks" AC/PC/midline, "targets" GPi_posteroventral_L/R and "indirect_targets_acpc").
  cli.add_option("--template", inputs.templatePath, "another template T1 (default: Colin27)");
  cli.add_option("--atlas", inputs.atlasLabelsPath, "its label map");
  cli.add_option("--atlas-json", inputs.atlasJsonPath, "its landmarks and targets (dbsplan.atlas JSON)");
  auto& r = inputs.registration;
  cli.add_option("--demons-sigma", r.demonsFieldSigmaVoxels, "field smoothing, voxels")
      ->check(CLI::Range(0.5, 10.0));
  cli.add_option("--demons-step", r.demonsMaximumStepVoxels, "largest update per iteration, voxels")
      ->check(CLI::Range(0.1, 5.0));
  cli.add_option("--demons-bias-sigma", r.demonsBiasSigmaMm, "local-mean normalisation, mm (0 = off)")
      ->check(CLI::Range(0.0, 50.0));
  cli.add_option("--demons-spacing", r.demonsSpacingMm, "finest demons grid, mm")
      ->check(CLI::Range(0.5, 8.0));
  cli.add_option("--demons-iterations", r.demonsIterations,
                 "iterations per level, coarse to fine (1-4 levels)")
      ->delimiter(',')
      ->expected(1, 4)
      ->check(CLI::Range(0u, 1000u));
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    cli.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) std::cerr << "dbsplan locate: ";
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (affineOnly) r.deformable = false;
  if (noRefine) inputs.refineWithPatientIntensities = false;
  // One generation, like `plan`: a killed or failed locate leaves the previous outputs whole.
  std::optional<OutputGeneration> generation;
  try {
    generation.emplace(outDir);
  } catch (const std::runtime_error& e) {
    std::cerr << "dbsplan locate: " << e.what() << "\n";
    return 1;
  }
  const LocateResult result = locateGpi(inputs, stderrProgress());
  nlohmann::json j = writeLocateOutputs(result, generation->stagingFolder());
  generation->commit("locate.json", isLocateOutputName);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << std::fixed << std::setprecision(2) << "locate: " << wall << " s wall, peak memory "
            << usage.ru_maxrss / 1024.0 << " MB; outputs in " << outDir << "\n";
  for (const auto& s : result.sides)
    std::cerr << "  GPi " << s.side << ": proposed target RAS (" << s.proposed.ras.x << ", "
              << s.proposed.ras.y << ", " << s.proposed.ras.z << "), AC-PC (" << s.proposed.acpc.x << ", "
              << s.proposed.acpc.y << ", " << s.proposed.acpc.z << "), "
              << (s.proposed.insideRange ? "inside" : "OUTSIDE")
              << " the published indirect range; atlas target RAS (" << s.atlasTargetRas.x << ", "
              << s.atlasTargetRas.y << ", " << s.atlasTargetRas.z << "), indirect (" << s.indirectTargetRas.x
              << ", " << s.indirectTargetRas.y << ", " << s.indirectTargetRas.z << "), " << s.targetDistanceMm
              << " mm apart\n";
  if (json) std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace dbs::app
