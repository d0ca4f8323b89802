#include "dbs/planning/Locate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/LabelRefinement.h"
#include "dbs/imaging/SensorimotorGpi.h"
#include "dbs/imaging/TemplateSpace.h"
#include "dbs/planning/AcpcFrame.h"
#include "dbs/planning/DataPaths.h"
#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/PathScoring.h"
#include "dbs/planning/SampleCatalogue.h"
#include "dbs/planning/ScoreTerms.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Vec3 vecFromJson(const nlohmann::json& j) {
  return {j.at(0).get<double>(), j.at(1).get<double>(), j.at(2).get<double>()};
}
nlohmann::json json3(Vec3 v) {
  auto r = [](double x) { return std::round(x * 1000.0) / 1000.0; };
  return {r(v.x), r(v.y), r(v.z)};
}
nlohmann::json jsonAffine(const Affine& a) {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 4; ++r) rows.push_back({a.m[r][0], a.m[r][1], a.m[r][2], a.m[r][3]});
  return rows;
}

// A lead aimed at a GPi target runs up through the GPe; the usual direction (the middle of the
// usual sagittal and lateral angle ranges of scoring.json, SOURCES.md 6: 65 deg to the AC-PC line,
// 10 deg out of the midsagittal plane) as a unit vector in patient RAS, from the target towards the
// entry.
Vec3 usualLeadDirectionRas(const AcpcFrame& frame, Side side) {
  const ScoringModel& m = scoringModel();
  return directionFromAngles(frame, side, 0.5 * (m.sagittal.usualMinDeg + m.sagittal.usualMaxDeg),
                             0.5 * (m.lateral.usualMinDeg + m.lateral.usualMaxDeg));
}

// A target where a lead at the usual angles keeps this many of its deepest contacts wholly in the
// GPi: the bar for GPi leads, and the score's contacts_in_gpi levels (scoring.json).
int wantedContactsInGpi() {
  return scoringModel().gpiLevels;
}

// Points along the default lead's deepest wantedContactsInGpi() contact levels, every 0.5 mm from
// each level's lower to its upper edge, as mm above the deepest contact's centre (the score's own
// spans, PathScoring's leadLevels, sampled as the score samples them): the lead a plan gets unless
// the user picks another (Trajectory::electrodeId).
std::vector<double> defaultLeadDeepContactSamplesMm(Side side) {
  const detail::LeadLevels levels =
      detail::leadLevels(ElectrodeCatalogue::standard().find(Trajectory{}.electrodeId), 0, side);
  std::vector<double> samples;
  for (std::size_t level = 0; level < levels.spansMm.size(); ++level) {
    if (level >= static_cast<std::size_t>(wantedContactsInGpi())) break;
    const auto [lower, upper] = levels.spansMm[level];
    const int n = std::max(1, static_cast<int>(std::ceil((upper - lower) / 0.5)));
    for (int i = 0; i <= n; ++i) samples.push_back(lower + (upper - lower) * i / n);
  }
  return samples;
}

