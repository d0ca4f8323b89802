// The layers, checked on the code itself: every `#include "..."` of every product source is read and
// mapped to the folder it comes from and the folder it names, and each edge must point down:
//
//   cli -> gui -> figures -> render -> planning -> imaging
//   generators -> imaging          (the phantom and synthetic patients; gui and cli may use them)
//   atlas -> imaging               (data/tools: the atlas derivation, a build-time tool)
//
// A layer may include any layer below it, never one above (upward) or beside it (sideways), and no
// product library (imaging, planning, render, figures) includes a generator or the atlas tool.
// imaging/ and planning/ include no Qt and no VTK header at all (they are used headless). A source
// file in a folder that no layer claims fails too, so a new folder is placed on purpose. See
// docs/ARCHITECTURE.md for where new code goes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Each layer: the source folder it owns (relative to the repository) and the include prefix others
// name it by.
struct Layer {
  std::string name, folder, includePrefix;
  std::set<std::string> mayInclude;  // the layers below it that it may name
};

const std::vector<Layer>& layers() {
  static const std::vector<Layer> all = {
      {"imaging", "imaging/", "dbs/imaging/", {}},
      {"generators", "generators/", "dbs/generators/", {"imaging"}},
      {"atlas", "data/tools/", "dbs/atlas/", {"imaging"}},
      {"planning", "planning/", "dbs/planning/", {"imaging"}},
      {"render", "app/render/", "render/", {"planning", "imaging"}},
      {"figures", "app/figures/", "figures/", {"render", "planning", "imaging"}},
      {"gui", "app/gui/", "gui/", {"figures", "render", "planning", "imaging", "generators"}},
      {"cli", "app/cli/", "cli/", {"gui", "figures", "render", "planning", "imaging", "generators"}},
      // The executable's main is the command line's.
      {"cli", "app/main.cpp", "", {"gui", "figures", "render", "planning", "imaging", "generators"}},
  };
  return all;
}

const Layer* layerOfFile(const std::string& relativePath) {
  for (const Layer& l : layers())
    if (relativePath.rfind(l.folder, 0) == 0) return &l;
  return nullptr;
}

std::optional<std::string> layerOfInclude(const std::string& include) {
  for (const Layer& l : layers())
    if (!l.includePrefix.empty() && include.rfind(l.includePrefix, 0) == 0) return l.name;
  return std::nullopt;
}

struct Include {
  std::string file;  // relative to the repository
  int line = 0;
  std::string target;  // what the quotes or angle brackets name
  bool quoted = true;
};

std::vector<Include> includesOf(const fs::path& root, const fs::path& file) {
  static const std::regex directive(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> found;
  std::ifstream in(file);
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    std::smatch m;
    if (std::regex_search(text, m, directive))
      found.push_back({fs::relative(file, root).string(), line, m[2].str(), m[1].str() == "\""});
  }
  return found;
}

// The violations among `includes`: one line each, "file:line: why".
std::vector<std::string> violations(const std::vector<Include>& includes) {
  std::vector<std::string> problems;
  for (const Include& inc : includes) {
    const Layer* from = layerOfFile(inc.file);
    const std::string where = inc.file + ":" + std::to_string(inc.line) + ": ";
    if (!from) {
      problems.push_back(where +
                         "this folder belongs to no layer (add it to the layers, and to "
                         "docs/ARCHITECTURE.md)");
      continue;
    }
    if (!inc.quoted) {
      const bool qtOrVtk = (inc.target.size() > 1 && inc.target[0] == 'Q' && std::isupper(inc.target[1])) ||
                           inc.target.rfind("Qt", 0) == 0 || inc.target.rfind("vtk", 0) == 0;
      if (qtOrVtk && (from->name == "imaging" || from->name == "planning"))
        problems.push_back(where + from->name + " includes <" + inc.target +
                           ">: imaging/ and planning/ are used headless, without Qt or VTK");
      continue;
    }
    const std::optional<std::string> to = layerOfInclude(inc.target);
    if (!to || *to == from->name) continue;  // a file of its own layer, or a test-support header
    if (!from->mayInclude.count(*to))
      problems.push_back(where + from->name + " includes \"" + inc.target + "\" of " + *to +
                         ", which is above or beside it");
  }
  return problems;
}

fs::path sourceRoot() {
  return fs::path(DBS_SOURCE_DIR);
}

std::vector<Include> productIncludes() {
  std::vector<Include> all;
  for (const char* folder : {"imaging", "generators", "data/tools", "planning", "app"})
    for (const auto& e : fs::recursive_directory_iterator(sourceRoot() / folder)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".h")) continue;
      for (const Include& inc : includesOf(sourceRoot(), e.path())) all.push_back(inc);
    }
  return all;
}

TEST(IncludeGraph, EveryIncludePointsDownTheLayers) {
  const std::vector<Include> includes = productIncludes();
  // Not vacuous: every layer was read and names the layers under it.
  std::map<std::string, int> edgesFrom;
  for (const Include& inc : includes)
    if (const Layer* l = layerOfFile(inc.file); l && inc.quoted && layerOfInclude(inc.target))
      ++edgesFrom[l->name];
  for (const char* layer : {"imaging", "generators", "atlas", "planning", "render", "figures", "gui", "cli"})
    EXPECT_GT(edgesFrom[layer], 0) << "no source of layer " << layer << " was read";
  std::ostringstream report;
  const std::vector<std::string> problems = violations(includes);
  for (const std::string& p : problems) report << "\n  " << p;
  EXPECT_TRUE(problems.empty()) << problems.size() << " include(s) against the layers:" << report.str();
}

// The checker itself finds what it must: an upward, a sideways and a generator include, Qt in
// planning, and a file outside every layer; a downward include passes.
TEST(IncludeGraph, TheCheckerRefusesUpwardSidewaysAndGeneratorIncludes) {
  const std::vector<Include> bad = {
      {"app/render/SliceRenderer.cpp", 1, "gui/MainWindow.h", true},                // upward
      {"app/figures/PlanReport.cpp", 2, "gui/PlanPanel.h", true},                   // upward
      {"planning/dbs/planning/Locate.cpp", 3, "dbs/generators/Phantom.h", true},    // a generator
      {"imaging/dbs/imaging/Volume.cpp", 4, "dbs/atlas/AtlasDerivation.h", true},   // the atlas tool
      {"generators/dbs/generators/Phantom.cpp", 5, "dbs/planning/Locate.h", true},  // sideways
      {"planning/dbs/planning/PlanSession.cpp", 6, "QObject", false},               // Qt below app/
      {"imaging/dbs/imaging/Volume.cpp", 7, "vtkImageData.h", false},               // VTK below app/
      {"elsewhere/Thing.cpp", 8, "dbs/imaging/Volume.h", true},                     // no layer
  };
  EXPECT_EQ(violations(bad).size(), bad.size());
  const std::vector<Include> good = {
      {"app/cli/PlanCommand.cpp", 1, "figures/PlanReport.h", true},
      {"app/gui/SampleLoading.cpp", 2, "dbs/generators/Phantom.h", true},
      {"app/render/SliceRenderer.cpp", 3, "dbs/planning/Trajectory.h", true},
      {"app/figures/PlanFigures.cpp", 4, "QPainter", false},
      {"app/main.cpp", 5, "cli/Commands.h", true},
  };
  EXPECT_TRUE(violations(good).empty());
}

}  // namespace
