#include "dbs/planning/PlanFile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/TemplateSpace.h"
#include "dbs/planning/FrameRegistration.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanMigration.h"

namespace dbs {

namespace {

using nlohmann::json;

json vec(Vec3 v) {
  return json::array({v.x, v.y, v.z});
}

json affineJson(const Affine& a) {
  json rows = json::array();
  for (const auto& row : a.m) rows.push_back(json::array({row[0], row[1], row[2], row[3]}));
  return rows;
}

json closestJson(const ClosestApproach& c) {
  json j = {{"assessed", c.present}, {"required_margin_mm", c.requiredMarginMm}};
  if (!c.present) return j;
  j["distance_mm"] = c.distanceMm;
  j["depth_mm"] = c.depthMm;
  j["point_ras"] = vec(c.pointRas);
  j["safe"] = c.safe;
  return j;
}

json sideEffectJson(const SideEffectMargin& margin, const std::string& notLocatedReason) {
  if (!margin.assessed)
    return {{"assessed", false}, {"status", "not assessed"}, {"reason", notLocatedReason}};
  return {{"assessed", true},
          {"distance_mm", margin.distanceMm},
          {"measured_from", "nearest contact's surface"},
          {"nearest_contact", margin.contact},
          {"point_ras", vec(margin.pointRas)}};
}

json metricsJson(const TrajectoryMetrics& m) {
  json closest = json::object();
  // Keyed by position: closest[k] is always the structure RiskKind(k).
  for (std::size_t k = 0; k < kRiskKinds; ++k)
    closest[riskName(static_cast<RiskKind>(k))] = closestJson(m.closest[k]);
  json sections = json::array();
  for (const PathSection& p : m.passesThrough)
    sections.push_back(
        {{"structure", p.structure}, {"from_depth_mm", p.fromDepthMm}, {"to_depth_mm", p.toDepthMm}});
  json contacts = json::array();
  for (const PlacedContact& c : m.contacts) {
    json cj = {{"label", c.label},
               {"level", c.level},
               {"centre_ras", vec(c.centreRas)},
               {"structure", c.structure},
               {"in_gpi", c.inGpi}};
    if (c.segmentDirectionRas) cj["segment_direction_ras"] = vec(*c.segmentDirectionRas);
    contacts.push_back(cj);
  }
  json sideEffects = json::object();
  for (const SideEffectMargin& margin : m.sideEffects)
    sideEffects[sideEffectName(margin.structure)] =
        sideEffectJson(margin, std::string("the atlas has no ") + sideEffectDisplayName(margin.structure) +
                                   " label, so it was not located in this patient");
  json j = {{"length_mm", m.lengthMm},
            {"tip_beyond_target_mm", m.tipBeyondTargetMm},
            {"tip_ras", vec(m.tipRas)},
            {"score", m.score},
            {"safe", m.safe},
            {"own_side", m.ownSide},
            {"in_window", m.inWindow},
            {"entry_scalp_distance_mm", m.entryScalpDistanceMm},
            {"closest", closest},
            {"passes_through", sections},
            {"contacts", contacts},
            {"contacts_in_gpi", m.contactsInGpi},
            {"side_effect_margins", sideEffects},
            {"target_acpc", vec(m.targetAcpc)},
            {"entry_acpc", vec(m.entryAcpc)},
            {"sagittal_angle_deg", m.sagittalAngleDeg},
            {"lateral_angle_deg", m.lateralAngleDeg},
            {"angle_to_acpc_line_deg", m.angleToAcpcLineDeg},
            {"window_inside_deg", m.windowInsideDeg},
            {"window_inside_mm", m.windowInsideMm}};
  json terms = json::object();
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    terms[kScoreTermNames.name(static_cast<ScoreTerm>(k))] = {{"value", m.scoreTerms[k].value},
                                                              {"contribution", m.scoreTerms[k].contribution}};
  j["score_terms"] = terms;
  if (m.targetMni) j["target_mni"] = vec(*m.targetMni);
  return j;
}

}  // namespace

json plannedTrajectoryToJson(const PlannedTrajectory& p) {
  const Trajectory& t = p.trajectory;
  return {{"id", t.id},
          {"side", std::string(1, sideLetter(t.side))},
          {"target_ras", vec(t.targetRas)},
          {"entry_ras", vec(t.entryRas)},
          {"electrode", t.electrodeId},
          {"deepest_contact_beyond_target_mm", t.deepestContactBeyondTargetMm},
          {"marker_roll_deg", t.markerRollDeg},
          {"origin", kTrajectoryOriginNames.name(t.origin)},
          {"metrics", metricsJson(p.metrics)}};
}

namespace {

// Validating reader: every accessor names the full field path in its error.
class Field {
 public:
  Field(const json& j, std::string where, std::string path)
      : j_(j), where_(std::move(where)), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw std::runtime_error(where_ + ": " + (path_.empty() ? "top level" : path_) + ": " + problem);
  }
  Field operator[](const std::string& key) const {
    if (!j_.is_object()) fail("must be an object");
    const auto it = j_.find(key);
    const std::string child = path_.empty() ? key : path_ + "." + key;
    if (it == j_.end()) Field(j_, where_, child).fail("missing");
    return Field(*it, where_, child);
  }
  Field at(std::size_t i) const { return Field(j_.at(i), where_, path_ + "[" + std::to_string(i) + "]"); }
  bool has(const std::string& key) const { return j_.is_object() && j_.contains(key); }
  std::size_t arraySize() const {
    if (!j_.is_array()) fail("must be an array");
    return j_.size();
  }
  double number() const {
    if (!j_.is_number()) fail("must be a number");
    const double v = j_.get<double>();
    if (!std::isfinite(v)) fail("must be finite");
    return v;
  }
  double numberIn(double lo, double hi) const {
    const double v = number();
    if (v < lo || v > hi) {
      std::ostringstream s;
      s << "must be between " << lo << " and " << hi << " (is " << v << ")";
      fail(s.str());
    }
    return v;
  }
  long integer() const {
    if (!j_.is_number_integer() && !j_.is_number_unsigned()) fail("must be a whole number");
    return j_.get<long>();
  }
  bool boolean() const {
    if (!j_.is_boolean()) fail("must be true or false");
    return j_.get<bool>();
  }
  std::string string() const {
    if (!j_.is_string()) fail("must be a string");
    return j_.get<std::string>();
  }
  // A point or vector in mm: within 10 m of the origin (a head is 0.2 m across; 1e308 is not a place).
  Vec3 vec3() const {
    if (!j_.is_array() || j_.size() != 3) fail("must be an array of 3 numbers [x, y, z] in mm");
    constexpr double kFarthestMm = 10000;
    return {at(0).numberIn(-kFarthestMm, kFarthestMm), at(1).numberIn(-kFarthestMm, kFarthestMm),
            at(2).numberIn(-kFarthestMm, kFarthestMm)};
  }
  // A 4x4 matrix, row-major, as the writer writes an Affine (affineJson).
  Affine matrix4x4() const {
    Affine a;
    if (arraySize() != 4) fail("must be a 4x4 matrix");
    for (std::size_t r = 0; r < 4; ++r) {
      const Field row = at(r);
      if (row.arraySize() != 4) row.fail("must have 4 numbers");
      for (std::size_t c = 0; c < 4; ++c) a.m[r][c] = row.at(c).number();
    }
    return a;
  }
  Side side() const {
    const std::string s = string();
    const std::optional<Side> side = s.size() == 1 ? sideFromLetter(s[0]) : std::nullopt;
    if (!side) fail("must be \"L\" or \"R\" (is \"" + s + "\")");
    return *side;
  }
  // One of the words `names` holds, as its enum value.
  template <class Enum, std::size_t N>
  Enum named(const EnumNames<Enum, N>& names) const {
    const std::string s = string();
    const std::optional<Enum> value = names.parse(s);
    if (!value) fail("must be " + names.alternatives() + " (is \"" + s + "\")");
    return *value;
  }
  const json& raw() const { return j_; }
  // The reader accepts only what the writer writes: a key outside `allowed` is refused by name
  // (an in-place edit would otherwise drop it without a word).
  void onlyKeys(std::initializer_list<const char*> allowed) const {
    if (!j_.is_object()) fail("must be an object");
    for (const auto& item : j_.items())
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return item.key() == k; }))
        Field(item.value(), where_, path_.empty() ? item.key() : path_ + "." + item.key())
            .fail("unknown key: dbsplan never writes it");
  }
  void onlyKeys(const std::vector<std::string>& allowed) const {
    if (!j_.is_object()) fail("must be an object");
    for (const auto& item : j_.items())
      if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
        Field(item.value(), where_, path_.empty() ? item.key() : path_ + "." + item.key())
            .fail("unknown key: dbsplan never writes it");
  }

 private:
  const json& j_;
  std::string where_, path_;
};

