// `dbsplan locate`: find both GPi. Registers the template (Colin27 unless told otherwise) to the
// patient, carries the atlas labels and landmarks into the patient and proposes the targets; the
// outputs are one generation, like `plan`'s.
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/OutputGeneration.h"

namespace dbs::app {

namespace {

struct LocateOptions {
  LocateInputs inputs;
  std::string outDir;
  bool json = false, affineOnly = false, noRefine = false;
  StatedGeometryOptions statedGeometry;
};

int runLocate(LocateOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  LocateInputs& inputs = o.inputs;
  if (o.affineOnly) inputs.registration.deformable = false;
  if (o.noRefine) inputs.refineWithPatientIntensities = false;
  inputs.statedGeometry = o.statedGeometry.stated();
  // One generation, like `plan`: a killed or failed locate leaves the previous outputs whole.
  std::optional<OutputGeneration> generation;
  try {
    generation.emplace(o.outDir);
  } catch (const std::runtime_error& e) {
    std::cerr << "dbsplan locate: " << e.what() << "\n";
    return 1;
  }
  const LocateResult result = locateGpi(inputs, stderrProgress());
  nlohmann::json j;
  generation->write([&](const std::string& staging) { j = writeLocateOutputs(result, staging); });
  generation->commit("locate.json", isLocateOutputName);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << std::fixed << std::setprecision(2) << "locate: " << wall << " s wall, peak memory "
            << usage.ru_maxrss / 1024.0 << " MB; outputs in " << o.outDir << "\n";
  for (const auto& s : result.sides)
    std::cerr << "  GPi " << sideLetter(s.side) << ": proposed target RAS (" << s.proposed.ras.x << ", "
              << s.proposed.ras.y << ", " << s.proposed.ras.z << "), AC-PC (" << s.proposed.acpc.x << ", "
              << s.proposed.acpc.y << ", " << s.proposed.acpc.z << "), "
              << (s.proposed.insideRange ? "inside" : "OUTSIDE")
              << " the published indirect range; atlas target RAS (" << s.atlasTargetRas.x << ", "
              << s.atlasTargetRas.y << ", " << s.atlasTargetRas.z << "), indirect (" << s.indirectTargetRas.x
              << ", " << s.indirectTargetRas.y << ", " << s.indirectTargetRas.z << "), " << s.targetDistanceMm
              << " mm apart\n";
  if (o.json) std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

Command locateCommand() {
  return {"locate", "Planning", "find both GPi: atlas registration, labels, landmarks, targets",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            auto o = std::make_shared<LocateOptions>();
            LocateInputs& inputs = o->inputs;
            cli.footer(
                "Find both GPi: register the Colin27 template to IMAGE, carry the atlas labels and landmarks "
                "into the patient, and propose the targets.");
            cli.add_option("IMAGE", inputs.imagePath,
                           "the patient's T1 (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM folder)")
                ->required()
                ->type_name("");
            cli.add_option("--out", o->outDir, "folder for labels.nii.gz, locate.json and the transforms")
                ->required()
                ->type_name("DIR");
            cli.add_option("--with", inputs.withPaths,
                           "a further volume of the same patient, co-registered rigidly")
                ->type_name("FILE");
            cli.add_flag("--json", o->json, "print locate.json on stdout");
            addStatedGeometryOptions(cli, o->statedGeometry);
            // Another template and atlas than Colin27 (labels from the standard table; JSON with
            // "landmarks" AC/PC/midline, "targets" GPi_posteroventral_L/R and "indirect_targets_acpc").
            cli.add_option("--template", inputs.templatePath, "another template T1 (default: Colin27)")
                ->type_name("T1")
                ->group("Atlas");
            cli.add_option("--atlas", inputs.atlasLabelsPath, "its label map")
                ->type_name("LABELS")
                ->group("Atlas");
            cli.add_option("--atlas-json", inputs.atlasJsonPath,
                           "its landmarks and targets (dbsplan.atlas JSON)")
                ->type_name("JSON")
                ->group("Atlas");
            // The registration's loops are bounded here (issue 11: -1 iterations used to wrap to 2^32).
            cli.add_flag("--affine-only", o->affineOnly, "skip the deformable stage")->group("Registration");
            cli.add_flag("--no-refine", o->noRefine,
                         "keep the atlas's GPi/GPe boundary (no refinement by the patient's T1)")
                ->group("Registration");
            addRegistrationOptions(cli, inputs.registration);
            return [o] { return runLocate(*o); };
          }};
}

}  // namespace dbs::app
