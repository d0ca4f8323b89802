// OutputGeneration: the files one `dbsplan plan` or `dbsplan locate` run writes into its output
// folder (plan.json, labels, transforms, risk map, report, scene) replace the previous run's files
// as one generation (issue 11). A killed or failed run must never cost the user the plan they had.
//
// The protocol, in the spirit of a database's commit journal:
//   1. The folder is locked (flock on the folder itself, so no lock file is left behind) for the
//      whole run; a second run into the same folder is refused by name.
//   2. Every output is written into a hidden staging folder inside it, .dbsplan-generation-PID/.
//      The previous generation is not touched. A kill here leaves it whole; the staging folder is
//      removed by the next dbsplan that opens the folder.
//   3. When every file is written and synced, a manifest (.commit) listing the renames is written
//      atomically into the staging folder: from this moment the new generation is complete.
//   4. The files are renamed into place one by one, plan.json last, then outputs of the previous
//      generation the new one does not have (a report after --no-figures) are removed.
//   5. The manifest and the staging folder are removed.
// A kill during step 4 leaves a manifest; recoverInterruptedGenerations (run by the next plan,
// locate, plan-info, edit or view of that folder) finishes the renames, so the folder holds the
// whole new generation. Rename within one file system is atomic, so no file is ever partial.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dbs {

class OutputGeneration {
 public:
  // Creates `folder` if needed, locks it, recovers what an earlier killed run left, and makes an
  // empty staging folder. Throws std::runtime_error naming the folder when another dbsplan holds
  // the lock or the folder cannot be written.
  explicit OutputGeneration(const std::string& folder);
  // Not committed (an exception, a cancelled run): the staging folder and everything in it go;
  // the previous generation stays exactly as it was.
  ~OutputGeneration();
  OutputGeneration(const OutputGeneration&) = delete;
  OutputGeneration& operator=(const OutputGeneration&) = delete;

  // Where this run writes its outputs; the file names are the final ones.
  const std::string& stagingFolder() const { return staging_; }
  const std::string& folder() const { return folder_; }

  // Runs `writeOutputs(stagingFolder())`. What it throws is rethrown (same type) with the staging
  // folder's paths put as the files' final paths in folder(): a user is told "cannot write
  // OUT/scene.png", never about the hidden staging folder.
  void write(const std::function<void(const std::string& stagingFolder)>& writeOutputs) const;

  // Makes the staged files the folder's generation: renames them into place with `lastName`
  // (plan.json) renamed last, then removes the folder's files for which `isOutputName` holds that
  // this generation did not write (a report after --no-figures). Throws if a staged file cannot be
  // synced or renamed; once the manifest is written, the next dbsplan that opens the folder
  // finishes the renames.
  void commit(const std::string& lastName, const std::function<bool(const std::string&)>& isOutputName);

 private:
  std::string folder_;
  std::string staging_;
  int lockFd_ = -1;
  bool committed_ = false;
};

// Finishes or discards what killed runs left in `folder`: a staging folder with a complete
// manifest is rolled forward, one without is removed with its contents, and `.partial-PID-*`
// temporaries of processes that no longer run are removed. Does nothing while another dbsplan
// holds the folder's lock, or when the folder cannot be written (a read-only plan folder).
// Returns one line per action, for the log.
std::vector<std::string> recoverInterruptedGenerations(const std::string& folder);

// The file names a `plan` run writes (plan.json, labels, transforms, risk map, report, scene,
// with_N.nii.gz) and the subset a `locate` run writes: what a commit may remove as obsolete.
bool isPlanOutputName(const std::string& fileName);
bool isLocateOutputName(const std::string& fileName);

}  // namespace dbs