ClosestApproach closestFromJson(const Field& f, RiskKind kind) {
  ClosestApproach c;
  c.kind = kind;
  f.onlyKeys({"assessed", "required_margin_mm", "distance_mm", "depth_mm", "point_ras", "safe"});
  c.present = f["assessed"].boolean();
  c.requiredMarginMm = f["required_margin_mm"].numberIn(0, 100);
  if (!c.present) return c;
  c.distanceMm = f["distance_mm"].number();
  c.depthMm = f["depth_mm"].number();
  c.pointRas = f["point_ras"].vec3();
  c.safe = f["safe"].boolean();
  return c;
}

TrajectoryMetrics metricsFromJson(const Field& f) {
  f.onlyKeys({"length_mm",
              "tip_beyond_target_mm",
              "tip_ras",
              "score",
              "safe",
              "own_side",
              "in_window",
              "entry_scalp_distance_mm",
              "closest",
              "passes_through",
              "contacts",
              "contacts_in_gpi",
              "side_effect_margins",
              "target_acpc",
              "entry_acpc",
              "sagittal_angle_deg",
              "lateral_angle_deg",
              "angle_to_acpc_line_deg",
              "target_mni",
              "score_terms",
              "window_inside_deg",
              "window_inside_mm"});
  TrajectoryMetrics m;
  m.lengthMm = f["length_mm"].numberIn(0, 1000);
  m.tipBeyondTargetMm = f["tip_beyond_target_mm"].number();
  m.tipRas = f["tip_ras"].vec3();
  m.score = f["score"].number();
  m.safe = f["safe"].boolean();
  m.ownSide = f["own_side"].boolean();
  m.inWindow = f["in_window"].boolean();
  m.entryScalpDistanceMm = f["entry_scalp_distance_mm"].number();
  // Derived (re-scored when the plan is opened); a plan migrated from schema 4 has none yet.
  if (f.has("score_terms")) {
    const Field terms = f["score_terms"];
    const std::vector<std::string> keys = kScoreTermNames.words();
    terms.onlyKeys(keys);
    for (std::size_t k = 0; k < kScoreTerms; ++k) {
      const Field t = terms[keys[k]];
      t.onlyKeys({"value", "contribution"});
      m.scoreTerms[k] = {t["value"].number(), t["contribution"].number()};
    }
  }
  if (f.has("window_inside_deg")) m.windowInsideDeg = f["window_inside_deg"].number();
  if (f.has("window_inside_mm")) m.windowInsideMm = f["window_inside_mm"].number();
  const Field closest = f["closest"];
  closest.onlyKeys({riskName(RiskKind(0)), riskName(RiskKind(1)), riskName(RiskKind(2))});
  static_assert(kRiskKinds == 3, "the closest-approach keys above list every RiskKind");
  for (std::size_t k = 0; k < kRiskKinds; ++k)
    m.closest[k] = closestFromJson(closest[riskName(static_cast<RiskKind>(k))], static_cast<RiskKind>(k));
  const Field sections = f["passes_through"];
  for (std::size_t i = 0; i < sections.arraySize(); ++i) {
    const Field s = sections.at(i);
    s.onlyKeys({"structure", "from_depth_mm", "to_depth_mm"});
    m.passesThrough.push_back(
        {s["structure"].string(), s["from_depth_mm"].number(), s["to_depth_mm"].number()});
  }
  const Field contacts = f["contacts"];
  for (std::size_t i = 0; i < contacts.arraySize(); ++i) {
    const Field c = contacts.at(i);
    c.onlyKeys({"label", "level", "centre_ras", "structure", "in_gpi", "segment_direction_ras"});
    PlacedContact p;
    p.label = c["label"].string();
    p.level = static_cast<int>(c["level"].integer());
    p.centreRas = c["centre_ras"].vec3();
    if (c.has("segment_direction_ras")) p.segmentDirectionRas = c["segment_direction_ras"].vec3();
    p.structure = c["structure"].string();
    p.inGpi = c["in_gpi"].boolean();
    m.contacts.push_back(p);
  }
  m.contactsInGpi = static_cast<int>(f["contacts_in_gpi"].integer());
  // Side-effect margins: schema v2 plans written before they existed have none (not assessed).
  if (f.has("side_effect_margins")) {
    const Field sideEffects = f["side_effect_margins"];
    sideEffects.onlyKeys({sideEffectName(SideEffectStructure(0)), sideEffectName(SideEffectStructure(1))});
    static_assert(kSideEffectStructures == 2, "the side-effect keys above list every structure");
    for (std::size_t k = 0; k < kSideEffectStructures; ++k) {
      SideEffectMargin& margin = m.sideEffects[k];
      margin.structure = static_cast<SideEffectStructure>(k);
      const char* name = sideEffectName(margin.structure);
      if (!sideEffects.has(name)) continue;
      const Field e = sideEffects[name];
      e.onlyKeys(
          {"assessed", "status", "reason", "distance_mm", "measured_from", "nearest_contact", "point_ras"});
      margin.assessed = e["assessed"].boolean();
      if (!margin.assessed) continue;
      margin.distanceMm = e["distance_mm"].numberIn(-100, 1000);
      margin.contact = e["nearest_contact"].string();
      margin.pointRas = e["point_ras"].vec3();
    }
  }
  m.targetAcpc = f["target_acpc"].vec3();
  m.entryAcpc = f["entry_acpc"].vec3();
  if (f.has("target_mni")) m.targetMni = f["target_mni"].vec3();
  m.sagittalAngleDeg = f["sagittal_angle_deg"].numberIn(-180, 180);
  m.lateralAngleDeg = f["lateral_angle_deg"].numberIn(-90, 90);
  m.angleToAcpcLineDeg = f["angle_to_acpc_line_deg"].numberIn(0, 180);
  return m;
}

