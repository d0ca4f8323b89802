#include "cli/CommandRegistry.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "cli/CliSupport.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      infoCommand(),          viewCommand(), sampleCommand(),  locateCommand(),    planCommand(),
      planInfoCommand(),      editCommand(), riskMapCommand(), phantomCommand(),   exportCommand(),
      importMarkupsCommand(), bidsCommand(), frameCommand(),   stimulateCommand(),
  };
  return all;
}

namespace {

constexpr std::size_t kUsageWidth = 110;    // where a usage line wraps
constexpr std::size_t kSummaryColumn = 34;  // where the summaries start in the command list
constexpr std::size_t kOneLineUsage = 72;   // a longer usage is abbreviated in error messages

bool isHelpOption(const CLI::App* app, const CLI::Option* option) {
  return option == app->get_help_ptr() || option == app->get_help_all_ptr();
}

// An option's value as the usage names it: its type name without the validators' descriptions.
std::string valueName(const CLI::Option* option) {
  std::string name = option->get_type_name();
  const std::size_t colon = name.find(':');
  if (colon != std::string::npos) name.resize(colon);
  return name;
}

// "IMAGE", "[IMAGE]", "--out DIR", "[--json]", "[--with FILE]...".
std::string optionUsage(const CLI::Option* option) {
  std::string text;
  if (option->get_positional()) {
    text = option->get_name(true, false);
  } else {
    text = option->get_name();
    const std::string value = valueName(option);
    if (option->get_type_size() != 0 && !value.empty()) text += " " + value;
  }
  if (!option->get_required()) text = "[" + text + "]";
  if (option->get_expected_max() >= CLI::detail::expected_max_vector_size) text += "...";
  return text;
}

// The words of a command's usage after its name: positionals, then options in the order they were
// declared. `complete`: every option of the group "Options" by name, each other group as
// "[<group> options]"; otherwise the required ones only, then "[OPTIONS]".
std::vector<std::string> usageWords(const CLI::App* app, bool complete) {
  const std::vector<const CLI::Option*> options = app->get_options([app](const CLI::Option* option) {
    return !isHelpOption(app, option) && !option->get_group().empty();
  });
  std::vector<std::string> words;
  for (const CLI::Option* option : options)
    if (option->get_positional()) words.push_back(optionUsage(option));
  bool more = false;
  for (const CLI::Option* option : options) {
    if (option->get_positional()) continue;
    if (!complete && !option->get_required()) {
      more = true;
    } else if (complete && option->get_group() != "Options") {
      std::string group = "[" + option->get_group() + " options]";
      std::transform(group.begin(), group.end(), group.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (std::find(words.begin(), words.end(), group) == words.end()) words.push_back(group);
    } else {
      words.push_back(optionUsage(option));
    }
  }
  if (more) words.push_back("[OPTIONS]");
  const auto named = app->get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
  if (!named.empty()) words.push_back(app->get_require_subcommand_min() > 0 ? "COMMAND" : "[COMMAND]");
  return words;
}

// `head` and `words` on lines of at most kUsageWidth columns, continuation lines indented to the
// first word.
std::string wrapped(const std::string& head, const std::vector<std::string>& words) {
  std::string text = head, line = head;
  const std::string indent(std::min<std::size_t>(head.size() + 1, 40), ' ');
  for (const std::string& word : words) {
    if (line.size() + 1 + word.size() > kUsageWidth && line.size() > indent.size()) {
      text += "\n" + indent + word;
      line = indent + word;
    } else {
      text += " " + word;
      line += " " + word;
    }
  }
  return text;
}

// "dbsplan sample path": the app's name after its parents'.
std::string commandPath(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent; parent = parent->get_parent())
    path = parent->get_name() + " " + path;
  return path;
}

// The usage of `app` on one line, for an error message: complete when short, else abbreviated.
std::string oneLineUsage(const CLI::App* app) {
  const std::string path = commandPath(app);
  std::string complete = path;
  for (const std::string& word : usageWords(app, true)) complete += " " + word;
  if (complete.size() <= kOneLineUsage) return complete;
  std::string brief = path;
  for (const std::string& word : usageWords(app, false)) brief += " " + word;
  return brief;
}

// CLI11's formatter with dbsplan's usage: the usage line lists the options (generated from their
// declarations), and the command list gives each command's usage with its summary, a command with
// subcommands (sample) one line per subcommand.
class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    return wrapped("usage: " + name, usageWords(app, true)) + "\n";
  }

  std::string make_subcommand(const CLI::App* sub) const override {
    const auto children =
        sub->get_subcommands([](const CLI::App* child) { return !child->get_name().empty(); });
    if (children.empty()) return entry(sub->get_name(), sub);
    std::string text;
    for (const CLI::App* child : children) text += entry(sub->get_name() + " " + child->get_name(), child);
    return text;
  }

 private:
  // "  info IMAGE [--json]             geometry ..." (the summary on its own line when the usage is long).
  std::string entry(const std::string& name, const CLI::App* app) const {
    const std::string usage = wrapped("  " + name, usageWords(app, true));
    const std::string& summary = app->get_description();
    if (summary.empty()) return usage + "\n";
    if (usage.find('\n') == std::string::npos && usage.size() < get_column_width())
      return usage + std::string(get_column_width() - usage.size(), ' ') + summary + "\n";
    return usage + "\n" + std::string(get_column_width(), ' ') + summary + "\n";
  }
};

