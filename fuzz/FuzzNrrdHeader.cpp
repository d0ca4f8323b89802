// libFuzzer target: the NRRD header screen (run before ITK's NRRD reader sees a file), on
// arbitrary bytes written as an attached .nrrd and as a detached .nhdr header.
#include "FuzzSupport.h"
#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImagingError.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const char* name : {"input.nrrd", "input.nhdr"}) {
    const std::string path = dbs::fuzz::writeInput(data, size, name);
    try {
      dbs::screenNrrdHeader(path);
    } catch (const dbs::ImagingError&) {
    }
  }
  return 0;
}
