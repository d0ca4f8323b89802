#include "dbs/imaging/Volume.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>

#include <itkBinShrinkImageFilter.h>
#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImageFileReader.h>
#include <itkImageRegionConstIterator.h>
#include <itkImageSeriesReader.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>

#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/NiftiHeader.h"
#include "dbs/imaging/VoxelBudget.h"
#include "dbs/imaging/WorkingGrid.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// Largest |cos| between voxel axes that we still treat as orthogonal: float32 headers of oblique
// scans are orthogonal only to about 1e-6; a real shear is orders of magnitude larger.
constexpr double kShearTolerance = 1e-4;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ITK's exception descriptions span lines and repeat the class and file; keep the gist on one line.
std::string oneLine(const itk::ExceptionObject& e) {
  std::string text = e.GetDescription();
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::string squeezed;
  for (char c : text)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  // ITK's "itk::ERROR: NrrdImageIO(0x55...): ReadImageInformation: Error reading F: " and teem's
  // chain of "[nrrd] function: trouble" lines say where, not what: keep the last, the reason.
  squeezed = std::regex_replace(squeezed, std::regex(R"(itk::ERROR: \w+\(0x[0-9a-fA-F]+\): )"), "");
  const std::size_t lastTeem = squeezed.rfind("[nrrd] ");
  if (lastTeem != std::string::npos) {
    std::string reason = squeezed.substr(lastTeem + 7);
    if (const std::size_t colon = reason.find(": "); colon != std::string::npos && colon < 40)
      reason = reason.substr(colon + 2);  // "_nrrdHeaderCheck: " is the function, not the reason
    squeezed = reason;
  }
  return squeezed;
}

void report(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

std::string componentTypeName(const itk::ImageIOBase& io) {
  return itk::ImageIOBase::GetComponentTypeAsString(io.GetComponentType());
}

// Reads header information with an explicit ImageIO and checks it describes one scalar 3-D volume of
// a sane size, before the pixel buffer is allocated.
void checkImageInformation(itk::ImageIOBase& io, const std::string& path) {
  io.SetFileName(path);
  try {
    io.ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(path + ": cannot read the image header: " + oneLine(e));
  }
  const unsigned dims = io.GetNumberOfDimensions();
  if (dims < 2 || dims > 4)
    throw ImagingError(path + ": a " + std::to_string(dims) + "-D image; dbsplan needs a 3-D volume");
  if (dims == 4 && io.GetDimensions(3) > 1)
    throw ImagingError(path + ": a 4-D image with " + std::to_string(io.GetDimensions(3)) +
                       " volumes; dbsplan needs a single 3-D volume (extract one first)");
  if (io.GetNumberOfComponents() != 1)
    throw ImagingError(path + ": " + std::to_string(io.GetNumberOfComponents()) +
                       " components per voxel (colour or vector image); dbsplan needs a scalar image");
  std::array<std::size_t, 3> size{1, 1, 1};
  for (unsigned i = 0; i < std::min(dims, 3u); ++i) size[i] = io.GetDimensions(i);
  checkVoxelBudget(path, size, io.GetComponentSize());
}

FloatImage::Pointer readWithIo(itk::ImageIOBase* io, const std::string& path) {
  auto reader = itk::ImageFileReader<FloatImage>::New();
  reader->SetImageIO(io);
  reader->SetFileName(path);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(path + ": cannot read the voxel data: " + oneLine(e));
  }
  return reader->GetOutput();
}

// The bins of a volume of `size` and `spacing` that the options ask for ({1, 1, 1}: the file's grid).
BinFactors binFactorsFor(const LoadOptions& options, const std::array<std::size_t, 3>& size, Vec3 spacing) {
  if (options.binFactors) return *options.binFactors;
  if (options.maxVoxels == 0) return {1, 1, 1};
  return workingBinFactors(size, spacing, options.maxVoxels);
}

