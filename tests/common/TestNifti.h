// TestNifti: a minimal NIfTI-1 writer for tests, with every header field under the test's control
// (transform codes, quaternions, byte order, compression, even lies), so geometry tests can build
// oblique, permuted, flipped, anisotropic, qform-only and sform-only files without any other tool.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "dbs/imaging/WorldFrame.h"

namespace dbs::test {

struct TestNifti {
  std::int32_t sizeofHdr = 348;
  std::array<std::int16_t, 8> dim{3, 1, 1, 1, 1, 1, 1, 1};
  std::array<float, 8> pixdim{1, 1, 1, 1, 1, 1, 1, 1};
  std::int16_t datatype = 16;  // float32
  std::int16_t bitpix = 32;
  float voxOffset = 352;
  float sclSlope = 1, sclInter = 0;
  std::int16_t qformCode = 0, sformCode = 0;
  std::array<float, 3> quatern{0, 0, 0}, qoffset{0, 0, 0};
  std::array<std::array<float, 4>, 3> srow{};
  char magic[4] = {'n', '+', '1', '\0'};
  std::vector<float> voxels;  // i fastest; written as float32 whatever `datatype` says
  bool bigEndian = false;
  bool gzip = false;
  std::size_t truncateDataTo = static_cast<std::size_t>(-1);  // write fewer data bytes (a lying header)

  void setSize(int nx, int ny, int nz) {
    dim = {3,
           static_cast<std::int16_t>(nx),
           static_cast<std::int16_t>(ny),
           static_cast<std::int16_t>(nz),
           1,
           1,
           1,
           1};
    voxels.assign(static_cast<std::size_t>(nx) * ny * nz, 0.0f);
  }
  float& at(int i, int j, int k) { return voxels[(static_cast<std::size_t>(k) * dim[2] + j) * dim[1] + i]; }

  void setSform(const Affine& rasFromIjk, int code = 2) {
    sformCode = static_cast<std::int16_t>(code);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) srow[r][c] = static_cast<float>(rasFromIjk.m[r][c]);
    for (int c = 0; c < 3; ++c) pixdim[c + 1] = static_cast<float>(norm(rasFromIjk.column(c)));
  }

  // Encodes an orthogonal affine as a qform (quaternion + qfac), the way the NIfTI standard does.
  void setQform(const Affine& rasFromIjk, int code = 1) {
    qformCode = static_cast<std::int16_t>(code);
    double r[3][3];
    double spacing[3];
    for (int c = 0; c < 3; ++c) {
      const Vec3 col = rasFromIjk.column(c);
      spacing[c] = norm(col);
      for (int i = 0; i < 3; ++i) r[i][c] = col[i] / spacing[c];
    }
    const double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                       r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                       r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    double qfac = 1.0;
    if (det < 0) {  // improper: flip the third column, record it in qfac
      qfac = -1.0;
      for (int i = 0; i < 3; ++i) r[i][2] = -r[i][2];
    }
    // Rotation matrix -> unit quaternion (a, b, c, d) with a >= 0.
    double a = 0.5 * std::sqrt(std::max(0.0, 1.0 + r[0][0] + r[1][1] + r[2][2])), b, c, d;
    if (a > 0.5) {
      b = 0.25 * (r[2][1] - r[1][2]) / a;
      c = 0.25 * (r[0][2] - r[2][0]) / a;
      d = 0.25 * (r[1][0] - r[0][1]) / a;
    } else {
      const double xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]), yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]),
                   zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
      if (xd > 1.0) {
        b = 0.5 * std::sqrt(xd);
        c = 0.25 * (r[0][1] + r[1][0]) / b;
        d = 0.25 * (r[0][2] + r[2][0]) / b;
        a = 0.25 * (r[2][1] - r[1][2]) / b;
      } else if (yd > 1.0) {
        c = 0.5 * std::sqrt(yd);
        b = 0.25 * (r[0][1] + r[1][0]) / c;
        d = 0.25 * (r[1][2] + r[2][1]) / c;
        a = 0.25 * (r[0][2] - r[2][0]) / c;
      } else {
        d = 0.5 * std::sqrt(zd);
        b = 0.25 * (r[0][2] + r[2][0]) / d;
        c = 0.25 * (r[1][2] + r[2][1]) / d;
        a = 0.25 * (r[1][0] - r[0][1]) / d;
      }
      if (a < 0) {
        a = -a;
        b = -b;
        c = -c;
        d = -d;
      }
    }
    quatern = {static_cast<float>(b), static_cast<float>(c), static_cast<float>(d)};
    qoffset = {static_cast<float>(rasFromIjk.m[0][3]), static_cast<float>(rasFromIjk.m[1][3]),
               static_cast<float>(rasFromIjk.m[2][3])};
    pixdim[0] = static_cast<float>(qfac);
    for (int i = 0; i < 3; ++i) pixdim[i + 1] = static_cast<float>(spacing[i]);
  }

  std::vector<unsigned char> bytes() const {
    std::vector<unsigned char> out(
        std::max<std::size_t>(352, static_cast<std::size_t>(std::max(0.0f, voxOffset))), 0);
    auto put = [&](std::size_t offset, const void* value, std::size_t size) {
      std::memcpy(out.data() + offset, value, size);
      if (bigEndian)
        std::reverse(out.begin() + static_cast<long>(offset), out.begin() + static_cast<long>(offset + size));
    };
    put(0, &sizeofHdr, 4);
    for (int i = 0; i < 8; ++i) {
      put(40 + 2 * i, &dim[i], 2);
      put(76 + 4 * i, &pixdim[i], 4);
    }
    put(70, &datatype, 2);
    put(72, &bitpix, 2);
    put(108, &voxOffset, 4);
    put(112, &sclSlope, 4);
    put(116, &sclInter, 4);
    put(252, &qformCode, 2);
    put(254, &sformCode, 2);
    for (int i = 0; i < 3; ++i) {
      put(256 + 4 * i, &quatern[i], 4);
      put(268 + 4 * i, &qoffset[i], 4);
      for (int j = 0; j < 4; ++j) put(280 + 16 * i + 4 * j, &srow[i][j], 4);
    }
    std::memcpy(out.data() + 344, magic, 4);
    const std::size_t dataBytes = std::min(truncateDataTo, voxels.size() * 4);
    for (std::size_t n = 0; n < dataBytes / 4; ++n) {
      unsigned char v[4];
      std::memcpy(v, &voxels[n], 4);
      if (bigEndian) std::reverse(v, v + 4);
      out.insert(out.end(), v, v + 4);
    }
    return out;
  }

  void write(const std::string& path) const {
    const auto data = bytes();
    if (gzip) {
      gzFile gz = gzopen(path.c_str(), "wb");
      gzwrite(gz, data.data(), static_cast<unsigned>(data.size()));
      gzclose(gz);
    } else {
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(data.data()), static_cast<long>(data.size()));
    }
  }
};

// Rotation about a RAS axis (0 = x, 1 = y, 2 = z) by `degrees`, as an affine without translation.
inline Affine rotationAbout(int axis, double degrees) {
  return rotationAboutRasAxis(axis, degrees);
}

// An affine from three voxel-axis columns (RAS mm per voxel step) and an origin (RAS mm).
inline Affine affineFromColumns(Vec3 i, Vec3 j, Vec3 k, Vec3 origin) {
  Affine a;
  const Vec3 cols[4] = {i, j, k, origin};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) a.m[r][c] = cols[c][r];
  return a;
}

}  // namespace dbs::test
