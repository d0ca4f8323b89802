// SampleCatalogue: the sample datasets a user opens in one click (`dbsplan sample list`, File > Open
// sample), read from data/samples.json. Paths there use ${MRICRON} (Debian's mricron-data) and
// ${BUILD_DATA} (the build tree's data folder), resolved through DataPaths.h.
#pragma once

#include <string>
#include <vector>

namespace dbs {

struct Sample {
  std::string name, title, description;
  std::string t1Path, t1HighResolutionPath, labelsPath, labelsJsonPath;
  std::string debianPackage;  // where the files come from, when a package provides them
  bool generated = false;     // produced by dbsplan itself on first use (the phantom)
  int generatorSeed = 0;
  // Empty when every file is present; otherwise what the user must do, in one sentence.
  std::string missingReason() const;
  bool ready() const { return missingReason().empty(); }
};

class SampleCatalogue {
 public:
  static SampleCatalogue load(const std::string& path);
  static const SampleCatalogue& standard();
  const std::vector<Sample>& samples() const { return samples_; }
  // Throws std::out_of_range naming the known samples when `name` is unknown.
  const Sample& find(const std::string& name) const;

 private:
  std::vector<Sample> samples_;
};

}  // namespace dbs
