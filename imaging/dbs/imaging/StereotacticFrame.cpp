#include "dbs/imaging/StereotacticFrame.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace dbs {

namespace {

using nlohmann::json;

constexpr double kDegPerRad = 180.0 / M_PI;

[[noreturn]] void fail(const std::string& where, const std::string& path, const std::string& problem) {
  throw std::runtime_error(where + ": " + path + ": " + problem);
}

const json& member(const json& j, const std::string& key, const std::string& where, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) fail(where, path + "." + key, "missing");
  return j.at(key);
}

double number(const json& j, const std::string& where, const std::string& path) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) fail(where, path, "must be a finite number");
  return j.get<double>();
}

Vec3 vec3(const json& j, const std::string& where, const std::string& path) {
  if (!j.is_array() || j.size() != 3) fail(where, path, "must be [x, y, z] in mm");
  return {number(j[0], where, path + "[0]"), number(j[1], where, path + "[1]"),
          number(j[2], where, path + "[2]")};
}

std::string text(const json& j, const std::string& where, const std::string& path) {
  if (!j.is_string()) fail(where, path, "must be a string");
  return j.get<std::string>();
}

// The column of alignedRasFromFrame for a frame axis that grows towards `letter` (R, L, A, P, S, I).
Vec3 alignedAxisFor(const std::string& letter, const std::string& where, const std::string& path) {
  if (letter == "R") return {1, 0, 0};
  if (letter == "L") return {-1, 0, 0};
  if (letter == "A") return {0, 1, 0};
  if (letter == "P") return {0, -1, 0};
  if (letter == "S") return {0, 0, 1};
  if (letter == "I") return {0, 0, -1};
  fail(where, path, "must be one of R, L, A, P, S, I (is \"" + letter + "\")");
}

double pointToSegmentLineDistance(Vec3 p, Vec3 a, Vec3 b) {
  const Vec3 u = normalized(b - a);
  const Vec3 d = p - a;
  return norm(d - dot(d, u) * u);
}

}  // namespace

Vec3 LocalizerPlate::normalAlignedRas() const {
  // The plate's plane holds both verticals; its normal is across them (frame and aligned RAS differ
  // by a signed permutation, so a frame-mm normal's absolute direction is the aligned one's up to sign).
  const Vec3 along = rods[0].toFrame - rods[0].fromFrame;
  const Vec3 across = rods[2].fromFrame - rods[0].fromFrame;
  return normalized(cross(along, across));
}

double LocalizerPlate::widthMm() const {
  return pointToSegmentLineDistance(rods[2].fromFrame, rods[0].fromFrame, rods[0].toFrame);
}

const char* mountingName(ArcMounting mounting) {
  return mounting == ArcMounting::LateralRight ? "lateral-right" : "lateral-left";
}

const LocalizerPlate& FrameModel::plate(const std::string& plateName) const {
  for (const LocalizerPlate& p : plates)
    if (p.name == plateName) return p;
  throw std::out_of_range(id + " has no localizer plate \"" + plateName + "\"");
}

