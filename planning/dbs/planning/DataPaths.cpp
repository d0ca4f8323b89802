#include "dbs/planning/DataPaths.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace dbs {
namespace {

std::string fromEnvironment(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return (value && *value) ? std::string(value) : std::string(fallback);
}

}  // namespace

std::string sourceDataPath(const std::string& relative) {
  return fromEnvironment("DBSPLAN_DATA_DIR", DBS_DATA_DIR) + "/" + relative;
}

std::string buildDataPath(const std::string& relative) {
  return fromEnvironment("DBSPLAN_BUILD_DATA_DIR", DBS_BUILD_DATA_DIR) + "/" + relative;
}

std::string mricronTemplatesDir() {
  return fromEnvironment("DBSPLAN_MRICRON_DIR", DBS_MRICRON_DIR);
}

std::string itkExampleDataDir() {
  return fromEnvironment("DBSPLAN_ITK_EXAMPLES_DIR", "/usr/share/doc/insighttoolkit5-examples/examples/Data");
}

nlohmann::json readSourceDataJson(const std::string& relative, const std::string& schema, std::string& path) {
  path = sourceDataPath(relative);
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || j.value("schema", "") != schema)
    throw std::runtime_error(path + ": not a " + schema + " file");
  return j;
}

}  // namespace dbs
