#include "dbs/planning/PlanPipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/DataPaths.h"
#include "dbs/planning/TrajectorySearch.h"

namespace dbs {

namespace {

// A mask volume (any scalar file, non-zero = inside) as a label map with value 1.
LabelVolume maskAsLabels(const Volume& mask) {
  LabelVolume labels = makeLabelVolume(mask.geometry);
  const float* m = mask.image->GetBufferPointer();
  unsigned short* l = labels.image->GetBufferPointer();
  for (std::size_t i = 0; i < mask.geometry.voxelCount(); ++i) l[i] = m[i] > 0 ? 1 : 0;
  labels.path = mask.path;
  return labels;
}

// The proposed target must lie in the located GPi of its side. The atlas target carried in usually
// does; when the warp puts it just outside (a thin GPi, a coarse grid), the nearest GPi voxel centre
// within 6 mm is used instead and the plan says so.
Vec3 targetInsideGpi(const RiskField& field, const LabelVolume& labels, Side side, Vec3 proposedRas,
                     std::vector<std::string>& notes) {
  const int gpi = labelValue(sidedLabelName("GPi", side));
  if (field.labelAt(proposedRas) == gpi) return proposedRas;
  const ImageGeometry& g = labels.geometry;
  const unsigned short* l = labels.image->GetBufferPointer();
  double best = 6.0;
  Vec3 bestRas = proposedRas;
  bool found = false;
  for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
        if (l[idx] != gpi) continue;
        const Vec3 p = g.rasFromIndex({double(i), double(j), double(k)});
        const double d = norm(p - proposedRas);
        if (d < best) {
          best = d;
          bestRas = p;
          found = true;
        }
      }
  std::ostringstream note;
  note.precision(3);
  if (found)
    note << "target " << sideLetter(side) << ": the proposed target fell " << best
         << " mm outside the located GPi; moved to the nearest GPi voxel";
  else
    note << "target " << sideLetter(side)
         << ": no located GPi voxel within 6 mm of the proposed target; it is kept";
  notes.push_back(note.str());
  return bestRas;
}

nlohmann::json risksJson(const RiskStructures& r) {
  nlohmann::json structures = nlohmann::json::object();
  for (const RiskMap& m : r.risks)
    structures[riskName(m.kind)] = {{"assessed", m.present}, {"volume_mm3", std::round(m.volumeMm3)}};
  return {{"file", "risk_structures.nii.gz"},
          {"file_values",
           {{"1", "head (scalp to brain)"},
            {"2", "brain"},
            {"3", "ventricles"},
            {"4", "sulcal CSF"},
            {"5", "vessels"}}},
          {"head_volume_mm3", std::round(r.headVolumeMm3)},
          {"brain_volume_mm3", std::round(r.brainVolumeMm3)},
          {"csf_upper_intensity", r.csfUpperIntensity},
          {"grey_upper_intensity", r.greyUpperIntensity},
          {"structures", structures},
          {"seconds", r.seconds},
          {"notes", r.notes}};
}

}  // namespace

PlanningContext PlanResult::context() const {
  PlanningContext c;
  c.field = field.get();
  c.acpc = acpc.get();
  c.electrodes = &ElectrodeCatalogue::standard();
  const TemplateRegistration* registration = &locate.registration;
  c.mniFromPatientRas = [registration](Vec3 p) { return registration->templateRasFromPatientRas(p); };
  c.settings = searchSettings;
  return c;
}