PlannedTrajectory trajectoryFromJson(const Field& f) {
  f.onlyKeys({"id", "side", "target_ras", "entry_ras", "electrode", "deepest_contact_beyond_target_mm",
              "marker_roll_deg", "origin", "metrics"});
  PlannedTrajectory p;
  Trajectory& t = p.trajectory;
  t.side = f["side"].side();
  t.id = f["id"].string();
  if (t.id.size() < 2 || t.id[0] != sideLetter(t.side) ||
      !std::all_of(t.id.begin() + 1, t.id.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    f["id"].fail("must be the side's letter and a number, e.g. \"" + std::string(1, sideLetter(t.side)) +
                 "1\" (is \"" + t.id + "\")");
  t.targetRas = f["target_ras"].vec3();
  t.entryRas = f["entry_ras"].vec3();
  if (norm(t.entryRas - t.targetRas) < 1.0) f["entry_ras"].fail("must lie at least 1 mm from target_ras");
  t.electrodeId = f["electrode"].string();
  try {
    ElectrodeCatalogue::standard().find(t.electrodeId);
  } catch (const std::out_of_range& e) {
    f["electrode"].fail(e.what());
  }
  t.deepestContactBeyondTargetMm = f["deepest_contact_beyond_target_mm"].numberIn(-20, 20);
  t.markerRollDeg = f["marker_roll_deg"].numberIn(-360, 360);
  t.origin = f["origin"].named(kTrajectoryOriginNames);
  p.metrics = metricsFromJson(f["metrics"]);
  // One placed contact per contact of the electrode, as evaluateTrajectory writes them.
  const std::size_t contacts = ElectrodeCatalogue::standard().find(t.electrodeId).contacts.size();
  if (p.metrics.contacts.size() != contacts)
    f["metrics"]["contacts"].fail("holds " + std::to_string(p.metrics.contacts.size()) + " contacts; the " +
                                  t.electrodeId + " has " + std::to_string(contacts));
  // Metrics belong to this target and entry: an entry edited in the file leaves them stale.
  const Vec3 u = normalized(t.entryRas - t.targetRas);
  if (std::abs(p.metrics.lengthMm - norm(t.entryRas - t.targetRas)) > 0.01)
    f["metrics"]["length_mm"].fail(
        "does not match target_ras and entry_ras (the file was edited by hand: re-plan it)");
  if (norm(p.metrics.tipRas - (t.targetRas - p.metrics.tipBeyondTargetMm * u)) > 0.01)
    f["metrics"]["tip_ras"].fail(
        "does not lie on the trajectory's line (the file was edited by hand: re-plan it)");
  return p;
}

}  // namespace

json scoreWeightsToJson(const ScoreWeights& weights) {
  json j = json::object();
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    j[kScoreTermNames.name(static_cast<ScoreTerm>(k))] = weights[k];
  return j;
}

json searchSettingsToJson(const SearchSettings& s) {
  json margins = json::object(), saturation = json::object(), weights = json::object();
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    const char* name = riskName(static_cast<RiskKind>(k));
    margins[name] = s.requiredMarginMm[k];
    saturation[name] = s.saturationMm[k];
    weights[name] = s.weight[k];
  }
  return {{"candidates_per_side", s.candidatesPerSide},
          {"sagittal_angle_deg", {s.sagittalAngleMinDeg, s.sagittalAngleMaxDeg}},
          {"lateral_angle_deg", {s.lateralAngleMinDeg, s.lateralAngleMaxDeg}},
          {"entry_min_lateral_mm", s.entryMinLateralMm},
          {"entry_min_anterior_mm", s.entryMinAnteriorMm},
          {"required_margin_mm", margins},
          {"saturation_mm", saturation},
          {"weight", weights},
          {"score_weights", scoreWeightsToJson(s.scoreWeights)},
          {"step_mm", s.stepMm},
          {"alternatives", s.alternatives},
          {"distinct_entry_mm", s.distinctEntryMm},
          {"frame",
           "AC-PC: angles to the AC-PC line (sagittal, 90 = vertical) and to the midsagittal plane "
           "(lateral, positive = entry further from the midline); entry limits in AC-PC mm"}};
}

