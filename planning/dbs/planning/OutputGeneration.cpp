#include "dbs/planning/OutputGeneration.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "dbs/imaging/ImageWriting.h"

namespace dbs {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingPrefix = ".dbsplan-generation-";
constexpr const char* kManifestName = ".commit";
constexpr const char* kManifestHeader = "dbsplan output generation 1";

struct Step {
  enum class Kind { Move, Remove } kind;
  std::string name;
};

// A manifest names files of one folder only: no separators, nothing that climbs out of it.
bool isPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos && name.find('\n') == std::string::npos;
}

// Durability before the manifest claims completeness: a crash of the machine (not only of the
// process) must not leave a manifest pointing at files whose data never reached the disk.
void syncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int syncErrno = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error(path.string() + ": cannot sync: " + std::strerror(syncErrno));
}

// Crash testing only (tests/planning OutputGeneration, tests/app CliPlan): the process kills
// itself before commit step N, where steps count the manifest (0), each rename and removal, and
// the clean-up, so every point of the commit can be shown to recover.
void killHereIfTestAsks(int step) {
  const char* asked = std::getenv("DBSPLAN_TEST_KILL_AT_COMMIT_STEP");  // read each time: tests fork
  if (asked && std::atoi(asked) == step) ::raise(SIGKILL);
}

std::vector<Step> readManifest(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::string line;
  if (!std::getline(in, line) || line != kManifestHeader)
    throw std::runtime_error(manifest.string() + ": not a dbsplan generation manifest");
  std::vector<Step> steps;
  bool ended = false;
  while (std::getline(in, line)) {
    if (line == "end") {
      ended = true;
      break;
    }
    const auto space = line.find(' ');
    const std::string verb = line.substr(0, space);
    const std::string name = space == std::string::npos ? "" : line.substr(space + 1);
    if ((verb != "move" && verb != "remove") || !isPlainFileName(name))
      throw std::runtime_error(manifest.string() + ": unreadable step '" + line + "'");
    steps.push_back({verb == "move" ? Step::Kind::Move : Step::Kind::Remove, name});
  }
  // The manifest is written to a temporary and renamed, so a missing end means tampering, not a
  // kill; it is then treated as incomplete and the staged files are discarded.
  if (!ended) throw std::runtime_error(manifest.string() + ": incomplete manifest");
  return steps;
}

// Carries out the steps still to do: a rename whose source is gone was done before the kill.
// `testHooks`: only the committing run itself obeys DBSPLAN_TEST_KILL_AT_COMMIT_STEP, never a
// recovery.
void runSteps(const fs::path& folder, const fs::path& staging, const std::vector<Step>& steps,
              bool testHooks) {
  int step = 1;
  for (const Step& s : steps) {
    if (testHooks) killHereIfTestAsks(step);
    ++step;
    std::error_code ec;
    if (s.kind == Step::Kind::Move) {
      if (!fs::exists(fs::symlink_status(staging / s.name))) continue;
      fs::rename(staging / s.name, folder / s.name, ec);
      if (ec)
        throw std::runtime_error((folder / s.name).string() +
                                 ": cannot put the new file in place: " + ec.message());
    } else {
      fs::remove(folder / s.name, ec);
      if (ec) throw std::runtime_error((folder / s.name).string() + ": cannot remove: " + ec.message());
    }
  }
  syncPath(folder, true);
  if (testHooks) killHereIfTestAsks(step);
}

bool processIsGone(const std::string& pidText) {
  if (pidText.empty() || pidText.size() > 9 || pidText.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const long pid = std::strtol(pidText.c_str(), nullptr, 10);
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Requires the folder's lock to be held by the caller.
std::vector<std::string> recoverLocked(const fs::path& folder) {
  std::vector<std::string> log;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code entryError;
    if (name.rfind(kStagingPrefix, 0) == 0 && entry.is_directory(entryError)) {
      const fs::path manifest = entry.path() / kManifestName;
      bool rolledForward = false;
      if (fs::exists(manifest)) {
        try {
          runSteps(folder, entry.path(), readManifest(manifest), /*testHooks=*/false);
          rolledForward = true;
        } catch (const std::exception& e) {
          log.push_back(std::string("could not finish an interrupted generation: ") + e.what());
          continue;  // kept for the next attempt: its files are the complete new generation
        }
      }
      fs::remove_all(entry.path(), entryError);
      log.push_back(rolledForward ? folder.string() +
                                        ": finished putting the new outputs of a run that was killed "
                                        "while committing them in place"
                                  : folder.string() +
                                        ": removed the unfinished outputs of a run that was killed or "
                                        "failed; the previous outputs are unchanged");
    } else if (name.rfind(".partial-", 0) == 0 && entry.is_regular_file(entryError)) {
      // writeImageAtomically / writeTextAtomically name their temporaries .partial-PID-NAME.
      const std::string rest = name.substr(9);
      if (processIsGone(rest.substr(0, rest.find('-')))) {
        fs::remove(entry.path(), entryError);
        log.push_back(folder.string() + ": removed " + name + ", left by a killed dbsplan");
      }
    }
  }
  return log;
}

class FolderLock {
 public:
  explicit FolderLock(const fs::path& folder)
      : fd_(::open(folder.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  bool held() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

OutputGeneration::OutputGeneration(const std::string& folder) : folder_(folder) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec || !fs::is_directory(folder_))
    throw std::runtime_error("cannot create the output folder " + folder_ + (ec ? ": " + ec.message() : ""));
  if (::access(folder_.c_str(), W_OK) != 0)
    throw std::runtime_error("the output folder " + folder_ + " cannot be written: " + std::strerror(errno));
  FolderLock lock(folder_);
  if (!lock.held())
    throw std::runtime_error("another dbsplan is writing to " + folder_ +
                             " right now; wait for it, or choose another --out folder");
  for (const auto& line : recoverLocked(folder_)) std::fprintf(stderr, "dbsplan: %s\n", line.c_str());
  staging_ = (fs::path(folder_) / (kStagingPrefix + std::to_string(::getpid()))).string();
  fs::remove_all(staging_, ec);  // a previous process with this PID cannot be running: we hold the lock
  fs::create_directory(staging_, ec);
  if (ec) throw std::runtime_error("cannot create " + staging_ + ": " + ec.message());
  lockFd_ = lock.release();
}

OutputGeneration::~OutputGeneration() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
  }
  if (lockFd_ >= 0) ::close(lockFd_);
}