FrameModel frameModelFromJson(const std::string& jsonText, const std::string& where) {
  json j;
  try {
    j = json::parse(jsonText);
  } catch (const json::exception& e) {
    throw std::runtime_error(where + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object() || !j.contains("schema") || j["schema"] != "dbsplan.frame")
    throw std::runtime_error(where + ": not a dbsplan frame model (\"schema\": \"dbsplan.frame\")");
  if (!j.contains("schema_version") || j["schema_version"] != 1)
    throw std::runtime_error(where + ": schema_version must be 1");
  FrameModel m;
  m.id = text(member(j, "id", where, ""), where, "id");
  m.name = text(member(j, "name", where, ""), where, "name");

  const json& axes = member(j, "coordinates", where, "");
  const Vec3 centre = vec3(member(axes, "centre_mm", where, "coordinates"), where, "coordinates.centre_mm");
  const char* axisKeys[3] = {"x_towards", "y_towards", "z_towards"};
  Affine aligned;
  for (int c = 0; c < 3; ++c) {
    const std::string path = std::string("coordinates.") + axisKeys[c];
    const Vec3 column =
        alignedAxisFor(text(member(axes, axisKeys[c], where, "coordinates"), where, path), where, path);
    for (int r = 0; r < 3; ++r) aligned.m[r][c] = column[r];
  }
  if (std::abs(std::abs(aligned.determinant3x3()) - 1) > 1e-12)
    fail(where, "coordinates", "the three axes must point along three different anatomical axes");
  // The centre maps to the aligned origin.
  const Vec3 shift = aligned.applyLinear(centre);
  for (int r = 0; r < 3; ++r) aligned.m[r][3] = -shift[r];
  m.alignedRasFromFrame = aligned;
  m.coordinateMinFrame =
      vec3(member(axes, "range_min_mm", where, "coordinates"), where, "coordinates.range_min_mm");
  m.coordinateMaxFrame =
      vec3(member(axes, "range_max_mm", where, "coordinates"), where, "coordinates.range_max_mm");

  const json& arc = member(j, "arc", where, "");
  m.arcRadiusMm = number(member(arc, "radius_mm", where, "arc"), where, "arc.radius_mm");
  auto range = [&](const char* key, double& lo, double& hi) {
    const std::string path = std::string("arc.") + key;
    const json& r = member(arc, key, where, "arc");
    if (!r.is_array() || r.size() != 2) fail(where, path, "must be [min, max] in degrees");
    lo = number(r[0], where, path + "[0]");
    hi = number(r[1], where, path + "[1]");
    if (!(0 <= lo && lo < hi && hi <= 180)) fail(where, path, "must satisfy 0 <= min < max <= 180");
  };
  range("arc_range_deg", m.arcMinDeg, m.arcMaxDeg);
  range("ring_range_deg", m.ringMinDeg, m.ringMaxDeg);
  m.anglesSource = text(member(arc, "source", where, "arc"), where, "arc.source");

  const json& localizer = member(j, "localizer", where, "");
  m.rodDiameterMm =
      number(member(localizer, "rod_diameter_mm", where, "localizer"), where, "localizer.rod_diameter_mm");
  const json& plates = member(localizer, "plates", where, "localizer");
  if (!plates.is_array() || plates.size() < 3) fail(where, "localizer.plates", "must list at least 3 plates");
  for (std::size_t i = 0; i < plates.size(); ++i) {
    const std::string path = "localizer.plates[" + std::to_string(i) + "]";
    LocalizerPlate plate;
    plate.name = text(member(plates[i], "name", where, path), where, path + ".name");
    const json& rods = member(plates[i], "rods", where, path);
    if (!rods.is_array() || rods.size() != 3)
      fail(where, path + ".rods", "must be [vertical, diagonal, vertical]");
    for (std::size_t r = 0; r < 3; ++r) {
      const std::string rodPath = path + ".rods[" + std::to_string(r) + "]";
      plate.rods[r].name = text(member(rods[r], "name", where, rodPath), where, rodPath + ".name");
      plate.rods[r].fromFrame = vec3(member(rods[r], "from_mm", where, rodPath), where, rodPath + ".from_mm");
      plate.rods[r].toFrame = vec3(member(rods[r], "to_mm", where, rodPath), where, rodPath + ".to_mm");
      if (norm(plate.rods[r].toFrame - plate.rods[r].fromFrame) < 10)
        fail(where, rodPath, "is shorter than 10 mm");
    }
    // An N: parallel verticals, the diagonal from one end of the first to the far end of the second.
    const Vec3 v0 = normalized(plate.rods[0].toFrame - plate.rods[0].fromFrame);
    const Vec3 v2 = normalized(plate.rods[2].toFrame - plate.rods[2].fromFrame);
    if (norm(cross(v0, v2)) > 1e-9)
      fail(where, path, "its vertical rods (rods[0], rods[2]) are not parallel");
    const auto onRod = [](Vec3 p, const LocalizerRod& rod) {
      const Vec3 d = rod.toFrame - rod.fromFrame;
      const double t = dot(p - rod.fromFrame, d) / dot(d, d);
      return t > -1e-9 && t < 1 + 1e-9 && pointToSegmentLineDistance(p, rod.fromFrame, rod.toFrame) < 1e-6;
    };
    if (!onRod(plate.rods[1].fromFrame, plate.rods[0]) || !onRod(plate.rods[1].toFrame, plate.rods[2]))
      fail(where, path, "its diagonal (rods[1]) must run from a point of rods[0] to a point of rods[2]");
    if (std::abs(dot(normalized(plate.rods[1].toFrame - plate.rods[1].fromFrame), v0)) > 0.99)
      fail(where, path, "its diagonal is parallel to the verticals");
    m.plates.push_back(plate);
  }
  return m;
}

Vec3 directionFromArcRing(ArcRing angles, ArcMounting mounting) {
  const double arc = angles.arcDeg / kDegPerRad, ring = angles.ringDeg / kDegPerRad;
  const double sign = mounting == ArcMounting::LateralRight ? 1.0 : -1.0;
  return {sign * std::cos(arc), sign * std::sin(arc) * std::cos(ring), std::sin(arc) * std::sin(ring)};
}

ArcRing arcRingFromDirection(Vec3 targetToEntryAligned, ArcMounting mounting) {
  const Vec3 d = normalized(targetToEntryAligned);
  const double sign = mounting == ArcMounting::LateralRight ? 1.0 : -1.0;
  // sin(arc) = |(A, S)| >= 0; acos and atan2 of the components give both angles without loss near
  // 90 deg (where acos alone is steep).
  const double inPlane = std::hypot(d.y, d.z);
  if (inPlane < 1e-9)
    throw std::domain_error(
        "the trajectory runs along the arc's axis (left-right): the ring angle is undefined");
  if (d.z < 0) throw std::domain_error("the entry lies below the target: no arc setting reaches it");
  ArcRing out;
  out.arcDeg = std::atan2(inPlane, sign * d.x) * kDegPerRad;
  out.ringDeg = std::atan2(d.z, sign * d.y) * kDegPerRad;
  return out;
}

bool anglesReachable(const FrameModel& model, ArcRing angles) {
  return angles.arcDeg >= model.arcMinDeg && angles.arcDeg <= model.arcMaxDeg &&
         angles.ringDeg >= model.ringMinDeg && angles.ringDeg <= model.ringMaxDeg;
}

FrameCoordinates::FrameCoordinates(const FrameModel& model, const Affine& frameFromRas)
    : model_(model), frameFromRas_(frameFromRas), rasFromFrame_(frameFromRas.inverse()) {
  if (rigidityError(frameFromRas) > 1e-6 ||
      frameFromRas.determinant3x3() * model.alignedRasFromFrame.determinant3x3() < 0)
    throw std::invalid_argument("a frame registration must be a rigid transform without reflection");
  alignedRasFromRas_ = model_.alignedRasFromFrame * frameFromRas_;
}

Vec3 FrameCoordinates::alignedFromRasDirection(Vec3 directionRas) const {
  return alignedRasFromRas_.applyLinear(directionRas);
}

Vec3 FrameCoordinates::rasFromAlignedDirection(Vec3 directionAligned) const {
  // A rotation: its inverse is its transpose.
  Vec3 out;
  for (int r = 0; r < 3; ++r)
    out[r] = alignedRasFromRas_.m[0][r] * directionAligned.x +
             alignedRasFromRas_.m[1][r] * directionAligned.y +
             alignedRasFromRas_.m[2][r] * directionAligned.z;
  return out;
}

double rigidityError(const Affine& t) {
  double worst = 0;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += t.m[k][a] * t.m[k][b];
      worst = std::max(worst, std::abs(s - (a == b ? 1.0 : 0.0)));
    }
  return worst;
}

}  // namespace dbs