namespace {

// The brain prior: the template's brain mask carried by the same registration onto the patient
// grid. For Colin27 that is mricron's brain-extracted ch2bet; another template must bring its own.
LabelVolume carriedTemplateBrainMask(const PlanInputs& inputs, const LocateResult& located) {
  std::string brainPath = inputs.templateBrainMaskPath;
  if (brainPath.empty()) {
    if (!inputs.locate.templatePath.empty())
      throw std::runtime_error("plan: a template other than Colin27 needs its brain mask (--template-brain)");
    brainPath = (std::filesystem::path(mricronTemplatesDir()) / "ch2bet.nii.gz").string();
  }
  return located.registration.warpLabelsToPatient(maskAsLabels(loadVolume(brainPath)),
                                                  located.patient.geometry);
}

// Registration warnings a reviewer must see before trusting the targets. Thresholds from the
// locate benchmark: template-like T1s reach Mattes MI below -1.2 with a fold-free field; the
// phantom (no face, no cerebellum: its GPi are missed by about 10 mm) gives -0.48, a real coronal
// 2 x 2 x 3 mm scan (GPi within 2 mm of elastix) -0.57 with folding at the box border.
void addRegistrationWarnings(const RegistrationQuality& q, std::vector<std::string>& notes) {
  std::ostringstream note;
  note.precision(3);
  if (q.affineMetric > -0.7) {
    note << "registration: weak similarity between the template and this image (Mattes MI " << q.affineMetric
         << "; template-like T1s reach below -1.2): check that the located GPi, putamen and ventricles sit "
            "on "
            "the patient's own anatomy before using the targets";
    notes.push_back(note.str());
    note.str("");
  }
  if (q.jacobianMin <= 0.1) {
    note << "registration: the deformation folds or nearly folds somewhere in the basal-ganglia box "
            "(Jacobian "
            "determinant minimum "
         << q.jacobianMin << "): review the labels near the targets";
    notes.push_back(note.str());
  }
}

// One side's targets in the plan (patient RAS mm, with AC-PC and MNI): the proposed one, moved
// into the located GPi if needed, which the trajectories aim at, and the atlas and indirect ones
// kept beside it for review; notes the proposed target's rule. Returns the proposed target.
Vec3 addSideTargets(const PlanResult& result, const PlanningContext& context, const LocateSide& side,
                    PlanDocument& plan) {
  const LocateResult& located = result.locate;
  // The proposed target (Locate: the sensorimotor GPi inside the published indirect range) is the
  // one the trajectories aim at; the atlas and indirect targets are kept beside it for review.
  const Vec3 target =
      targetInsideGpi(*result.field, located.labels, side.side, side.proposed.ras, plan.notes);
  plan.targets.push_back({side.side, TargetSource::Proposed, target, result.acpc->acpcFromRas(target),
                          context.mniFromPatientRas(target)});
  plan.targets.push_back({side.side, TargetSource::Atlas, side.atlasTargetRas,
                          result.acpc->acpcFromRas(side.atlasTargetRas),
                          context.mniFromPatientRas(side.atlasTargetRas)});
  plan.targets.push_back({side.side, TargetSource::Indirect, side.indirectTargetRas, side.indirectTargetAcpc,
                          context.mniFromPatientRas(side.indirectTargetRas)});
  std::ostringstream note;
  note.precision(2);
  note << std::fixed << "target " << sideLetter(side.side) << ": " << side.proposed.rule;
  if (!side.proposed.insideRange)
    note << "; this patient's located sensorimotor GPi and the published coordinates disagree: review the "
            "target against the patient's own anatomy";
  plan.notes.push_back(note.str());
  return target;
}

// Searches one side's trajectories to `targetRas`: the best becomes the side's trajectory, the next
// ones its alternatives; notes when no candidate keeps every required margin.
void addSideTrajectories(const PlanningContext& context, Side side, Vec3 targetRas,
                         const std::string& electrodeId, PlanDocument& plan) {
  const SearchResult search = searchTrajectories(context, side, targetRas, electrodeId);
  plan.search.candidates += search.candidates;
  plan.search.seconds += search.seconds;
  if (search.best.empty())
    throw std::runtime_error(
        std::string("plan: no entry point on the scalp inside the frontal window for the ") + sideWord(side) +
        " target");
  for (std::size_t i = 0; i < search.best.size(); ++i) {
    PlannedTrajectory found{search.best[i], search.bestMetrics[i]};
    found.trajectory.id = nextTrajectoryId(plan, side);
    (i == 0 ? plan.trajectories : plan.alternatives).push_back(found);
  }
  if (!search.bestMetrics.front().safe) {
    std::ostringstream note;
    note << "trajectory " << sideLetter(side) << ": no candidate keeps every required margin ("
         << search.safeCandidates << " of " << search.candidates
         << " safe); the best-scoring one is shown, review it";
    plan.notes.push_back(note.str());
  }
}

// Atlas against indirect target, measured where the plan shows them (one computation,
// targetAgreements): a note per side where they lie further apart than users tolerate.
void addTargetDisagreementNotes(PlanDocument& plan) {
  for (const TargetAgreement& agreement : targetAgreements(plan)) {
    if (agreement.agrees()) continue;
    std::ostringstream note;
    note.precision(2);
    note << std::fixed << "targets " << sideLetter(agreement.side)
         << ": the atlas target and the indirect (AC-PC) target are " << agreement.distanceMm
         << " mm apart, more than the " << kTargetAgreementToleranceMm
         << " mm users tolerate: review the target against the patient's own GPi; "
         << "as planned, " << targetChoiceText(agreement) << " (both are drawn in every view)";
    plan.notes.push_back(note.str());
  }
}

// What a reviewer must not miss about each chosen path, whichever way it was chosen.
void addChosenPathWarnings(PlanDocument& plan) {
  for (const PlannedTrajectory& p : plan.trajectories) {
    const std::string who = std::string("trajectory ") + sideLetter(p.trajectory.side) + ": ";
    if (!p.metrics.ownSide)
      plan.notes.push_back(who + "CROSSES THE MIDSAGITTAL PLANE (target and entry not both on its side)");
    if (!p.metrics.inWindow)
      plan.notes.push_back(who + "entry outside the frontal window of the search settings");
    if (p.metrics.entryScalpDistanceMm > 2.0) {
      std::ostringstream note;
      note.precision(3);
      note << who << "the entry lies " << p.metrics.entryScalpDistanceMm
           << " mm from the scalp surface (off the skin, or where the image cuts the head)";
      plan.notes.push_back(note.str());
    }
  }
}

}  // namespace

