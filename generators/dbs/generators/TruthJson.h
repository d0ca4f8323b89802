// TruthJson: how the generators write a point and a matrix into their truth files (the head
// phantom's and the frame phantom's), one way for both: [x, y, z] in mm, and 4x4 row-major.
#pragma once

#include <nlohmann/json.hpp>

#include "dbs/imaging/WorldFrame.h"

namespace dbs::truth {

inline nlohmann::json vecJson(Vec3 v) {
  return nlohmann::json::array({v.x, v.y, v.z});
}

inline nlohmann::json affineJson(const Affine& a) {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 4; ++r) rows.push_back({a.m[r][0], a.m[r][1], a.m[r][2], a.m[r][3]});
  return rows;
}

}  // namespace dbs::truth
