// Checks a plan file against the plan's published schema (planning/schema/plan.schema.json) with
// the standard validator (python3-jsonschema, Debian 12), through tests/tools/validate_json_schema.py:
// the tests run it on every plan they write, so a change to the writer that the schema does not
// describe fails a test before it reaches a reader (3D Slicer scripts, cohort pipelines).
#pragma once

#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace dbs::test {

inline std::string planSchemaPath() {
  return std::string(DBS_SOURCE_DIR) + "/planning/schema/plan.schema.json";
}

// "" when every file is valid; otherwise the validator's report (one line per error, with the JSON
// path of the field).
inline std::string planSchemaProblems(const std::string& planPath) {
  const std::string command = "/usr/bin/python3 " + std::string(DBS_SOURCE_DIR) +
                              "/tests/tools/validate_json_schema.py " + planSchemaPath() + " '" + planPath +
                              "' 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "could not run the schema validator";
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pclose(pipe);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : output;
}

}  // namespace dbs::test
