// `dbsplan sample`: the sample datasets (`list`, the default) and their files (`path NAME
// [--labels]`; the phantom is generated on first use).
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/SampleCatalogue.h"
#include "gui/SampleLoading.h"

namespace dbs::app {

namespace {

int listSamples() {
  for (const Sample& s : SampleCatalogue::standard().samples()) {
    const std::string reason = s.missingReason();
    std::cout << std::left << std::setw(17) << s.name << s.title << "\n"
              << std::setw(17) << "" << (reason.empty() ? "ready: " + s.t1Path : reason) << "\n";
  }
  return 0;
}

struct PathOptions {
  std::string name;
  bool labels = false;
};

int printSamplePath(const PathOptions& o) {
  const Sample& sample = SampleCatalogue::standard().find(o.name);
  ensureSampleReady(sample, printProgress);
  std::cout << (o.labels ? sample.labelsPath : sample.t1Path) << "\n";
  return 0;
}

}  // namespace

Command sampleCommand() {
  return {"sample", "Images", "the sample datasets (colin27, phantom) and their files",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            cli.require_subcommand(0, 1);
            // `dbsplan sample` alone lists them too.
            cli.add_subcommand("list", "the sample datasets and whether each is ready")->group("Subcommands");
            CLI::App* path = cli.add_subcommand(
                "path", "a sample's T1, or its label map (the phantom is made on first use)");
            path->group("Subcommands");
            auto o = std::make_shared<PathOptions>();
            path->add_option("NAME", o->name, "the sample (dbsplan sample list)")->required()->type_name("");
            path->add_flag("--labels", o->labels, "the label map instead of the T1");
            return [o, path] { return path->parsed() ? printSamplePath(*o) : listSamples(); };
          }};
}

}  // namespace dbs::app
