#include "dbs/imaging/WorldFrame.h"

#include <cstdio>
#include <stdexcept>

namespace dbs {

Vec3 Affine::apply(Vec3 p) const {
  Vec3 r;
  for (int i = 0; i < 3; ++i) r[i] = m[i][0] * p.x + m[i][1] * p.y + m[i][2] * p.z + m[i][3];
  return r;
}

Vec3 Affine::applyLinear(Vec3 v) const {
  Vec3 r;
  for (int i = 0; i < 3; ++i) r[i] = m[i][0] * v.x + m[i][1] * v.y + m[i][2] * v.z;
  return r;
}

Affine Affine::operator*(const Affine& rhs) const {
  Affine r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += m[i][k] * rhs.m[k][j];
      r.m[i][j] = s;
    }
  return r;
}

double Affine::determinant3x3() const {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Affine Affine::inverse() const {
  // Affine inverse: [A t]^-1 = [A^-1, -A^-1 t]; A^-1 by the adjugate (3x3, exact enough in double).
  const double det = determinant3x3();
  if (!(std::abs(det) > 1e-12)) throw std::domain_error("singular affine transform (determinant 0)");
  Affine r;
  const auto& a = m;
  r.m[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
  r.m[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
  r.m[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
  r.m[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
  r.m[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
  r.m[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
  r.m[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
  r.m[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
  r.m[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
  const Vec3 t = translation();
  for (int i = 0; i < 3; ++i) r.m[i][3] = -(r.m[i][0] * t.x + r.m[i][1] * t.y + r.m[i][2] * t.z);
  r.m[3] = {0, 0, 0, 1};
  return r;
}

double Affine::maxAbsDifference(const Affine& other) const {
  double d = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) d = std::max(d, std::abs(m[i][j] - other.m[i][j]));
  return d;
}

Affine rotationAboutRasAxis(int axis, double degrees) {
  const double a = degrees * M_PI / 180.0, c = std::cos(a), s = std::sin(a);
  Affine r;
  const int i = (axis + 1) % 3, j = (axis + 2) % 3;
  r.m[i][i] = c;
  r.m[j][j] = c;
  r.m[i][j] = -s;
  r.m[j][i] = s;
  return r;
}

Affine rasFromLpsOutput(const Affine& lpsFromSomething) {
  Affine r = lpsFromSomething;
  for (int j = 0; j < 4; ++j) {
    r.m[0][j] = -r.m[0][j];
    r.m[1][j] = -r.m[1][j];
  }
  return r;
}

Affine lpsFromRasOutput(const Affine& rasFromSomething) {
  // The LPS<->RAS flip is its own inverse.
  return rasFromLpsOutput(rasFromSomething);
}

char anatomicalLetter(Vec3 d) {
  static const char positive[] = {'R', 'A', 'S'};
  static const char negative[] = {'L', 'P', 'I'};
  int best = 0;
  for (int i = 1; i < 3; ++i)
    if (std::abs(d[i]) > std::abs(d[best])) best = i;
  return d[best] >= 0 ? positive[best] : negative[best];
}

namespace {
// |rasValueMm| rounded to `decimals`, and whether it points the negative way (L, P, I). A value that
// rounds to zero has no side: never "L 0.0" for -0.01.
struct SidedMagnitude {
  double rounded;
  bool negative;
};
SidedMagnitude sidedMagnitude(double rasValueMm, int decimals) {
  const double scale = std::pow(10.0, decimals);
  const double rounded = std::round(std::abs(rasValueMm) * scale) / scale;
  return {rounded, rasValueMm < 0 && rounded > 0};
}

std::string directionAndMagnitude(double rasValueMm, int axis, int decimals) {
  static const char positive[] = {'R', 'A', 'S'};
  static const char negative[] = {'L', 'P', 'I'};
  const auto [rounded, isNegative] = sidedMagnitude(rasValueMm, decimals);
  const char letter = isNegative ? negative[axis] : positive[axis];
  char text[48];
  std::snprintf(text, sizeof text, "%c %.*f", letter, decimals, rounded);
  return text;
}
}  // namespace

std::string patientDirectionWords(double rasValueMm, int axis, int decimals) {
  static const char* const positive[] = {"right", "anterior", "superior"};
  static const char* const negative[] = {"left", "posterior", "inferior"};
  const auto [rounded, isNegative] = sidedMagnitude(rasValueMm, decimals);
  char text[64];
  if (rounded == 0)
    std::snprintf(text, sizeof text, "%.*f mm", decimals, 0.0);
  else
    std::snprintf(text, sizeof text, "%.*f mm %s", decimals, rounded,
                  isNegative ? negative[axis] : positive[axis]);
  return text;
}

std::string patientPositionText(Vec3 p, int decimals) {
  return directionAndMagnitude(p.x, 0, decimals) + ", " + directionAndMagnitude(p.y, 1, decimals) + ", " +
         directionAndMagnitude(p.z, 2, decimals) + " mm";
}

std::string orientationCode(const Affine& rasFromIjk) {
  // Greedy assignment of each voxel axis to a distinct world axis, largest direction cosine first:
  // the same answer as nibabel's io_orientation for every non-degenerate affine.
  double cosines[3][3];  // [world axis][voxel axis]
  for (int j = 0; j < 3; ++j) {
    const Vec3 c = rasFromIjk.column(j);
    const double n = norm(c);
    for (int i = 0; i < 3; ++i) cosines[i][j] = n > 0 ? c[i] / n : 0.0;
  }
  std::string code = "???";
  bool worldUsed[3] = {false, false, false}, voxelUsed[3] = {false, false, false};
  for (int round = 0; round < 3; ++round) {
    int bi = -1, bj = -1;
    double best = -1;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        if (!worldUsed[i] && !voxelUsed[j] && std::abs(cosines[i][j]) > best) {
          best = std::abs(cosines[i][j]);
          bi = i;
          bj = j;
        }
    worldUsed[bi] = voxelUsed[bj] = true;
    static const char positive[] = {'R', 'A', 'S'};
    static const char negative[] = {'L', 'P', 'I'};
    code[bj] = cosines[bi][bj] >= 0 ? positive[bi] : negative[bi];
  }
  return code;
}

}  // namespace dbs
