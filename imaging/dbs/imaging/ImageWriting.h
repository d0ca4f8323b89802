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
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    std::error_code ec;
    fs::remove(temporary, ec);
    throw ImagingError(path + ": cannot write: " + std::string(e.GetDescription()));
  }
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) throw ImagingError(path + ": cannot write: " + ec.message());
}

inline void writeTextAtomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temporary = target.parent_path() / (".partial-" + target.filename().string());
  {
    std::ofstream out(temporary);
    out << text;
    if (!out) throw ImagingError(path + ": cannot write");
  }
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) throw ImagingError(path + ": cannot write: " + ec.message());
}

}  // namespace dbs
