// PlanFile: the plan's versioned JSON file, schema "dbsplan.plan" version 2, described by
// planning/schema/plan.schema.json. planToJson writes it; planFromJson reads it with validation that
// names the field and the problem (after PlanMigration.h has brought an older version up to the
// current one); writePlan and readPlan add the atomic file write and the file's own errors.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dbs/planning/PlanModel.h"

namespace dbs {

nlohmann::json planToJson(const PlanDocument& plan);
// One trajectory as the plan file holds it (id, side, points, electrode, metrics).
nlohmann::json plannedTrajectoryToJson(const PlannedTrajectory& trajectory);
// Validates everything; throws std::runtime_error "<where>: <field>: <problem>" on the first error.
PlanDocument planFromJson(const nlohmann::json& json, const std::string& where);

// Atomic: temporary file in the same folder, then rename. Throws std::runtime_error, writing
// nothing, when the plan would not pass planFromJson's validation.
void writePlan(const PlanDocument& plan, const std::string& path);
// Throws std::runtime_error naming the file, the field and the problem.
PlanDocument readPlan(const std::string& path);
// The JSON of a plan file, unvalidated: refuses (std::runtime_error / ImagingError naming the file) a
// FIFO, a device, a file over kMaxPlanFileBytes and text that is not JSON.
nlohmann::json readPlanJson(const std::string& path);
// The largest plan file read, bytes: a colin27 plan is about 40 KB; 16 MiB leaves room for
// hundreds of alternatives and a long history, and bounds what a hostile file costs to parse.
constexpr std::uintmax_t kMaxPlanFileBytes = 16u * 1024u * 1024u;

// A side's stimulation settings as plan.json and the history write them (without the assessment),
// and back (validated; throws std::runtime_error naming `where` and the field).
nlohmann::json stimulationSettingsToJson(const StimulationSettings& settings);
StimulationSettings stimulationSettingsFromJson(const nlohmann::json& json, const std::string& where);

nlohmann::json searchSettingsToJson(const SearchSettings& settings);
// {"clearance": 1, ...}: every term, as search.settings.score_weights holds them.
nlohmann::json scoreWeightsToJson(const ScoreWeights& weights);
// The inverse, validated (throws std::runtime_error naming `where` and the field).
SearchSettings searchSettingsFromJson(const nlohmann::json& json, const std::string& where);

}  // namespace dbs