PlanResult runPlanPipeline(const PlanInputs& inputs, const ProgressCallback& progress) {
  auto report = [&](double f, const std::string& s) {
    if (progress && !progress(f, s)) throw Cancelled();
  };
  auto within = [&](double from, double to) {
    return [&progress, from, to](double f, const std::string& s) {
      return !progress || progress(from + (to - from) * f, s);
    };
  };
  // Validate what is cheap to validate before the minutes of work.
  ElectrodeCatalogue::standard().find(inputs.electrodeId);

  PlanResult result;
  result.searchSettings = inputs.search;
  LocateInputs locateInputs = inputs.locate;
  const bool withVessels = !inputs.vesselVolumePath.empty();
  if (withVessels) locateInputs.withPaths.insert(locateInputs.withPaths.begin(), inputs.vesselVolumePath);
  result.locate = locateGpi(locateInputs, within(0.0, 0.55));
  const LocateResult& located = result.locate;

  report(0.56, "carrying the template's brain mask");
  const LabelVolume brainPrior = carriedTemplateBrainMask(inputs, located);

  result.risks = segmentRiskStructures(located.patient, located.labels, brainPrior,
                                       withVessels ? &located.coregistered.front().onPatientGrid : nullptr,
                                       inputs.risk, within(0.57, 0.85));
  result.field = std::make_unique<RiskField>(result.risks, located.labels);
  result.acpc = std::make_unique<AcpcFrame>(located.acRas, located.pcRas, located.midlineRas);
  const PlanningContext context = result.context();

  PlanDocument& plan = result.plan;
  plan.programVersion = inputs.programVersion;
  plan.created = utcNowIso8601();
  plan.image.path = std::filesystem::absolute(inputs.locate.imagePath).string();
  report(0.86, "checksum of the image");
  plan.image.sha256 = sha256OfPath(inputs.locate.imagePath);
  plan.image.geometry = located.patient.geometry;
  plan.image.statedGeometry = located.patient.geometryStatedByUser;
  plan.image.binFactors = located.patient.binFactors;
  plan.image.fileSize = located.patient.fileSize;
  for (const std::string& note : located.patient.notes)
    if (note.rfind("working grid: ", 0) == 0) plan.notes.push_back(note);
  if (plan.image.statedGeometry)
    plan.notes.push_back("GEOMETRY STATED BY THE USER, NOT IN THE IMAGE FILE: " +
                         describeStatedGeometry(*plan.image.statedGeometry) +
                         ". Left and right, distances and every coordinate depend on this statement; verify "
                         "it against a fiducial before any use.");
  plan.acRas = located.acRas;
  plan.pcRas = located.pcRas;
  plan.mcpRas = located.mcpRas;
  plan.midlineRas = located.midlineRas;
  addRegistrationWarnings(located.registration.quality(), plan.notes);
  for (const std::string& note : result.risks.notes) plan.notes.push_back(note);

  for (const LocateSide& side : located.sides) {
    report(side.side == Side::Left ? 0.88 : 0.93,
           std::string("searching trajectories, ") + sideWord(side.side));
    const Vec3 target = addSideTargets(result, context, side, plan);
    addSideTrajectories(context, side.side, target, inputs.electrodeId, plan);
  }
  addTargetDisagreementNotes(plan);
  for (int s = 0; s < 2; ++s)
    if (inputs.manualTargetRas[static_cast<std::size_t>(s)] ||
        inputs.manualEntryRas[static_cast<std::size_t>(s)])
      editTrajectory(result, sideAt(s), inputs.manualTargetRas[static_cast<std::size_t>(s)],
                     inputs.manualEntryRas[static_cast<std::size_t>(s)]);
  addChosenPathWarnings(plan);
  plan.search.settings = searchSettingsToJson(inputs.search);
  plan.riskStructures = risksJson(result.risks);
  plan.labelsFile = "labels.nii.gz";
  plan.transforms.affineFile = "transform_affine.tfm";
  plan.transforms.displacementFile =
      located.registration.hasDisplacement() ? "transform_displacement.nii" : "";
  report(1.0, "plan ready");
  return result;
}

