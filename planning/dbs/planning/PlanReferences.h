// PlanReferences: the files a plan refers to beside it (labels, risk structures, transforms) and
// the image it was made from, with their SHA-256 checksums, so that a reopened plan is re-scored
// against exactly the data it was made from, and a plan saved elsewhere still names the same files.
#pragma once

#include <string>
#include <vector>

#include "dbs/planning/PlanModel.h"

namespace dbs {

// The files the plan refers to (labels, risk structures, transforms), relative to its folder.
std::vector<std::string> planReferencedFiles(const PlanDocument& plan);
// Rewrites those references (and their checksum keys) for a plan file moving from `fromDir` to
// `toDir`, so that they still name the same files; those named in `carried` were copied to the same
// relative name in `toDir` (carryPlanCompanions) and keep their names.
void relocatePlanReferences(PlanDocument& plan, const std::string& fromDir, const std::string& toDir,
                            const std::vector<std::string>& carried = {});
// Save As into another folder: copies every referenced file that lies in `fromDir` (or below it)
// to the same relative name in `toDir`, checksum verified, so the plan saved there is self-contained
// and survives the old folder's deletion. A file already in `toDir` with the same content is kept;
// one with other content (another plan's) is never overwritten: std::runtime_error naming it, before
// anything is copied. Returns the names now beside the plan in `toDir`, for relocatePlanReferences
// (the files outside `fromDir` stay where they are, referred to from the new folder).
std::vector<std::string> carryPlanCompanions(const PlanDocument& plan, const std::string& fromDir,
                                             const std::string& toDir);
// Records the SHA-256 of every referenced file present in `planDir`.
void recordReferencedChecksums(PlanDocument& plan, const std::string& planDir);
// Empty when every referenced file is a regular file in reach of `planDir` with the recorded
// checksum; else why not (one line per file: missing, not a regular file, without a recorded
// checksum, or changed since the plan was written). A schema-1 plan recorded no checksums at all:
// its files are only checked to exist (planCompanionsUnverified says so).
std::string planReferencedFilesProblem(const PlanDocument& plan, const std::string& planDir);
// Whether the plan refers to files but recorded no checksum of any of them (schema version 1):
// such a plan may be shown, never edited or saved, until planned again.
bool planCompanionsUnverified(const PlanDocument& plan);

// Empty when the plan's image is on disk with the plan's checksum; otherwise why not, in one line
// (missing, or changed since the plan was made).
std::string planImageProblem(const PlanDocument& plan);

// SHA-256 of a file (or of every file of a DICOM folder, in name order), lower-case hex.
std::string sha256OfPath(const std::string& path);

}  // namespace dbs
