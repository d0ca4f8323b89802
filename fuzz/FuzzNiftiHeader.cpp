// libFuzzer target: the NIfTI-1/2 header reader and the gzip stream check, on arbitrary bytes
// (written as .nii.gz when they start with gzip's magic, else as .nii). A finding is a crash, a
// hang, a sanitizer report, or any exception other than ImagingError (a message a user could not
// act on, like "stod").
#include "FuzzSupport.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/NiftiHeader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = dbs::fuzz::writeInput(data, size, gzip ? "input.nii.gz" : "input.nii");
  try {
    (void)dbs::readNiftiHeader(path);
  } catch (const dbs::ImagingError&) {
  }
  if (gzip) (void)dbs::gzipStreamProblem(path, 352);
  return 0;
}
