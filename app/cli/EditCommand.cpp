// `dbsplan edit`: the plan session's edits from the command line. It reopens a plan from its own
// folder (no registration), applies the edits as the window does (PlanSession commands, each
// re-scored by the search's scoring), searches the changed sides' alternatives again, and writes
// the plan atomically, in place or to --out.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/FrameRegistration.h"
#include "dbs/planning/PlanSession.h"

namespace dbs::app {

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --choose SIDE N: N is an alternative's id (L3) or its position among the side's alternatives (1 = first).
std::string alternativeId(const PlanDocument& plan, Side side, const std::string& n) {
  std::vector<std::string> ids;
  for (const PlannedTrajectory& a : plan.alternatives)
    if (a.trajectory.side == side) ids.push_back(a.trajectory.id);
  if (std::find(ids.begin(), ids.end(), n) != ids.end()) return n;
  std::size_t used = 0;
  long position = 0;
  try {
    position = std::stol(n, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == n.size() && position >= 1 && position <= static_cast<long>(ids.size()))
    return ids[static_cast<std::size_t>(position - 1)];
  std::string known;
  for (const std::string& id : ids) known += (known.empty() ? "" : ", ") + id;
  throw CLI::ValidationError("--choose", "no alternative '" + n + "' on side " +
                                             std::string(1, sideLetter(side)) +
                                             " (alternatives: " + (known.empty() ? "none" : known) + ")");
}

using SideValues = std::vector<std::pair<std::string, std::string>>;

struct EditOptions {
  std::string planPath, outPath;
  bool json = false;
  // Each "L|R VALUE", validated by its option, in the order given.
  SideValues targets, entries, electrodes, choices, depths;
};

int runEdit(const EditOptions& o) {
  // Every edit, in the order that makes them compose: choose first (it replaces the trajectory the
  // others change), then electrode and depth, then the points.
  const auto openStart = Clock::now();
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  const double openSeconds = secondsSince(openStart);
  for (const std::string& w : warnings) std::cerr << "dbsplan edit: warning: " << w << "\n";
  std::vector<PlanEdit> edits;
  for (const auto& [side, n] : o.choices)
    edits.push_back(
        PlanEdit::chooseAlternative(sideOf(side), alternativeId(session->plan(), sideOf(side), n)));
  for (const auto& [side, id] : o.electrodes) edits.push_back(PlanEdit::setElectrode(sideOf(side), id));
  for (const auto& [side, mm] : o.depths)
    edits.push_back(PlanEdit::setDepth(sideOf(side), parseNumber(mm).value()));
  for (const auto& [side, xyz] : o.targets) edits.push_back(PlanEdit::moveTarget(sideOf(side), rasOf(xyz)));
  for (const auto& [side, xyz] : o.entries) edits.push_back(PlanEdit::moveEntry(sideOf(side), rasOf(xyz)));
  if (edits.empty()) {
    std::cerr << "dbsplan edit: no edit given (see dbsplan edit --help)\n";
    return 2;
  }

  nlohmann::json report = {
      {"plan", o.planPath}, {"open_seconds", openSeconds}, {"edits", nlohmann::json::array()}};
  std::vector<Side> editedSides;
  for (const PlanEdit& edit : edits) {
    // The re-score alone (what a dragged step costs), then the commit with its alternatives' search.
    const auto previewStart = Clock::now();
    try {
      session->preview(edit);
    } catch (const std::invalid_argument& e) {
      std::cerr << "dbsplan edit: " << edit.describe() << ": " << e.what() << "\n";
      return 2;
    }
    const double rescoreSeconds = secondsSince(previewStart);
    const auto commitStart = Clock::now();
    session->commit(edit, /*searchAlternativesNow=*/true);
    const double commitSeconds = secondsSince(commitStart);
    report["edits"].push_back(
        {{"edit", edit.describe()}, {"rescore_seconds", rescoreSeconds}, {"commit_seconds", commitSeconds}});
    if (!o.json)
      std::cout << edit.describe() << ": re-scored in " << std::fixed << std::setprecision(4)
                << rescoreSeconds << " s (with the alternatives' search " << commitSeconds << " s)\n";
    if (std::find(editedSides.begin(), editedSides.end(), edit.sided()) == editedSides.end())
      editedSides.push_back(edit.sided());
  }
  const std::string written = o.outPath.empty() ? o.planPath : o.outPath;
  session->save(written);
  report["written"] = written;
  report["trajectories"] = nlohmann::json::array();
  for (Side side : editedSides) {
    const PlannedTrajectory* t = chosenTrajectory(session->plan(), side);
    if (!t) continue;
    if (o.json)
      report["trajectories"].push_back(plannedTrajectoryToJson(*t));
    else
      printTrajectorySummary(*t, std::cout);
  }
  if (session->plan().frame) {
    // The frame settings follow the edit: re-computed from the frame registration, never stale.
    if (o.json)
      report["frame_settings"] = planToJson(session->plan())["frame_settings"];
    else
      for (const std::string& line : frameSheetLines(session->plan())) std::cout << line << "\n";
  }
  if (o.json)
    std::cout << report.dump(2) << "\n";
  else
    std::cout << "plan written: " << written << " (opened in " << std::fixed << std::setprecision(2)
              << openSeconds << " s, no registration)\n";
  return 0;
}

}  // namespace

Command editCommand() {
  return {
      "edit", "Planning", "edit a saved plan without registering again",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<EditOptions>();
        cli.footer(
            "Edit a saved plan without registering again: move a target or an entry, change the electrode or "
            "its depth, or choose an alternative; every edit is re-scored and recorded in the plan's "
            "history.");
        cli.add_option("PLAN", o->planPath, "plan.json to edit")
            ->required()
            ->check(CLI::ExistingFile.description(""))
            ->type_name("");
        cli.add_option("--target", o->targets, "move the side's target (patient RAS mm); the entry stays")
            ->check(sideValidator().application_index(0))
            ->check(rasValidator().application_index(1))
            ->type_name("L|R X,Y,Z");
        cli.add_option("--entry", o->entries, "move the side's entry (patient RAS mm); the target stays")
            ->check(sideValidator().application_index(0))
            ->check(rasValidator().application_index(1))
            ->type_name("L|R X,Y,Z");
        cli.add_option("--electrode", o->electrodes, "another electrode from the catalogue")
            ->check(sideValidator().application_index(0))
            ->type_name("L|R ID");
        cli.add_option("--depth", o->depths, "deepest contact's centre beyond the target, -10 to 10 mm")
            ->check(sideValidator().application_index(0))
            ->check(numberBetween(-10, 10, "MM").application_index(1))
            ->type_name("L|R MM");
        cli.add_option("--choose", o->choices,
                       "make alternative N (its id, or 1 = the first) the side's trajectory")
            ->check(sideValidator().application_index(0))
            ->type_name("L|R N");
        cli.add_option(
               "--out", o->outPath,
               "write the edited plan here, its labels, risk structures and transforms copied beside it "
               "(default: rewrite PLAN atomically in place)")
            ->type_name("PLAN2.json");
        cli.add_flag("--json", o->json, "print the edited trajectories as JSON");
        return [o] { return runEdit(*o); };
      }};
}

}  // namespace dbs::app