// The NIfTI's voxels averaged into `factors` bins as they are streamed from the file (the bins of
// itk::BinShrinkImageFilter), so that only the binned volume is ever held. NaN and infinite voxels
// count as a stored 0, as niftilib shows them, and are counted into `nonFinite`.
FloatImage::Pointer readNiftiBinned(const std::string& path, const NiftiHeader& header,
                                    const ImageGeometry& binned, const BinFactors& factors,
                                    std::size_t* nonFinite, const ProgressCallback& progress) {
  auto image = FloatImage::New();
  FloatImage::SizeType size;
  for (unsigned a = 0; a < 3; ++a) size[a] = binned.size[a];
  image->SetRegions(size);
  image->Allocate(true);
  float* out = image->GetBufferPointer();
  const std::size_t nx = binned.size[0], ny = binned.size[1], nz = binned.size[2];
  const std::uint64_t fileNx = static_cast<std::uint64_t>(header.dim[1]),
                      fileNy = header.dim[0] >= 2 ? static_cast<std::uint64_t>(header.dim[2]) : 1;
  const std::uint64_t voxels = niftiVoxelCount(header);
  std::uint64_t nextReport = 0;
  *nonFinite = 0;
  const double nonFiniteShownAs = header.scaled(0.0);
  streamNiftiVoxels(path, header, [&](const double* values, std::size_t count, std::uint64_t first) {
    if (first >= nextReport) {
      report(progress, 0.05 + 0.9 * static_cast<double>(first) / static_cast<double>(voxels),
             "reading " + path + " onto the working grid");
      nextReport = first + voxels / 50;
    }
    std::uint64_t i = first % fileNx, j = (first / fileNx) % fileNy, k = first / (fileNx * fileNy);
    for (std::size_t v = 0; v < count; ++v) {
      double value = values[v];
      if (!std::isfinite(value)) {
        ++*nonFinite;
        value = nonFiniteShownAs;
      }
      const std::size_t wi = i / factors[0], wj = j / factors[1], wk = k / factors[2];
      if (wi < nx && wj < ny && wk < nz) out[(wk * ny + wj) * nx + wi] += static_cast<float>(value);
      if (++i == fileNx) {
        i = 0;
        if (++j == fileNy) {
          j = 0;
          ++k;
        }
      }
    }
  });
  const float perBin = static_cast<float>(factors[0] * factors[1] * factors[2]);
  for (std::size_t n = 0; n < binned.voxelCount(); ++n) out[n] /= perBin;
  return image;
}

std::string workingGridNote(const ImageGeometry& file, const ImageGeometry& binned,
                            const BinFactors& factors) {
  const Vec3 s = binned.spacingMm();
  std::ostringstream note;
  note.precision(2);
  note << std::fixed << "working grid: " << binned.size[0] << " x " << binned.size[1] << " x "
       << binned.size[2] << " voxels of " << s.x << " x " << s.y << " x " << s.z << " mm, each the mean of "
       << binFactorsText(factors) << " of the file's " << file.size[0] << " x " << file.size[1] << " x "
       << file.size[2] << " voxels (images of more than " << (kMaxWorkingVoxels >> 20)
       << " M voxels are planned on such bins of their voxels, so that memory stays bounded)";
  return note.str();
}

