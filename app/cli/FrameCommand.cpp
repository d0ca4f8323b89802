// `dbsplan frame`: the plan taken into the operating room. With a plan, registers it to the
// stereotactic frame seen in a frame CT or MR (the N-localizer found, the image co-registered to the
// plan's), stores the registration in the plan (through the plan session: one undoable step) and
// prints the frame sheet. With --detect-only, finds the localizer alone and prints the rods, the
// frame_from_ras matrix and the fiducial registration error; no plan is needed or written.
#include <CLI/CLI.hpp>

#include <QGuiApplication>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/FrameRegistration.h"
#include "dbs/planning/PlanFile.h"
#include "dbs/planning/PlanSession.h"
#include "figures/FrameOverlay.h"
#include "figures/PlanFigures.h"

namespace dbs::app {

namespace {

struct FrameOptions {
  std::string planPath, imagePath, frameId = "leksell-g", outPath;
  bool detectOnly = false, json = false;
  double threshold = 0;
  bool thresholdGiven = false;
};

nlohmann::json matrixJson(const Affine& a) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : a.m) rows.push_back({row[0], row[1], row[2], row[3]});
  return rows;
}

ProgressCallback stderrProgress(bool quiet) {
  auto last = std::make_shared<int>(-1);
  return [quiet, last](double f, const std::string& step) {
    const int percent = static_cast<int>(f * 100);
    if (!quiet && percent >= *last + 10) {
      std::cerr << "dbsplan frame: " << std::setw(3) << percent << "% " << step << "\n";
      *last = percent;
    }
    return true;
  };
}

