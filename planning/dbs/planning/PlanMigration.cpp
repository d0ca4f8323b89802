#include "dbs/planning/PlanMigration.h"

#include <map>

#include "dbs/planning/PlanFile.h"
#include "dbs/planning/PlanModel.h"

namespace dbs {

namespace {

// Version 1 -> 2 (see the header).
nlohmann::json migrateVersion1To2(nlohmann::json plan) {
  std::map<std::string, int> lastNumber;  // per side letter
  for (const char* list : {"trajectories", "alternatives"}) {
    if (!plan.contains(list) || !plan[list].is_array()) continue;
    for (nlohmann::json& trajectory : plan[list]) {
      if (!trajectory.is_object() || !trajectory.contains("side") || !trajectory["side"].is_string())
        continue;
      const std::string side = trajectory["side"];
      trajectory["id"] = side + std::to_string(++lastNumber[side]);
    }
  }
  plan["review_note"] = "";
  plan["history"] = nlohmann::json::array();
  plan["file_checksums"] = nlohmann::json::object();
  plan["schema_version"] = 2;
  return plan;
}

// Version 2 -> 3: a frame registration may follow (frame_registration, frame_settings); a version-2
// plan has none, and nothing else changed.
nlohmann::json migrateVersion2To3(nlohmann::json plan) {
  plan["schema_version"] = 3;
  return plan;
}

// Version 3 -> 4: stimulation settings may follow (stimulation); a version-3 plan has none, and
// nothing else changed.
nlohmann::json migrateVersion3To4(nlohmann::json plan) {
  plan["schema_version"] = 4;
  return plan;
}

// Version 4 -> 5: the search's score became term by term (ScoreTerms.h). search.settings'
// contacts_in_target_weight and length_weight_per_10mm give way to score_weights (the current
// defaults: a version-4 score cannot be expressed in the new terms); the metrics' score_terms and
// window_inside_* are derived and appear when the plan is re-scored, as on opening it.
nlohmann::json migrateVersion4To5(nlohmann::json plan) {
  plan["schema_version"] = 5;
  if (plan.contains("search") && plan["search"].is_object() && plan["search"].contains("settings") &&
      plan["search"]["settings"].is_object()) {
    nlohmann::json& settings = plan["search"]["settings"];
    settings.erase("contacts_in_target_weight");
    settings.erase("length_weight_per_10mm");
    settings["score_weights"] = scoreWeightsToJson(defaultScoreWeights());
  }
  return plan;
}

}  // namespace

nlohmann::json migratePlanJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("schema_version") || !json["schema_version"].is_number_integer())
    return json;
  const long version = json["schema_version"].get<long>();
  if (version < kOldestReadablePlanSchemaVersion || version >= kPlanSchemaVersion) return json;
  nlohmann::json plan = json;
  if (version == 1) plan = migrateVersion1To2(std::move(plan));
  if (version <= 2) plan = migrateVersion2To3(std::move(plan));
  if (version <= 3) plan = migrateVersion3To4(std::move(plan));
  if (version <= 4) plan = migrateVersion4To5(std::move(plan));
  return plan;
}

}  // namespace dbs
