// libFuzzer target: the plan reader's validation (planFromJson, behind plan-info, edit and
// File > Open plan) on arbitrary JSON. Besides crashes it checks the promise of issue 11 that
// dbsplan never writes what its reader refuses: every plan the reader accepts is written back
// (planToJson) and must be accepted again, unchanged.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "FuzzSupport.h"
#include "dbs/planning/PlanDocument.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // not JSON: readPlan refuses it before planFromJson
  dbs::PlanDocument plan;
  try {
    plan = dbs::planFromJson(j, "fuzz.json");
  } catch (const std::runtime_error&) {
    return 0;  // refused with a message naming the field
  }
  const nlohmann::json written = dbs::planToJson(plan);
  try {
    const nlohmann::json again = dbs::planToJson(dbs::planFromJson(written, "written back"));
    if (again != written) {
      std::fprintf(stderr, "a plan changed when written and read back\n");
      std::abort();
    }
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "the reader refuses what the writer wrote from an accepted plan: %s\n", e.what());
    std::abort();
  }
  return 0;
}
