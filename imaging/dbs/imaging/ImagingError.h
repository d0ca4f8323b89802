// ImagingError: the one exception type imaging/ throws for bad input. Its message is a single line a
// user can act on (what file, what is wrong), printed as-is by the CLI and shown by the GUI.
#pragma once

#include <stdexcept>
#include <string>

namespace dbs {

class ImagingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dbs

namespace dbs {

// Thrown when the user cancels a long step through its progress callback. Nothing is written.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace dbs
