#include "dbs/planning/Stimulation.h"

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

// The union of the spheres is sampled on this RAS grid, mm: a 3 mm sphere is then ~14 000 samples
// (volume within 1 %), and an assessment stays a few milliseconds.
constexpr double kSampleStepMm = 0.2;

struct VtaCatalogue {
  std::vector<VtaModelSpec> models;
  VtaModel defaultModel = VtaModel::Maedler2012;
};

std::string stringField(const json& j, const std::string& key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string())
    throw std::runtime_error(where + ": \"" + key + "\" must be a string");
  return j[key].get<std::string>();
}

VtaCatalogue loadCatalogue() {
  std::string path;
  const json j = readSourceDataJson("stimulation/vta_models.json", "dbsplan.vta_models/1", path);
  VtaCatalogue catalogue;
  const auto defaultModel = kVtaModelNames.parse(stringField(j, "default_model", path));
  if (!defaultModel)
    throw std::runtime_error(path + ": default_model must be " + kVtaModelNames.alternatives());
  catalogue.defaultModel = *defaultModel;
  if (!j.contains("models") || !j["models"].is_array())
    throw std::runtime_error(path + ": \"models\" must be an array");
  for (const json& m : j["models"]) {
    const std::string where = path + ": model";
    const auto id = kVtaModelNames.parse(stringField(m, "id", where));
    if (!id) throw std::runtime_error(where + " id must be " + kVtaModelNames.alternatives());
    VtaModelSpec spec;
    spec.model = *id;
    spec.name = stringField(m, "name", where);
    spec.formula = stringField(m, "formula", where);
    spec.inputs = stringField(m, "inputs", where);
    spec.citation = stringField(m, "citation", where);
    spec.implementation = stringField(m, "implementation", where);
    spec.url = stringField(m, "url", where);
    if (!m.contains("constants") || !m["constants"].is_object())
      throw std::runtime_error(where + " " + spec.name + ": \"constants\" must be an object");
    for (const auto& [key, value] : m["constants"].items()) {
      if (!value.is_number())
        throw std::runtime_error(where + " " + spec.name + ": constant " + key + " must be a number");
      spec.constants[key] = value.get<double>();
    }
    catalogue.models.push_back(std::move(spec));
  }
  // Named loop variables rather than a structured binding: C++17 lambdas cannot capture bindings (clang).
  for (const auto& entry : kVtaModelNames.entries) {
    const VtaModel wanted = entry.first;
    if (std::none_of(catalogue.models.begin(), catalogue.models.end(),
                     [wanted](const VtaModelSpec& s) { return s.model == wanted; }))
      throw std::runtime_error(path + ": model \"" + entry.second + "\" is missing");
  }
  return catalogue;
}

const VtaCatalogue& catalogue() {
  static const VtaCatalogue c = loadCatalogue();
  return c;
}

std::string fixed(double value, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << value;
  return s.str();
}

}  // namespace

double VtaModelSpec::constant(const std::string& key) const {
  const auto it = constants.find(key);
  if (it == constants.end())
    throw std::runtime_error("data/stimulation/vta_models.json: " + name + " lacks the constant " + key);
  return it->second;
}

const std::vector<VtaModelSpec>& vtaModels() {
  return catalogue().models;
}

const VtaModelSpec& vtaModelSpec(VtaModel model) {
  for (const VtaModelSpec& s : vtaModels())
    if (s.model == model) return s;
  throw std::logic_error("VTA model missing from the catalogue");
}

VtaModel defaultVtaModel() {
  return catalogue().defaultModel;
}

double vtaRadiusMm(VtaModel model, double volts, double amperes, double pulseWidthUs) {
  const VtaModelSpec& spec = vtaModelSpec(model);
  switch (model) {
    case VtaModel::Kuncel2008: {
      const double k = spec.constant("k_V_per_mm2"), u0 = spec.constant("U0_V");
      return volts > u0 ? std::sqrt((volts - u0) / k) : 0.0;
    }
    case VtaModel::Maedler2012: {
      // U = k3 r^2 + (k1 + k4 Z) r, the positive root; Z = U / I.
      if (volts <= 0 || amperes <= 0) return 0.0;
      const double k1 = spec.constant("k1_V_per_mm"), k3 = spec.constant("k3_V_per_mm2"),
                   k4 = spec.constant("k4_V_per_mm_ohm");
      const double b = k1 + k4 * (volts / amperes);
      return std::max(0.0, (-b + std::sqrt(b * b + 4 * k3 * volts)) / (2 * k3));
    }
    case VtaModel::Dembek2017: {
      if (amperes <= 0) return 0.0;
      const double k = spec.constant("k"), threshold = spec.constant("E_threshold_V_per_mm"),
                   referenceUs = spec.constant("pw_ref_us"), exponent = spec.constant("pw_exponent");
      // The threshold in V/mm becomes V/m (x 1000) and the radius m becomes mm (x 1000).
      return 1000.0 * std::pow(pulseWidthUs / referenceUs, exponent) *
             std::sqrt(k * amperes / (threshold * 1000.0));
    }
  }
  return 0.0;
}

