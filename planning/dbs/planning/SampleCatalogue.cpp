#include "dbs/planning/SampleCatalogue.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dbs/planning/DataPaths.h"

namespace dbs {
namespace {

std::string resolve(std::string path) {
  const std::pair<std::string, std::string> variables[] = {{"${MRICRON}", mricronTemplatesDir()},
                                                           {"${BUILD_DATA}", buildDataPath("")},
                                                           {"${ITK_EXAMPLES}", itkExampleDataDir()}};
  for (const auto& [key, value] : variables) {
    std::string dir = value;
    if (!dir.empty() && dir.back() == '/') dir.pop_back();
    for (auto at = path.find(key); at != std::string::npos; at = path.find(key))
      path.replace(at, key.size(), dir);
  }
  return path;
}

}  // namespace

std::string Sample::missingReason() const {
  std::vector<std::string> missing;
  for (const std::string& p : {t1Path, labelsPath, labelsJsonPath})
    if (!p.empty() && !std::filesystem::exists(p)) missing.push_back(p);
  if (missing.empty()) return {};
  if (generated)
    return "not generated yet: `dbsplan sample path " + name + "` generates it (" + missing.front() + ")";
  if (!debianPackage.empty() && !std::filesystem::exists(t1Path))
    return "the Debian package " + debianPackage + " is not installed (missing " + t1Path +
           "): run scripts/setup.sh or `sudo apt-get install " + debianPackage + "`";
  return "missing " + missing.front() + ": build the project (scripts/build.sh) to derive it";
}

SampleCatalogue SampleCatalogue::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("sample catalogue: cannot open " + path);
  const nlohmann::json root = nlohmann::json::parse(in);
  SampleCatalogue catalogue;
  for (const auto& s : root.at("samples")) {
    Sample sample;
    sample.name = s.at("name").get<std::string>();
    sample.title = s.at("title").get<std::string>();
    sample.description = s.value("description", "");
    sample.t1Path = resolve(s.at("t1").get<std::string>());
    sample.t1HighResolutionPath = resolve(s.value("t1_high_resolution", ""));
    sample.labelsPath = resolve(s.value("labels", ""));
    sample.labelsJsonPath = resolve(s.value("labels_json", ""));
    sample.debianPackage = s.value("debian_package", "");
    if (s.contains("generator")) {
      sample.generated = true;
      sample.generatorSeed = s.at("generator").value("seed", 1);
    }
    catalogue.samples_.push_back(sample);
  }
  return catalogue;
}

const SampleCatalogue& SampleCatalogue::standard() {
  static const SampleCatalogue catalogue = load(sourceDataPath("samples.json"));
  return catalogue;
}

const Sample& SampleCatalogue::find(const std::string& name) const {
  for (const auto& s : samples_)
    if (s.name == name) return s;
  std::string known;
  for (const auto& s : samples_) known += (known.empty() ? "" : ", ") + s.name;
  throw std::out_of_range("unknown sample '" + name + "' (known: " + known + ")");
}

}  // namespace dbs
