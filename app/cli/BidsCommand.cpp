// `dbsplan bids`: dbsplan as a BIDS App (planning/BidsDataset.h). The participant level plans each
// chosen participant's T1w into the derivatives dataset, one after another, each as its own output
// generation (a failed or killed participant never costs the others, nor that participant's earlier
// plan); a participant that fails is recorded and the rest go on. The group level gathers every
// participant's plan into one table. Headless: no report or scene (`dbsplan plan` makes them).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/BidsDataset.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanPipeline.h"

namespace dbs::app {

namespace {

struct BidsOptions {
  std::string bidsDir, outputDir, level;
  std::vector<std::string> participants, sessions;
  std::string electrodeId = "medtronic_3389";
  std::size_t candidates = 10000;
};

int runParticipants(const BidsOptions& o) {
  const std::vector<BidsT1w> t1ws = findBidsT1w(o.bidsDir, o.participants, o.sessions);
  writeDerivativeDescription(o.bidsDir, o.outputDir, DBS_VERSION);
  int failed = 0;
  for (const BidsT1w& t : t1ws) {
    const std::string name = "sub-" + t.participant + (t.session.empty() ? "" : " ses-" + t.session);
    const std::string folder = participantDerivativeFolder(o.outputDir, t);
    std::cerr << "bids: " << name << ": planning " << t.path << "\n";
    if (!t.choice.empty()) std::cerr << "bids: " << name << ": " << t.choice << "\n";
    try {
      PlanInputs inputs;
      inputs.locate.imagePath = t.path;
      inputs.programVersion = DBS_VERSION;
      inputs.electrodeId = o.electrodeId;
      inputs.search.candidatesPerSide = o.candidates;
      std::filesystem::create_directories(folder);
      OutputGeneration generation(folder + "/plan");
      const PlanResult result = runPlanPipeline(inputs);
      generation.write([&](const std::string& staging) { writePlanOutputs(result, staging); });
      generation.commit("plan.json", isPlanOutputName);
      writeParticipantOutputs(o.bidsDir, o.outputDir, t);
      std::cerr << "bids: " << name << ": planned: " << folder << "/plan/plan.json\n";
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      ++failed;
      std::cerr << "bids: " << name << ": FAILED: " << e.what() << "\n";
      writeParticipantFailure(o.outputDir, t, e.what());
      std::error_code ignored;
      if (std::filesystem::is_empty(folder + "/plan", ignored))
        std::filesystem::remove(folder + "/plan", ignored);
    }
  }
  std::cerr << "bids: " << (t1ws.size() - static_cast<std::size_t>(failed)) << " of " << t1ws.size()
            << " planned" << (failed ? " (the failures are in the group table)" : "") << "\n";
  return failed ? 1 : 0;
}

int runBids(const BidsOptions& o) {
  if (o.level == "participant") return runParticipants(o);
  const std::string table = writeGroupTable(o.outputDir);
  std::cout << "group table: " << table << "\n";
  return 0;
}

}  // namespace

Command bidsCommand() {
  return {
      "bids", "Planning", "plan a BIDS dataset's participants (a BIDS App); group: one table",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<BidsOptions>();
        cli.footer(
            "A BIDS App: the participant level plans each participant's T1w into OUTPUT_DIR/dbsplan "
            "(BIDS derivatives); run one participant per job (--participant-label) to spread a cohort over "
            "a cluster. The group level writes OUTPUT_DIR/dbsplan/group_trajectories.tsv.");
        cli.add_option("BIDS_DIR", o->bidsDir, "the raw BIDS dataset (read only)")
            ->required()
            ->check(CLI::ExistingDirectory.description(""))
            ->type_name("");
        cli.add_option("OUTPUT_DIR", o->outputDir, "where the derivatives go (OUTPUT_DIR/dbsplan)")
            ->required()
            ->type_name("");
        cli.add_option("LEVEL", o->level, "participant or group")
            ->required()
            ->check(CLI::IsMember({"participant", "group"}))
            ->type_name("");
        cli.add_option("--participant-label", o->participants, "only these participants (01, or sub-01)")
            ->type_name("LABEL...");
        cli.add_option("--session", o->sessions, "only these sessions (1, or ses-1)")->type_name("LABEL...");
        cli.add_option("--electrode", o->electrodeId, "the electrode, from the catalogue")->type_name("ID");
        cli.add_option("--candidates", o->candidates, "candidate paths scored per side")
            ->check(CLI::Range(100, 1000000))
            ->type_name("N");
        return [o] { return runBids(*o); };
      }};
}

}  // namespace dbs::app
