// AcpcFrame: the anterior-commissure / posterior-commissure coordinate frame in which stereotactic
// targets such as the GPi are traditionally given (e.g. "20 mm lateral, 3 mm anterior, 4 mm inferior
// to the MCP").
//
// Coordinate systems used:
//  - RAS mm (patient world frame, WorldFrame.h) for AC, PC, the midline point and all inputs.
//  - AC-PC mm: origin at the mid-commissural point (MCP, halfway between AC and PC), y along PC->AC
//    (anterior), z up within the midsagittal plane (superior), x = y x z (the patient's right).
#pragma once

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

class AcpcFrame {
 public:
  // `midlinePointRas` is any point of the midsagittal plane well above the AC-PC line (e.g. on the
  // interhemispheric fissure). Throws std::invalid_argument when AC and PC coincide or the midline
  // point lies on the AC-PC line, since the frame is then undefined.
  AcpcFrame(Vec3 acRas, Vec3 pcRas, Vec3 midlinePointRas);

  Vec3 mcpRas() const { return mcpRas_; }
  double acPcDistanceMm() const { return acPcDistanceMm_; }
  // Unit axes of the frame, in RAS.
  Vec3 rightAxisRas() const { return xRas_; }
  Vec3 anteriorAxisRas() const { return yRas_; }
  Vec3 superiorAxisRas() const { return zRas_; }

  Vec3 acpcFromRas(Vec3 pointRas) const;
  Vec3 rasFromAcpc(Vec3 pointAcpc) const;
  Affine rasFromAcpcTransform() const;

 private:
  Vec3 mcpRas_, xRas_, yRas_, zRas_;
  double acPcDistanceMm_ = 0;
};

}  // namespace dbs
