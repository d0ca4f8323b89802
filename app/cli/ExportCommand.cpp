// `dbsplan export`: a plan in the files other tools open. --slicer DIR: 3D Slicer's markups, a
// segmentation, the T1 and a scene (planning/SlicerExport.h). The plan is opened and verified as
// every command opens it (its image and files checked against their checksums) before anything is
// written.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/PlanSession.h"
#include "dbs/planning/SlicerExport.h"

namespace dbs::app {

namespace {

struct ExportOptions {
  std::string planPath, slicerDir, coordinates = "LPS";
};

int runExport(const ExportOptions& o) {
  if (o.slicerDir.empty()) {
    std::cerr << "dbsplan export: say what to export (--slicer DIR); see dbsplan export --help\n";
    return 2;
  }
  std::vector<std::string> warnings;
  const std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan export: warning: " << w << "\n";
  const std::vector<std::string> files = exportPlanToSlicer(
      *session, o.slicerDir, o.coordinates == "RAS" ? MarkupsCoordinates::Ras : MarkupsCoordinates::Lps);
  std::cout << "Slicer files written to " << o.slicerDir << " (markups in " << o.coordinates << " mm):\n";
  for (const std::string& f : files) std::cout << "  " << f << "\n";
  std::cout << "open plan.mrml in 3D Slicer (File > Add Data), or drag the files onto it\n";
  return 0;
}

}  // namespace

Command exportCommand() {
  return {"export", "Planning", "a plan in the files other tools open: 3D Slicer",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            auto o = std::make_shared<ExportOptions>();
            cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            cli.add_option("PLAN", o->planPath, "plan.json to export")
                ->required()
                ->check(CLI::ExistingFile.description(""))
                ->type_name("");
            cli.add_option("--slicer", o->slicerDir,
                           "folder for 3D Slicer: each trajectory a Markups Line, landmarks and targets as "
                           "Markups Fiducials, the labels as a segmentation, the T1, and plan.mrml")
                ->type_name("DIR");
            cli.add_option("--markups-coordinates", o->coordinates,
                           "the markups files' coordinate system: LPS (what Slicer writes) or RAS")
                ->check(CLI::IsMember({"LPS", "RAS"}))
                ->type_name("LPS|RAS");
            return [o] { return runExport(*o); };
          }};
}

}  // namespace dbs::app
