// configureItk: process-wide ITK settings every dbsplan program applies first thing in main().
//
// Why: ITK 5.2's default pool threader keeps worker threads in a global pool whose destruction at
// process exit intermittently aborts with std::system_error ("Operation not permitted") after all
// work is done and every output written; a CLI would then exit non-zero for a successful run. The
// platform threader starts threads per call and leaves nothing to tear down.
#pragma once

namespace dbs {

void configureItk();

}  // namespace dbs