void editTrajectory(PlanResult& result, Side side, std::optional<Vec3> targetRas,
                    std::optional<Vec3> entryRas) {
  PlanDocument& plan = result.plan;
  auto current = std::find_if(plan.trajectories.begin(), plan.trajectories.end(),
                              [side](const PlannedTrajectory& p) { return p.trajectory.side == side; });
  if (current == plan.trajectories.end())
    throw std::invalid_argument(std::string("no trajectory for side ") + sideLetter(side));
  const PlanningContext context = result.context();
  // Everything is computed first, so that a throw leaves the plan as it was.
  Trajectory edited = current->trajectory;
  if (targetRas) edited.targetRas = *targetRas;
  // The side's alternatives: the search's best from the (possibly new) target.
  const SearchResult search = searchTrajectories(context, side, edited.targetRas, edited.electrodeId,
                                                 edited.deepestContactBeyondTargetMm);
  std::size_t firstAlternative = 0;
  if (entryRas) {
    edited.entryRas = *entryRas;
  } else {
    if (search.best.empty())
      throw std::runtime_error(std::string("no entry inside the frontal window for the new target, side ") +
                               sideLetter(side));
    edited.entryRas = search.best.front().entryRas;
    firstAlternative = 1;
  }
  edited.origin = TrajectoryOrigin::Manual;
  TrajectoryMetrics metrics = evaluateTrajectory(context, edited);  // throws for an entry on the target

  // Typed history entries, one per hand-set value (what, from, to, when).
  const std::string now = utcNowIso8601();
  auto record = [&](EditAction action, Vec3 from, Vec3 to) {
    plan.history.push_back({now, action, side, current->trajectory.id,
                            nlohmann::json::array({from.x, from.y, from.z}),
                            nlohmann::json::array({to.x, to.y, to.z})});
  };
  if (targetRas) {
    record(EditAction::MoveTarget, current->trajectory.targetRas, *targetRas);
    plan.targets.erase(std::remove_if(plan.targets.begin(), plan.targets.end(),
                                      [side](const PlanTarget& t) {
                                        return t.side == side && t.source == TargetSource::Manual;
                                      }),
                       plan.targets.end());
    plan.targets.push_back({side, TargetSource::Manual, *targetRas, result.acpc->acpcFromRas(*targetRas),
                            context.mniFromPatientRas(*targetRas)});
  }
  if (entryRas) record(EditAction::MoveEntry, current->trajectory.entryRas, *entryRas);
  current->trajectory = edited;  // keeps its id
  current->metrics = std::move(metrics);
  std::vector<PlannedTrajectory> alternatives;
  for (std::size_t i = firstAlternative; i < search.best.size(); ++i)
    alternatives.push_back({search.best[i], search.bestMetrics[i]});
  replaceAlternatives(plan, side, std::move(alternatives));
}

PlanDocument writePlanOutputs(const PlanResult& result, const std::string& outDir) {
  writeLocateOutputs(result.locate, outDir);
  // The risk structures as one label map, for review and for reopening the plan (values in
  // plan.json's risk_structures.file_values).
  writeLabelVolume(riskStructureMap(result.risks),
                   (std::filesystem::path(outDir) / "risk_structures.nii.gz").string());
  PlanDocument written = result.plan;
  recordReferencedChecksums(written, outDir);
  writePlan(written, (std::filesystem::path(outDir) / "plan.json").string());
  return written;
}

}  // namespace dbs
