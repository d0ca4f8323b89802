// ImageGeometry: the one geometry type of dbsplan. It holds an image's grid size and the exact
// voxel-index-to-RAS affine as the file defines it (for NIfTI: nibabel's affine, sform first).
//
// Coordinate systems used: ijk (voxel index, 0-based, voxel centres) and RAS mm; see WorldFrame.h.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

struct ImageGeometry {
  std::array<std::size_t, 3> size{0, 0, 0};  // voxels along i, j, k
  Affine rasFromIjk;                         // voxel index -> RAS mm

  // Voxel size along each index axis in mm (length of each column of rasFromIjk).
  Vec3 spacingMm() const;
  // Orientation code in nibabel's convention ("RAS", "LPS", "PIL", ...).
  std::string orientationCode() const { return dbs::orientationCode(rasFromIjk); }
  Affine ijkFromRas() const { return rasFromIjk.inverse(); }
  Vec3 rasFromIndex(Vec3 ijk) const { return rasFromIjk.apply(ijk); }
  Vec3 indexFromRas(Vec3 ras) const { return ijkFromRas().apply(ras); }
  // Axis-aligned RAS box enclosing the whole volume out to the voxel edges (centre +/- half a voxel).
  std::array<Vec3, 2> rasBoundsMm() const;
  // Largest deviation of the normalised voxel axes from orthogonality (|cos| of the worst pair).
  // Non-zero for sheared affines, which ITK cannot represent.
  double shear() const;
  std::size_t voxelCount() const { return size[0] * size[1] * size[2]; }
};

// Geometry a user states for an image whose file lacks it (ImageTrust.h): never read from a file.
struct StatedGeometry {
  // Where voxel axes i, j and k point: three letters, one each of R/L, A/P and S/I ("RAS", "LPI").
  std::string orientation;
  Vec3 spacingMm;  // voxel size along i, j and k, mm
};

}  // namespace dbs