// The deepest subcommand the parse reached (dbsplan itself when none).
const CLI::App* reachedCommand(const CLI::App& cli) {
  const CLI::App* app = &cli;
  while (!app->get_subcommands().empty()) app = app->get_subcommands().front();
  return app;
}

bool isCommandName(const std::string& word) {
  const auto& all = commands();
  return std::any_of(all.begin(), all.end(), [&](const Command& c) { return c.name == word; });
}

}  // namespace

int runCommandLine(int argc, char** argv) {
  const CommandLine commandLine{argc, argv};
  try {
    CLI::App cli{std::string("dbsplan ") + DBS_VERSION +
                     ": planning deep brain stimulation of the internal globus pallidus",
                 "dbsplan"};
    auto formatter = std::make_shared<UsageFormatter>();
    formatter->column_width(kSummaryColumn);
    cli.formatter(formatter);  // before the subcommands: they inherit it
    cli.set_version_flag("--version", std::string("dbsplan ") + DBS_VERSION);
    cli.require_subcommand(1, 1);
    std::vector<std::pair<const CLI::App*, CommandRun>> runs;
    for (const Command& command : commands()) {
      CLI::App* sub = cli.add_subcommand(command.name, command.summary);
      sub->group(command.group);
      runs.emplace_back(sub, command.define(*sub, commandLine));
    }
    // After the subcommands: a footer is inherited too.
    cli.footer(
        "IMAGE: .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, or a folder of DICOM files.\n"
        "All coordinates are patient RAS in millimetres (x right, y anterior, z superior).\n"
        "dbsplan COMMAND --help lists a command's options.");

    // No arguments: the usage, as a usage error. `help`, and a first word that is neither a command
    // nor -h, --help or --version, are answered before CLI11 sees them, as they always were.
    if (argc < 2) {
      std::cout << cli.help();
      return 2;
    }
    const std::string first = argv[1];
    if (first == "help") {
      std::cout << cli.help();
      return 0;
    }
    if (first != "-h" && first != "--help" && first != "--version" && !isCommandName(first)) {
      std::cerr << "dbsplan: unknown command '" << terminalSafe(first) << "' (try dbsplan --help)\n";
      return 2;
    }
    try {
      cli.parse(argc, argv);
      for (const auto& [sub, run] : runs)
        if (sub->parsed()) return run();
      throw CLI::RequiredError("A command");  // not reached: CLI11 requires one
    } catch (const CLI::ParseError& e) {
      // --help, SUB --help and --version print to stdout and exit 0; every other parse error (and a
      // command's own usage error, thrown as one) is one line naming the command and its usage.
      if (e.get_exit_code() == 0) return cli.exit(e);
      const CLI::App* where = reachedCommand(cli);
      std::cerr << commandPath(where) << ": " << terminalSafe(e.what())
                << " (usage: " << terminalSafe(oneLineUsage(where)) << ")\n";
      return 2;
    }
  } catch (const ImagingError& e) {
    std::cerr << "dbsplan: " << terminalSafe(e.what()) << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "dbsplan: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dbsplan: " << terminalSafe(e.what()) << "\n";
    return 1;
  }
}

}  // namespace dbs::app
