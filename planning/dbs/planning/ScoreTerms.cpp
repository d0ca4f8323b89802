#include "dbs/planning/ScoreTerms.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dbs/planning/DataPaths.h"

namespace dbs {

namespace {

using nlohmann::json;

double numberAt(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number())
    throw std::runtime_error(where + ": \"" + key + "\" must be a number");
  return object[key].get<double>();
}

std::string textAt(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object[key].is_string())
    throw std::runtime_error(where + ": \"" + key + "\" must be a string");
  return object[key].get<std::string>();
}

ScoringModel loadModel() {
  std::string path;
  const json j = readSourceDataJson("trajectory/scoring.json", "dbsplan.trajectory_scoring/1", path);
  if (!j.contains("terms") || !j["terms"].is_array())
    throw std::runtime_error(path + ": \"terms\" must be an array");
  ScoringModel m;
  std::array<bool, kScoreTerms> seen{};
  for (const json& t : j["terms"]) {
    const std::string where = path + ": term";
    const auto id = kScoreTermNames.parse(textAt(t, "id", where));
    if (!id) throw std::runtime_error(where + " id must be " + kScoreTermNames.alternatives());
    const std::size_t k = static_cast<std::size_t>(*id);
    const std::string here = path + ": term " + kScoreTermNames.name(*id);
    if (seen[k]) throw std::runtime_error(here + ": listed twice");
    seen[k] = true;
    ScoringModel::Term& term = m.terms[k];
    term.name = textAt(t, "name", here);
    term.explains = textAt(t, "explains", here);
    term.source = textAt(t, "source", here);
    term.defaultWeight = numberAt(t, "weight", here);
    if (term.defaultWeight < 0) throw std::runtime_error(here + ": weight must be >= 0");
    const json p = t.value("parameters", json::object());
    const std::string at = here + " parameters";
    switch (*id) {
      case ScoreTerm::ContactsInGpi: {
        const double levels = numberAt(p, "deepest_levels", at);
        if (!(levels >= 1 && levels <= 16 && levels == std::floor(levels)))
          throw std::runtime_error(at + ": deepest_levels must be a whole number from 1 to 16");
        m.gpiLevels = static_cast<int>(levels);
        break;
      }
      case ScoreTerm::VentralBorder:
        m.ventralBestMinMm = numberAt(p, "best_min_mm", at);
        m.ventralBestMaxMm = numberAt(p, "best_max_mm", at);
        m.ventralZeroAtMm = numberAt(p, "zero_at_mm", at);
        m.ventralAtBorder = numberAt(p, "at_border_value", at);
        m.ventralSearchMm = numberAt(p, "search_mm", at);
        if (!(0 <= m.ventralBestMinMm && m.ventralBestMinMm <= m.ventralBestMaxMm &&
              m.ventralBestMaxMm < m.ventralZeroAtMm && m.ventralZeroAtMm <= m.ventralSearchMm))
          throw std::runtime_error(at + ": need 0 <= best_min <= best_max < zero_at <= search");
        break;
      case ScoreTerm::GyralCrown:
        m.crownCortexDepthMm = numberAt(p, "cortex_depth_mm", at);
        m.crownSaturationMm = numberAt(p, "saturation_mm", at);
        break;
      case ScoreTerm::EntryRegion:
        m.sutureAcpcYMm = numberAt(p, "suture_acpc_y_mm", at);
        m.anteriorMinMm = numberAt(p, "anterior_min_mm", at);
        m.anteriorMaxMm = numberAt(p, "anterior_max_mm", at);
        m.lateralMinMm = numberAt(p, "lateral_min_mm", at);
        m.lateralMaxMm = numberAt(p, "lateral_max_mm", at);
        m.regionFalloffMm = numberAt(p, "falloff_mm", at);
        break;
      case ScoreTerm::SagittalAngle:
      case ScoreTerm::LateralAngle: {
        ScoringModel::AngleRange& r = *id == ScoreTerm::SagittalAngle ? m.sagittal : m.lateral;
        r.usualMinDeg = numberAt(p, "usual_min_deg", at);
        r.usualMaxDeg = numberAt(p, "usual_max_deg", at);
        r.atUsualEdge = numberAt(p, "at_usual_edge_value", at);
        r.falloffDeg = numberAt(p, "falloff_deg", at);
        if (!(r.usualMinDeg < r.usualMaxDeg && r.falloffDeg > 0))
          throw std::runtime_error(at + ": need usual_min < usual_max and falloff > 0");
        break;
      }
      case ScoreTerm::Caudate:
        m.caudateSaturationMm = numberAt(p, "saturation_mm", at);
        break;
      default:
        break;
    }
  }
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    if (!seen[k])
      throw std::runtime_error(path + ": term \"" + kScoreTermNames.name(static_cast<ScoreTerm>(k)) +
                               "\" is missing");
  return m;
}

}  // namespace

