// `dbsplan stimulate`: a side's stimulation settings set on a saved plan (an undoable edit of the
// plan session, as the window's panel makes it), the activated region assessed against the plan's
// labels, and the plan written atomically, in place or to --out.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/PlanFile.h"
#include "dbs/planning/PlanSession.h"

namespace dbs::app {

namespace {

struct StimulateOptions {
  std::string planPath, outPath, side, amplitude, model;
  std::vector<std::string> contacts;
  double pulseWidthUs = 60, impedanceOhm = 1000;
  bool off = false, json = false;
};

// "3V", "3 V", "2.5mA", "2.5 mA": the amplitude and its unit.
std::pair<double, AmplitudeUnit> amplitudeOf(const std::string& text) {
  std::string number = text;
  AmplitudeUnit unit = AmplitudeUnit::Volt;
  auto endsWith = [&](const std::string& suffix) {
    return number.size() >= suffix.size() &&
           number.compare(number.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (endsWith("mA")) {
    unit = AmplitudeUnit::MilliAmpere;
    number.resize(number.size() - 2);
  } else if (endsWith("V")) {
    number.resize(number.size() - 1);
  } else {
    throw CLI::ValidationError("--amplitude", "'" + text + "' needs its unit: 3V or 2.5mA");
  }
  while (!number.empty() && number.back() == ' ') number.pop_back();
  const std::optional<double> value = parseNumber(number);
  if (!value)
    throw CLI::ValidationError("--amplitude", "'" + text + "' is not a number with a unit (3V, 2.5mA)");
  return {*value, unit};
}

int runStimulate(const StimulateOptions& o) {
  StimulationSettings settings;
  settings.side = sideOf(o.side);
  if (!o.off) {
    if (o.contacts.empty()) {
      std::cerr << "dbsplan stimulate: --contact is required (or --off to switch the side off)\n";
      return 2;
    }
    if (o.amplitude.empty()) {
      std::cerr << "dbsplan stimulate: --amplitude is required (3V or 2.5mA)\n";
      return 2;
    }
    settings.activeContacts = o.contacts;
    std::tie(settings.amplitude, settings.unit) = amplitudeOf(o.amplitude);
    settings.pulseWidthUs = o.pulseWidthUs;
    settings.impedanceOhm = o.impedanceOhm;
    settings.model = o.model.empty() ? defaultVtaModel() : *kVtaModelNames.parse(o.model);
  }
  if (!o.off) {
    // The settings against the side's lead as the plan file names it: a typo costs no plan opening
    // (which rebuilds the distance maps). The session checks again.
    const PlanDocument plan = readPlan(o.planPath);
    const PlannedTrajectory* chosen = chosenTrajectory(plan, settings.side);
    if (!chosen) {
      std::cerr << "dbsplan stimulate: the plan has no " << sideWord(settings.side) << " trajectory\n";
      return 2;
    }
    try {
      validateStimulation(settings, ElectrodeCatalogue::standard().find(chosen->trajectory.electrodeId));
    } catch (const std::exception& e) {
      std::cerr << "dbsplan stimulate: " << e.what() << "\n";
      return 2;
    }
  }
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan stimulate: warning: " << w << "\n";
  const PlanEdit edit = PlanEdit::setStimulation(settings);
  try {
    session->commit(edit, /*searchAlternativesNow=*/false);
  } catch (const std::invalid_argument& e) {
    std::cerr << "dbsplan stimulate: " << e.what() << "\n";
    return 2;
  }
  const std::string written = o.outPath.empty() ? o.planPath : o.outPath;
  session->save(written);
  const PlanStimulation* st = planStimulation(session->plan(), settings.side);
  if (o.json) {
    nlohmann::json report = {{"plan", written}, {"side", std::string(1, sideLetter(settings.side))}};
    nlohmann::json all = planToJson(session->plan());
    report["stimulation"] = nullptr;
    if (all.contains("stimulation"))
      for (const auto& item : all["stimulation"])
        if (item["side"] == report["side"]) report["stimulation"] = item;
    std::cout << report.dump(2) << "\n";
  } else {
    for (const std::string& line : stimulationSheetLines(session->plan()))
      std::cout << terminalSafe(line) << "\n";
    if (!st) std::cout << "stimulation, " << sideWord(settings.side) << ": off\n";
    std::cout << "plan written: " << written << "\n";
  }
  if (st && st->assessment.reachesSideEffectStructure())
    std::cerr << "dbsplan stimulate: " << stimulationWarning(st->assessment) << "\n";
  return 0;
}

}  // namespace

Command stimulateCommand() {
  return {
      "stimulate", "Planning", "what a stimulation setting would reach (volume of tissue activated)",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<StimulateOptions>();
        std::string models;
        for (const VtaModelSpec& m : vtaModels())
          models +=
              "\n  " + std::string(kVtaModelNames.name(m.model)) + ": " + m.formula + "\n    " + m.citation;
        cli.footer(
            "Sets one side's monopolar stimulation on a saved plan (recorded in its history, undoable in the "
            "window) and reports the volume of tissue activated: its volume, the fraction inside the GPi, "
            "its sensorimotor part and the GPe, and how far it stays from or reaches into the internal "
            "capsule and the optic tract. Teaching grade: a sphere around each active contact from a "
            "closed-form model, not a field solution (data/stimulation/SOURCES.md). Models:" +
            models);
        cli.add_option("PLAN", o->planPath, "plan.json to stimulate")
            ->required()
            ->check(CLI::ExistingFile.description(""))
            ->type_name("");
        cli.add_option("--side", o->side, "the lead")->required()->check(sideValidator())->type_name("L|R");
        cli.add_option("--contact", o->contacts, "an active contact's label (repeat for several: monopolar)")
            ->type_name("LABEL");
        cli.add_option("--amplitude", o->amplitude,
                       "amplitude with its unit: 3V (voltage) or 2.5mA (current)")
            ->type_name("3V|2.5mA");
        cli.add_option("--pulse-width", o->pulseWidthUs, "pulse width, microseconds")
            ->check(CLI::Range(kMinPulseWidthUs, kMaxPulseWidthUs))
            ->capture_default_str()
            ->type_name("US");
        cli.add_option("--impedance", o->impedanceOhm, "the contact's impedance, ohm (converts V and mA)")
            ->check(CLI::Range(kMinImpedanceOhm, kMaxImpedanceOhm))
            ->capture_default_str()
            ->type_name("OHM");
        cli.add_option("--model", o->model,
                       std::string("the VTA model (default ") + kVtaModelNames.name(defaultVtaModel()) + ")")
            ->check(CLI::IsMember(kVtaModelNames.words()))
            ->type_name("MODEL");
        cli.add_flag("--off", o->off, "switch the side's stimulation off");
        cli.add_option("--out", o->outPath, "write the plan here instead (its files copied beside it)")
            ->type_name("PLAN2.json");
        cli.add_flag("--json", o->json, "print the side's stimulation and assessment as JSON");
        return [o] { return runStimulate(*o); };
      }};
}

}  // namespace dbs::app
