// ScoreTerms: what the trajectory search weighs, term by term (data/trajectory/scoring.json, with
// each term's source in data/trajectory/SOURCES.md): clearance from the risk structures, contacts
// in the GPi and the pallidum, the deepest contact just above the GPi's ventral border, an entry on
// a gyral crown near the coronal suture, the usual sagittal and lateral angles of GPi leads, the
// distance to the caudate and the path's length. Each term's value runs from 0 (worst) to 1 (best),
// length excepted (a penalty per 10 mm); the score is the weighted sum. The shapes below are pure
// functions so that each can be tested on its own; PathScoring.cpp measures the inputs on a path.
//
// Coordinate systems used: angles in the AC-PC frame (deg), positions in AC-PC mm from the MCP,
// distances in mm.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "dbs/planning/EnumNames.h"

namespace dbs {

enum class ScoreTerm : std::uint8_t {
  Clearance = 0,
  ContactsInGpi,
  ContactsInPallidum,
  VentralBorder,
  GyralCrown,
  EntryRegion,
  SagittalAngle,
  LateralAngle,
  Caudate,
  Length,
};
constexpr std::size_t kScoreTerms = 10;
inline constexpr EnumNames<ScoreTerm, kScoreTerms> kScoreTermNames{{{
    {ScoreTerm::Clearance, "clearance"},
    {ScoreTerm::ContactsInGpi, "contacts_in_gpi"},
    {ScoreTerm::ContactsInPallidum, "contacts_in_pallidum"},
    {ScoreTerm::VentralBorder, "ventral_border"},
    {ScoreTerm::GyralCrown, "gyral_crown"},
    {ScoreTerm::EntryRegion, "entry_region"},
    {ScoreTerm::SagittalAngle, "sagittal_angle"},
    {ScoreTerm::LateralAngle, "lateral_angle"},
    {ScoreTerm::Caudate, "caudate"},
    {ScoreTerm::Length, "length"},
}}};

using ScoreWeights = std::array<double, kScoreTerms>;

// A term's shape parameters (scoring.json "parameters"; see SOURCES.md for each).
struct ScoringModel {
  struct Term {
    std::string name;      // "usual sagittal angle"
    std::string explains;  // one sentence: what the value measures and what is best
    std::string source;    // "SOURCES.md 6"
    double defaultWeight = 0;
  };
  std::array<Term, kScoreTerms> terms;
  // contacts_in_gpi: how many of the lead's deepest levels (contact rows, distal first) count; the
  // rows above them belong in the GPi's dorsal part or the GPe, which contacts_in_pallidum rewards.
  int gpiLevels = 2;
  // ventral_border: distance (mm, along the path) below the deepest contact's centre to the GPi's
  // exit: 1 on [bestMin, bestMax], atBorder at 0, 0 at zeroAt and beyond; searched to searchMm.
  double ventralBestMinMm = 1, ventralBestMaxMm = 3, ventralZeroAtMm = 7, ventralAtBorder = 0.5,
         ventralSearchMm = 8;
  double crownCortexDepthMm = 10, crownSaturationMm = 4;  // gyral_crown
  // entry_region: AC-PC y of the coronal suture and the entry's band in front of it and lateral of
  // the midline, mm; linear fall to 0 over falloffMm outside each band.
  double sutureAcpcYMm = 10, anteriorMinMm = 0, anteriorMaxMm = 35, lateralMinMm = 25, lateralMaxMm = 45,
         regionFalloffMm = 20;
  struct AngleRange {
    double usualMinDeg = 0, usualMaxDeg = 0, atUsualEdge = 0.7, falloffDeg = 15;
  };
  AngleRange sagittal{55, 75, 0.7, 15}, lateral{0, 20, 0.7, 15};
  double caudateSaturationMm = 5;
};

// The model read once from data/trajectory/scoring.json; throws std::runtime_error naming the file
// and the key when it is missing or malformed.
const ScoringModel& scoringModel();
ScoreWeights defaultScoreWeights();

// "clearance=1, contacts_in_gpi=0.6, ...": weights as the CLI takes them back.
std::string describeWeights(const ScoreWeights& weights);
// Applies "TERM=W" (W >= 0): the CLI's --score-weight. Throws std::invalid_argument naming the
// accepted terms, or the bad number.
void applyWeightSetting(ScoreWeights& weights, const std::string& setting);

// The shapes (pure; the tests check each one's direction).
// 1 on [bestMin, bestMax]; between 0 and bestMin rises linearly from atBorder; above bestMax falls
// linearly to 0 at zeroAt. Nothing (the deepest contact is not in the GPi) gives 0.
double ventralBorderValue(const ScoringModel& m, std::optional<double> exitBelowDeepestContactMm);
double gyralCrownValue(const ScoringModel& m, double sulcusDistanceNearCortexMm);
double entryRegionValue(const ScoringModel& m, double entryAcpcYMm, double entryDistanceFromMidlineMm);
double angleValue(const ScoringModel::AngleRange& range, double angleDeg);
double saturating(double distanceMm, double saturationMm);  // clamp(d / s, 0, 1)

// One term's part in a path's score: its value and weight x value (negative for length).
struct ScoreTermValue {
  double value = 0;
  double contribution = 0;
};
using ScoreBreakdown = std::array<ScoreTermValue, kScoreTerms>;

}  // namespace dbs
