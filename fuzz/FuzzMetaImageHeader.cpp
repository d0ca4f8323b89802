// libFuzzer target: the MetaImage header screen, which must stop what overflows ITK's MetaIO
// reader (keys of 255+ characters) before ITK reads the file, as .mhd and .mha.
#include "FuzzSupport.h"
#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImagingError.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const char* name : {"input.mhd", "input.mha"}) {
    const std::string path = dbs::fuzz::writeInput(data, size, name);
    try {
      dbs::screenMetaImageHeader(path);
    } catch (const dbs::ImagingError&) {
    }
  }
  return 0;
}
