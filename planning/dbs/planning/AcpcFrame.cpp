#include "dbs/planning/AcpcFrame.h"

#include <stdexcept>

namespace dbs {

AcpcFrame::AcpcFrame(Vec3 acRas, Vec3 pcRas, Vec3 midlinePointRas) {
  const Vec3 pcToAc = acRas - pcRas;
  acPcDistanceMm_ = norm(pcToAc);
  if (acPcDistanceMm_ < 1e-3) throw std::invalid_argument("AC and PC coincide: the AC-PC frame is undefined");
  mcpRas_ = 0.5 * (acRas + pcRas);
  yRas_ = normalized(pcToAc);
  // Superior axis: the part of (midline point - MCP) perpendicular to the AC-PC line (Gram-Schmidt).
  const Vec3 up = midlinePointRas - mcpRas_;
  const Vec3 upPerp = up - dot(up, yRas_) * yRas_;
  if (norm(upPerp) < 1e-3)
    throw std::invalid_argument(
        "the midline point lies on the AC-PC line: the midsagittal plane is undefined");
  zRas_ = normalized(upPerp);
  xRas_ = cross(yRas_, zRas_);
}

Vec3 AcpcFrame::acpcFromRas(Vec3 p) const {
  const Vec3 d = p - mcpRas_;
  return {dot(d, xRas_), dot(d, yRas_), dot(d, zRas_)};
}

Vec3 AcpcFrame::rasFromAcpc(Vec3 q) const {
  return mcpRas_ + q.x * xRas_ + q.y * yRas_ + q.z * zRas_;
}

Affine AcpcFrame::rasFromAcpcTransform() const {
  Affine a;
  const Vec3 axes[3] = {xRas_, yRas_, zRas_};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a.m[r][c] = axes[c][r];
    a.m[r][3] = mcpRas_[r];
  }
  return a;
}

}  // namespace dbs
