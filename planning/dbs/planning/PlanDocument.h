// PlanDocument: a DBS plan, whole: its model (PlanModel.h), its versioned JSON file (PlanFile.h,
// migrations in PlanMigration.h, schema planning/schema/plan.schema.json) and the files it refers to
// (PlanReferences.h). Include this where all three are used; the narrower headers where one is.
//
// The file holds: the image (path, SHA-256, grid), the label map and transforms beside it, the
// landmarks, the proposed targets per side, one chosen trajectory per side with its electrode and
// metrics, the search's alternatives, the search summary {candidates, seconds, settings}, the risk
// structures summary, notes, creation time and program version; since version 2 also stable
// trajectory ids, the typed history of hand edits, the reviewer's note and the SHA-256 of every
// file the plan refers to in its folder (labels, risk structures, transforms). It is written
// atomically and read with validation that names the field and the problem.
#pragma once

#include "dbs/planning/PlanFile.h"
#include "dbs/planning/PlanModel.h"
#include "dbs/planning/PlanReferences.h"