SearchSettings searchSettingsFromJson(const json& j, const std::string& where) {
  const Field f(j, where, "search.settings");
  SearchSettings s;
  const long candidates = f["candidates_per_side"].integer();
  if (candidates < 1 || candidates > 10'000'000)
    f["candidates_per_side"].fail("must be between 1 and 10000000");
  s.candidatesPerSide = static_cast<std::size_t>(candidates);
  auto range = [&](const char* key, double lo, double hi, double& min, double& max) {
    const Field r = f[key];
    if (r.arraySize() != 2) r.fail("must be [min, max]");
    min = r.at(0).numberIn(lo, hi);
    max = r.at(1).numberIn(min, hi);
  };
  range("sagittal_angle_deg", -180, 180, s.sagittalAngleMinDeg, s.sagittalAngleMaxDeg);
  range("lateral_angle_deg", -90, 90, s.lateralAngleMinDeg, s.lateralAngleMaxDeg);
  s.entryMinLateralMm = f["entry_min_lateral_mm"].numberIn(-200, 200);
  s.entryMinAnteriorMm = f["entry_min_anterior_mm"].numberIn(-200, 200);
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    const char* name = riskName(static_cast<RiskKind>(k));
    s.requiredMarginMm[k] = f["required_margin_mm"][name].numberIn(0, 100);
    s.saturationMm[k] = f["saturation_mm"][name].numberIn(0, 1000);
    s.weight[k] = f["weight"][name].numberIn(0, 1000);
  }
  const Field scoreWeights = f["score_weights"];
  const std::vector<std::string> terms = kScoreTermNames.words();
  scoreWeights.onlyKeys(terms);
  for (std::size_t k = 0; k < kScoreTerms; ++k) s.scoreWeights[k] = scoreWeights[terms[k]].numberIn(0, 1000);
  s.stepMm = f["step_mm"].numberIn(0.05, 10);
  const long alternatives = f["alternatives"].integer();
  if (alternatives < 1 || alternatives > 100) f["alternatives"].fail("must be between 1 and 100");
  s.alternatives = static_cast<std::size_t>(alternatives);
  s.distinctEntryMm = f["distinct_entry_mm"].numberIn(0, 1000);
  return s;
}

namespace {

json arcRingJson(ArcRing a, bool reachable) {
  return {{"arc_deg", a.arcDeg}, {"ring_deg", a.ringDeg}, {"within_scales", reachable}};
}

json stimulationAssessmentJson(const StimulationAssessment& a) {
  json spheres = json::array();
  for (const ActivatedSphere& sphere : a.spheres)
    spheres.push_back(
        {{"contact", sphere.contact}, {"centre_ras", vec(sphere.centreRas)}, {"radius_mm", sphere.radiusMm}});
  json sideEffects = json::object();
  for (const SideEffectReach& r : a.sideEffects) {
    json e = {{"assessed", r.assessed}};
    if (r.assessed) {
      e["margin_mm"] = r.marginMm;
      e["contact"] = r.contact;
      e["reaches"] = r.reaches();
    }
    sideEffects[sideEffectName(r.structure)] = e;
  }
  return {{"derived", "re-assessed from the settings, the lead and the labels on every edit and on opening"},
          {"spheres", spheres},
          {"volume_mm3", a.volumeMm3},
          {"fraction_gpi", a.fractionGpi},
          {"fraction_sensorimotor_gpi", a.fractionSensorimotorGpi},
          {"fraction_gpe", a.fractionGpe},
          {"side_effects", sideEffects},
          {"notes", a.notes},
          {"warning", stimulationWarning(a)}};
}

json frameRegistrationJson(const PlanFrameRegistration& r) {
  json rods = json::array();
  for (const auto& rod : r.rods)
    rods.push_back(
        {{"name", rod.name}, {"points", rod.points}, {"rms_mm", rod.rmsMm}, {"max_mm", rod.maxMm}});
  return {{"frame", r.frameId},
          {"coordinates", "frame mm of " + frameModel(r.frameId).name + " (data/frames/SOURCES.md)"},
          {"image", {{"path", r.imagePath}, {"sha256", r.imageSha256}}},
          {"method", r.method},
          {"created", r.created},
          {"frame_from_plan_ras", affineJson(r.frameFromPlanRas)},
          {"frame_from_image_ras", affineJson(r.frameFromImageRas)},
          {"plan_ras_from_image_ras", affineJson(r.planRasFromImageRas)},
          {"fre_mm", r.freMm},
          {"brown_rms_mm", r.brownRmsMm},
          {"brown_points", r.brownPoints},
          {"rods", rods},
          {"rods_frame_z_mm", {r.frameZMinMm, r.frameZMaxMm}},
          {"co_registration",
           {{"method", "rigid, Mattes mutual information, 3 levels to 1 mm (ITK)"},
            {"metric", r.coRegistrationMetric},
            {"seconds", r.coRegistrationSeconds}}},
          {"detection_seconds", r.detectionSeconds}};
}

json frameSettingsJson(const PlanDocument& p) {
  json out = json::array();
  for (const FrameSettings& s : frameSettings(p))
    out.push_back({{"side", std::string(1, sideLetter(s.side))},
                   {"trajectory", s.trajectoryId},
                   {"target_frame_mm", vec(s.targetFrame)},
                   {"entry_frame_mm", vec(s.entryFrame)},
                   {"length_mm", s.lengthMm},
                   {"lateral_right", arcRingJson(s.lateralRight, s.lateralRightReachable)},
                   {"lateral_left", arcRingJson(s.lateralLeft, s.lateralLeftReachable)},
                   {"target_in_frame_range", s.targetInFrameRange},
                   {"target_within_localizer", s.targetWithinLocalizer}});
  return out;
}

}  // namespace