Volume loadNifti(const std::string& path, const LoadOptions& options, const ProgressCallback& progress) {
  const NiftiHeader header = readNiftiHeader(path);  // validates sizes against the file first
  Volume v;
  v.path = path;
  v.format = "NIfTI-1";
  auto io = itk::NiftiImageIO::New();
  checkImageInformation(*io, path);
  v.storedPixelType = componentTypeName(*io);

  v.geometry.size = {header.dim[0] >= 1 ? std::size_t(header.dim[1]) : 1,
                     header.dim[0] >= 2 ? std::size_t(header.dim[2]) : 1,
                     header.dim[0] >= 3 ? std::size_t(header.dim[3]) : 1};
  v.geometry.rasFromIjk = header.bestAffine(&v.geometrySource);
  v.fileSize = v.geometry.size;
  v.binFactors = binFactorsFor(options, v.geometry.size, v.geometry.spacingMm());
  const ImageGeometry fileGeometry = v.geometry;
  if (isBinned(v.binFactors)) {
    v.geometry = binnedGeometry(fileGeometry, v.binFactors);
    v.image = readNiftiBinned(path, header, v.geometry, v.binFactors, &v.nonFiniteVoxelsInFile, progress);
    v.notes.push_back(workingGridNote(fileGeometry, v.geometry, v.binFactors));
  } else {
    v.image = readWithIo(io, path);
    v.nonFiniteVoxelsInFile = countNonFiniteNiftiVoxels(path, header);
  }
  if (v.nonFiniteVoxelsInFile > 0)
    v.notes.push_back(
        std::to_string(v.nonFiniteVoxelsInFile) +
        " voxels of the file are NaN or infinite (shown as 0 here; dbsplan will not plan on them)");
  if (header.sformCode <= 0 && header.qformCode <= 0)
    v.geometryNotInFile.push_back(
        "sform_code and qform_code are both 0: the NIfTI header gives no orientation or position (shown on "
        "nibabel's guess, " +
        v.geometry.orientationCode() + " centred on the volume)");

  if (header.sformCode > 0 && header.qformCode > 0) {
    // A classic source of left/right errors: two transforms in one header that disagree.
    const Affine q = header.qformAffine(), s = header.sformAffine();
    double worst = 0;
    for (int corner = 0; corner < 8; ++corner) {
      const Vec3 ijk{(corner & 1) ? fileGeometry.size[0] - 1.0 : 0.0,
                     (corner & 2) ? fileGeometry.size[1] - 1.0 : 0.0,
                     (corner & 4) ? fileGeometry.size[2] - 1.0 : 0.0};
      worst = std::max(worst, norm(q.apply(ijk) - s.apply(ijk)));
    }
    if (worst > 1.0) {
      std::ostringstream note;
      note.precision(3);
      note << "sform and qform disagree by up to " << worst << " mm; using the sform, as nibabel and SPM do";
      v.notes.push_back(note.str());
    }
  }

  if (v.geometry.shear() > kShearTolerance) {
    if (!options.allowShearedGeometry)
      throw ImagingError(path + ": the " + v.geometrySource +
                         " transform is sheared (voxel axes not perpendicular); dbsplan cannot process it "
                         "without approximating the geometry. Reslice it to an orthogonal grid first.");
    v.notes.push_back("sheared voxel axes: shown for information only; dbsplan will not plan on this image");
    return v;  // the ITK image keeps the reader's own (orthonormal) approximation; flagged above
  }
  applyGeometryToItk(v.geometry, *v.image, path);
  return v;
}

Volume loadWithItkIo(itk::ImageIOBase::Pointer io, const std::string& format, const std::string& path,
                     std::vector<std::string> geometryNotInFile) {
  Volume v;
  v.geometryNotInFile = std::move(geometryNotInFile);
  v.path = path;
  v.format = format;
  checkImageInformation(*io, path);
  v.storedPixelType = componentTypeName(*io);
  // ITK reads these formats whole, in their stored type and then as float (only NIfTI is streamed
  // onto the working grid): their reading buffers are bounded here, so that planning on any of them
  // stays under 2 GB (bench/memory_bench.sh). Every int16 or float32 image of the voxel budget fits.
  constexpr std::uint64_t kMaxReadWholeBytes = std::uint64_t(3) << 29;  // 1.5 GiB
  const bool readAsIs = io->GetComponentType() == itk::IOComponentEnum::FLOAT;
  const std::uint64_t readingBytes = static_cast<std::uint64_t>(io->GetImageSizeInPixels()) *
                                     (io->GetComponentSize() + (readAsIs ? 0 : sizeof(float)));
  if (readingBytes > kMaxReadWholeBytes)
    throw ImagingError(path + ": a " + format + " of " + std::to_string(io->GetImageSizeInPixels()) + " " +
                       v.storedPixelType + " voxels needs " + std::to_string(readingBytes >> 20) +
                       " MiB to read, beyond dbsplan's 1536 MiB for formats read whole: convert it to NIfTI "
                       "(streamed onto the working grid) or to 16-bit integers");
  v.image = readWithIo(io, path);
  v.geometry = geometryFromItk(*v.image);
  v.geometrySource = v.geometryNotInFile.empty()
                         ? format + " header (directions, spacing and origin)"
                         : format + " header, INCOMPLETE: ITK's defaults fill what it lacks";
  return v;
}