// The proposed target of one side (LocateSide::proposed). `sensorimotorTemplate` are the atlas's
// candidate points in template RAS mm.
ProposedTarget proposeTarget(const std::vector<Vec3>& sensorimotorTemplate,
                             const TemplateRegistration& registration, const LabelVolume& patientLabels,
                             const AcpcFrame& frame, const IndirectRange& range, Side side,
                             Vec3 atlasTargetRas) {
  const unsigned short gpi = static_cast<unsigned short>(labelValue(sidedLabelName("GPi", side)));
  const ImageGeometry& g = patientLabels.geometry;
  const Affine ijkFromRas = g.ijkFromRas();
  const unsigned short* l = patientLabels.image->GetBufferPointer();
  auto onPatientGpi = [&](Vec3 ras) {  // nearest voxel, as the plan's own label lookup
    const Vec3 q = ijkFromRas.apply(ras);
    const long i = std::lround(q.x), j = std::lround(q.y), k = std::lround(q.z);
    if (i < 0 || j < 0 || k < 0 || i >= long(g.size[0]) || j >= long(g.size[1]) || k >= long(g.size[2]))
      return false;
    return l[(static_cast<std::size_t>(k) * g.size[1] + static_cast<std::size_t>(j)) * g.size[0] +
             static_cast<std::size_t>(i)] == gpi;
  };
  const Vec3 up = usualLeadDirectionRas(frame, side);
  const std::vector<double> deepContacts = defaultLeadDeepContactSamplesMm(side);
  struct Candidate {
    Vec3 ras, acpc;
    bool onGpi;
    bool holdsLead;  // the default lead at the usual angles, deepest contact on the point, keeps its
                     // deepest contacts wholly on the GPi label
  };
  std::vector<Candidate> candidates;
  for (const Vec3& t : sensorimotorTemplate) {
    const Vec3 ras = registration.patientRasFromTemplateRas(t);
    const bool holds = std::all_of(deepContacts.begin(), deepContacts.end(),
                                   [&](double above) { return onPatientGpi(ras + above * up); });
    candidates.push_back({ras, frame.acpcFromRas(ras), onPatientGpi(ras), holds});
  }
  ProposedTarget out;
  out.candidates = candidates.size();
  const bool anyOnGpi =
      std::any_of(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.onGpi; });
  // Order: on the patient's GPi label (where any is), then inside the range (or nearer it), then
  // where a lead at the usual angles keeps its deepest contacts wholly in the patient's GPi (a
  // point on the GPi's thin edge gives a lead that leaves it after one contact, and the search then
  // has no direction to make up for it), then nearer the atlas target: the smallest correction of the
  // anatomical target that meets the range and holds a lead.
  const Candidate* best = nullptr;
  double bestOutside = 0, bestDistance = 0;
  bool bestHoldsLead = false;
  for (const Candidate& c : candidates) {
    if (anyOnGpi && !c.onGpi) continue;
    const double outside = range.outsideMm(c.acpc), distance = norm(c.ras - atlasTargetRas);
    if (outside == 0) ++out.candidatesInRange;
    const bool sameOutside = std::abs(outside - bestOutside) <= 1e-9;
    if (!best || outside < bestOutside - 1e-9 || (sameOutside && c.holdsLead && !bestHoldsLead) ||
        (sameOutside && c.holdsLead == bestHoldsLead && distance < bestDistance)) {
      best = &c;
      bestOutside = outside;
      bestDistance = distance;
      bestHoldsLead = c.holdsLead;
    }
  }
  std::ostringstream rule;
  rule.precision(2);
  rule << std::fixed;
  if (!best) {  // an atlas without a sensorimotor GPi on this side: the atlas target as it is
    out.ras = atlasTargetRas;
    out.acpc = frame.acpcFromRas(atlasTargetRas);
    out.outsideRangeMm = range.outsideMm(out.acpc);
    out.insideRange = out.outsideRangeMm == 0;
    out.onPatientGpi = onPatientGpi(atlasTargetRas);
    out.rule = "the atlas target (the atlas has no sensorimotor GPi points on this side)";
    return out;
  }
  out.ras = best->ras;
  out.acpc = best->acpc;
  out.outsideRangeMm = bestOutside;
  out.insideRange = bestOutside == 0;
  out.fromAtlasTargetMm = bestDistance;
  out.onPatientGpi = best->onGpi;
  out.holdsLeadAtUsualAngles = best->holdsLead;
  rule << "the sensorimotor GPi point (posterior half, 1-2 mm above the ventral border; " << out.candidates
       << " points carried in" << (anyOnGpi ? ", on the patient's GPi label" : "") << ") ";
  if (out.insideRange)
    rule << "inside the published indirect range (" << out.candidatesInRange << " points)"
         << (bestHoldsLead
                 ? " where a lead at the usual angles keeps its " + std::to_string(wantedContactsInGpi()) +
                       " deepest contacts wholly in the GPi,"
                 : "")
         << " nearest the atlas target: " << out.fromAtlasTargetMm << " mm from it";
  else
    rule << "nearest the published indirect range: none lies inside it, the nearest is " << out.outsideRangeMm
         << " mm outside";
  out.rule = rule.str();
  return out;
}

}  // namespace

