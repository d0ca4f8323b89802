// StderrCapture: holds back what libraries print on the process's standard error while dbsplan
// calls them. niftilib prints "** ERROR: NWAD: wrote only ..." on a full disk and libpng "libpng
// error: Write Error" before dbsplan can say which file could not be written and why; the user
// must read dbsplan's one line, not theirs ahead of it (issue 26). What they printed is returned,
// for a message or a log, and never lost silently: an owner that ignores it discards it knowingly.
#pragma once

#include <string>

namespace dbs {

class StderrCapture {
 public:
  // Points file descriptor 2 at a temporary file until release() (or destruction). One capture at
  // a time in the process: a second one waits (a lock), so threads never interleave captures.
  StderrCapture();
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores standard error and returns what was written to it meanwhile, trailing newlines removed.
  std::string release();

 private:
  int savedStderr_ = -1;
  int captureFd_ = -1;
  bool locked_ = false;
};

// Why a write into `folder` failed, in words: "the disk is full" when errno or the free space says
// so, else the system's reason for `errnoValue`.
std::string whyWriteFailed(const std::string& folder, int errnoValue);

}  // namespace dbs