int runDetectOnly(const FrameOptions& o, const FrameDetectionOptions& detection) {
  const FrameModel& model = frameModel(o.frameId);
  const Volume image = loadVolume(o.imagePath);
  requireGeometryFromFile(image, "register a frame");
  const FrameDetection d = detectFrame(image, model, detection, stderrProgress(o.json));
  if (o.json) {
    nlohmann::json rods = nlohmann::json::array();
    for (const DetectedRod& rod : d.rods) {
      nlohmann::json points = nlohmann::json::array();
      for (const RodPoint& p : rod.points) points.push_back({p.ras.x, p.ras.y, p.ras.z});
      rods.push_back({{"plate", rod.plate},
                      {"name", rod.name},
                      {"points_ras", points},
                      {"rms_residual_mm", rod.rmsResidualMm},
                      {"max_residual_mm", rod.maxResidualMm}});
    }
    nlohmann::json perRod = nlohmann::json::object();
    for (const DetectedRod& rod : d.rods) perRod[rod.name] = rod.rmsResidualMm;
    const nlohmann::json out = {{"image", o.imagePath},
                                {"frame", model.id},
                                {"frame_from_ras", matrixJson(d.frameFromRas)},
                                {"coordinates", "frame mm of the " + model.name + " from the image's RAS mm"},
                                {"fre_mm", d.freMm},
                                {"fre_per_rod_mm", perRod},
                                {"brown_rms_mm", d.brownRmsMm},
                                {"brown_points", d.brownPoints},
                                {"rods_frame_z_mm", {d.frameZMinMm, d.frameZMaxMm}},
                                {"threshold", d.threshold},
                                {"candidates", d.candidates},
                                {"rods", rods},
                                {"notes", d.notes}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "frame: " << model.name << " found in " << o.imagePath << "\n"
            << "  fiducial registration error " << fixed(d.freMm, 2) << " mm (Brown points "
            << fixed(d.brownRmsMm, 2) << " mm over " << d.brownPoints << "); rods seen from Z "
            << fixed(d.frameZMinMm) << " to " << fixed(d.frameZMaxMm) << " mm\n";
  for (const DetectedRod& rod : d.rods)
    std::cout << "  " << std::left << std::setw(18) << rod.name << std::right << std::setw(4)
              << rod.points.size() << " cross-sections, residual " << fixed(rod.rmsResidualMm, 2)
              << " mm RMS, " << fixed(rod.maxResidualMm, 2) << " mm max\n";
  std::cout << "  frame_from_ras (frame mm from the image's RAS mm):\n";
  for (const auto& row : d.frameFromRas.m)
    std::cout << "    " << fixed(row[0], 6) << " " << fixed(row[1], 6) << " " << fixed(row[2], 6) << " "
              << fixed(row[3], 3) << "\n";
  for (const std::string& note : d.notes) std::cout << "  note: " << note << "\n";
  return 0;
}

int runFrame(const FrameOptions& o) {
  FrameDetectionOptions detection;
  if (o.thresholdGiven) detection.threshold = o.threshold;
  if (o.detectOnly) return runDetectOnly(o, detection);
  if (o.planPath.empty()) throw CLI::ValidationError("PLAN is required unless --detect-only is given");
  std::vector<std::string> warnings;
  const std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan frame: warning: " << w << "\n";
  FrameRegistrationOptions options;
  options.frameId = o.frameId;
  options.detection = detection;
  FrameRegistrationCheck check;
  session->setFrameRegistration(
      registerPlanToFrame(session->plan(), o.imagePath, options, stderrProgress(o.json), &check));
  const std::string written = o.outPath.empty() ? o.planPath : o.outPath;
  session->save(written);
  // The overlay to look at before trusting it, beside the plan; drawn without a display.
  const std::string overlayPath =
      (std::filesystem::absolute(written).parent_path() / "frame_overlay.png").string();
  {
    int argc = 3;
    char name[] = "dbsplan", platform[] = "-platform", offscreen[] = "offscreen";
    char* argv[] = {name, platform, offscreen, nullptr};
    QGuiApplication app(argc, argv);
    writePngAtomically(
        frameOverlayFigure(check.planImage, check.stereotacticOnPlanGrid, session->plan().mcpRas),
        overlayPath);
  }
  if (o.json) {
    const nlohmann::json plan = planToJson(session->plan());
    std::cout << nlohmann::json{{"written", written},
                                {"overlay", overlayPath},
                                {"frame_registration", plan["frame_registration"]},
                                {"frame_settings", plan["frame_settings"]}}
                     .dump(2)
              << "\n";
    return 0;
  }
  for (const std::string& line : frameSheetLines(session->plan())) std::cout << line << "\n";
  std::cout << "plan written: " << written << "\n"
            << "look at " << overlayPath
            << " before trusting it: the frame image's skull (orange) must lie on the T1's skull\n";
  const std::filesystem::path report = std::filesystem::absolute(written).parent_path() / "report.pdf";
  if (std::filesystem::exists(report))
    std::cout << "note: " << report.string() << " predates the frame registration; `dbsplan export "
              << written << " --report " << report.string() << "` writes it again with the frame sheets\n";
  return 0;
}

}  // namespace

Command frameCommand() {
  return {
      "frame", "Planning", "register a plan to a stereotactic frame (Leksell G) and print the frame sheet",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<FrameOptions>();
        cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        cli.add_option("PLAN", o->planPath, "plan.json to register (not with --detect-only)")
            ->check(CLI::ExistingFile.description(""))
            ->type_name("");
        cli.add_option("--image", o->imagePath,
                       "the stereotactic image: a CT (or MR) with the frame's N-localizer on")
            ->required()
            ->check(CLI::ExistingPath.description(""))
            ->type_name("FRAME_CT");
        cli.add_option("--frame", o->frameId, "the frame model (data/frames)")
            ->capture_default_str()
            ->check(CLI::IsMember(frameModelIds()));
        cli.add_flag("--detect-only", o->detectOnly,
                     "find the localizer and print the rods, frame_from_ras and the error; no plan");
        cli.add_option("--threshold", o->threshold,
                       "intensity above which the rods are sought (default: 450 HU on a CT, half the 98th "
                       "percentile otherwise)")
            ->each([o](const std::string&) { o->thresholdGiven = true; })
            ->type_name("VALUE");
        cli.add_option("--out", o->outPath, "write the registered plan here (default: PLAN in place)")
            ->type_name("PLAN2.json");
        cli.add_flag("--json", o->json, "print the result as JSON");
        return [o] { return runFrame(*o); };
      }};
}

}  // namespace dbs::app