json planToJson(const PlanDocument& p) {
  // Never write what the reader refuses: a plan assembled by hand may not have ids yet.
  for (const auto* list : {&p.trajectories, &p.alternatives})
    for (const PlannedTrajectory& t : *list)
      if (t.trajectory.id.empty()) {
        PlanDocument withIds = p;
        assignMissingTrajectoryIds(withIds);
        return planToJson(withIds);
      }
  json targets = json::array();
  for (const PlanTarget& t : p.targets) {
    json tj = {{"side", std::string(1, sideLetter(t.side))},
               {"source", kTargetSourceNames.name(t.source)},
               {"ras", vec(t.ras)},
               {"acpc", vec(t.acpc)}};
    if (t.mni) tj["mni"] = vec(*t.mni);
    targets.push_back(tj);
  }
  json trajectories = json::array(), alternatives = json::array();
  for (const auto& t : p.trajectories) trajectories.push_back(plannedTrajectoryToJson(t));
  for (const auto& t : p.alternatives) alternatives.push_back(plannedTrajectoryToJson(t));
  json electrodes = json::object();
  for (const auto& t : p.trajectories)
    electrodes[std::string(1, sideLetter(t.trajectory.side))] = t.trajectory.electrodeId;
  json notes = json::array();
  for (const auto& n : p.notes) notes.push_back(n);
  json history = json::array();
  for (const PlanHistoryEntry& h : p.history)
    history.push_back({{"time", h.time},
                       {"action", kEditActionNames.name(h.action)},
                       {"side", h.side ? std::string(1, sideLetter(*h.side)) : std::string()},
                       {"trajectory", h.trajectoryId},
                       {"from", h.from},
                       {"to", h.to}});
  json image = {{"path", p.image.path},
                {"sha256", p.image.sha256},
                {"size", {p.image.geometry.size[0], p.image.geometry.size[1], p.image.geometry.size[2]}},
                {"ras_from_ijk", affineJson(p.image.geometry.rasFromIjk)}};
  if (isBinned(p.image.binFactors))
    image["working_grid"] = {
        {"bins", {p.image.binFactors[0], p.image.binFactors[1], p.image.binFactors[2]}},
        {"file_size", {p.image.fileSize[0], p.image.fileSize[1], p.image.fileSize[2]}},
        {"note", "the plan's grid (size, ras_from_ijk) averages bins of the file's voxels, to bound memory"}};
  if (p.image.statedGeometry)
    image["stated_geometry"] = {{"orientation", p.image.statedGeometry->orientation},
                                {"spacing_mm", vec(p.image.statedGeometry->spacingMm)},
                                {"warning", "NOT IN THE IMAGE FILE: stated by the user when planning"}};
  json document = {
      {"schema", kPlanSchema},
      {"schema_version", p.schemaVersion},
      {"coordinates",
       std::string("patient RAS mm (_ras); AC-PC mm relative to the MCP, x right, y anterior, z superior "
                   "(_acpc); template RAS mm (_mni, a key name kept for compatibility: the space is the ") +
           kTemplateSpaceShortName +
           " space, see template_space); depths in mm from the target towards the entry"},
      {"template_space", {{"name", kTemplateSpaceName}, {"relation_to_mni_2009b", kTemplateSpaceNote}}},
      {"program", {{"name", "dbsplan"}, {"version", p.programVersion}}},
      {"created", p.created},
      {"image", image},
      {"labels", p.labelsFile},
      {"transforms",
       {{"affine", p.transforms.affineFile},
        {"displacement", p.transforms.displacementFile},
        {"direction", p.transforms.direction}}},
      {"landmarks_ras",
       {{"AC", vec(p.acRas)}, {"PC", vec(p.pcRas)}, {"MCP", vec(p.mcpRas)}, {"midline", vec(p.midlineRas)}}},
      {"targets", targets},
      {"electrodes", electrodes},
      {"trajectories", trajectories},
      {"alternatives", alternatives},
      {"search",
       {{"candidates", p.search.candidates}, {"seconds", p.search.seconds}, {"settings", p.search.settings}}},
      {"risk_structures", p.riskStructures},
      {"notes", notes},
      {"review_note", p.reviewNote},
      {"history", history},
      {"file_checksums", p.fileSha256}};
  if (!p.stimulation.empty()) {
    json stimulation = json::array();
    for (const PlanStimulation& st : p.stimulation) {
      json item = stimulationSettingsToJson(st.settings);
      item["assessment"] = stimulationAssessmentJson(st.assessment);
      stimulation.push_back(item);
    }
    document["stimulation"] = stimulation;
  }
  if (p.frame) {
    document["frame_registration"] = frameRegistrationJson(*p.frame);
    // Derived, written for the reader of the file (and checked when read back): never stale, since
    // it is computed from the registration and the trajectories at every save.
    document["frame_settings"] = frameSettingsJson(p);
  }
  return document;
}

namespace {

// The parts of planFromJson, each reading one part of the file into the plan (same checks, same
// order, same messages).

void readImage(const Field& image, PlanDocument::Image& out) {
  image.onlyKeys({"path", "sha256", "size", "ras_from_ijk", "working_grid", "stated_geometry"});
  out.path = image["path"].string();
  out.sha256 = image["sha256"].string();
  if (out.sha256.size() != 64 || !std::all_of(out.sha256.begin(), out.sha256.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      }))
    image["sha256"].fail("must be 64 hexadecimal digits");
  const Field size = image["size"];
  if (size.arraySize() != 3) size.fail("must be [nx, ny, nz]");
  for (std::size_t a = 0; a < 3; ++a) {
    const long v = size.at(a).integer();
    if (v < 1) size.at(a).fail("must be at least 1");
    out.geometry.size[a] = static_cast<std::size_t>(v);
  }
  const Field affine = image["ras_from_ijk"];
  out.geometry.rasFromIjk = affine.matrix4x4();
  if (std::abs(out.geometry.rasFromIjk.determinant3x3()) < 1e-9) affine.fail("is singular");
  if (image.has("working_grid")) {
    const Field grid = image["working_grid"];
    grid.onlyKeys({"bins", "file_size", "note"});
    grid["note"].string();
    const Field bins = grid["bins"], fileSize = grid["file_size"];
    if (bins.arraySize() != 3) bins.fail("must be [bi, bj, bk]");
    if (fileSize.arraySize() != 3) fileSize.fail("must be [nx, ny, nz]");
    for (std::size_t a = 0; a < 3; ++a) {
      const long b = bins.at(a).integer(), n = fileSize.at(a).integer();
      // The writer bins only as far as the voxel budget needs: never more than 64 file voxels a bin.
      if (b < 1 || b > 64) bins.at(a).fail("must be 1 to 64");
      if (n < 1 || static_cast<std::size_t>(n / b) != out.geometry.size[a])
        fileSize.at(a).fail("does not bin to the plan's grid size");
      out.binFactors[a] = static_cast<unsigned>(b);
      out.fileSize[a] = static_cast<std::size_t>(n);
    }
  }
  if (image.has("stated_geometry")) {
    const Field stated = image["stated_geometry"];
    stated.onlyKeys({"orientation", "spacing_mm", "warning"});
    StatedGeometry g{stated["orientation"].string(), stated["spacing_mm"].vec3()};
    stated["warning"].string();
    if (const std::string problem = statedGeometryProblem(g); !problem.empty()) stated.fail(problem);
    out.statedGeometry = g;
  }
}

void readLandmarks(const Field& landmarks, PlanDocument& p) {
  landmarks.onlyKeys({"AC", "PC", "MCP", "midline"});
  p.acRas = landmarks["AC"].vec3();
  p.pcRas = landmarks["PC"].vec3();
  p.mcpRas = landmarks["MCP"].vec3();
  p.midlineRas = landmarks["midline"].vec3();
  if (norm(p.acRas - p.pcRas) < 1.0) landmarks["PC"].fail("AC and PC must be at least 1 mm apart");
}

