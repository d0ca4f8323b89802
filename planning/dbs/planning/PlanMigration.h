// PlanMigration: brings a plan file of an older schema version up to the current one, as JSON,
// before the one strict reader (planFromJson, PlanFile.h) sees it, so that the reader knows a single
// version. Each step is one function from version N to N + 1 (Slicer's markups do the same).
//
// Version 4 -> 5: the search's score is term by term (ScoreTerms.h): search.settings holds
// score_weights instead of contacts_in_target_weight and length_weight_per_10mm (given the current
// defaults); each trajectory's metrics may carry score_terms and window_inside_*, derived.
//
// Version 3 -> 4: a plan may carry stimulation settings; a version-3 plan has none.
//
// Version 2 -> 3: a plan may carry a frame registration (frame_registration, frame_settings); a
// version-2 plan has none and is otherwise the same.
//
// Version 1 -> 2: version 1 had no trajectory ids, no history of hand edits, no reviewer's note and
// no checksums of the files beside the plan. Ids are given as version 2 numbers them (per side, the
// chosen trajectory first, then the alternatives in order: L1, L2, ...); the history and the note
// start empty; the checksums are empty, so the companion files cannot be verified (the reader keeps
// the plan's own image checksum, which version 1 had).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dbs {

// `json` at schema_version kPlanSchemaVersion: unchanged when it already is; upgraded step by step
// from kOldestReadablePlanSchemaVersion; otherwise (not an object, no integer version, a version
// this dbsplan does not read) returned unchanged for planFromJson to refuse with its own message.
nlohmann::json migratePlanJson(const nlohmann::json& json);

}  // namespace dbs
