// libFuzzer target: the DICOM file-meta screen that keeps GDCM's assertions (which abort the
// process) away from damaged files.
#include "FuzzSupport.h"
#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImagingError.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = dbs::fuzz::writeInput(data, size, "input.dcm");
  try {
    dbs::screenDicomFile(path);
  } catch (const dbs::ImagingError&) {
  }
  return 0;
}