void OutputGeneration::write(
    const std::function<void(const std::string& stagingFolder)>& writeOutputs) const {
  auto inFinalTerms = [this](std::string message) {
    for (std::size_t at = message.find(staging_); at != std::string::npos; at = message.find(staging_, at))
      message.replace(at, staging_.size(), folder_);
    return message;
  };
  try {
    writeOutputs(staging_);
  } catch (const Cancelled&) {
    throw;
  } catch (const ImagingError& e) {
    throw ImagingError(inFinalTerms(e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(inFinalTerms(e.what()));
  }
}

void OutputGeneration::commit(const std::string& lastName,
                              const std::function<bool(const std::string&)>& isOutputName) {
  const fs::path folder(folder_), staging(staging_);
  std::vector<Step> moves, removals;
  bool haveLast = false;
  for (const auto& entry : fs::directory_iterator(staging)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.rfind(".partial-", 0) == 0 || !isPlainFileName(name))
      throw std::runtime_error(entry.path().string() + ": an unfinished output in the new generation");
    syncPath(entry.path(), false);
    if (name == lastName)
      haveLast = true;
    else
      moves.push_back({Step::Kind::Move, name});
  }
  if (!haveLast) throw std::runtime_error(folder_ + ": the new generation has no " + lastName);
  moves.push_back({Step::Kind::Move, lastName});
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && isOutputName(name) && !fs::exists(staging / name))
      removals.push_back({Step::Kind::Remove, name});
  }
  std::vector<Step> steps = moves;
  steps.insert(steps.end(), removals.begin(), removals.end());
  syncPath(staging, true);

  // The manifest's own rename makes the generation complete in one atomic step.
  std::ostringstream manifest;
  manifest << kManifestHeader << "\n";
  for (const Step& s : steps)
    manifest << (s.kind == Step::Kind::Move ? "move " : "remove ") << s.name << "\n";
  manifest << "end\n";
  killHereIfTestAsks(0);
  try {
    writeTextAtomically((staging / kManifestName).string(), manifest.str());
  } catch (const ImagingError& e) {  // it names the hidden manifest: say what it means instead
    const std::string what = e.what(), reason = what.substr(what.find(": cannot write") + 2);
    throw ImagingError(folder_ + ": the new outputs could not be put in place (" + reason +
                       "); the folder's previous outputs are untouched");
  }
  syncPath(staging, true);
  committed_ = true;  // from here the staging folder is the new generation: never discarded
  runSteps(folder, staging, steps, /*testHooks=*/true);
  std::error_code ec;
  fs::remove_all(staging, ec);
}

std::vector<std::string> recoverInterruptedGenerations(const std::string& folder) {
  if (folder.empty() || !fs::is_directory(folder) || ::access(folder.c_str(), W_OK) != 0) return {};
  FolderLock lock(folder);
  if (!lock.held()) return {};  // a run is writing there now; it cleans up after itself
  return recoverLocked(folder);
}

bool isLocateOutputName(const std::string& name) {
  for (const char* fixedName :
       {"labels.nii.gz", "labels.json", "locate.json", "transform_affine.tfm", "transform_displacement.nii"})
    if (name == fixedName) return true;
  // with_N.nii.gz: the volumes of `locate --with`, N from 1.
  const std::string prefix = "with_", suffix = ".nii.gz";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string number = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  return number.find_first_not_of("0123456789") == std::string::npos;
}

bool isPlanOutputName(const std::string& name) {
  return isLocateOutputName(name) || name == "plan.json" || name == "risk_structures.nii.gz" ||
         name == "report.pdf" || name == "scene.png";
}

}  // namespace dbs
