// writeImageAtomically / writeTextAtomically: the one way dbsplan writes an output file: to a
// temporary file in the target's folder, then renamed over the target, so a failure never leaves a
// partial file.
#pragma once

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include <itkImageFileWriter.h>
#include <itkNiftiImageIO.h>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/NiftiHeader.h"
#include "dbs/imaging/StderrCapture.h"
#include "dbs/imaging/Volume.h"

#include <unistd.h>

namespace dbs {

// The temporary beside `target` that an atomic write renames over it: same folder (so the rename
// is atomic), same extension (so ITK picks the target's format), and the writer's PID, so that
// the next dbsplan in that folder can remove one a killed process left (recoverInterruptedGenerations).
inline std::filesystem::path temporarySibling(const std::filesystem::path& target) {
  return target.parent_path() / (".partial-" + std::to_string(::getpid()) + "-" + target.filename().string());
}

template <typename TImage>
void writeImageAtomically(const TImage* image, const std::string& path, bool compress) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temporary = temporarySibling(target);
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
  {
    // niftilib reports a short write on stderr ("** ERROR: NWAD: ...") and returns normally; our
    // check below says it in dbsplan's words, so its line is held back.
    StderrCapture libraryMessages;
    try {
      writer->Update();
    } catch (const itk::ExceptionObject& e) {
      libraryMessages.release();
      fail(e.GetDescription());
    }
  }
  // ITK's NIfTI writer reports a short write (a full disk) on stderr and returns normally, so what
  // it wrote is checked before it replaces anything: every voxel byte present, and for .nii.gz the
  // whole stream inflating with its CRC right. 352 = the NIfTI-1 header and extender bytes.
  const std::uint64_t needed = 352 + std::uint64_t(image->GetLargestPossibleRegion().GetNumberOfPixels()) *
                                         sizeof(typename TImage::PixelType);
  const std::string folder = target.parent_path().string();
  if (compress) {
    if (const std::string problem = gzipStreamProblem(temporary.string(), needed); !problem.empty())
      fail(whyWriteFailed(folder, 0) + " (the written file is incomplete: " + problem + ")");
  } else {
    std::error_code sizeError;
    const auto written = fs::file_size(temporary, sizeError);
    if (sizeError || written < needed)
      fail(whyWriteFailed(folder, 0) + " (" + std::to_string(sizeError ? 0 : written) + " of " +
           std::to_string(needed) + " bytes were written)");
  }
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) fail(ec.message());
}

inline void writeTextAtomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temporary = temporarySibling(target);
  std::error_code ec;
  {
    std::ofstream out(temporary);
    out << text;
    out.close();  // a full disk shows at the last flush, so the close is checked too
    if (!out) {
      const int why = errno;
      fs::remove(temporary, ec);
      throw ImagingError(path + ": cannot write: " + whyWriteFailed(target.parent_path().string(), why));
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ImagingError(path + ": cannot write: " + ec.message());
  }
}

// A copy of the file `from` at `to`, written atomically as above; throws ImagingError naming `to`.
inline void copyFileAtomically(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  const fs::path target(to), temporary = temporarySibling(target);
  std::error_code ec;
  fs::copy_file(from, temporary, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temporary, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ImagingError(to + ": cannot write: " + ec.message());
  }
}

// A float volume as NIfTI (ITK's compression on: gzip for .nii.gz), written atomically as above.
inline void writeVolume(const Volume& volume, const std::string& path) {
  writeImageAtomically(volume.image.GetPointer(), path, /*compress=*/true);
}

}  // namespace dbs