void readTargets(const Field& targets, std::vector<PlanTarget>& out) {
  for (std::size_t i = 0; i < targets.arraySize(); ++i) {
    const Field t = targets.at(i);
    t.onlyKeys({"side", "source", "ras", "acpc", "mni"});
    PlanTarget target;
    target.side = t["side"].side();
    target.source = t["source"].named(kTargetSourceNames);
    target.ras = t["ras"].vec3();
    target.acpc = t["acpc"].vec3();
    if (t.has("mni")) target.mni = t["mni"].vec3();
    out.push_back(target);
  }
}

void readTrajectories(const Field& root, PlanDocument& p) {
  const Field trajectories = root["trajectories"];
  if (trajectories.arraySize() == 0) trajectories.fail("must hold at least one trajectory");
  for (std::size_t i = 0; i < trajectories.arraySize(); ++i) {
    p.trajectories.push_back(trajectoryFromJson(trajectories.at(i)));
    for (std::size_t k = 0; k < i; ++k)
      if (p.trajectories[k].trajectory.side == p.trajectories[i].trajectory.side)
        trajectories.at(i)["side"].fail(
            "a second trajectory for the same side (alternatives go under \"alternatives\")");
  }
  const Field electrodes = root["electrodes"];
  electrodes.onlyKeys({"L", "R"});
  for (const Side side : kBothSides)
    if (electrodes.has(std::string(1, sideLetter(side))) && !chosenTrajectory(p, side))
      electrodes[std::string(1, sideLetter(side))].fail("names an electrode for a side without a trajectory");
  for (const auto& t : p.trajectories) {
    const std::string side(1, sideLetter(t.trajectory.side));
    if (electrodes[side].string() != t.trajectory.electrodeId)
      electrodes[side].fail("disagrees with the trajectory's electrode \"" + t.trajectory.electrodeId + "\"");
  }
  const Field alternatives = root["alternatives"];
  for (std::size_t i = 0; i < alternatives.arraySize(); ++i)
    p.alternatives.push_back(trajectoryFromJson(alternatives.at(i)));
}

void readHistory(const Field& history, std::vector<PlanHistoryEntry>& out) {
  for (std::size_t i = 0; i < history.arraySize(); ++i) {
    const Field h = history.at(i);
    h.onlyKeys({"time", "action", "side", "trajectory", "from", "to"});
    PlanHistoryEntry entry;
    entry.time = h["time"].string();
    entry.action = h["action"].named(kEditActionNames);
    if (h["side"].string().empty())
      entry.side = std::nullopt;
    else
      entry.side = h["side"].side();
    entry.trajectoryId = h["trajectory"].string();
    entry.from = h["from"].raw();
    entry.to = h["to"].raw();
    out.push_back(entry);
  }
}

void readFileChecksums(const Field& checksums, std::map<std::string, std::string>& out) {
  if (!checksums.raw().is_object()) checksums.fail("must be an object {file: sha256}");
  for (const auto& [file, digest] : checksums.raw().items()) {
    const std::string d = checksums[file].string();
    if (d.size() != 64 ||
        !std::all_of(d.begin(), d.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
      checksums[file].fail("must be 64 hexadecimal digits");
    out[file] = d;
  }
}

void requireUniqueTrajectoryIds(const Field& root, PlanDocument& p) {
  // Ids are unique within the plan: the panel, the history and `edit --choose` rely on it.
  assignMissingTrajectoryIds(p);
  std::vector<std::string> ids;
  for (const auto* list : {&p.trajectories, &p.alternatives})
    for (const PlannedTrajectory& t : *list) {
      if (std::find(ids.begin(), ids.end(), t.trajectory.id) != ids.end())
        root["trajectories"].fail("trajectory id \"" + t.trajectory.id + "\" is used twice");
      ids.push_back(t.trajectory.id);
    }
}

// What a JSON file that is not a plan is, in words, for someone who picked it in a folder full of
// dbsplan's outputs (labels.json and locate.json sit beside plan.json); "" when it claims to be a plan.
std::string whatThisJsonIsInstead(const json& j) {
  if (!j.is_object()) return "this JSON file is not a dbsplan plan (a plan is a JSON object)";
  if (j.contains("schema") && j["schema"].is_string() && j["schema"].get<std::string>() == kPlanSchema)
    return "";
  if (j.size() == 1 && j.contains("labels") && j["labels"].is_object())
    return "this is dbsplan's label table (labels.json: the names of the label values), not a plan; open the "
           "plan.json beside it";
  if (j.contains("landmarks") && j.contains("transforms") && j.contains("quality"))
    return "this is dbsplan's locate result (locate.json: the GPi and landmarks found in an image), not a "
           "plan; "
           "open the plan.json beside it, or plan the image (Tools > Plan bilateral trajectories)";
  if (j.contains("@schema") && j["@schema"].is_string() &&
      j["@schema"].get<std::string>().find("markups") != std::string::npos)
    return "this is a 3D Slicer markups file, not a dbsplan plan";
  if (j.contains("schema") && j["schema"].is_string())
    return "this is a \"" + j["schema"].get<std::string>() + "\" file, not a dbsplan plan (\"" + kPlanSchema +
           "\")";
  return "this JSON file is not a dbsplan plan (it has no \"schema\": \"" + std::string(kPlanSchema) + "\")";
}

// Same structure and values, numbers within `tolerance` (derived numbers written with 17 digits
// read back within rounding, so an exact comparison would be too strict).
bool jsonNear(const json& a, const json& b, double tolerance) {
  if (a.is_number() && b.is_number()) return std::abs(a.get<double>() - b.get<double>()) <= tolerance;
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (const auto& item : a.items())
      if (!b.contains(item.key()) || !jsonNear(item.value(), b[item.key()], tolerance)) return false;
    return true;
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!jsonNear(a[i], b[i], tolerance)) return false;
    return true;
  }
  return a == b;
}

// A frame registration's matrix: read as any 4x4, and refused unless rigid.
Affine rigidFromJson(const Field& f) {
  const Affine a = f.matrix4x4();
  if (rigidityError(a) > 1e-6 || a.determinant3x3() < 0 || a.m[3][0] != 0 || a.m[3][1] != 0 ||
      a.m[3][2] != 0 || a.m[3][3] != 1)
    f.fail("must be a rigid transform (a rotation and a shift)");
  return a;
}