const ScoringModel& scoringModel() {
  static const ScoringModel model = loadModel();
  return model;
}

ScoreWeights defaultScoreWeights() {
  ScoreWeights w{};
  for (std::size_t k = 0; k < kScoreTerms; ++k) w[k] = scoringModel().terms[k].defaultWeight;
  return w;
}

std::string describeWeights(const ScoreWeights& weights) {
  std::ostringstream out;
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    out << (k ? ", " : "") << kScoreTermNames.name(static_cast<ScoreTerm>(k)) << "=" << weights[k];
  return out.str();
}

void applyWeightSetting(ScoreWeights& weights, const std::string& setting) {
  const auto eq = setting.find('=');
  const auto term = kScoreTermNames.parse(setting.substr(0, eq));
  if (eq == std::string::npos || !term)
    throw std::invalid_argument("score weight \"" + setting + "\": expected TERM=WEIGHT with TERM one of " +
                                kScoreTermNames.alternatives());
  const std::string number = setting.substr(eq + 1);
  std::size_t used = 0;
  double w = -1;
  try {
    w = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || number.empty() || !(w >= 0 && w <= 1000))
    throw std::invalid_argument("score weight \"" + setting +
                                "\": the weight must be a number from 0 to 1000");
  weights[static_cast<std::size_t>(*term)] = w;
}

double saturating(double distanceMm, double saturationMm) {
  if (!(saturationMm > 0)) return distanceMm > 0 ? 1.0 : 0.0;
  return std::clamp(distanceMm / saturationMm, 0.0, 1.0);
}

double ventralBorderValue(const ScoringModel& m, std::optional<double> exitMm) {
  if (!exitMm) return 0.0;
  const double e = std::max(0.0, *exitMm);
  if (e < m.ventralBestMinMm)
    return m.ventralBestMinMm > 0 ? m.ventralAtBorder + (1 - m.ventralAtBorder) * e / m.ventralBestMinMm
                                  : 1.0;
  if (e <= m.ventralBestMaxMm) return 1.0;
  return std::clamp(1.0 - (e - m.ventralBestMaxMm) / (m.ventralZeroAtMm - m.ventralBestMaxMm), 0.0, 1.0);
}

double gyralCrownValue(const ScoringModel& m, double sulcusDistanceNearCortexMm) {
  return saturating(sulcusDistanceNearCortexMm, m.crownSaturationMm);
}

namespace {
// 1 inside [lo, hi], falling linearly to 0 over `falloff` outside.
double band(double x, double lo, double hi, double falloff) {
  const double outside = x < lo ? lo - x : (x > hi ? x - hi : 0.0);
  return std::clamp(1.0 - outside / falloff, 0.0, 1.0);
}
}  // namespace

double entryRegionValue(const ScoringModel& m, double entryAcpcYMm, double entryDistanceFromMidlineMm) {
  const double inFront = entryAcpcYMm - m.sutureAcpcYMm;
  return band(inFront, m.anteriorMinMm, m.anteriorMaxMm, m.regionFalloffMm) *
         band(entryDistanceFromMidlineMm, m.lateralMinMm, m.lateralMaxMm, m.regionFalloffMm);
}

double angleValue(const ScoringModel::AngleRange& r, double angleDeg) {
  const double centre = 0.5 * (r.usualMinDeg + r.usualMaxDeg), half = 0.5 * (r.usualMaxDeg - r.usualMinDeg);
  const double off = std::abs(angleDeg - centre);
  if (off <= half) return 1.0 - (1.0 - r.atUsualEdge) * (off / half) * (off / half);
  return std::max(0.0, r.atUsualEdge * (1.0 - (off - half) / r.falloffDeg));
}

}  // namespace dbs