void validateStimulation(const StimulationSettings& s, const ElectrodeModel& electrode) {
  const double maxAmplitude = s.unit == AmplitudeUnit::Volt ? kMaxAmplitudeVolt : kMaxAmplitudeMilliAmpere;
  if (!std::isfinite(s.amplitude) || s.amplitude < 0 || s.amplitude > maxAmplitude)
    throw std::invalid_argument("amplitude must be between 0 and " + fixed(maxAmplitude, 1) + " " +
                                kAmplitudeUnitNames.name(s.unit));
  if (!std::isfinite(s.pulseWidthUs) || s.pulseWidthUs < kMinPulseWidthUs ||
      s.pulseWidthUs > kMaxPulseWidthUs)
    throw std::invalid_argument("pulse width must be between " + fixed(kMinPulseWidthUs, 0) + " and " +
                                fixed(kMaxPulseWidthUs, 0) + " us");
  if (!std::isfinite(s.impedanceOhm) || s.impedanceOhm < kMinImpedanceOhm ||
      s.impedanceOhm > kMaxImpedanceOhm)
    throw std::invalid_argument("impedance must be between " + fixed(kMinImpedanceOhm, 0) + " and " +
                                fixed(kMaxImpedanceOhm, 0) + " ohm");
  std::string known;
  for (const ElectrodeContact& c : electrode.contacts) known += (known.empty() ? "" : ", ") + c.label;
  for (std::size_t i = 0; i < s.activeContacts.size(); ++i) {
    const std::string& label = s.activeContacts[i];
    if (std::none_of(electrode.contacts.begin(), electrode.contacts.end(),
                     [&](const ElectrodeContact& c) { return c.label == label; }))
      throw std::invalid_argument("the " + electrode.name + " has no contact \"" + label +
                                  "\" (its contacts: " + known + ")");
    if (std::find(s.activeContacts.begin(), s.activeContacts.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != s.activeContacts.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("contact \"" + label + "\" is named twice");
  }
}

bool StimulationAssessment::reachesSideEffectStructure() const {
  return std::any_of(sideEffects.begin(), sideEffects.end(),
                     [](const SideEffectReach& r) { return r.reaches(); });
}

StimulationAssessment assessStimulation(const StimulationSettings& s, const Trajectory& trajectory,
                                        const TrajectoryMetrics& metrics, const RiskField& field) {
  const ElectrodeModel& electrode = ElectrodeCatalogue::standard().find(trajectory.electrodeId);
  validateStimulation(s, electrode);
  StimulationAssessment a;
  if (s.activeContacts.empty() || s.amplitude <= 0) return a;

  // Per contact: voltage-controlled, each active contact is at the set voltage; current-controlled,
  // the current is split equally (equal impedances assumed). SOURCES.md section 2.
  const double n = static_cast<double>(s.activeContacts.size());
  double volts = 0, amperes = 0;
  if (s.unit == AmplitudeUnit::Volt) {
    volts = s.amplitude;
    amperes = volts / s.impedanceOhm;
  } else {
    amperes = s.amplitude / 1000.0 / n;
    volts = amperes * s.impedanceOhm;
  }
  const double radius = vtaRadiusMm(s.model, volts, amperes, s.pulseWidthUs);
  const VtaModelSpec& spec = vtaModelSpec(s.model);
  if (s.model != VtaModel::Dembek2017)
    a.notes.push_back(spec.name + " has no pulse-width term: the radius is the same at any pulse width");
  if (s.activeContacts.size() > 1)
    a.notes.push_back(
        s.unit == AmplitudeUnit::Volt
            ? "several contacts at one voltage: each gets the full sphere (the models are fitted "
              "for one contact)"
            : "the current is split equally between " + fixed(n, 0) +
                  " contacts (equal impedances assumed; the models are fitted for one contact)");

  for (const std::string& label : s.activeContacts) {
    const auto placed = std::find_if(metrics.contacts.begin(), metrics.contacts.end(),
                                     [&](const PlacedContact& c) { return c.label == label; });
    if (placed == metrics.contacts.end())
      throw std::invalid_argument("contact \"" + label + "\" is not placed on the " + sideWord(s.side) +
                                  " lead");
    Vec3 centre = placed->centreRas;
    if (placed->segmentDirectionRas) {
      // A segment: the sphere moves from the axis to the segment's surface (SOURCES.md section 2).
      centre = centre + (0.5 * electrode.diameterMm) * *placed->segmentDirectionRas;
      if (std::none_of(a.notes.begin(), a.notes.end(),
                       [](const std::string& t) { return t.rfind("segment", 0) == 0; }))
        a.notes.push_back(
            "segment: the sphere is centred on the segment's surface, a first-order picture of "
            "steering");
    }
    a.spheres.push_back({label, centre, radius});
  }
  if (radius <= 0) return a;

  // The union of the spheres sampled on a RAS grid against the labels.
  Vec3 lo = a.spheres.front().centreRas, hi = lo;
  for (const ActivatedSphere& sphere : a.spheres)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], sphere.centreRas[k] - radius);
      hi[k] = std::max(hi[k], sphere.centreRas[k] + radius);
    }
  const int gpi = labelValue(std::string("GPi_") + sideLetter(s.side));
  const int gpe = labelValue(std::string("GPe_") + sideLetter(s.side));
  const std::optional<double> medianY = field.gpiMedianYRas(s.side);
  std::size_t inside = 0, inGpi = 0, inSensorimotor = 0, inGpe = 0;
  const double r2 = radius * radius;
  for (double z = lo.z + 0.5 * kSampleStepMm; z < hi.z; z += kSampleStepMm)
    for (double y = lo.y + 0.5 * kSampleStepMm; y < hi.y; y += kSampleStepMm)
      for (double x = lo.x + 0.5 * kSampleStepMm; x < hi.x; x += kSampleStepMm) {
        const Vec3 p{x, y, z};
        if (std::none_of(a.spheres.begin(), a.spheres.end(), [&](const ActivatedSphere& sphere) {
              return dot(p - sphere.centreRas, p - sphere.centreRas) <= r2;
            }))
          continue;
        ++inside;
        const int label = field.labelAt(p);
        if (label == gpi) {
          ++inGpi;
          if (medianY && y <= *medianY) ++inSensorimotor;
        } else if (label == gpe) {
          ++inGpe;
        }
      }
  a.volumeMm3 = static_cast<double>(inside) * kSampleStepMm * kSampleStepMm * kSampleStepMm;
  if (inside > 0) {
    a.fractionGpi = static_cast<double>(inGpi) / static_cast<double>(inside);
    a.fractionSensorimotorGpi = static_cast<double>(inSensorimotor) / static_cast<double>(inside);
    a.fractionGpe = static_cast<double>(inGpe) / static_cast<double>(inside);
  }
  for (SideEffectReach& reach : a.sideEffects) {
    reach.assessed = field.present(reach.structure);
    if (!reach.assessed) continue;
    reach.marginMm = RiskField::kFar;
    for (const ActivatedSphere& sphere : a.spheres) {
      const double margin = field.sideEffectDistanceMm(reach.structure, sphere.centreRas) - sphere.radiusMm;
      if (margin < reach.marginMm) {
        reach.marginMm = margin;
        reach.contact = sphere.contact;
      }
    }
  }
  return a;
}

