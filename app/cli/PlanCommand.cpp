// `dbsplan plan`: the planning pipeline from the command line. The pipeline is
// planning/PlanPipeline (the same the GUI runs); the pictures and the report are PlanFigures /
// PlanReport. The outputs are one generation: a failed or killed run leaves the previous plan whole.
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <QApplication>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/SampleCatalogue.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "gui/SampleLoading.h"
#include "render/GlContext.h"

namespace dbs::app {

namespace {

namespace fs = std::filesystem;

struct PlanOptions {
  PlanInputs inputs;
  std::string outDir, sampleName;
  bool json = false, noFigures = false;
  // --target L|R X,Y,Z and --entry L|R X,Y,Z (validated by the options), in the order given.
  std::vector<std::pair<std::string, std::string>> targets, entries;
  StatedGeometryOptions statedGeometry;
  std::vector<std::string> scoreWeights;  // --score-weight TERM=W, validated by the option
};

int runPlan(PlanOptions& o, const CommandLine& commandLine) {
  const auto start = std::chrono::steady_clock::now();
  PlanInputs& inputs = o.inputs;
  inputs.programVersion = DBS_VERSION;
  const bool figures = !o.noFigures;
  if (inputs.locate.imagePath.empty() && o.sampleName.empty())
    throw CLI::RequiredError("IMAGE or --sample NAME");
  // Patient RAS mm, set by hand and re-scored; a later one for the same side wins.
  for (const auto& [side, xyz] : o.targets) inputs.manualTargetRas[sideIndex(sideOf(side))] = rasOf(xyz);
  for (const auto& [side, xyz] : o.entries) inputs.manualEntryRas[sideIndex(sideOf(side))] = rasOf(xyz);
  inputs.locate.statedGeometry = o.statedGeometry.stated();
  for (const std::string& setting : o.scoreWeights) applyWeightSetting(inputs.search.scoreWeights, setting);
  // Fail before minutes of work on what can be checked in milliseconds.
  try {
    ElectrodeCatalogue::standard().find(inputs.electrodeId);
  } catch (const std::out_of_range& e) {
    std::cerr << "dbsplan plan: " << e.what() << "\n";
    return 2;
  }
  if (figures && !canRenderPlanScene()) {
    std::cerr
        << "dbsplan plan: report.pdf and scene.png are rendered with OpenGL and need an X display: run under "
           "`xvfb-run -a dbsplan plan ...`, or add --no-figures for plan.json and the labels only\n";
    return 2;
  }
  if (!o.sampleName.empty()) {
    const Sample& sample = SampleCatalogue::standard().find(o.sampleName);
    ensureSampleReady(sample, {});
    const std::string missing = sample.missingReason();
    if (!missing.empty()) throw std::runtime_error("sample " + o.sampleName + ": " + missing);
    inputs.locate.imagePath = sample.t1Path;
  }
  // The new outputs are one generation: staged beside the old ones and renamed into place only
  // when all of them exist, plan.json last, so a failed or killed run leaves the previous plan,
  // report and transforms whole (issue 11).
  std::optional<OutputGeneration> generation;
  try {
    generation.emplace(o.outDir);
  } catch (const std::runtime_error& e) {
    std::cerr << "dbsplan plan: " << e.what() << "\n";
    return 1;
  }
  const PlanResult result = runPlanPipeline(inputs, stderrProgress());
  generation->write([&](const std::string& stagingFolder) {
    const fs::path staging(stagingFolder);
    writePlanOutputs(result, staging.string());
    if (!figures) return;
    setDefaultOpenGLSurfaceFormat();
    int argc = commandLine.argc;
    QApplication app(argc, commandLine.argv);
    std::cerr << "[ 97%] rendering scene.png\n";
    const QImage scene = writeSceneImage(result, (staging / "scene.png").string());
    std::cerr << "[ 98%] writing report.pdf\n";
    writePlanReport(result, (staging / "report.pdf").string(), scene);  // the same scene, rendered once
  });
  // A report or scene from an earlier plan in this folder must not sit beside the new plan: the
  // commit removes the outputs this generation did not write (--no-figures).
  generation->commit("plan.json", isPlanOutputName);
  std::cerr << "plan: wrote " << (fs::path(o.outDir) / "plan.json").string() << ", labels.nii.gz"
            << (figures ? ", report.pdf and scene.png" : "") << "\n";
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "plan: " << fixed(wall, 2) << " s wall, peak memory " << fixed(usage.ru_maxrss / 1024.0, 0)
            << " MB; search: " << result.plan.search.candidates << " candidates in "
            << fixed(result.plan.search.seconds, 3) << " s; outputs in " << o.outDir << "\n";
  if (o.json)
    std::cout << planToJson(result.plan).dump(2) << "\n";
  else
    printPlanSummary(result.plan, std::cout);
  return 0;
}

}  // namespace

Command planCommand() {
  return {
      "plan", "Planning", "plan both trajectories: plan.json, labels, report.pdf, scene.png",
      [](CLI::App& cli, const CommandLine& commandLine) -> CommandRun {
        auto o = std::make_shared<PlanOptions>();
        PlanInputs& inputs = o->inputs;
        cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        CLI::Option* image =
            cli.add_option("IMAGE", inputs.locate.imagePath,
                           "the patient's T1 (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM folder)")
                ->type_name("");
        cli.add_option("--sample", o->sampleName,
                       "a sample dataset instead of an IMAGE (dbsplan sample list)")
            ->type_name("NAME")
            ->excludes(image);
        cli.add_option("--out", o->outDir,
                       "folder for plan.json, labels.nii.gz, risk_structures.nii.gz, report.pdf, scene.png")
            ->required()
            ->type_name("DIR");
        cli.add_flag("--json", o->json, "print plan.json on stdout instead of the summary");
        cli.add_option("--electrode", inputs.electrodeId, "the electrode, from the catalogue")
            ->capture_default_str()
            ->type_name("ID");
        cli.add_option("--vessels", inputs.vesselVolumePath,
                       "a contrast T1 or angiogram of the same patient: vessels become a risk structure")
            ->type_name("CONTRAST_T1");
        cli.add_option("--with", inputs.locate.withPaths,
                       "a further volume of the same patient, co-registered rigidly")
            ->allow_extra_args(false)
            ->type_name("FILE");
        // Bounded so that a plan takes seconds: 10,000 candidates score in about 0.1 s per side.
        cli.add_option("--candidates", inputs.search.candidatesPerSide, "candidate paths scored per side")
            ->capture_default_str()
            ->transform(wholeNumberTransform("a whole number"))
            ->check(CLI::Range(std::size_t{100}, std::size_t{1'000'000}))
            ->type_name("N");
        cli.add_option("--score-weight", o->scoreWeights,
                       "weigh one term of the trajectory score (repeatable); terms and defaults: " +
                           describeWeights(defaultScoreWeights()) +
                           " (data/trajectory/scoring.json says what each measures and why)")
            ->allow_extra_args(false)
            ->check(CLI::Validator(
                [](std::string& setting) {
                  ScoreWeights probe = defaultScoreWeights();
                  try {
                    applyWeightSetting(probe, setting);
                  } catch (const std::invalid_argument& e) {
                    return std::string(e.what());
                  }
                  return std::string();
                },
                "TERM=W"))
            ->type_name("TERM=W");
        cli.add_option("--target", o->targets,
                       "set a side's target by hand (patient RAS mm); the search runs from it")
            ->allow_extra_args(false)
            ->check(sideValidator().application_index(0))
            ->check(rasValidator().application_index(1))
            ->type_name("L|R X,Y,Z");
        cli.add_option("--entry", o->entries, "fix a side's entry by hand (patient RAS mm)")
            ->allow_extra_args(false)
            ->check(sideValidator().application_index(0))
            ->check(rasValidator().application_index(1))
            ->type_name("L|R X,Y,Z");
        addStatedGeometryOptions(cli, o->statedGeometry);
        addRegistrationOptions(cli, inputs.locate.registration);
        cli.add_flag("--no-figures", o->noFigures,
                     "skip report.pdf and scene.png (they need an X display): plan.json and the labels only");
        return [o, commandLine] { return runPlan(*o, commandLine); };
      }};
}

}  // namespace dbs::app
