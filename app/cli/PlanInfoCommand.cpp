// `dbsplan plan-info`: validates a plan file (any malformed field is named), checks its image's
// checksum and summarises it, in words or as JSON.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
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