std::string dicomTag(const itk::GDCMImageIO& io, const std::string& tag) {
  std::string value;
  const_cast<itk::GDCMImageIO&>(io).GetValueFromTag(tag, value);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
  return value;
}

// The Transfer Syntax UID (0002,0010) from a Part 10 file's meta group (explicit VR little endian
// by the standard; screenDicomFile has checked the group's structure). Empty when absent. ITK's
// GDCM dictionary leaves the meta group out.
std::string dicomTransferSyntax(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  const std::size_t at = head.find(std::string("\x02\x00\x10\x00UI", 6));
  if (at == std::string::npos || at + 8 > head.size()) return {};
  const std::size_t length =
      static_cast<unsigned char>(head[at + 6]) | (static_cast<unsigned char>(head[at + 7]) << 8);
  std::string uid = head.substr(at + 8, std::min(length, head.size() - at - 8));
  while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
  return uid;
}

// The Pixel Data element (7FE0,0010) of an uncompressed DICOM file holding one slice of
// `sliceBytes`: found as the tag followed by a length of exactly that many bytes (even-padded),
// in explicit (OB/OW) or implicit VR; a problem when the file ends before its value does. A file
// where no such element is found is left to GDCM, and so is a file 16 MB longer than its slice
// (it is not short; the whole file is read, so it is bounded).
std::string dicomPixelDataProblem(const std::string& path, std::uintmax_t sliceBytes) {
  std::error_code ec;
  const std::uintmax_t fileBytes = std::filesystem::file_size(path, ec);
  if (ec || fileBytes > sliceBytes + (16u << 20)) return {};
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::uintmax_t padded = sliceBytes + (sliceBytes % 2);
  auto u32 = [&](std::size_t at) {
    return std::uintmax_t(static_cast<unsigned char>(bytes[at])) |
           (std::uintmax_t(static_cast<unsigned char>(bytes[at + 1])) << 8) |
           (std::uintmax_t(static_cast<unsigned char>(bytes[at + 2])) << 16) |
           (std::uintmax_t(static_cast<unsigned char>(bytes[at + 3])) << 24);
  };
  static const std::string tag("\xE0\x7F\x10\x00", 4);
  for (std::size_t at = bytes.find(tag); at != std::string::npos; at = bytes.find(tag, at + 1)) {
    std::uintmax_t length = 0, header = 0;
    if (at + 12 <= bytes.size() &&
        (bytes.compare(at + 4, 2, "OW") == 0 || bytes.compare(at + 4, 2, "OB") == 0)) {
      length = u32(at + 8);
      header = 12;
    } else if (at + 8 <= bytes.size()) {
      length = u32(at + 4);
      header = 8;
    }
    if (header == 0 || (length != sliceBytes && length != padded)) continue;
    const std::uintmax_t end = at + header + length;
    if (end > bytes.size())
      return "its pixel data end after " + std::to_string(bytes.size() - at - header) + " of " +
             std::to_string(length) + " bytes: the file is truncated";
    return {};
  }
  return {};
}

