// dbsplan: command-line entry point. Every subcommand runs the same library code as the GUI; the
// subcommands, their options and the usage are declared in cli/CommandRegistry.h.
#include "cli/CommandRegistry.h"
#include "dbs/imaging/ItkSetup.h"

int main(int argc, char** argv) {
  dbs::configureItk();
  return dbs::app::runCommandLine(argc, argv);
}
