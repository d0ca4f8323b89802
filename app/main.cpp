// dbsplan: command-line entry point. Every subcommand runs the same library code as the GUI.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/Commands.h"
#include "cli/PhantomCommand.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/ItkSetup.h"

int main(int argc, char** argv) {
  dbs::configureItk();
  const std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty() || all[0] == "help" || all[0] == "--help" || all[0] == "-h") {
    dbs::app::printUsage();
    return all.empty() ? 2 : 0;
  }
  if (all[0] == "--version") {
    std::cout << "dbsplan " << DBS_VERSION << "\n";
    return 0;
  }
  const std::vector<std::string> args(all.begin() + 1, all.end());
  try {
    if (all[0] == "info") return dbs::app::runInfo(args);
    if (all[0] == "view") return dbs::app::runView(argc, argv, args);
    if (all[0] == "sample") return dbs::app::runSample(args);
    if (all[0] == "locate") return dbs::app::runLocate(args);
    if (all[0] == "plan") return dbs::app::runPlan(argc, argv, args);
    if (all[0] == "plan-info") return dbs::app::runPlanInfo(args);
    if (all[0] == "edit") return dbs::app::runEdit(args);
    if (all[0] == "risk-map") return dbs::app::runRiskMap(args);
    if (all[0] == "phantom") return dbs::app::runPhantom(args);
    std::cerr << "dbsplan: unknown command '" << all[0] << "' (try dbsplan --help)\n";
    return 2;
  } catch (const dbs::ImagingError& e) {
    std::cerr << "dbsplan: " << dbs::app::terminalSafe(e.what()) << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "dbsplan: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dbsplan: " << dbs::app::terminalSafe(e.what()) << "\n";
    return 1;
  }
}
