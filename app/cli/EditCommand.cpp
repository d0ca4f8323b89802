// `dbsplan edit`: the plan session's edits from the command line. It reopens a plan from its own
// folder (no registration), applies the edits as the window does (PlanSession commands, each
// re-scored by the search's scoring), searches the changed sides' alternatives again, and writes
// the plan atomically, in place or to --out. Options are parsed by CLI11: typed values, ranges and
// errors that name the option.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/Commands.h"
#include "dbs/planning/PlanSession.h"

namespace dbs::app {

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

char parseSide(const std::string& option, const std::string& side) {
  if (side != "L" && side != "R")
    throw CLI::ValidationError(option, "the side must be L or R (is '" + side + "')");
  return side[0];
}

Vec3 parseRas(const std::string& option, const std::string& xyz) {
  Vec3 p;
  char comma1 = 0, comma2 = 0;
  std::istringstream in(xyz);
  if (!(in >> p.x >> comma1 >> p.y >> comma2 >> p.z) || comma1 != ',' || comma2 != ',' || !in.eof() ||
      !std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z) || std::abs(p.x) > 1000 ||
      std::abs(p.y) > 1000 || std::abs(p.z) > 1000)
    throw CLI::ValidationError(option,
                               "wants X,Y,Z in patient RAS mm, each within +-1000 (is '" + xyz + "')");
  return p;
}

// --choose SIDE N: N is an alternative's id (L3) or its position among the side's alternatives (1 = first).
std::string alternativeId(const PlanDocument& plan, char side, const std::string& n) {
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
  throw CLI::ValidationError("--choose", "no alternative '" + n + "' on side " + std::string(1, side) +
                                             " (alternatives: " + (known.empty() ? "none" : known) + ")");
}

// CLI11 prints the message (naming the option) or the help; a usage error exits 2 like every
// other dbsplan subcommand, --help 0.
int usageExit(const CLI::App& cli, const CLI::ParseError& e) {
  if (e.get_exit_code() != 0) std::cerr << "dbsplan edit: ";
  return cli.exit(e) == 0 ? 0 : 2;
}

}  // namespace

int runEdit(const std::vector<std::string>& args) {
  CLI::App cli{
      "Edit a saved plan without registering again: move a target or an entry, change the electrode or "
      "its depth, or choose an alternative; every edit is re-scored and recorded in the plan's history.",
      "dbsplan edit"};
  std::string planPath, outPath;
  bool json = false;
  std::vector<std::pair<std::string, std::string>> targets, entries, electrodes, choices, depths;
  cli.add_option("PLAN", planPath, "plan.json to edit")->required()->check(CLI::ExistingFile);
  cli.add_option("--target", targets, "L|R X,Y,Z: move the side's target (patient RAS mm); the entry stays");
  cli.add_option("--entry", entries, "L|R X,Y,Z: move the side's entry (patient RAS mm); the target stays");
  cli.add_option("--electrode", electrodes, "L|R ID: another electrode from the catalogue");
  cli.add_option("--depth", depths, "L|R MM: deepest contact's centre beyond the target, -10 to 10 mm");
  cli.add_option("--choose", choices,
                 "L|R N: make alternative N (its id, or 1 = the first) the side's trajectory");
  cli.add_option("--out", outPath, "write the edited plan here (default: rewrite PLAN atomically in place)");
  cli.add_flag("--json", json, "print the edited trajectories as JSON");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    cli.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return usageExit(cli, e);
  }

  // Every edit, in the order that makes them compose: choose first (it replaces the trajectory the
  // others change), then electrode and depth, then the points.
  const auto openStart = Clock::now();
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> session = PlanSession::open(planPath, &warnings);
  const double openSeconds = secondsSince(openStart);
  for (const std::string& w : warnings) std::cerr << "dbsplan edit: warning: " << w << "\n";
  std::vector<PlanEdit> edits;
  try {
    for (const auto& [side, n] : choices)
      edits.push_back(PlanEdit::chooseAlternative(
          parseSide("--choose", side), alternativeId(session->plan(), parseSide("--choose", side), n)));
    for (const auto& [side, id] : electrodes)
      edits.push_back(PlanEdit::setElectrode(parseSide("--electrode", side), id));
    for (const auto& [side, text] : depths) {
      double mm = 0;
      if (!CLI::detail::lexical_cast(text, mm) || !(mm >= -10 && mm <= 10))
        throw CLI::ValidationError("--depth", "MM must be a number between -10 and 10 (is '" + text + "')");
      edits.push_back(PlanEdit::setDepth(parseSide("--depth", side), mm));
    }
    for (const auto& [side, xyz] : targets)
      edits.push_back(PlanEdit::moveTarget(parseSide("--target", side), parseRas("--target", xyz)));
    for (const auto& [side, xyz] : entries)
      edits.push_back(PlanEdit::moveEntry(parseSide("--entry", side), parseRas("--entry", xyz)));
  } catch (const CLI::ParseError& e) {
    return usageExit(cli, e);
  }
  if (edits.empty()) {
    std::cerr << "dbsplan edit: no edit given (see dbsplan edit --help)\n";
    return 2;
  }

  nlohmann::json report = {
      {"plan", planPath}, {"open_seconds", openSeconds}, {"edits", nlohmann::json::array()}};
  std::vector<char> editedSides;
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
    if (!json)
      std::cout << edit.describe() << ": re-scored in " << std::fixed << std::setprecision(4)
                << rescoreSeconds << " s (with the alternatives' search " << commitSeconds << " s)\n";
    if (std::find(editedSides.begin(), editedSides.end(), edit.side) == editedSides.end())
      editedSides.push_back(edit.side);
  }
  const std::string written = outPath.empty() ? planPath : outPath;
  session->save(written);
  report["written"] = written;
  report["trajectories"] = nlohmann::json::array();
  for (char side : editedSides) {
    const PlannedTrajectory* t = chosenTrajectory(session->plan(), side);
    if (!t) continue;
    if (json)
      report["trajectories"].push_back(plannedTrajectoryToJson(*t));
    else
      printTrajectorySummary(*t, std::cout);
  }
  if (json)
    std::cout << report.dump(2) << "\n";
  else
    std::cout << "plan written: " << written << " (opened in " << std::fixed << std::setprecision(2)
              << openSeconds << " s, no registration)\n";
  return 0;
}

}  // namespace dbs::app
