// BidsDataset: dbsplan as a BIDS App (BIDS 1.8; BIDS Apps' command line: BIDS_DIR OUTPUT_DIR
// participant|group). It finds each participant's T1w in a raw BIDS dataset, says where the
// participant's derivatives go, writes their BIDS-named outputs and sidecars, and gathers the
// participants' plans into one group table. The planning itself is the ordinary pipeline; one
// participant is one independent job (a process, a Slurm array task), sharing only the read-only
// input, so a cohort runs on as many machines as it has participants.
//
// Layout written under OUTPUT_DIR/dbsplan/ (a BIDS derivatives dataset):
//   dataset_description.json                 DatasetType "derivative", GeneratedBy dbsplan
//   .bidsignore                              the non-BIDS plan folders and status files
//   sub-01[/ses-1]/anat/sub-01[_ses-1]_space-T1w_desc-dbsplan_dseg.nii.gz (+ .json sidecar, + _dseg.tsv)
//   sub-01[/ses-1]/plan/                     dbsplan's plan folder (plan.json, labels, transforms...)
//   sub-01[/ses-1]/dbsplan_status.json       planned or failed, and why
//   group_trajectories.tsv                   (group level) one row per participant, session and side
#pragma once

#include <string>
#include <vector>

namespace dbs {

struct BidsT1w {
  std::string participant;  // the label without "sub-" ("01")
  std::string session;      // without "ses-"; empty when the dataset has no sessions
  std::string path;         // the T1w image
  std::string choice;       // how it was chosen when the participant has several T1w images ("" if one)
};

// The T1w image of each participant (and session) of the raw BIDS dataset `bidsDir`, in label
// order; only `participants` and `sessions` when given (labels with or without their prefix).
// Throws std::runtime_error: not a BIDS dataset (no dataset_description.json with Name and
// BIDSVersion, or no sub-* folder), a requested participant or session absent, a participant without
// any T1w image (named, with where it was looked for).
std::vector<BidsT1w> findBidsT1w(const std::string& bidsDir, const std::vector<std::string>& participants,
                                 const std::vector<std::string>& sessions);

// OUTPUT_DIR/dbsplan/sub-01[/ses-1]: the participant's derivative folder.
std::string participantDerivativeFolder(const std::string& outputDir, const BidsT1w& t1w);

// Writes OUTPUT_DIR/dbsplan/dataset_description.json and .bidsignore (atomically: several
// participant jobs may write them at once, with the same content).
void writeDerivativeDescription(const std::string& bidsDir, const std::string& outputDir,
                                const std::string& programVersion);

// After the plan folder (participantDerivativeFolder/plan) is complete: the BIDS-named outputs,
// their sidecars, and the status "planned".
void writeParticipantOutputs(const std::string& bidsDir, const std::string& outputDir, const BidsT1w& t1w);
// The status "failed" with the error, so that the group table reports it; the plan folder is not
// touched (a failed run never replaces an earlier participant plan).
void writeParticipantFailure(const std::string& outputDir, const BidsT1w& t1w, const std::string& error);

// The group table (tab-separated, BIDS style: n/a for missing values) of every participant folder
// under OUTPUT_DIR/dbsplan: one row per planned side, one row per failed participant. Writes it to
// OUTPUT_DIR/dbsplan/group_trajectories.tsv and returns its path. Throws when there is no participant.
std::string writeGroupTable(const std::string& outputDir);

}  // namespace dbs
