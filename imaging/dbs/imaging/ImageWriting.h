// writeImageAtomically / writeTextAtomically: the one way dbsplan writes an output file: to a
// temporary file in the target's folder, then renamed over the target, so a failure never leaves a
// partial file.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <itkImageFileWriter.h>
#include <itkNiftiImageIO.h>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/NiftiHeader.h"

namespace dbs {

template <typename TImage>
void writeImageAtomically(const TImage* image, const std::string& path, bool compress) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  // Same folder (so the rename is atomic), same extension (so the format is the target's).
  const fs::path temporary = target.parent_path() / (".partial-" + target.filename().string());
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetImageIO(itk::NiftiImageIO::New());
  writer->SetInput(image);
  writer->SetFileName(temporary.string());
  writer->SetUseCompression(compress);
  auto fail = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ImagingError(path + ": cannot write: " + why);
  };
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    fail(e.GetDescription());
  }
  // ITK's NIfTI writer reports a short write (a full disk) on stderr and returns normally, so what
  // it wrote is checked before it replaces anything: every voxel byte present, and for .nii.gz the
  // whole stream inflating with its CRC right. 352 = the NIfTI-1 header and extender bytes.
  const std::uint64_t needed = 352 + std::uint64_t(image->GetLargestPossibleRegion().GetNumberOfPixels()) *
                                         sizeof(typename TImage::PixelType);
  if (compress) {
    if (const std::string problem = gzipStreamProblem(temporary.string(), needed); !problem.empty())
      fail("the written file is incomplete (" + problem + "): is the disk full?");
  } else {
    std::error_code sizeError;
    const auto written = fs::file_size(temporary, sizeError);
    if (sizeError || written < needed)
      fail("only " + std::to_string(sizeError ? 0 : written) + " of " + std::to_string(needed) +
           " bytes were written: is the disk full?");
  }
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) fail(ec.message());
}

inline void writeTextAtomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temporary = target.parent_path() / (".partial-" + target.filename().string());
  std::error_code ec;
  {
    std::ofstream out(temporary);
    out << text;
    out.close();  // a full disk shows at the last flush, so the close is checked too
    if (!out) {
      fs::remove(temporary, ec);
      throw ImagingError(path + ": cannot write (is the disk full?)");
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ImagingError(path + ": cannot write: " + ec.message());
  }
}

}  // namespace dbs
