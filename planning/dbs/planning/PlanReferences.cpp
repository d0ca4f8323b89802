#include "dbs/planning/PlanReferences.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>

#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs {

std::vector<std::string> planReferencedFiles(const PlanDocument& plan) {
  std::vector<std::string> files;
  for (const std::string& f : {plan.labelsFile, plan.transforms.affineFile, plan.transforms.displacementFile})
    if (!f.empty()) files.push_back(f);
  if (plan.riskStructures.is_object() && plan.riskStructures.contains("file") &&
      plan.riskStructures["file"].is_string())
    files.push_back(plan.riskStructures["file"].get<std::string>());
  return files;
}

void relocatePlanReferences(PlanDocument& plan, const std::string& fromDir, const std::string& toDir,
                            const std::vector<std::string>& carried) {
  namespace fs = std::filesystem;
  const fs::path from = fs::absolute(fromDir).lexically_normal(), to = fs::absolute(toDir).lexically_normal();
  if (from == to) return;
  auto moved = [&](const std::string& file) {
    if (file.empty() || std::find(carried.begin(), carried.end(), file) != carried.end()) return file;
    return (from / file).lexically_normal().lexically_relative(to).string();
  };
  std::map<std::string, std::string> checksums;
  for (const auto& [file, digest] : plan.fileSha256) checksums[moved(file)] = digest;
  plan.fileSha256 = checksums;
  plan.labelsFile = moved(plan.labelsFile);
  plan.transforms.affineFile = moved(plan.transforms.affineFile);
  plan.transforms.displacementFile = moved(plan.transforms.displacementFile);
  if (plan.riskStructures.is_object() && plan.riskStructures.contains("file") &&
      plan.riskStructures["file"].is_string())
    plan.riskStructures["file"] = moved(plan.riskStructures["file"].get<std::string>());
}

std::vector<std::string> carryPlanCompanions(const PlanDocument& plan, const std::string& fromDir,
                                             const std::string& toDir) {
  namespace fs = std::filesystem;
  const fs::path from = fs::absolute(fromDir).lexically_normal(), to = fs::absolute(toDir).lexically_normal();
  if (from == to) return {};
  std::vector<std::string> inside;
  for (const std::string& file : planReferencedFiles(plan)) {
    const fs::path relative = fs::path(file).lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") continue;
    inside.push_back(file);
  }
  // The checksum the plan recorded for `file`, or "" (a plan without one).
  auto recordedDigest = [&plan](const std::string& file) {
    const auto recorded = plan.fileSha256.find(file);
    return recorded != plan.fileSha256.end() ? recorded->second : std::string();
  };
  // Check first, copy after: a conflict leaves the new folder as it was.
  for (const std::string& file : inside) {
    const fs::path source = from / file, destination = to / file;
    if (!fs::is_regular_file(source))
      throw std::runtime_error(source.string() +
                               ": the plan's file is missing, so the plan cannot be saved elsewhere");
    const std::string recorded = recordedDigest(file);
    const std::string digest = !recorded.empty() ? recorded : sha256OfPath(source.string());
    std::error_code ec;
    if (fs::exists(destination, ec) && sha256OfPath(destination.string()) != digest)
      throw std::runtime_error(destination.string() +
                               " already exists with other content (another plan's?): it is not overwritten; "
                               "save the plan into an empty folder");
  }
  for (const std::string& file : inside) {
    const fs::path source = from / file, destination = to / file;
    std::error_code ec;
    if (fs::exists(destination, ec)) continue;  // the same content: checked above
    fs::create_directories(destination.parent_path(), ec);
    // Copied under a temporary name and renamed: never a partial file under the plan's name.
    const fs::path partial = destination.string() + ".partial-copy";
    if (!fs::copy_file(source, partial, fs::copy_options::overwrite_existing, ec) || ec)
      throw std::runtime_error(destination.string() + ": cannot copy the plan's file here (" + ec.message() +
                               ")");
    const std::string recorded = recordedDigest(file);
    if (!recorded.empty() && sha256OfPath(partial.string()) != recorded) {
      fs::remove(partial, ec);
      throw std::runtime_error(destination.string() + ": the copy does not match the plan's checksum");
    }
    fs::rename(partial, destination, ec);
    if (ec)
      throw std::runtime_error(destination.string() + ": cannot copy the plan's file here (" + ec.message() +
                               ")");
  }
  return inside;
}

void recordReferencedChecksums(PlanDocument& plan, const std::string& planDir) {
  plan.fileSha256.clear();
  for (const std::string& file : planReferencedFiles(plan)) {
    const std::filesystem::path path = std::filesystem::path(planDir) / file;
    if (std::filesystem::is_regular_file(path)) plan.fileSha256[file] = sha256OfPath(path.string());
  }
}

std::string planReferencedFilesProblem(const PlanDocument& plan, const std::string& planDir) {
  std::string problems;
  for (const std::string& file : planReferencedFiles(plan)) {
    const std::filesystem::path path = std::filesystem::path(planDir) / file;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      problems += (problems.empty() ? "" : "\n") + path.string() + " is missing";
      continue;
    }
    if (!std::filesystem::is_regular_file(path, ec)) {  // /dev/zero, a FIFO: would be read forever
      problems += (problems.empty() ? "" : "\n") + path.string() + " is not a regular file";
      continue;
    }
    const auto recorded = plan.fileSha256.find(file);
    if (recorded == plan.fileSha256.end()) {
      if (!plan.fileSha256.empty())  // version 1 plans recorded none (planCompanionsUnverified)
        problems += (problems.empty() ? "" : "\n") + path.string() + " has no checksum in file_checksums";
      continue;
    }
    if (sha256OfPath(path.string()) != recorded->second)
      problems += (problems.empty() ? "" : "\n") + path.string() +
                  " has changed since the plan was written (SHA-256 differs)";
  }
  return problems;
}

bool planCompanionsUnverified(const PlanDocument& plan) {
  return plan.fileSha256.empty() && !planReferencedFiles(plan).empty();
}

std::string planImageProblem(const PlanDocument& plan) {
  if (!std::filesystem::exists(plan.image.path))
    return "the plan's image " + plan.image.path + " is not on this machine";
  if (!std::filesystem::is_directory(plan.image.path) && !std::filesystem::is_regular_file(plan.image.path))
    return "the plan's image " + plan.image.path +
           " is not a regular file (a device or FIFO cannot be the image)";
  if (sha256OfPath(plan.image.path) != plan.image.sha256)
    return "the image " + plan.image.path +
           " has changed since the plan was made (SHA-256 differs): the plan is for another file";
  return {};
}

std::string sha256OfPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  } else {
    // A FIFO or a device named as the plan's image would be read forever (issue 11).
    requireRegularFile(path, "file to checksum");
    files.push_back(path);
  }
  // OpenSSL's digest: a checksum worth its name, from the library that already does it.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
  std::vector<char> buffer(1 << 20);
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file.string() + ": cannot read for its checksum");
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() > 0)
        EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  std::ostringstream hex;
  for (unsigned int i = 0; i < length; ++i)
    hex << std::hex << std::setw(2) << std::setfill('0') << int(digest[i]);
  return hex.str();
}

}  // namespace dbs