std::string describeSettings(const StimulationSettings& s) {
  if (s.activeContacts.empty() || s.amplitude <= 0) return "off";
  std::string contacts;
  for (const std::string& c : s.activeContacts) contacts += (contacts.empty() ? "" : "+") + c;
  return std::string(s.activeContacts.size() > 1 ? "contacts " : "contact ") + contacts + ", " +
         fixed(s.amplitude, 1) + " " + kAmplitudeUnitNames.name(s.unit) + ", " + fixed(s.pulseWidthUs, 0) +
         " us, " + fixed(s.impedanceOhm, 0) + " ohm (" + vtaModelSpec(s.model).name + ")";
}

std::string stimulationWarning(const StimulationAssessment& a) {
  std::string reached;
  for (const SideEffectReach& r : a.sideEffects)
    if (r.reaches())
      reached += std::string(reached.empty() ? "" : " and ") + sideEffectDisplayName(r.structure) + " (" +
                 fixed(-r.marginMm, 1) + " mm into it)";
  return reached.empty() ? std::string() : "WARNING: the activated region reaches the " + reached;
}

std::string describeAssessment(const StimulationAssessment& a) {
  if (a.spheres.empty() || a.volumeMm3 <= 0) return "no tissue activated";
  std::string out = fixed(a.spheres.front().radiusMm, 1) + " mm sphere" + (a.spheres.size() > 1 ? "s" : "") +
                    ", " + fixed(a.volumeMm3, 0) + " mm^3: " + fixed(100 * a.fractionGpi, 0) + " % GPi (" +
                    fixed(100 * a.fractionSensorimotorGpi, 0) + " % sensorimotor), " +
                    fixed(100 * a.fractionGpe, 0) + " % GPe";
  for (const SideEffectReach& r : a.sideEffects) {
    out += std::string("; ") + sideEffectDisplayName(r.structure) + " ";
    if (!r.assessed)
      out += "not assessed";
    else if (r.reaches())
      out += "reached by " + fixed(-r.marginMm, 1) + " mm";
    else
      out += fixed(r.marginMm, 1) + " mm away";
  }
  const std::string warning = stimulationWarning(a);
  return warning.empty() ? out : out + ". " + warning;
}

}  // namespace dbs