// Numbers of a DICOM multi-valued decimal string ("0.5\\0.5"); nothing when a value is not a number.
std::optional<std::vector<double>> dicomNumbers(const itk::MetaDataDictionary& dictionary,
                                                const std::string& tag) {
  std::string text;
  if (!itk::ExposeMetaData<std::string>(dictionary, tag, text)) return std::nullopt;
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, '\\')) {
    char* end = nullptr;
    const double value = std::strtod(item.c_str(), &end);
    while (end && *end == ' ') ++end;
    if (end == item.c_str() || (end && *end != '\0')) return std::nullopt;
    values.push_back(value);
  }
  return values;
}

// What of a DICOM series' geometry its files do not give: an Image Orientation (Patient) that is
// missing, not finite, zero or not two perpendicular unit vectors; a Pixel Spacing that is missing,
// zero or not finite; Image Positions (Patient) that are missing, shared by two slices, or not
// evenly spaced along the slice normal. ITK fills each with identity, 1 mm or the first gap.
std::vector<std::string> dicomGeometryNotInFiles(const std::vector<itk::MetaDataDictionary*>& slices,
                                                 const std::vector<std::string>& files) {
  std::vector<std::string> missing;
  if (slices.empty()) return missing;
  const std::optional<std::vector<double>> iop = dicomNumbers(*slices.front(), "0020|0037");
  Vec3 row, column;
  bool orientationOk = iop && iop->size() == 6;
  if (orientationOk) {
    row = {(*iop)[0], (*iop)[1], (*iop)[2]};
    column = {(*iop)[3], (*iop)[4], (*iop)[5]};
    for (double value : *iop) orientationOk = orientationOk && std::isfinite(value);
    orientationOk = orientationOk && std::abs(norm(row) - 1) < 0.01 && std::abs(norm(column) - 1) < 0.01 &&
                    std::abs(dot(row, column)) < 0.01;
  }
  if (!orientationOk)
    missing.push_back(
        "Image Orientation (Patient) (0020,0037) of " + files.front() +
        " is missing, not finite, zero or not two perpendicular unit vectors: the orientation is "
        "not in the files");
  const std::optional<std::vector<double>> spacing = dicomNumbers(*slices.front(), "0028|0030");
  if (!spacing || spacing->size() != 2 || !std::isfinite((*spacing)[0]) || !std::isfinite((*spacing)[1]) ||
      !((*spacing)[0] > 0) || !((*spacing)[1] > 0))
    missing.push_back("Pixel Spacing (0028,0030) of " + files.front() +
                      " is missing, zero or not finite: the in-plane voxel size is not in the files");
  if (!orientationOk) return missing;
  // Positions along the slice normal, in the series reader's order (GDCM sorts by position).
  const Vec3 normal = cross(row, column);
  std::vector<double> along;
  for (std::size_t k = 0; k < slices.size(); ++k) {
    const std::optional<std::vector<double>> ipp = dicomNumbers(*slices[k], "0020|0032");
    if (!ipp || ipp->size() != 3 || !std::isfinite((*ipp)[0]) || !std::isfinite((*ipp)[1]) ||
        !std::isfinite((*ipp)[2])) {
      missing.push_back("Image Position (Patient) (0020,0032) of " + files[k] +
                        " is missing or not finite: the slice positions are not in the files");
      return missing;
    }
    along.push_back(dot(normal, Vec3{(*ipp)[0], (*ipp)[1], (*ipp)[2]}));
  }
  std::vector<double> sorted = along;
  std::sort(sorted.begin(), sorted.end());
  double smallestGap = std::numeric_limits<double>::infinity(), largestGap = 0;
  for (std::size_t k = 1; k < sorted.size(); ++k) {
    smallestGap = std::min(smallestGap, sorted[k] - sorted[k - 1]);
    largestGap = std::max(largestGap, sorted[k] - sorted[k - 1]);
  }
  if (sorted.size() > 1 && smallestGap < 1e-3) {
    missing.push_back(
        "two or more slices share one Image Position (Patient) along the slice normal: the slice "
        "spacing is not in the files");
  } else if (sorted.size() > 2 && largestGap - smallestGap > std::max(0.01, 0.005 * largestGap)) {
    std::ostringstream text;
    text.precision(3);
    text << "the slices are not evenly spaced (gaps from " << smallestGap << " to " << largestGap
         << " mm): the series is not one regular grid";
    missing.push_back(text.str());
  }
  return missing;
}

