// Side: the patient's hemisphere, the one type for it everywhere (plan, search, views, reports).
// Left is the patient's left, RAS x below the midline; the letter 'L'/'R' is how plan.json, ids
// ("L1"), label names ("GPi_L") and the command line write it, and the only place a letter becomes
// a Side is sideFromLetter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace dbs {

enum class Side : std::uint8_t { Left, Right };

// Both sides, left first: the order of plan.trajectories, the panel and the reports.
inline constexpr std::array<Side, 2> kBothSides{Side::Left, Side::Right};

constexpr char sideLetter(Side side) {
  return side == Side::Left ? 'L' : 'R';
}
constexpr const char* sideWord(Side side) {
  return side == Side::Left ? "left" : "right";
}
constexpr const char* sideTitle(Side side) {
  return side == Side::Left ? "Left" : "Right";
}
// The sign of RAS x on this side of the midline: -1 left, +1 right.
constexpr double sideSign(Side side) {
  return side == Side::Left ? -1.0 : 1.0;
}
// 0 for left, 1 for right: the index of per-side arrays.
constexpr std::size_t sideIndex(Side side) {
  return side == Side::Left ? 0 : 1;
}
constexpr Side sideAt(std::size_t index) {
  return index == 0 ? Side::Left : Side::Right;
}
constexpr Side otherSide(Side side) {
  return side == Side::Left ? Side::Right : Side::Left;
}
// "GPi" -> "GPi_L": the atlas label name of a structure on this side.
inline std::string sidedLabelName(const std::string& structure, Side side) {
  return structure + "_" + sideLetter(side);
}

// 'L' or 'R' (capital only, as dbsplan writes it); nullopt for anything else.
constexpr std::optional<Side> sideFromLetter(char letter) {
  if (letter == 'L') return Side::Left;
  if (letter == 'R') return Side::Right;
  return std::nullopt;
}

}  // namespace dbs
