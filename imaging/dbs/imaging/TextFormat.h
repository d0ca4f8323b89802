// TextFormat: how dbsplan writes a number for a person to read, in one place, so the command line,
// the panel, the tour, the report and the plan's notes print the same value the same way: fixed
// decimals, and never "-0.0" (a value that rounds to zero is printed as zero, without a sign a
// reader would take for a side or a direction). Machine-readable output (JSON) keeps full precision
// and does not use these.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "dbs/imaging/WorldFrame.h"

namespace dbs {

// `value` with `decimals` digits after the point (0 to 9): "21.9", "-0.4", "0.0".
inline std::string fixedText(double value, int decimals = 1) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  if (decimals < 0) decimals = 0;
  if (decimals > 9) decimals = 9;
  const double half = 0.5 * std::pow(10.0, -decimals);
  if (std::abs(value) < half) value = 0.0;
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// A point or vector as "(x, y, z)" with fixedText's rules; the caller names the frame and unit.
inline std::string vecText(Vec3 v, int decimals = 1) {
  return "(" + fixedText(v.x, decimals) + ", " + fixedText(v.y, decimals) + ", " + fixedText(v.z, decimals) +
         ")";
}

}  // namespace dbs
