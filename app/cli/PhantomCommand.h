// `dbsplan phantom`: writes dbsplan's ground-truth head phantom (T1, label map, truth JSON) into a
// folder; see generators/dbs/generators/Phantom.h for the model, frames and file contents.
#pragma once

#include <string>
#include <vector>

namespace dbs::app {

// dbsplan phantom --out DIR [--seed N] [--spacing SX,SY,SZ] [--orientation CODE] [--noise FRACTION]
//                 [--warp-mm MM] [--bias FRACTION] [--antialias]
// Exit code 0 on success, 2 for a usage error (one line on stderr), 1 when generation or writing
// fails. Progress lines go to stderr, the summary (files, GPi centroids in RAS mm) to stdout.
int runPhantom(const std::vector<std::string>& args);

}  // namespace dbs::app
