// DataPaths: where dbsplan finds its data. Source data (electrode catalogue, landmark sources, sample
// catalogue) are read in place from the source tree's data/; data the build derives (the atlas,
// generated samples) live in the build tree's data/. DBSPLAN_DATA_DIR and DBSPLAN_BUILD_DATA_DIR
// override them (e.g. for an installed copy). MRICRON_TEMPLATES is where Debian's mricron-data is.
#pragma once

#include <string>

namespace dbs {

std::string sourceDataPath(const std::string& relative);
std::string buildDataPath(const std::string& relative);
std::string mricronTemplatesDir();
// Debian's insighttoolkit5-examples data (a real coronal T1); DBSPLAN_ITK_EXAMPLES_DIR overrides.
std::string itkExampleDataDir();

}  // namespace dbs