double IndirectRange::outsideMm(Vec3 acpc) const {
  auto beyond = [](double v, double lo, double hi) { return v < lo ? lo - v : (v > hi ? v - hi : 0.0); };
  const double dx = beyond(acpc.x, minAcpc.x, maxAcpc.x), dy = beyond(acpc.y, minAcpc.y, maxAcpc.y),
               dz = beyond(acpc.z, minAcpc.z, maxAcpc.z);
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

IndirectRange indirectRangeOf(const nlohmann::json& atlasInfo, Side side) {
  const auto& gpi = atlasInfo.at("indirect_targets_acpc").at("GPi");
  auto range = [&](const char* key) {
    return std::make_pair(gpi.at(key).at(0).get<double>(), gpi.at(key).at(1).get<double>());
  };
  const auto [lateralMin, lateralMax] = range("range_lateral_mm");
  const auto [anteriorMin, anteriorMax] = range("range_anterior_mm");
  const auto [inferiorMin, inferiorMax] = range("range_inferior_mm");
  IndirectRange r;
  // AC-PC x points to the patient's right, z up: the left side's lateral range is at negative x,
  // and "inferior" is negative z.
  r.minAcpc = {side == Side::Left ? -lateralMax : lateralMin, anteriorMin, -inferiorMax};
  r.maxAcpc = {side == Side::Left ? -lateralMin : lateralMax, anteriorMax, -inferiorMin};
  return r;
}

namespace {

// The template T1, the atlas labels and the atlas description to use: the inputs', each missing
// one the colin27 sample's (the template and the atlas the build derived).
struct TemplateAndAtlasPaths {
  std::string templatePath, labelsPath, atlasJsonPath;
};
TemplateAndAtlasPaths templateAndAtlasPaths(const LocateInputs& inputs) {
  std::string templatePath = inputs.templatePath, labelsPath = inputs.atlasLabelsPath,
              atlasJsonPath = inputs.atlasJsonPath;
  if (templatePath.empty() || labelsPath.empty() || atlasJsonPath.empty()) {
    const Sample& colin = SampleCatalogue::standard().find("colin27");
    const std::string missing = colin.missingReason();
    if (!missing.empty())
      throw std::runtime_error("the MNI template and atlas are not available: " + missing);
    if (templatePath.empty()) templatePath = colin.t1Path;
    if (labelsPath.empty()) labelsPath = colin.labelsPath;
    if (atlasJsonPath.empty()) atlasJsonPath = colin.labelsJsonPath;
  }
  return {templatePath, labelsPath, atlasJsonPath};
}

// Never a label across the midline: a left structure must lie left of the patient's own
// midsagittal plane (through AC, PC and the midline point), a right one right of it. Clears the
// voxels that are not and counts them in result.labelsRemovedAcrossMidline.
void removeLabelsAcrossMidline(const AcpcFrame& frame, LocateResult& result) {
  unsigned short* labels = result.labels.image->GetBufferPointer();
  const ImageGeometry& g = result.labels.geometry;
  const Vec3 right = frame.rightAxisRas(), mcp = frame.mcpRas();
  for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
        const int value = labels[idx];
        if (!isSidedLabel(value)) continue;  // sided labels: odd = left, even = right
        const double x = dot(g.rasFromIndex({double(i), double(j), double(k)}) - mcp, right);
        if ((value % 2 == 1 && x > 0) || (value % 2 == 0 && x < 0)) {
          labels[idx] = 0;
          ++result.labelsRemovedAcrossMidline;
        }
      }
}

// One side's targets (s: 0 left, 1 right) in patient RAS mm: the atlas's posteroventral GPi target
// carried in, the indirect AC-PC target (`lateral`, `anterior`, `inferior` mm of the MCP) and the
// proposed target chosen from the atlas's sensorimotor GPi.
void locateSideTargets(const LabelVolume& atlas, const AcpcFrame& frame, double lateral, double anterior,
                       double inferior, int s, LocateResult& result) {
  LocateSide& side = result.sides[static_cast<std::size_t>(s)];
  side.side = sideAt(s);
  const std::string suffix = s == 0 ? "_L" : "_R";
  side.atlasTargetMni =
      vecFromJson(result.atlasInfo.at("targets").at("GPi_posteroventral" + suffix).at("ras_mm"));
  side.atlasTargetRas = result.registration.patientRasFromTemplateRas(side.atlasTargetMni);
  // AC-PC x points to the patient's right: the left target is at negative x.
  side.indirectTargetAcpc = {s == 0 ? -lateral : lateral, anterior, -inferior};
  side.indirectTargetRas = frame.rasFromAcpc(side.indirectTargetAcpc);
  side.targetDistanceMm = norm(side.indirectTargetRas - side.atlasTargetRas);
  std::vector<Vec3> sensorimotor;
  try {  // the atlas's own grid; an atlas on another kind of grid keeps its atlas target
    sensorimotor = sensorimotorGpi(atlas, side.side).pointsAboveVentralBorder(1.0, 2.0, 0.25);
  } catch (const ImagingError&) {
  }
  side.proposed = proposeTarget(sensorimotor, result.registration, result.labels, frame,
                                indirectRangeOf(result.atlasInfo, side.side), side.side, side.atlasTargetRas);
}

// One side's (s: 0 left, 1 right) GPi and GPe volumes (mm3), GPi centroid and whole-GP centroid
// (volume-weighted, patient RAS mm) from the located labels' statistics; throws without a GPi.
void measureSideGp(const std::vector<LabelStatistics>& stats, int s, LocateSide& side) {
  const std::string suffix = s == 0 ? "_L" : "_R";
  const int gpi = labelValue("GPi" + suffix), gpe = labelValue("GPe" + suffix);
  Vec3 gpSum;
  for (const auto& st : stats) {
    if (st.value == gpi) {
      side.gpiVolumeMm3 = st.volumeMm3;
      side.gpiCentroidRas = st.centroidRas;
      gpSum = gpSum + st.volumeMm3 * st.centroidRas;
    }
    if (st.value == gpe) {
      side.gpeVolumeMm3 = st.volumeMm3;
      gpSum = gpSum + st.volumeMm3 * st.centroidRas;
    }
  }
  if (side.gpiVolumeMm3 <= 0)
    throw ImagingError("no GPi found on the " + std::string(s == 0 ? "left" : "right") + " side");
  side.gpCentroidRas = (1.0 / (side.gpiVolumeMm3 + side.gpeVolumeMm3)) * gpSum;
}

// A blob or noise that registers still gets labels, landmarks and GPi of plausible size: refuse it
// here, before anything is written or planned on it.
void refuseUnlessHeadLike(LocateResult& result) {
  result.headLikeness = measureHeadLikeness(result);
  const std::vector<std::string> problems = headLikenessProblems(result.headLikeness);
  if (problems.empty()) return;
  std::string message = result.patient.path + ": dbsplan will not plan on this image: what the template " +
                        "registered to is not a human head's T1: ";
  // One line: the CLI escapes control characters in messages, as a file name may carry them.
  for (std::size_t n = 0; n < problems.size(); ++n) message += (n > 0 ? "; " : "") + problems[n];
  throw ImagingError(message);
}

}  // namespace

