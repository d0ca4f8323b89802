// The dbsplan command line: a registry of subcommands, all parsed by CLI11. Each subcommand is
// registered once: its name, the group and one-line summary the usage lists it under, and a function
// that declares its options on a CLI11 subcommand and returns what runs it. runCommandLine builds
// `dbsplan` from the registry, parses, runs the chosen command and turns errors into one line on
// stderr and an exit code. The usage (`dbsplan`, `dbsplan --help`, `dbsplan SUB --help`, and the
// usage line in every usage error) is generated from the declared options; nothing is hand-written.
//
// Exit codes: 0 done (and --help, --version); 1 the work failed ("dbsplan: <why>"); 2 a usage error
// (a CLI11 parse error, "dbsplan SUB: <why> (usage: ...)", or a command's own refusal).
//
// Adding a command: write app/cli/FooCommand.cpp defining `Command fooCommand()`, declare it below,
// and add it to the list in CommandRegistry.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace dbs::app {

// The process's command line, for what needs it beside the parsed options (QApplication).
struct CommandLine {
  int argc = 0;
  char** argv = nullptr;
};

// Runs a parsed command and returns the process exit code. It may throw: a CLI::ParseError is a
// usage error (exit 2), anything else a failure (exit 1).
using CommandRun = std::function<int()>;

struct Command {
  std::string name;     // `dbsplan NAME ...`
  std::string group;    // the heading the usage lists it under
  std::string summary;  // one line, in the usage and atop `dbsplan NAME --help`
  // Declares the options on `cli` (bound to state the returned function owns) and returns the
  // function that runs the command once the command line is parsed.
  std::function<CommandRun(CLI::App& cli, const CommandLine& commandLine)> define;
};

// Every command, in the order the usage lists them.
const std::vector<Command>& commands();

// dbsplan's main: parse argv against the registry, run the chosen command, return the exit code.
int runCommandLine(int argc, char** argv);

// The commands, one file each (app/cli/<Name>Command.cpp).
Command infoCommand();
Command viewCommand();
Command sampleCommand();
Command locateCommand();
Command planCommand();
Command planInfoCommand();
Command editCommand();
Command riskMapCommand();
Command phantomCommand();
Command exportCommand();
Command importMarkupsCommand();
Command bidsCommand();
Command frameCommand();
Command stimulateCommand();

}  // namespace dbs::app
