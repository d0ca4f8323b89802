#include "dbs/imaging/NiftiHeader.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/VoxelBudget.h"

namespace dbs {
namespace {

constexpr int kNifti1HeaderBytes = 348;

template <typename T>
T readField(const unsigned char* header, std::size_t offset, bool swap) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, header + offset, sizeof(T));
  if (swap) std::reverse(bytes, bytes + sizeof(T));
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

bool isGzipFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

// zlib's message without the file name it puts in front ("PATH: incorrect data check").
std::string zlibReason(gzFile gz, int* code) {
  const std::string message = gzerror(gz, code);
  const auto colon = message.rfind(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

int bytesForDatatype(int datatype) {
  switch (datatype) {
    case 2:
    case 256:
      return 1;  // uint8, int8
    case 4:
    case 512:
      return 2;  // int16, uint16
    case 8:
    case 16:
    case 768:
      return 4;  // int32, float32, uint32
    case 64:
    case 1024:
    case 1280:
      return 8;  // float64, int64, uint64
    default:
      return 0;  // complex, RGB, float128, unknown: not a scalar image
  }
}

// nibabel's quat2mat(fillpositive(b, c, d)).
std::array<std::array<double, 3>, 3> rotationFromQuaternion(double b, double c, double d) {
  double w2 = 1.0 - (b * b + c * c + d * d);
  const double w2Threshold = -3.0 * std::numeric_limits<float>::epsilon();
  if (w2 < w2Threshold) throw ImagingError("qform quaternion (quatern_b/c/d) has length > 1: not a rotation");
  const double a = w2 < 0 ? 0.0 : std::sqrt(w2);
  const double nq = a * a + b * b + c * c + d * d;
  if (nq < std::numeric_limits<double>::epsilon()) return {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  const double s = 2.0 / nq;
  const double X = b * s, Y = c * s, Z = d * s;
  const double wX = a * X, wY = a * Y, wZ = a * Z;
  const double xX = b * X, xY = b * Y, xZ = b * Z;
  const double yY = c * Y, yZ = c * Z, zZ = d * Z;
  return {{{1.0 - (yY + zZ), xY - wZ, xZ + wY},
           {xY + wZ, 1.0 - (xX + zZ), yZ - wX},
           {xZ - wY, yZ + wX, 1.0 - (xX + yY)}}};
}

// nibabel fixes pixdim[1..3] on load: negative -> absolute value, zero -> 1.
double fixedZoom(double pixdim) {
  const double z = std::abs(pixdim);
  return z == 0 ? 1.0 : z;
}

}  // namespace

// The whole gzip stream decompressed and counted, never kept: "" when it is intact and holds at
// least `needed` bytes, else what is wrong. The ISIZE trailer alone is not enough (a file cut
// short or with flipped bytes still has a plausible trailer, and ITK would fill the missing voxels
// with zeros), so every byte is inflated and zlib checks the CRC-32 at the end of each member.
// Bounded: a stream that inflates to much more than the header declares is refused, so a small
// file cannot keep it busy for long (a "zip bomb").
std::string gzipStreamProblem(const std::string& path, std::uint64_t needed) {
  constexpr std::uint64_t kSlackBytes = 64ull << 20;  // NIfTI extensions and padding after the voxels
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return "cannot open for reading";
  gzbuffer(gz, 1 << 17);
  std::uint64_t total = 0;
  std::vector<char> buffer(1 << 17);
  int n = 0;
  while ((n = gzread(gz, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    total += static_cast<std::uint64_t>(n);
    if (total > needed + kSlackBytes) {
      gzclose(gz);
      return "its compressed data inflate to far more than the header declares (" + std::to_string(needed) +
             " bytes): refusing it";
    }
  }
  // zlib: Z_BUF_ERROR = the input ended inside a gzip member (cut short); another error (a CRC
  // mismatch, "invalid distance"...) = the compressed bytes were altered.
  int code = Z_OK;
  const std::string zlibMessage = zlibReason(gz, &code);
  gzclose(gz);
  if (n < 0 && code != Z_BUF_ERROR)
    return "damaged compressed data (" + zlibMessage + "): the file was corrupted, do not plan on it";
  if (code == Z_BUF_ERROR)
    return "truncated: the compressed stream ends early (after " + std::to_string(total) + " of " +
           std::to_string(needed) + " declared bytes)";
  if (total < needed)
    return "truncated: the header declares " + std::to_string(needed) +
           " bytes of data but the compressed file holds " + std::to_string(total);
  return {};
}

bool hasNiftiExtension(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto endsWith = [&](const std::string& s) {
    return lower.size() >= s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  };
  return endsWith(".nii") || endsWith(".nii.gz");
}

namespace {

// One stored voxel as a double; false for a datatype this reader does not decode.
template <typename T>
double decoded(const unsigned char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return static_cast<double>(value);
}
using Decoder = double (*)(const unsigned char*);
Decoder decoderFor(int datatype) {
  switch (datatype) {
    case 2:
      return &decoded<std::uint8_t>;
    case 4:
      return &decoded<std::int16_t>;
    case 8:
      return &decoded<std::int32_t>;
    case 16:
      return &decoded<float>;
    case 64:
      return &decoded<double>;
    case 256:
      return &decoded<std::int8_t>;
    case 512:
      return &decoded<std::uint16_t>;
    case 768:
      return &decoded<std::uint32_t>;
    case 1024:
      return &decoded<std::int64_t>;
    case 1280:
      return &decoded<std::uint64_t>;
    default:
      return nullptr;
  }
}

}  // namespace

std::uint64_t niftiVoxelCount(const NiftiHeader& h) {
  std::uint64_t voxels = 1;
  for (int a = 1; a <= h.dim[0]; ++a)
    voxels *= static_cast<std::uint64_t>(h.dim[static_cast<std::size_t>(a)]);
  return voxels;
}

void streamNiftiVoxels(const std::string& path, const NiftiHeader& h, const NiftiVoxelVisitor& visit) {
  const Decoder decode = decoderFor(h.datatype);
  if (!decode)
    throw ImagingError(path + ": NIfTI datatype " + std::to_string(h.datatype) + " is not a scalar");
  const std::size_t width = h.bytesPerVoxel();
  const std::uint64_t voxels = niftiVoxelCount(h);
  gzFile gz = gzopen(path.c_str(), "rb");  // zlib reads uncompressed files transparently
  if (!gz) throw ImagingError(path + ": cannot open for reading");
  struct Closer {
    gzFile gz;
    ~Closer() { gzclose(gz); }
  } closer{gz};
  gzbuffer(gz, 1 << 17);
  if (gzseek(gz, static_cast<z_off_t>(h.voxOffset), SEEK_SET) < 0)
    throw ImagingError(path + ": cannot seek to the voxel data");
  std::vector<unsigned char> buffer((1 << 18) / width * width);
  std::vector<double> values(buffer.size() / width);
  std::uint64_t seen = 0;
  int n = 0;
  while (seen < voxels && (n = gzread(gz, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    const std::size_t count = std::min<std::uint64_t>(static_cast<std::size_t>(n) / width, voxels - seen);
    for (std::size_t v = 0; v < count; ++v) {
      unsigned char* p = buffer.data() + v * width;
      if (h.byteSwapped) std::reverse(p, p + width);
      const double value = decode(p);
      values[v] = h.scaled(value);
    }
    visit(values.data(), count, seen);
    seen += count;
  }
  if (seen < voxels)
    throw ImagingError(path + ": the voxel data end after " + std::to_string(seen) + " of " +
                       std::to_string(voxels) + " voxels");
}

std::size_t countNonFiniteNiftiVoxels(const std::string& path, const NiftiHeader& h) {
  if (h.datatype != 16 && h.datatype != 64) return 0;
  std::size_t nonFinite = 0;
  streamNiftiVoxels(path, h, [&](const double* values, std::size_t count, std::uint64_t) {
    for (std::size_t v = 0; v < count; ++v) nonFinite += !std::isfinite(values[v]);
  });
  return nonFinite;
}

Affine NiftiHeader::qformAffine() const {
  const auto r = rotationFromQuaternion(quaternBcd[0], quaternBcd[1], quaternBcd[2]);
  // qfac (pixdim[0]) must be 1 or -1; nibabel resets anything else to 1.
  const double qfac = pixdim[0] == -1.0 ? -1.0 : 1.0;
  const double zoom[3] = {fixedZoom(pixdim[1]), fixedZoom(pixdim[2]), fixedZoom(pixdim[3]) * qfac};
  Affine a;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) a.m[i][j] = r[i][j] * zoom[j];
    a.m[i][3] = qoffset[i];
  }
  return a;
}

Affine NiftiHeader::sformAffine() const {
  Affine a;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) a.m[i][j] = srow[i][j];
  return a;
}

Affine NiftiHeader::fallbackAffine() const {
  // nibabel's shape_zoom_affine(shape, zooms, x_flip=True): centred on the middle voxel, x flipped.
  Affine a;
  for (int i = 0; i < 3; ++i) {
    const double n = (i + 1 <= dim[0]) ? static_cast<double>(dim[i + 1]) : 1.0;
    const double zoom = ((i + 1 <= dim[0]) ? pixdim[i + 1] : 1.0) * (i == 0 ? -1.0 : 1.0);
    a.m[i][i] = zoom;
    a.m[i][3] = -(n - 1.0) / 2.0 * zoom;
  }
  return a;
}

Affine NiftiHeader::bestAffine(std::string* source) const {
  if (sformCode > 0) {
    if (source) *source = "sform (sform_code " + std::to_string(sformCode) + ")";
    return sformAffine();
  }
  if (qformCode > 0) {
    if (source) *source = "qform (qform_code " + std::to_string(qformCode) + ")";
    return qformAffine();
  }
  if (source) *source = "no sform or qform code: centred scaling with x flipped (nibabel's fallback)";
  return fallbackAffine();
}

namespace {

// Reads the first 348 bytes (the NIfTI-1 header) through zlib, which reads uncompressed files
// transparently, into `raw`; returns how many it got (at least 4).
int readRawHeaderBytes(const std::string& path, unsigned char (&raw)[kNifti1HeaderBytes]) {
  gzFile gz = gzopen(path.c_str(), "rb");  // zlib reads uncompressed files transparently
  if (!gz) throw ImagingError(path + ": cannot open for reading");
  const int got = gzread(gz, raw, kNifti1HeaderBytes);
  int code = Z_OK;
  const std::string zlibMessage = got < 0 ? zlibReason(gz, &code) : "";
  gzclose(gz);
  if (got < 0)  // the header itself sits in damaged compressed data
    throw ImagingError(path + ": damaged compressed data (" + zlibMessage +
                       "): the file was corrupted, do not plan on it");
  if (got < 4) throw ImagingError(path + ": file is empty or not a NIfTI image");
  return got;
}

// Sets h.byteSwapped from the header-size field (348 either way round) and checks the whole header
// is there with the single-file magic "n+1"; refuses NIfTI-2 and .hdr/.img pairs.
void checkNifti1SizeAndMagic(const std::string& path, const unsigned char* raw, int got, NiftiHeader& h) {
  const std::int32_t sizeofHdr = readField<std::int32_t>(raw, 0, false);
  const std::int32_t swappedSizeofHdr = readField<std::int32_t>(raw, 0, true);
  if (sizeofHdr == 540 || swappedSizeofHdr == 540)
    throw ImagingError(path + ": NIfTI-2 files are not supported yet; save it as NIfTI-1");
  if (sizeofHdr == kNifti1HeaderBytes) {
    h.byteSwapped = false;
  } else if (swappedSizeofHdr == kNifti1HeaderBytes) {
    h.byteSwapped = true;
  } else {
    throw ImagingError(path + ": not a NIfTI-1 file (header size field is " + std::to_string(sizeofHdr) +
                       ", expected 348)");
  }
  if (got < kNifti1HeaderBytes) throw ImagingError(path + ": truncated NIfTI header");
  if (std::memcmp(raw + 344, "n+1", 4) != 0) {
    if (std::memcmp(raw + 344, "ni1", 4) == 0)
      throw ImagingError(path + ": header says the data are in a separate .img file (magic 'ni1')");
    throw ImagingError(path + ": not a NIfTI-1 file (bad magic string)");
  }
}

// The fields dbsplan uses, at their NIfTI-1 byte offsets, in the header's byte order.
void decodeNifti1Fields(const unsigned char* raw, NiftiHeader& h) {
  const bool sw = h.byteSwapped;
  for (int i = 0; i < 8; ++i) {
    h.dim[i] = readField<std::int16_t>(raw, 40 + 2 * i, sw);
    h.pixdim[i] = readField<float>(raw, 76 + 4 * i, sw);
  }
  h.datatype = readField<std::int16_t>(raw, 70, sw);
  h.bitpix = readField<std::int16_t>(raw, 72, sw);
  h.voxOffset = readField<float>(raw, 108, sw);
  h.sclSlope = readField<float>(raw, 112, sw);
  h.sclInter = readField<float>(raw, 116, sw);
  h.qformCode = readField<std::int16_t>(raw, 252, sw);
  h.sformCode = readField<std::int16_t>(raw, 254, sw);
  for (int i = 0; i < 3; ++i) {
    h.quaternBcd[i] = readField<float>(raw, 256 + 4 * i, sw);
    h.qoffset[i] = readField<float>(raw, 268 + 4 * i, sw);
    for (int j = 0; j < 4; ++j) h.srow[i][j] = readField<float>(raw, 280 + 16 * i + 4 * j, sw);
  }
}

// Checks dimensions, datatype and vox_offset describe one scalar 3-D volume; returns the bytes per
// voxel.
int checkSingleScalarVolume(const std::string& path, const NiftiHeader& h) {
  // Dimensions: 1 to 7, every size positive; dbsplan works on single 3-D volumes.
  if (h.dim[0] < 1 || h.dim[0] > 7)
    throw ImagingError(path + ": invalid NIfTI dim[0] = " + std::to_string(h.dim[0]) + " (must be 1 to 7)");
  for (int i = 1; i <= h.dim[0]; ++i)
    if (h.dim[i] < 1)
      throw ImagingError(path + ": invalid NIfTI size dim[" + std::to_string(i) +
                         "] = " + std::to_string(h.dim[i]));
  std::int64_t extraVolumes = 1;
  for (int i = 4; i <= h.dim[0]; ++i) extraVolumes *= h.dim[i];
  if (extraVolumes > 1)
    throw ImagingError(path + ": a " + std::to_string(h.dim[0]) + "-D image with " +
                       std::to_string(extraVolumes) +
                       " volumes; dbsplan needs a single 3-D volume (extract one first)");

  const int bytes = bytesForDatatype(h.datatype);
  if (bytes == 0)
    throw ImagingError(path + ": NIfTI datatype " + std::to_string(h.datatype) +
                       " is not a scalar intensity type (complex, RGB or unknown)");
  if (h.bitpix != 8 * bytes)
    throw ImagingError(path + ": bitpix " + std::to_string(h.bitpix) + " does not match datatype " +
                       std::to_string(h.datatype));
  // Bounded before it is converted to an integer: a vox_offset of 1e30 wrapped the conversion.
  if (!std::isfinite(h.voxOffset) || h.voxOffset < kNifti1HeaderBytes || h.voxOffset > 1e12)
    throw ImagingError(path + ": invalid vox_offset " + std::to_string(h.voxOffset));
  return bytes;
}

// The file must hold every byte the header declares (vox_offset plus the voxels), checked before
// anything is allocated: a gzip stream is inflated and counted, a plain file measured.
void checkFileHoldsDeclaredData(const std::string& path, const NiftiHeader& h,
                                const std::array<std::size_t, 3>& size, int bytes) {
  std::error_code ec;
  const std::uint64_t needed = static_cast<std::uint64_t>(h.voxOffset) +
                               std::uint64_t(size[0]) * size[1] * size[2] * std::uint64_t(bytes);
  if (h.gzipped) {
    if (const std::string problem = gzipStreamProblem(path, needed); !problem.empty())
      throw ImagingError(path + ": " + problem);
  } else {
    const auto fileSize = std::filesystem::file_size(path, ec);
    if (ec || fileSize < needed)
      throw ImagingError(path + ": truncated: the header declares " + std::to_string(needed) +
                         " bytes but the file has " + std::to_string(ec ? 0 : fileSize));
  }
}

// The affine nibabel would use (voxel index -> RAS mm) must be usable: finite, invertible and
// physically possible.
void checkBestAffineIsPhysical(const std::string& path, const NiftiHeader& h) {
  std::string source;
  Affine best;
  try {
    best = h.bestAffine(&source);
  } catch (const ImagingError& e) {
    throw ImagingError(path + ": " + e.what());
  }
  for (const auto& row : best.m)
    for (double v : row)
      if (!std::isfinite(v))
        throw ImagingError(path + ": the " + source + " transform has non-finite entries");
  if (std::abs(best.determinant3x3()) < 1e-12)
    throw ImagingError(path + ": the " + source + " transform is singular (a voxel axis has zero length)");
  // Physically possible values only: ITK's SVD of the direction matrix never converged for an
  // offset of 3e38 (a hang). An MRI's origin lies within metres of the scanner's isocentre and its
  // voxels are between a micrometre and a metre.
  for (int r = 0; r < 3; ++r)
    if (std::abs(best.m[r][3]) > 1e5)
      throw ImagingError(path + ": the " + source + " transform puts the image " +
                         std::to_string(best.m[r][3]) +
                         " mm from the origin (more than 100 m): not a physical position");
  for (int c = 0; c < 3; ++c) {
    const double length =
        std::sqrt(best.m[0][c] * best.m[0][c] + best.m[1][c] * best.m[1][c] + best.m[2][c] * best.m[2][c]);
    if (length < 1e-3 || length > 1e3)
      throw ImagingError(path + ": the " + source + " transform gives voxel axis " + std::to_string(c) +
                         " a length of " + std::to_string(length) + " mm (outside 0.001 to 1000 mm)");
  }
}

}  // namespace

NiftiHeader readNiftiHeader(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ImagingError(path + ": no such file");
  NiftiHeader h;
  h.gzipped = isGzipFile(path);

  unsigned char raw[kNifti1HeaderBytes];
  const int got = readRawHeaderBytes(path, raw);
  checkNifti1SizeAndMagic(path, raw, got, h);
  decodeNifti1Fields(raw, h);
  const int bytes = checkSingleScalarVolume(path, h);

  std::array<std::size_t, 3> size{1, 1, 1};
  for (int i = 0; i < 3 && i < h.dim[0]; ++i) size[i] = static_cast<std::size_t>(h.dim[i + 1]);
  checkVoxelBudget(path, size, static_cast<std::size_t>(bytes));
  checkFileHoldsDeclaredData(path, h, size, bytes);
  checkBestAffineIsPhysical(path, h);
  return h;
}

}  // namespace dbs
