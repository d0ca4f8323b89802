// The main of the test executables that open windows or render (figures, gui): a process of such a
// test can be started again as a child that runs one entry instead of the tests (the workstation's
// kill-and-recover test kills a window process of its own). A test file registers its entry at
// static initialisation: `const bool registered = registerChildEntry("VARIABLE", &function);`.
#pragma once

#include <string>

namespace dbs::test {

// When the environment variable `variable` is set, the process runs entry(value) and exits with its
// result instead of running the tests.
bool registerChildEntry(const char* variable, int (*entry)(const std::string& value));

}  // namespace dbs::test
