// `dbsplan import-markups`: a trajectory drawn or moved in 3D Slicer (a Markups Line) becomes the
// side's trajectory, through the plan session as any edit: its target and then its entry are moved
// (two steps of the plan's history, undoable in the window), re-scored as the search scores, and
// the plan is written atomically, in place or to --out.
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

struct ImportOptions {
  std::string planPath, markupsPath, side, outPath;
};

int runImport(const ImportOptions& o) {
  const MarkupsLine line = readMarkupsLine(o.markupsPath);
  std::vector<std::string> warnings;
  const std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan import-markups: warning: " << w << "\n";
  const Side side = sideOf(o.side);
  for (const PlanEdit& edit :
       {PlanEdit::moveTarget(side, line.targetRas), PlanEdit::moveEntry(side, line.entryRas)}) {
    try {
      session->preview(edit);
    } catch (const std::invalid_argument& e) {
      std::cerr << "dbsplan import-markups: " << o.markupsPath << ": " << edit.describe() << ": " << e.what()
                << "\n";
      return 2;
    }
    session->commit(edit, /*searchAlternativesNow=*/true);
  }
  const std::string written = o.outPath.empty() ? o.planPath : o.outPath;
  session->save(written);
  std::cout << "imported \"" << line.name << "\" from " << o.markupsPath << " as side " << o.side
            << "'s trajectory; target: " << line.targetRule << "\n";
  if (const PlannedTrajectory* t = chosenTrajectory(session->plan(), side))
    printTrajectorySummary(*t, std::cout);
  std::cout << "plan written: " << written << "\n";
  return 0;
}

}  // namespace

Command importMarkupsCommand() {
  return {"import-markups", "Planning", "a trajectory from 3D Slicer (Markups Line) into a plan",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            auto o = std::make_shared<ImportOptions>();
            cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            cli.add_option("PLAN", o->planPath, "plan.json to change")
                ->required()
                ->check(CLI::ExistingFile.description(""))
                ->type_name("");
            cli.add_option("MARKUPS", o->markupsPath,
                           "a Markups Line (.mrk.json) of two points: the target (labelled \"target\", or "
                           "the lower point) and the entry")
                ->required()
                ->check(CLI::ExistingFile.description(""))
                ->type_name("");
            cli.add_option("--side", o->side, "the side whose trajectory it becomes")
                ->required()
                ->check(sideValidator())
                ->type_name("L|R");
            cli.add_option("--out", o->outPath,
                           "write the changed plan here, its files copied beside it (default: PLAN in place)")
                ->type_name("PLAN2.json");
            return [o] { return runImport(*o); };
          }};
}

}  // namespace dbs::app