StimulationSettings readStimulationSettings(const Field& f) {
  StimulationSettings s;
  s.side = f["side"].side();
  s.model = f["model"].named(kVtaModelNames);
  const Field contacts = f["active_contacts"];
  for (std::size_t i = 0; i < contacts.arraySize(); ++i) s.activeContacts.push_back(contacts.at(i).string());
  s.unit = f["unit"].named(kAmplitudeUnitNames);
  s.amplitude = f["amplitude"].numberIn(
      0, s.unit == AmplitudeUnit::Volt ? kMaxAmplitudeVolt : kMaxAmplitudeMilliAmpere);
  s.pulseWidthUs = f["pulse_width_us"].numberIn(kMinPulseWidthUs, kMaxPulseWidthUs);
  s.impedanceOhm = f["impedance_ohm"].numberIn(kMinImpedanceOhm, kMaxImpedanceOhm);
  return s;
}

StimulationAssessment readStimulationAssessment(const Field& f) {
  f.onlyKeys({"derived", "spheres", "volume_mm3", "fraction_gpi", "fraction_sensorimotor_gpi", "fraction_gpe",
              "side_effects", "notes", "warning"});
  StimulationAssessment a;
  const Field spheres = f["spheres"];
  for (std::size_t i = 0; i < spheres.arraySize(); ++i) {
    const Field sphere = spheres.at(i);
    sphere.onlyKeys({"contact", "centre_ras", "radius_mm"});
    a.spheres.push_back(
        {sphere["contact"].string(), sphere["centre_ras"].vec3(), sphere["radius_mm"].numberIn(0, 50)});
  }
  a.volumeMm3 = f["volume_mm3"].numberIn(0, 1e6);
  a.fractionGpi = f["fraction_gpi"].numberIn(0, 1);
  a.fractionSensorimotorGpi = f["fraction_sensorimotor_gpi"].numberIn(0, 1);
  a.fractionGpe = f["fraction_gpe"].numberIn(0, 1);
  for (SideEffectReach& r : a.sideEffects) {
    const Field e = f["side_effects"][sideEffectName(r.structure)];
    r.assessed = e["assessed"].boolean();
    if (!r.assessed) continue;
    r.marginMm = e["margin_mm"].numberIn(-100, RiskField::kFar);
    r.contact = e["contact"].string();
  }
  const Field notes = f["notes"];
  for (std::size_t i = 0; i < notes.arraySize(); ++i) a.notes.push_back(notes.at(i).string());
  return a;
}

void readStimulation(const Field& root, PlanDocument& p) {
  if (!root.has("stimulation")) return;
  const Field list = root["stimulation"];
  for (std::size_t i = 0; i < list.arraySize(); ++i) {
    const Field f = list.at(i);
    f.onlyKeys({"side", "model", "active_contacts", "amplitude", "unit", "pulse_width_us", "impedance_ohm",
                "assessment"});
    PlanStimulation st{readStimulationSettings(f), readStimulationAssessment(f["assessment"])};
    if (planStimulation(p, st.settings.side)) f["side"].fail("a second stimulation for the same side");
    const PlannedTrajectory* chosen = chosenTrajectory(p, st.settings.side);
    if (!chosen) f["side"].fail("stimulation of a side without a trajectory");
    try {
      validateStimulation(st.settings, ElectrodeCatalogue::standard().find(chosen->trajectory.electrodeId));
    } catch (const std::exception& e) {
      f["active_contacts"].fail(e.what());
    }
    p.stimulation.push_back(std::move(st));
  }
}

void readFrameRegistration(const Field& root, PlanDocument& p) {
  if (!root.has("frame_registration")) {
    if (root.has("frame_settings")) root["frame_settings"].fail("without frame_registration");
    return;
  }
  const Field f = root["frame_registration"];
  f.onlyKeys({"frame", "coordinates", "image", "method", "created", "frame_from_plan_ras",
              "frame_from_image_ras", "plan_ras_from_image_ras", "fre_mm", "brown_rms_mm", "brown_points",
              "rods", "rods_frame_z_mm", "co_registration", "detection_seconds"});
  PlanFrameRegistration r;
  r.frameId = f["frame"].string();
  try {
    frameModel(r.frameId);
  } catch (const std::runtime_error& e) {
    f["frame"].fail(e.what());
  }
  f["coordinates"].string();
  const Field image = f["image"];
  image.onlyKeys({"path", "sha256"});
  r.imagePath = image["path"].string();
  r.imageSha256 = image["sha256"].string();
  r.method = f["method"].string();
  if (r.method != "automatic" && r.method != "manual")
    f["method"].fail("must be \"automatic\" or \"manual\"");
  r.created = f["created"].string();
  r.frameFromPlanRas = rigidFromJson(f["frame_from_plan_ras"]);
  r.frameFromImageRas = rigidFromJson(f["frame_from_image_ras"]);
  r.planRasFromImageRas = rigidFromJson(f["plan_ras_from_image_ras"]);
  // The composition is the registration: a hand-edited matrix that no longer composes is refused.
  if ((r.frameFromImageRas * r.planRasFromImageRas.inverse()).maxAbsDifference(r.frameFromPlanRas) > 1e-6)
    f["frame_from_plan_ras"].fail(
        "is not frame_from_image_ras composed with the inverse of plan_ras_from_image_ras (edited by hand?)");
  r.freMm = f["fre_mm"].numberIn(0, 1.0);
  r.brownRmsMm = f["brown_rms_mm"].numberIn(0, 100);
  const long brown = f["brown_points"].integer();
  if (brown < 0) f["brown_points"].fail("must not be negative");
  r.brownPoints = static_cast<std::size_t>(brown);
  const Field rods = f["rods"];
  for (std::size_t i = 0; i < rods.arraySize(); ++i) {
    const Field rod = rods.at(i);
    rod.onlyKeys({"name", "points", "rms_mm", "max_mm"});
    const long points = rod["points"].integer();
    if (points < 0) rod["points"].fail("must not be negative");
    r.rods.push_back({rod["name"].string(), static_cast<std::size_t>(points), rod["rms_mm"].numberIn(0, 100),
                      rod["max_mm"].numberIn(0, 100)});
  }
  if (r.rods.empty()) rods.fail("must list the rods the registration used");
  const Field heights = f["rods_frame_z_mm"];
  if (heights.arraySize() != 2) heights.fail("must be [min, max]");
  r.frameZMinMm = heights.at(0).numberIn(-1000, 1000);
  r.frameZMaxMm = heights.at(1).numberIn(r.frameZMinMm, 1000);
  const Field co = f["co_registration"];
  co.onlyKeys({"method", "metric", "seconds"});
  co["method"].string();
  r.coRegistrationMetric = co["metric"].number();
  r.coRegistrationSeconds = co["seconds"].numberIn(0, 1e6);
  r.detectionSeconds = f["detection_seconds"].numberIn(0, 1e6);
  p.frame = r;
  // frame_settings is derived: it must be what the registration and the trajectories give.
  const json expected = frameSettingsJson(p);
  const Field settings = root["frame_settings"];
  if (settings.arraySize() != expected.size())
    settings.fail("must hold one entry per chosen trajectory (" + std::to_string(expected.size()) + ")");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Field s = settings.at(i);
    s.onlyKeys({"side", "trajectory", "target_frame_mm", "entry_frame_mm", "length_mm", "lateral_right",
                "lateral_left", "target_in_frame_range", "target_within_localizer"});
    const bool same = jsonNear(s.raw(), expected[i], 0.01);
    if (!same)
      s.fail(
          "does not match frame_registration and the trajectory (the file was edited by hand: register "
          "again)");
  }
}

}  // namespace