LocateResult locateGpi(const LocateInputs& inputs, const ProgressCallback& progress) {
  const auto start = Clock::now();
  auto report = [&](double f, const std::string& s) {
    if (progress && !progress(f, s)) throw Cancelled();
  };
  // Defaults: the colin27 sample's template and the atlas the build derived.
  const TemplateAndAtlasPaths paths = templateAndAtlasPaths(inputs);

  LocateResult result;
  report(0.0, "loading " + inputs.imagePath);
  // The template and the atlas load on a second thread while the patient loads on this one.
  auto templateAndAtlas = std::async(std::launch::async, [&] {
    return std::make_pair(loadVolume(paths.templatePath), loadLabelVolume(paths.labelsPath));
  });
  result.patient = loadVolumeForPlanning(inputs.imagePath);
  if (inputs.statedGeometry)
    applyStatedGeometry(result.patient, *inputs.statedGeometry);
  else
    requireGeometryFromFile(result.patient, "locate the GPi");
  requireVoxelsFitForPlanning(result.patient);
  const auto [templateT1, atlas] = templateAndAtlas.get();
  {
    std::ifstream in(paths.atlasJsonPath);
    if (!in) throw std::runtime_error("cannot read the atlas description " + paths.atlasJsonPath);
    result.atlasInfo = nlohmann::json::parse(in);
  }
  result.loadSeconds = secondsSince(start);

  result.registration = registerTemplateToPatient(
      result.patient, templateT1, inputs.registration,
      [&](double f, const std::string& s) { return !progress || progress(0.05 + 0.8 * f, s); });
  report(0.86, "carrying the atlas labels onto the patient grid");
  result.labels = result.registration.warpLabelsToPatient(atlas, result.patient.geometry);
  result.labels.path = inputs.imagePath;

  report(0.88, "refining GPi/GPe with the patient's intensities");
  if (inputs.refineWithPatientIntensities) result.refinement = refineGpiGpe(result.patient, result.labels);

  report(0.9, "mapping landmarks and targets");
  const auto& landmarks = result.atlasInfo.at("landmarks");
  auto mapLandmark = [&](const char* name) {
    return result.registration.patientRasFromTemplateRas(vecFromJson(landmarks.at(name).at("ras_mm")));
  };
  result.acRas = mapLandmark("AC");
  result.pcRas = mapLandmark("PC");
  result.midlineRas = mapLandmark("midline");
  result.mcpRas = 0.5 * (result.acRas + result.pcRas);
  const AcpcFrame frame(result.acRas, result.pcRas, result.midlineRas);
  removeLabelsAcrossMidline(frame, result);
  const auto& indirect = result.atlasInfo.at("indirect_targets_acpc").at("GPi");
  const double lateral = indirect.at("lateral_mm").get<double>(),
               anterior = indirect.at("anterior_mm").get<double>(),
               inferior = indirect.at("inferior_mm").get<double>();
  const auto stats = labelStatistics(result.labels);
  for (int s = 0; s < 2; ++s) {
    locateSideTargets(atlas, frame, lateral, anterior, inferior, s, result);
    measureSideGp(stats, s, result.sides[static_cast<std::size_t>(s)]);
  }
  refuseUnlessHeadLike(result);

  for (std::size_t w = 0; w < inputs.withPaths.size(); ++w) {
    report(0.92 + 0.06 * w / inputs.withPaths.size(), "co-registering " + inputs.withPaths[w]);
    const Volume other = loadVolumeForPlanning(inputs.withPaths[w]);
    requireGeometryFromFile(other, "co-register it");  // a statement is for the planning image only
    requireVoxelsFitForPlanning(other);
    const RigidRegistration rigid = registerRigid(result.patient, other);
    result.coregistered.push_back(
        {inputs.withPaths[w], rigid,
         resampleOntoGrid(other, rigid.fixedRasFromMovingRas, result.patient.geometry)});
  }
  result.totalSeconds = secondsSince(start);
  report(1.0, "located");
  return result;
}

