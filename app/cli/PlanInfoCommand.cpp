// `dbsplan plan-info`: validates a plan file (any malformed field is named), verifies its image and
// every file it refers to as the commands that open it do (regular files, SHA-256 as recorded), and
// summarises it, in words or as JSON. It says "valid" only for a plan every other command accepts.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"

namespace dbs::app {

namespace {

struct PlanInfoOptions {
  std::string path;
  bool json = false;
};

int runPlanInfo(const PlanInfoOptions& o) {
  const PlanDocument plan = readPlan(o.path);  // throws with the field and the problem
  if (o.json)
    std::cout << planToJson(plan).dump(2) << "\n";
  else
    printPlanSummary(plan, std::cout);
  // The same checks as opening the plan (PlanSession::open), so "valid" means what it says.
  const std::string folder = std::filesystem::absolute(o.path).parent_path().string();
  std::string problems = planImageProblem(plan);
  if (const std::string files = planReferencedFilesProblem(plan, folder); !files.empty())
    problems += (problems.empty() ? "" : "\n") + files;
  if (!problems.empty()) {
    std::cerr << "dbsplan plan-info: " << terminalSafe(o.path) << " is NOT valid:\n";
    std::istringstream lines(problems);
    for (std::string line; std::getline(lines, line);) std::cerr << "  " << terminalSafe(line) << "\n";
    return 1;
  }
  std::ostream& verdict = o.json ? std::cerr : std::cout;
  if (planCompanionsUnverified(plan))
    verdict << "READ-ONLY: " << terminalSafe(o.path)
            << " is well formed, but as a schema-1 plan it recorded no checksums of its labels, risk "
               "structures and transforms: it can be viewed, not edited; plan again to re-create them\n";
  else
    verdict << "valid: " << terminalSafe(o.path)
            << ", its image and every file it refers to match their recorded SHA-256\n";
  return 0;
}

}  // namespace

Command planInfoCommand() {
  return {"plan-info", "Planning", "validate a plan file and summarise it",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            auto o = std::make_shared<PlanInfoOptions>();
            cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            cli.add_option("PLAN", o->path, "the plan file (plan.json)")->required()->type_name("");
            cli.add_flag("--json", o->json, "print the plan as JSON, as read and validated");
            return [o] { return runPlanInfo(*o); };
          }};
}

}  // namespace dbs::app
