// NiftiHeader: reads a NIfTI-1 header (.nii or .nii.gz) and resolves its voxel-to-RAS affine
// exactly as nibabel does, so that dbsplan and the neuroimaging world agree to the last bit.
//
// Why our own parser next to ITK's NiftiImageIO: ITK 5.2 chooses between sform and qform by its own
// rules (and can only hold orthonormal directions), while the neuroimaging convention that users
// and MNI coordinates rely on is nibabel's get_best_affine(): sform when sform_code > 0, else qform
// when qform_code > 0, else a centred, x-flipped scaling. The header also lets us check the declared
// data size against the file before anything is allocated.
//
// Coordinate systems used: ijk and RAS mm (WorldFrame.h).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

struct NiftiHeader {
  std::array<std::int64_t, 8> dim{};  // dim[0] = number of dimensions, dim[1..7] sizes
  std::array<double, 8> pixdim{};     // pixdim[0] = qfac, pixdim[1..3] voxel size (mm)
  int datatype = 0;
  int bitpix = 0;
  double voxOffset = 0;  // byte offset of the voxel data in the (uncompressed) file
  int qformCode = 0, sformCode = 0;
  std::array<double, 3> quaternBcd{};  // quatern_b, c, d
  std::array<double, 3> qoffset{};
  std::array<std::array<double, 4>, 3> srow{};  // srow_x, srow_y, srow_z
  double sclSlope = 0, sclInter = 0;
  bool byteSwapped = false;
  bool gzipped = false;

  // The header's transforms, as nibabel computes them (RAS mm from voxel index).
  Affine qformAffine() const;
  Affine sformAffine() const;
  Affine fallbackAffine() const;  // no transform code set: nibabel's get_base_affine()
  // nibabel's get_best_affine(); `source` says which one was used, for the user.
  Affine bestAffine(std::string* source = nullptr) const;
  std::size_t bytesPerVoxel() const { return static_cast<std::size_t>(bitpix / 8); }
  // A stored value as niftilib (and so ITK) gives it: scaled when scl_slope is set, finite and not 0.
  bool isScaled() const {
    return sclSlope != 0 && std::isfinite(sclSlope) && (sclSlope != 1 || sclInter != 0);
  }
  double scaled(double stored) const { return isScaled() ? stored * sclSlope + sclInter : stored; }
};

// Reads and validates the header. Throws ImagingError with a one-line, specific message for a file
// that is missing, not NIfTI-1, truncated, or whose declared size the data cannot back.
NiftiHeader readNiftiHeader(const std::string& path);

// "" when the gzip file at `path` inflates completely, with every CRC-32 right, to at least `needed`
// bytes (and not absurdly more); else what is wrong. Used on input and on what dbsplan wrote.
std::string gzipStreamProblem(const std::string& path, std::uint64_t needed);

// True for names ending in .nii or .nii.gz (case-insensitive).
bool hasNiftiExtension(const std::string& path);

std::uint64_t niftiVoxelCount(const NiftiHeader& header);

// Receives the voxels of a NIfTI file in file order (i fastest, then j, then k), a chunk at a time:
// `values` (with scl_slope and scl_inter applied, as niftilib applies them; NaN and infinities as
// stored), `count` of them, the first being voxel number `firstVoxel`.
using NiftiVoxelVisitor =
    std::function<void(const double* values, std::size_t count, std::uint64_t firstVoxel)>;

// Streams the (decompressed) voxel data through `visit` once, never holding the volume: how a
// volume too fine to plan on whole is binned as it is read (Volume.h), and how non-finite voxels are
// counted. Why not ITK: ITK 5.2's NiftiImageIO cannot stream (CanStreamRead is false) and holds two
// copies of the stored voxels while reading (2.1 GB for a 0.3 mm int16 head read as float).
// Throws ImagingError for a datatype that is not a real scalar, or data that end early.
void streamNiftiVoxels(const std::string& path, const NiftiHeader& header, const NiftiVoxelVisitor& visit);

// How many voxels of a float32 or float64 NIfTI are NaN or infinite in the file itself (0 for
// integer types). Needed because niftilib, under ITK's reader, silently replaces them with 0.
// Streams the (decompressed) voxels once, never keeping them.
std::size_t countNonFiniteNiftiVoxels(const std::string& path, const NiftiHeader& header);

}  // namespace dbs