nlohmann::json writeLocateOutputs(const LocateResult& r, const std::string& outDir) {
  namespace fs = std::filesystem;
  const auto start = Clock::now();
  fs::create_directories(outDir);
  writeLabelVolume(r.labels, outDir + "/labels.nii.gz");
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : standardLabels())
    if (isSidedLabel(l.value)) labels[l.name] = l.value;
  writeTextAtomically(outDir + "/labels.json", nlohmann::json{{"labels", labels}}.dump(2) + "\n");
  r.registration.writeTransforms(outDir + "/transform_affine.tfm", outDir + "/transform_displacement.nii");

  nlohmann::json j;
  j["schema"] = "dbsplan.locate/1";
  j["image"] = r.patient.path;
  j["coordinates"] = std::string("patient RAS mm unless named otherwise; _mni keys = ") + kTemplateSpaceName;
  j["template_space"] = {{"name", kTemplateSpaceName}, {"relation_to_mni_2009b", kTemplateSpaceNote}};
  nlohmann::json sides = nlohmann::json::object();
  for (const auto& s : r.sides) {
    sides[std::string(1, sideLetter(s.side))] = {
        {"atlas_target_ras", json3(s.atlasTargetRas)},
        {"atlas_target_mni", json3(s.atlasTargetMni)},
        {"indirect_target_ras", json3(s.indirectTargetRas)},
        {"indirect_target_acpc", json3(s.indirectTargetAcpc)},
        {"atlas_to_indirect_distance_mm", std::round(s.targetDistanceMm * 100) / 100},
        {"proposed_target",
         {{"ras", json3(s.proposed.ras)},
          {"acpc", json3(s.proposed.acpc)},
          {"inside_indirect_range", s.proposed.insideRange},
          {"outside_indirect_range_mm", std::round(s.proposed.outsideRangeMm * 100) / 100},
          {"from_atlas_target_mm", std::round(s.proposed.fromAtlasTargetMm * 100) / 100},
          {"on_patient_gpi", s.proposed.onPatientGpi},
          {"rule", s.proposed.rule}}},
        {"gpi_centroid_ras", json3(s.gpiCentroidRas)},
        {"gp_centroid_ras", json3(s.gpCentroidRas)},
        {"gpi_volume_mm3", std::round(s.gpiVolumeMm3)},
        {"gpe_volume_mm3", std::round(s.gpeVolumeMm3)}};
  }
  j["targets"] = sides;
  j["labels_removed_across_midline"] = r.labelsRemovedAcrossMidline;
  nlohmann::json refinement = nlohmann::json::object();
  for (const auto& side : r.refinement)
    refinement[std::string(1, sideLetter(side.side))] = {
        {"gpi_gpe_separation_sd", std::round(side.separationSd * 100) / 100},
        {"applied", side.applied},
        {"voxels_relabelled", side.relabelled}};
  j["gpi_gpe_refinement"] = refinement;
  j["landmarks"] = {{"AC", json3(r.acRas)},
                    {"PC", json3(r.pcRas)},
                    {"MCP", json3(r.mcpRas)},
                    {"midline", json3(r.midlineRas)},
                    {"ac_pc_distance_mm", std::round(norm(r.acRas - r.pcRas) * 100) / 100}};
  j["sources"] = {{"landmarks", r.atlasInfo.at("landmarks")},
                  {"atlas_targets", r.atlasInfo.at("targets")},
                  {"indirect_target", r.atlasInfo.at("indirect_targets_acpc")}};
  const auto& q = r.registration.quality();
  j["transforms"] = {
      {"convention",
       "ITK LPS mm; template point = affine(x + displacement(x)) for a patient point x (ITK's "
       "fixed-to-moving "
       "direction); the displacement is zero outside its grid"},
      {"affine_file", "transform_affine.tfm"},
      {"displacement_file", r.registration.hasDisplacement() ? "transform_displacement.nii" : ""},
      {"affine_mni_ras_from_patient_ras", jsonAffine(r.registration.affineTemplateRasFromPatientRas())}};
  j["head_likeness"] = headLikenessJson(r.headLikeness);
  j["quality"] = {{"affine_mattes_mi", q.affineMetric},
                  {"deformable_mean_squared_difference", q.deformableMetric},
                  {"jacobian_determinant_min", q.jacobianMin},
                  {"jacobian_determinant_max", q.jacobianMax},
                  {"jacobian_checked_on",
                   "every voxel of the displacement grid: the deformable box and the fade outside it"},
                  {"deformation_fade_mm", q.taperMm}};
  nlohmann::json with = nlohmann::json::array();
  for (std::size_t n = 0; n < r.coregistered.size(); ++n) {
    const auto& c = r.coregistered[n];
    const std::string file = "with_" + std::to_string(n + 1) + ".nii.gz";
    writeVolume(c.onPatientGrid, outDir + "/" + file);
    with.push_back({{"path", c.path},
                    {"on_t1_grid", file},
                    {"t1_ras_from_volume_ras", jsonAffine(c.registration.fixedRasFromMovingRas)},
                    {"mattes_mi", c.registration.metric},
                    {"seconds", c.registration.seconds}});
  }
  j["coregistered"] = with;
  j["timings_s"] = {{"load", r.loadSeconds},
                    {"affine", q.affineSeconds},
                    {"deformable", q.deformableSeconds},
                    {"locate_total", r.totalSeconds},
                    {"write", secondsSince(start)}};
  writeTextAtomically(outDir + "/locate.json", j.dump(2) + "\n");
  return j;
}

}  // namespace dbs