Volume loadDicomSeries(const std::string& directory, const std::string& preferredFile,
                       const ProgressCallback& progress) {
  screenDicomFolder(directory);  // GDCM aborts the process on some damaged files: screen them first
  auto names = itk::GDCMSeriesFileNames::New();
  names->SetUseSeriesDetails(true);  // split series that share a UID but differ in orientation/size
  names->SetGlobalWarningDisplay(false);
  names->SetDirectory(directory);
  std::vector<std::string> uids;
  try {
    uids = names->GetSeriesUIDs();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(directory + ": cannot scan for DICOM files: " + oneLine(e));
  }
  if (uids.empty()) throw ImagingError(directory + ": no DICOM image series found in this folder");

  std::string chosen;
  std::size_t chosenCount = 0;
  for (const auto& uid : uids) {
    const auto files = names->GetFileNames(uid);
    const bool hasPreferred =
        !preferredFile.empty() && std::find(files.begin(), files.end(), preferredFile) != files.end();
    if (hasPreferred) {
      chosen = uid;
      chosenCount = files.size();
      break;
    }
    if (files.size() > chosenCount) {
      chosen = uid;
      chosenCount = files.size();
    }
  }
  const auto files = names->GetFileNames(chosen);
  if (files.size() < 2)
    throw ImagingError(directory + ": the DICOM series has a single slice; dbsplan needs a 3-D series");
  report(progress, 0.1, "reading " + std::to_string(files.size()) + " DICOM slices");

  auto io = itk::GDCMImageIO::New();
  checkImageInformation(*io, files.front());
  const std::array<std::size_t, 3> size{io->GetDimensions(0), io->GetDimensions(1), files.size()};
  checkVoxelBudget(directory, size, io->GetComponentSize());
  // What the files deliver, not only what the first header claims: GDCM reads an uncompressed slice
  // whose pixel data were cut short with the missing pixels as zeros. For the uncompressed transfer
  // syntaxes each file's Pixel Data element must be whole (compressed data are decoded by GDCM,
  // which fails on a short stream). The series shares the first file's transfer syntax (0002,0010).
  const std::string transferSyntax = dicomTransferSyntax(files.front());
  if (transferSyntax == "1.2.840.10008.1.2" || transferSyntax == "1.2.840.10008.1.2.1" ||
      transferSyntax == "1.2.840.10008.1.2.2") {
    const std::uintmax_t sliceBytes = std::uintmax_t(size[0]) * size[1] * io->GetComponentSize() *
                                      std::max(1u, io->GetNumberOfComponents());
    for (const auto& file : files)
      if (const std::string problem = dicomPixelDataProblem(file, sliceBytes); !problem.empty())
        throw ImagingError(file + ": " + problem + "; do not plan on it");
  }

  auto reader = itk::ImageSeriesReader<FloatImage>::New();
  reader->SetImageIO(io);
  reader->SetFileNames(files);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(directory + ": cannot read the DICOM series: " + oneLine(e));
  }
  Volume v;
  v.path = directory;
  v.format = "DICOM";
  v.storedPixelType = componentTypeName(*io);
  v.image = reader->GetOutput();
  v.geometry = geometryFromItk(*v.image);
  v.geometrySource = "DICOM image position and orientation (patient LPS)";
  v.geometryNotInFile = dicomGeometryNotInFiles(*reader->GetMetaDataDictionaryArray(), files);
  if (!v.geometryNotInFile.empty())
    v.geometrySource = "DICOM, INCOMPLETE: ITK's defaults fill what the files lack";
  const std::string description = dicomTag(*io, "0008|103e");
  if (uids.size() > 1) {
    v.notes.push_back(std::to_string(uids.size()) + " DICOM series in the folder; loaded " +
                      (preferredFile.empty() ? "the largest" : "the one holding the file given") + ": \"" +
                      description + "\" (" + std::to_string(files.size()) + " slices, UID " + chosen + ")");
  } else if (!description.empty()) {
    v.notes.push_back("DICOM series \"" + description + "\" (" + std::to_string(files.size()) + " slices)");
  }
  return v;
}

}  // namespace