PlanDocument planFromJson(const json& file, const std::string& where) {
  if (const std::string instead = whatThisJsonIsInstead(file); !instead.empty())
    throw std::runtime_error(where + ": " + instead);
  // An older version is first brought up to this one (PlanMigration.h): one reader, one version.
  const json j = migratePlanJson(file);
  const Field root(j, where, "");
  root.onlyKeys({"schema",          "schema_version", "coordinates",
                 "template_space",  "program",        "created",
                 "image",           "labels",         "transforms",
                 "landmarks_ras",   "targets",        "electrodes",
                 "trajectories",    "alternatives",   "search",
                 "risk_structures", "notes",          "review_note",
                 "history",         "file_checksums", "frame_registration",
                 "frame_settings",  "stimulation"});
  PlanDocument p;  // "schema" is kPlanSchema: whatThisJsonIsInstead said so
  const long version = root["schema_version"].integer();
  if (version < kOldestReadablePlanSchemaVersion || version > kPlanSchemaVersion)
    root["schema_version"].fail(
        "version " + std::to_string(version) + " is not supported (this dbsplan reads " +
        std::to_string(kOldestReadablePlanSchemaVersion) + " to " + std::to_string(kPlanSchemaVersion) + ")");
  p.schemaVersion = kPlanSchemaVersion;
  p.programVersion = root["program"]["version"].string();
  p.created = root["created"].string();
  readImage(root["image"], p.image);
  p.labelsFile = root["labels"].string();
  const Field transforms = root["transforms"];
  transforms.onlyKeys({"affine", "displacement", "direction"});
  p.transforms.affineFile = transforms["affine"].string();
  p.transforms.displacementFile = transforms["displacement"].string();
  p.transforms.direction = transforms["direction"].string();
  readLandmarks(root["landmarks_ras"], p);
  readTargets(root["targets"], p.targets);
  readTrajectories(root, p);
  const Field search = root["search"];
  search.onlyKeys({"candidates", "seconds", "settings"});
  const long candidates = search["candidates"].integer();
  if (candidates < 0) search["candidates"].fail("must not be negative");
  p.search.candidates = static_cast<std::size_t>(candidates);
  p.search.seconds = search["seconds"].numberIn(0, 1e6);
  if (!search["settings"].raw().is_object()) search["settings"].fail("must be an object");
  p.search.settings = search["settings"].raw();
  if (!root["risk_structures"].raw().is_object()) root["risk_structures"].fail("must be an object");
  p.riskStructures = root["risk_structures"].raw();
  const Field notes = root["notes"];
  for (std::size_t i = 0; i < notes.arraySize(); ++i) p.notes.push_back(notes.at(i).string());
  p.reviewNote = root["review_note"].string();
  readHistory(root["history"], p.history);
  readFileChecksums(root["file_checksums"], p.fileSha256);
  requireUniqueTrajectoryIds(root, p);
  readFrameRegistration(root, p);
  readStimulation(root, p);
  return p;
}

json stimulationSettingsToJson(const StimulationSettings& s) {
  return {{"side", std::string(1, sideLetter(s.side))},
          {"model", kVtaModelNames.name(s.model)},
          {"active_contacts", s.activeContacts},
          {"amplitude", s.amplitude},
          {"unit", kAmplitudeUnitNames.name(s.unit)},
          {"pulse_width_us", s.pulseWidthUs},
          {"impedance_ohm", s.impedanceOhm}};
}

StimulationSettings stimulationSettingsFromJson(const json& j, const std::string& where) {
  const Field f(j, where, "");
  f.onlyKeys({"side", "model", "active_contacts", "amplitude", "unit", "pulse_width_us", "impedance_ohm"});
  return readStimulationSettings(f);
}

void writePlan(const PlanDocument& plan, const std::string& path) {
  // Never write what dbsplan's own reader (plan-info, File > Open plan) would refuse: the JSON is
  // read back through the same validation first (issue 11: a noise image gave an entry 1e15 mm away).
  const json j = planToJson(plan);
  try {
    planFromJson(j, path);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("refusing to write a plan that could not be read back: ") +
                             e.what());
  }
  writeTextAtomically(path, j.dump(2) + "\n");
}

PlanDocument readPlan(const std::string& path) {
  // A `plan` killed while renaming its outputs into place left a complete manifest: finish it first,
  // so what is read is one whole generation (best effort: a read-only folder is read as it is, and
  // the checksums then name any file that does not belong to this plan.json).
  const std::filesystem::path planFolder = std::filesystem::path(path).parent_path();
  recoverInterruptedGenerations(planFolder.empty() ? "." : planFolder.string());
  return planFromJson(readPlanJson(path), path);
}

nlohmann::json readPlanJson(const std::string& path) {
  // A FIFO or a device would be read forever; a file far larger than any plan is not one (and
  // parsing it would take memory in proportion).
  requireRegularFile(path, "plan file");
  std::error_code sizeError;
  const auto bytes = std::filesystem::file_size(path, sizeError);
  if (sizeError) throw std::runtime_error(path + ": cannot open the plan file (" + sizeError.message() + ")");
  if (bytes > kMaxPlanFileBytes)
    throw std::runtime_error(path + ": " + std::to_string(bytes) +
                             " bytes is not a plan file (a plan is at most " +
                             std::to_string(kMaxPlanFileBytes / (1024 * 1024)) + " MiB)");
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the plan file");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    // nlohmann's text starts with its own code ("[json.exception.parse_error.101] "): the reader is
    // told what is wrong, in dbsplan's words, not the library's error number.
    std::string why = e.what();
    if (const auto end = why.find("] "); why.rfind("[json.exception.", 0) == 0 && end != std::string::npos)
      why = why.substr(end + 2);
    throw std::runtime_error(path + ": not valid JSON (" + why + ")");
  }
}

}  // namespace dbs
