// The one place where dbsplan's coordinate frames are defined and converted.
//
// Coordinate systems used:
//  - ijk: voxel index of an image, 0-based, at voxel centres (the NIfTI and ITK convention).
//  - RAS (mm): patient world frame, x to the patient's Right, y Anterior, z Superior. This is
//    dbsplan's internal world frame: every point, matrix and distance that leaves imaging/ is
//    RAS mm, and every coordinate a user sees, types or saves is RAS mm (NIfTI, MNI, 3D Slicer).
//  - LPS (mm): ITK's physical space (x Left, y Posterior, z Superior). It exists only inside
//    imaging/, between ITK filters. rasFromLps()/lpsFromRas() below are the only conversions.
#pragma once

#include <array>
#include <cmath>
#include <string>

namespace dbs {

// A 3-vector of doubles; its frame is in the variable's name (targetRas, originLps).
struct Vec3 {
  double x = 0, y = 0, z = 0;
  double operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  double& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
};
inline Vec3 operator+(Vec3 a, Vec3 b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
inline Vec3 operator-(Vec3 a, Vec3 b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
inline Vec3 operator*(double s, Vec3 a) {
  return {s * a.x, s * a.y, s * a.z};
}
inline double dot(Vec3 a, Vec3 b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double norm(Vec3 a) {
  return std::sqrt(dot(a, a));
}
inline Vec3 normalized(Vec3 a) {
  return (1.0 / norm(a)) * a;
}

// A 4x4 homogeneous affine transform, row-major; the name says which frames it maps between,
// destination first: rasFromIjk maps a voxel index to RAS mm.
struct Affine {
  std::array<std::array<double, 4>, 4> m{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};

  static Affine identity() { return {}; }
  Vec3 apply(Vec3 p) const;        // a point: rotation, scale and translation
  Vec3 applyLinear(Vec3 v) const;  // a direction or displacement: no translation
  Vec3 column(int c) const { return {m[0][c], m[1][c], m[2][c]}; }
  Vec3 translation() const { return column(3); }
  Affine inverse() const;  // throws std::domain_error when singular
  Affine operator*(const Affine& rhs) const;
  double determinant3x3() const;
  double maxAbsDifference(const Affine& other) const;
};

// Right-handed rotation about a RAS axis (0 = x, 1 = y, 2 = z) by `degrees`, without translation.
Affine rotationAboutRasAxis(int axis, double degrees);

// Frame conversions: the only code in dbsplan that flips between ITK's LPS and RAS.
inline Vec3 rasFromLps(Vec3 lps) {
  return {-lps.x, -lps.y, lps.z};
}
inline Vec3 lpsFromRas(Vec3 ras) {
  return {-ras.x, -ras.y, ras.z};
}
// For a transform whose output is LPS (e.g. ITK's index-to-physical), the same map with RAS output.
Affine rasFromLpsOutput(const Affine& lpsFromSomething);
Affine lpsFromRasOutput(const Affine& rasFromSomething);

// Orientation code of a voxel-to-RAS affine in nibabel's convention (aff2axcodes): letter i is the
// anatomical direction that voxel axis i points *towards*, e.g. "RAS", "LPS", "PIL".
std::string orientationCode(const Affine& rasFromIjk);

// "R", "L", "A", "P", "S" or "I" for the anatomical direction a RAS vector points towards most.
char anatomicalLetter(Vec3 directionRas);

// A RAS coordinate in patient terms, in words, for a label read at a glance: axis 0 -19.5 ->
// "19.5 mm left", axis 1 -5.2 -> "5.2 mm posterior", axis 2 3 -> "3.0 mm superior", 0 -> "0.0 mm"
// (never a signed "R -19.5"). A view's title once said "Axial   I 3.4 mm", read as 13.4 (issue 23).
std::string patientDirectionWords(double rasValueMm, int axis, int decimals = 1);
// A RAS point in patient terms: "L 19.5, P 5.2, I 3.2 mm".
std::string patientPositionText(Vec3 pointRas, int decimals = 1);

}  // namespace dbs
