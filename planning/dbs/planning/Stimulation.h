// Stimulation: what a DBS setting would reach, as the published closed-form models of the volume of
// tissue activated (VTA) give it: a sphere around each active contact whose radius follows from the
// amplitude (Kuncel 2008, Maedler 2012, Dembek 2017; constants and sources in
// data/stimulation/vta_models.json and SOURCES.md). Teaching grade: spheres around a contact, not a
// field solution (SOURCES.md section 3 says what a finite-element model would change).
//
// The assessment of a setting on a plan (assessStimulation) reports the activated volume, the
// fraction of it inside the GPi, its sensorimotor part and the GPe, and how far it stays from (or
// reaches into) the internal capsule and the optic tract. It is cheap (a few milliseconds): the
// window re-assesses on every change of a setting and every move of the lead.
//
// Coordinate systems used: patient RAS mm for every point; radii and margins in mm, volumes in mm^3.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "dbs/planning/EnumNames.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {

enum class VtaModel : std::uint8_t { Kuncel2008, Maedler2012, Dembek2017 };
inline constexpr EnumNames<VtaModel, 3> kVtaModelNames{{{{VtaModel::Kuncel2008, "kuncel2008"},
                                                         {VtaModel::Maedler2012, "maedler2012"},
                                                         {VtaModel::Dembek2017, "dembek2017"}}}};

// Voltage-controlled (V) or current-controlled (mA) stimulation.
enum class AmplitudeUnit : std::uint8_t { Volt, MilliAmpere };
inline constexpr EnumNames<AmplitudeUnit, 2> kAmplitudeUnitNames{
    {{{AmplitudeUnit::Volt, "V"}, {AmplitudeUnit::MilliAmpere, "mA"}}}};

// One model as data/stimulation/vta_models.json gives it: its formula and constants, with sources.
struct VtaModelSpec {
  VtaModel model = VtaModel::Maedler2012;
  std::string name, formula, inputs, citation, implementation, url;
  std::map<std::string, double> constants;
  double constant(const std::string& key) const;  // throws std::runtime_error naming the key
};
// The catalogue, read once (throws std::runtime_error naming the file and field on a bad file).
const std::vector<VtaModelSpec>& vtaModels();
const VtaModelSpec& vtaModelSpec(VtaModel model);
VtaModel defaultVtaModel();  // the catalogue's "default_model"

// Radius of the activated sphere around one contact driven with `volts` (and, equivalently,
// `amperes` = volts / impedance) at `pulseWidthUs`, mm; 0 below the model's threshold.
double vtaRadiusMm(VtaModel model, double volts, double amperes, double pulseWidthUs);

// A side's stimulation settings (monopolar, the case as the return electrode).
struct StimulationSettings {
  Side side = Side::Left;
  std::vector<std::string> activeContacts;  // labels of the side's lead ("1", "2A"), distal first
  double amplitude = 0;                     // in `unit`
  AmplitudeUnit unit = AmplitudeUnit::Volt;
  double pulseWidthUs = 60;
  double impedanceOhm = 1000;
  VtaModel model = VtaModel::Maedler2012;
  bool operator==(const StimulationSettings& o) const {
    return side == o.side && activeContacts == o.activeContacts && amplitude == o.amplitude &&
           unit == o.unit && pulseWidthUs == o.pulseWidthUs && impedanceOhm == o.impedanceOhm &&
           model == o.model;
  }
  bool operator!=(const StimulationSettings& o) const { return !(*this == o); }
};
// The ranges a setting must keep (clinical devices stay well inside them).
constexpr double kMaxAmplitudeVolt = 10.5, kMaxAmplitudeMilliAmpere = 25.5;
constexpr double kMinPulseWidthUs = 10, kMaxPulseWidthUs = 450;
constexpr double kMinImpedanceOhm = 250, kMaxImpedanceOhm = 10000;
// Throws std::invalid_argument naming the setting and its allowed range or values (the contacts of
// `electrode` when a label is unknown).
void validateStimulation(const StimulationSettings& settings, const ElectrodeModel& electrode);

// The activated sphere of one active contact.
struct ActivatedSphere {
  std::string contact;
  Vec3 centreRas;
  double radiusMm = 0;
};

// How far the activated region stays from a side-effect structure: the signed distance from the
// nearest sphere's surface to the structure's voxel surface, mm (negative: it reaches into it).
struct SideEffectReach {
  SideEffectStructure structure = SideEffectStructure::InternalCapsule;
  bool assessed = false;  // false: the plan's labels lack the structure
  double marginMm = 0;
  std::string contact;  // the contact whose sphere comes closest
  bool reaches() const { return assessed && marginMm < 0; }
};

struct StimulationAssessment {
  std::vector<ActivatedSphere> spheres;
  double volumeMm3 = 0;  // of the union of the spheres
  // Fractions of that volume (0-1) in the side's GPi, its sensorimotor (posterior) half, its GPe.
  double fractionGpi = 0, fractionSensorimotorGpi = 0, fractionGpe = 0;
  std::array<SideEffectReach, kSideEffectStructures> sideEffects{
      SideEffectReach{SideEffectStructure::InternalCapsule, false, 0, {}},
      SideEffectReach{SideEffectStructure::OpticTract, false, 0, {}}};
  // The approximations this setting relies on, in words (a current split over two contacts...).
  std::vector<std::string> notes;
  bool reachesSideEffectStructure() const;
};

// The spheres of `settings` on the side's chosen lead (contacts placed by evaluateTrajectory), and
// what they reach in `field`. Throws std::invalid_argument for a setting validateStimulation refuses.
StimulationAssessment assessStimulation(const StimulationSettings& settings, const Trajectory& trajectory,
                                        const TrajectoryMetrics& metrics, const RiskField& field);

// "contact 1, 3.0 V, 60 us, 1000 ohm (Maedler 2012)"
std::string describeSettings(const StimulationSettings& settings);
// "3.4 mm sphere, 164 mm^3: 62 % GPi (48 % sensorimotor), 20 % GPe; internal capsule 0.8 mm away,
// optic tract reached by 0.6 mm: WARNING"
std::string describeAssessment(const StimulationAssessment& assessment);
// "WARNING: the activated region reaches the optic tract (0.6 mm)", or "" when it reaches neither.
std::string stimulationWarning(const StimulationAssessment& assessment);

}  // namespace dbs
