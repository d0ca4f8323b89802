// StereotacticFrame: a stereotactic frame as data (its coordinate system, its N-localizer's rods and
// its arc), read from data/frames/*.json, and the one place where frame coordinates meet patient RAS
// and where arc and ring angles meet a direction.
//
// Coordinate systems used:
//  - frame mm (X, Y, Z): the frame's own coordinates, e.g. Leksell G: centre (100, 100, 100), X to the
//    patient's left, Y anterior, Z inferior.
//  - frame-aligned RAS mm: RAS axes parallel to the frame's, origin at the frame's centre. For
//    Leksell G: R = 100 - X, A = Y - 100, S = 100 - Z. Arc and ring are defined in it.
//  - patient RAS mm (WorldFrame.h): an image's world. A frame registration is the rigid transform
//    frameFromRas (frame mm from the RAS mm of one image); FrameCoordinates holds it.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

// One rod of the localizer: a straight segment in frame mm.
struct LocalizerRod {
  std::string name;  // "right anterior", "right diagonal", ...
  Vec3 fromFrame, toFrame;
};

// One N of the localizer: two parallel (vertical) rods and the diagonal that joins one end of the
// first to the other end of the second. rods[0] and rods[2] are the verticals, rods[1] the diagonal,
// whose fromFrame lies on rods[0] and toFrame on rods[2].
struct LocalizerPlate {
  std::string name;  // "right", "left", "anterior"
  std::array<LocalizerRod, 3> rods;
  Vec3 normalAlignedRas() const;  // unit normal of the plate's plane (frame-aligned RAS)
  double widthMm() const;         // distance between the verticals
};

// How the arc is mounted on the frame: its scale's zero on the patient's right or left.
enum class ArcMounting { LateralRight, LateralLeft };
const char* mountingName(ArcMounting mounting);  // "lateral-right", "lateral-left"

struct FrameModel {
  std::string id, name;
  // The rigid map from frame mm to frame-aligned RAS mm (a rotation of +-1 entries and a shift).
  Affine alignedRasFromFrame;
  std::vector<LocalizerPlate> plates;
  double rodDiameterMm = 2;
  double arcRadiusMm = 190;  // distance from the arc's centre (the target) to the instrument holder
  // The angles the hardware allows (deg), inclusive; conversions refuse angles outside them.
  double arcMinDeg = 0, arcMaxDeg = 180, ringMinDeg = 0, ringMaxDeg = 180;
  std::string anglesSource;  // where those ranges come from (data/frames/SOURCES.md)
  // The working range of the frame's coordinates (mm), where a target can be set.
  Vec3 coordinateMinFrame{0, 0, 0}, coordinateMaxFrame{200, 200, 200};

  const LocalizerPlate& plate(const std::string& plateName) const;  // throws std::out_of_range
};

// Reads a frame model from its JSON text (schema "dbsplan.frame", version 1); `where` names the
// file in errors. Throws std::runtime_error naming the field at fault.
FrameModel frameModelFromJson(const std::string& jsonText, const std::string& where);

// Arc and ring for a direction, and back. `targetToEntryAligned` points from the target towards the
// entry in frame-aligned RAS. Lateral-right (SlicerNetstim's convention): the direction is
// (cos arc, sin arc cos ring, sin arc sin ring); lateral-left mirrors R and A:
// (-cos arc, -sin arc cos ring, sin arc sin ring). arc = ring = 90 deg is vertical.
struct ArcRing {
  double arcDeg = 90, ringDeg = 90;
};
Vec3 directionFromArcRing(ArcRing angles, ArcMounting mounting);
// Throws std::domain_error for a direction pointing down (an entry below the target) or along the
// arc's axis (ring undefined), which no frame setting reaches.
ArcRing arcRingFromDirection(Vec3 targetToEntryAligned, ArcMounting mounting);
// Whether `angles` lie in the model's ranges.
bool anglesReachable(const FrameModel& model, ArcRing angles);

// The conversion point between an image's RAS and the frame's coordinates.
class FrameCoordinates {
 public:
  FrameCoordinates(const FrameModel& model, const Affine& frameFromRas);
  const Affine& frameFromRas() const { return frameFromRas_; }
  Affine rasFromFrame() const { return rasFromFrame_; }
  Vec3 frameFromRasPoint(Vec3 pointRas) const { return frameFromRas_.apply(pointRas); }
  Vec3 rasFromFramePoint(Vec3 pointFrame) const { return rasFromFrame_.apply(pointFrame); }
  // A RAS direction in frame-aligned RAS (rotation only).
  Vec3 alignedFromRasDirection(Vec3 directionRas) const;
  Vec3 rasFromAlignedDirection(Vec3 directionAligned) const;
  const FrameModel& model() const { return model_; }

 private:
  FrameModel model_;
  Affine frameFromRas_, rasFromFrame_, alignedRasFromRas_;
};

// A rigid transform's largest deviation from a rotation (|R^T R - I|, max entry): a registration
// result must be rigid.
double rigidityError(const Affine& transform);

}  // namespace dbs
