// DataPaths: where dbsplan finds its data. Source data (electrode catalogue, landmark sources, sample
// catalogue) are read in place from the source tree's data/; data the build derives (the atlas,
// generated samples) live in the build tree's data/. DBSPLAN_DATA_DIR and DBSPLAN_BUILD_DATA_DIR
// override them (e.g. for an installed copy). MRICRON_TEMPLATES is where Debian's mricron-data is.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dbs {

std::string sourceDataPath(const std::string& relative);
std::string buildDataPath(const std::string& relative);
std::string mricronTemplatesDir();
// Debian's insighttoolkit5-examples data (a real coronal T1); DBSPLAN_ITK_EXAMPLES_DIR overrides.
std::string itkExampleDataDir();

// A catalogue of the source data (sourceDataPath(relative)) as JSON, checked to be an object whose
// "schema" is `schema`; its full path in `path` for the caller's messages. Throws
// std::runtime_error naming the file when it cannot be read, is not JSON or is another schema.
nlohmann::json readSourceDataJson(const std::string& relative, const std::string& schema, std::string& path);

}  // namespace dbs