ImageGeometry geometryFromItk(const itk::ImageBase<3>& image) {
  ImageGeometry g;
  const auto region = image.GetLargestPossibleRegion();
  for (int i = 0; i < 3; ++i) g.size[i] = region.GetSize(i);
  Affine lpsFromIjk;
  const auto& direction = image.GetDirection();
  const auto& spacing = image.GetSpacing();
  const auto& origin = image.GetOrigin();
  // ITK's index of the first voxel of the largest region is normally 0; account for it anyway.
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) lpsFromIjk.m[r][c] = direction(r, c) * spacing[c];
    lpsFromIjk.m[r][3] = origin[r];
  }
  Affine shift;
  for (int c = 0; c < 3; ++c) shift.m[c][3] = static_cast<double>(region.GetIndex(c));
  g.rasFromIjk = rasFromLpsOutput(lpsFromIjk * shift);
  return g;
}

void applyGeometryToItk(const ImageGeometry& geometry, itk::ImageBase<3>& image, const std::string& what) {
  if (geometry.shear() > kShearTolerance)
    throw ImagingError(what + ": sheared voxel axes cannot be represented in ITK without approximation");
  const Affine lpsFromIjk = lpsFromRasOutput(geometry.rasFromIjk);
  FloatImage::SpacingType spacing;
  FloatImage::DirectionType direction;
  FloatImage::PointType origin;
  for (int c = 0; c < 3; ++c) {
    const Vec3 axis = lpsFromIjk.column(c);
    spacing[c] = norm(axis);
    for (int r = 0; r < 3; ++r) direction(r, c) = axis[r] / spacing[c];
    origin[c] = lpsFromIjk.m[c][3];
  }
  image.SetSpacing(spacing);
  image.SetDirection(direction);
  image.SetOrigin(origin);
}

Volume loadVolume(const std::string& path, const ProgressCallback& progress) {
  return loadVolume(path, progress, LoadOptions{});
}

Volume loadVolume(const std::string& path, const ProgressCallback& progress, const LoadOptions& options) {
  std::error_code ec;
  if (path.empty()) throw ImagingError("no image path given");
  if (!fs::exists(path, ec)) throw ImagingError(path + ": no such file or folder");
  report(progress, 0.0, "reading " + path);
  Volume v;
  if (fs::is_directory(path, ec)) {
    v = loadDicomSeries(path, "", progress);
  } else {
    requireRegularFile(path, "image");
    const std::string lower = lowercase(path);
    if (hasNiftiExtension(path)) {
      v = loadNifti(path, options, progress);
    } else if (endsWith(lower, ".nrrd") || endsWith(lower, ".nhdr")) {
      v = loadWithItkIo(itk::NrrdImageIO::New().GetPointer(), "NRRD", path, screenNrrdHeader(path));
    } else if (endsWith(lower, ".mha") || endsWith(lower, ".mhd")) {
      // Screened before ITK's MetaIO reader sees a byte of it.
      v = loadWithItkIo(itk::MetaImageIO::New().GetPointer(), "MetaImage", path, screenMetaImageHeader(path));
    } else {
      screenDicomFile(path);
      auto dicom = itk::GDCMImageIO::New();
      if (!dicom->CanReadFile(path.c_str()))
        throw ImagingError(path +
                           ": unrecognised image format (dbsplan reads .nii, .nii.gz, .nrrd, .nhdr, "
                           ".mha, .mhd and DICOM folders)");
      const std::string folder =
          fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
      v = loadDicomSeries(folder, path, progress);
    }
  }
  if (!(std::abs(v.geometry.rasFromIjk.determinant3x3()) > 1e-12))
    throw ImagingError(path + ": the image's voxel-to-world transform is singular");
  if (v.fileSize == std::array<std::size_t, 3>{0, 0, 0}) {  // read whole by ITK: bin it now if asked
    v.fileSize = v.geometry.size;
    v.binFactors = binFactorsFor(options, v.geometry.size, v.geometry.spacingMm());
    if (isBinned(v.binFactors)) {
      report(progress, 0.95, "binning " + path + " onto the working grid");
      auto shrink = itk::BinShrinkImageFilter<FloatImage, FloatImage>::New();
      shrink->SetInput(v.image);
      itk::BinShrinkImageFilter<FloatImage, FloatImage>::ShrinkFactorsType factors;
      for (unsigned a = 0; a < 3; ++a) factors[a] = v.binFactors[a];
      shrink->SetShrinkFactors(factors);
      shrink->Update();
      const ImageGeometry fileGeometry = v.geometry;
      v.geometry = binnedGeometry(fileGeometry, v.binFactors);
      v.image = shrink->GetOutput();
      v.image->DisconnectPipeline();
      applyGeometryToItk(v.geometry, *v.image, path);
      v.notes.push_back(workingGridNote(fileGeometry, v.geometry, v.binFactors));
    }
  }
  report(progress, 1.0, "loaded " + path);
  return v;
}

Volume loadVolumeForPlanning(const std::string& path, const ProgressCallback& progress,
                             std::optional<BinFactors> binFactors) {
  LoadOptions options;
  options.maxVoxels = kMaxWorkingVoxels;
  options.binFactors = binFactors;
  return loadVolume(path, progress, options);
}

IntensityRange intensityRange(const FloatImage& image) {
  IntensityRange r;
  const std::size_t n = image.GetPixelContainer()->Size();
  const float* data = image.GetBufferPointer();
  // Percentiles from an evenly strided sample of at most ~2 million voxels: exact enough for a
  // display window, and bounded in time and memory whatever the image size.
  const std::size_t stride = std::max<std::size_t>(1, n / 2000000);
  std::vector<float> sample;
  sample.reserve(n / stride + 1);
  bool first = true;
  for (std::size_t i = 0; i < n; ++i) {
    const float value = data[i];
    if (!std::isfinite(value)) {
      ++r.nonFiniteVoxels;
      continue;
    }
    ++r.finiteVoxels;
    if (first) {
      r.min = r.max = value;
      first = false;
    }
    r.min = std::min<double>(r.min, value);
    r.max = std::max<double>(r.max, value);
    if (i % stride == 0) sample.push_back(value);
  }
  if (sample.empty()) return r;
  auto percentile = [&](double p) {
    const std::size_t k = std::min(sample.size() - 1, static_cast<std::size_t>(p * (sample.size() - 1)));
    std::nth_element(sample.begin(), sample.begin() + static_cast<long>(k), sample.end());
    return static_cast<double>(sample[k]);
  };
  r.robustLow = percentile(0.005);
  r.robustHigh = percentile(0.995);
  if (r.robustHigh <= r.robustLow) {
    r.robustLow = r.min;
    r.robustHigh = r.max;
  }
  return r;
}

bool sampleNearest(const Volume& volume, Vec3 pointRas, float* value, std::array<long, 3>* index) {
  const Vec3 ijk = volume.geometry.indexFromRas(pointRas);
  FloatImage::IndexType idx;
  for (int a = 0; a < 3; ++a) {
    idx[a] = std::lround(ijk[a]);
    if (idx[a] < 0 || idx[a] >= static_cast<long>(volume.geometry.size[a])) return false;
  }
  if (value) *value = volume.image->GetPixel(idx);
  if (index) *index = {idx[0], idx[1], idx[2]};
  return true;
}

}  // namespace dbs
