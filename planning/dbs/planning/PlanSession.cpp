#include "dbs/planning/PlanSession.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/PlanFile.h"
#include "dbs/planning/TrajectorySearch.h"

namespace dbs {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json vecJson(Vec3 v) {
  return json::array({v.x, v.y, v.z});
}

// The scoring context of `basis` with another AC-PC frame (the document's, which edits may move).
PlanningContext contextWithFrame(const PlanResult& basis, const AcpcFrame& frame) {
  PlanningContext context = basis.context();
  context.acpc = &frame;
  return context;
}

// Search results from the chosen trajectory's target, electrode and depth, without the ones that
// enter where the chosen one does (they would be the same path twice). Ids are given on install.
// As many as the plan's own search keeps beside its chosen one (settings.alternatives - 1). The
// search is asked for more: the best entries are distinct from each other, but up to three of them
// can lie near the chosen entry (a small safe patch around it), which left a side with none.
std::vector<PlannedTrajectory> searchAlternatives(const PlanningContext& context, const Trajectory& chosen) {
  PlanningContext wider = context;
  const std::size_t wanted = context.settings.alternatives > 0 ? context.settings.alternatives - 1 : 0;
  wider.settings.alternatives = context.settings.alternatives + 3;
  const SearchResult search = searchTrajectories(wider, chosen.side, chosen.targetRas, chosen.electrodeId,
                                                 chosen.deepestContactBeyondTargetMm);
  std::vector<PlannedTrajectory> alternatives;
  for (std::size_t i = 0; i < search.best.size() && alternatives.size() < wanted; ++i) {
    if (norm(search.best[i].entryRas - chosen.entryRas) < context.settings.distinctEntryMm) continue;
    alternatives.push_back({search.best[i], search.bestMetrics[i]});
    // The search scores at roll 0; an alternative takes the chosen lead's roll, so its directional
    // segments are scored again at that roll (they once pointed elsewhere than its roll says, and the
    // reopened plan's re-scoring disagreed with the saved one).
    if (alternatives.back().trajectory.markerRollDeg != chosen.markerRollDeg) {
      alternatives.back().trajectory.markerRollDeg = chosen.markerRollDeg;
      alternatives.back().metrics = evaluateTrajectory(context, alternatives.back().trajectory);
    }
  }
  return alternatives;
}

// Moves `point` to `to` and records it in `entry` (action, from, to; RAS mm).
void movePoint(Vec3& point, Vec3 to, EditAction action, PlanHistoryEntry& entry) {
  entry.action = action;
  entry.from = vecJson(point);
  entry.to = vecJson(to);
  point = to;
}

// PlaceAc / PlacePc: moves the landmark (RAS mm), rebuilds the AC-PC frame from it, and re-derives
// what depends on the frame: the MCP, every target's AC-PC coordinates, every path's scores.
void placeAcOrPc(const PlanResult& basis, const PlanEdit& edit, PlanHistoryEntry& entry, PlanDocument& plan) {
  const bool ac = edit.kind == PlanEdit::Kind::PlaceAc;
  movePoint(ac ? plan.acRas : plan.pcRas, edit.pointRas, ac ? EditAction::PlaceAc : EditAction::PlacePc,
            entry);
  if (norm(plan.acRas - plan.pcRas) < 1.0)
    throw std::invalid_argument("AC and PC must be at least 1 mm apart");
  const AcpcFrame frame = planAcpcFrame(plan);  // throws std::invalid_argument for a degenerate frame
  plan.mcpRas = frame.mcpRas();
  const PlanningContext context = contextWithFrame(basis, frame);
  for (PlanTarget& t : plan.targets) t.acpc = frame.acpcFromRas(t.ras);
  for (auto* list : {&plan.trajectories, &plan.alternatives})
    for (PlannedTrajectory& p : *list) p.metrics = evaluateTrajectory(context, p.trajectory);
  plan.history.push_back(entry);
}

// MoveTarget / MoveEntry on `t` (a copy of the side's chosen path): the point moves (RAS mm) and the
// path becomes manual; a moved target also replaces the side's manual target in plan.targets.
void moveTargetOrEntry(const PlanEdit& edit, const AcpcFrame& frame, const PlanningContext& context,
                       Trajectory& t, PlanHistoryEntry& entry, PlanDocument& plan) {
  const bool target = edit.kind == PlanEdit::Kind::MoveTarget;
  movePoint(target ? t.targetRas : t.entryRas, edit.pointRas,
            target ? EditAction::MoveTarget : EditAction::MoveEntry, entry);
  t.origin = TrajectoryOrigin::Manual;
  if (target) {
    plan.targets.erase(std::remove_if(plan.targets.begin(), plan.targets.end(),
                                      [&](const PlanTarget& p) {
                                        return p.side == edit.sided() && p.source == TargetSource::Manual;
                                      }),
                       plan.targets.end());
    plan.targets.push_back({edit.sided(), TargetSource::Manual, t.targetRas, frame.acpcFromRas(t.targetRas),
                            context.mniFromPatientRas
                                ? std::optional<Vec3>(context.mniFromPatientRas(t.targetRas))
                                : std::nullopt});
  }
}

// ChooseAlternative: the named alternative and the side's chosen path swap places (nothing is
// lost), the new chosen one re-scored; records the edit in the plan's history.
void swapInAlternative(const PlanEdit& edit, const PlanningContext& context, const Trajectory& t,
                       PlannedTrajectory& chosen, PlanHistoryEntry& entry, PlanDocument& plan) {
  auto alternative =
      std::find_if(plan.alternatives.begin(), plan.alternatives.end(), [&](const PlannedTrajectory& p) {
        return p.trajectory.side == edit.sided() && p.trajectory.id == edit.text;
      });
  if (alternative == plan.alternatives.end())
    throw std::invalid_argument("no alternative \"" + edit.text + "\" for the " + sideWord(edit.sided()) +
                                " side");
  entry.action = EditAction::ChooseAlternative;
  entry.from = t.id;
  entry.to = edit.text;
  // The chosen one becomes an alternative, the alternative the chosen one: nothing is lost.
  std::swap(chosen, *alternative);
  chosen.metrics = evaluateTrajectory(context, chosen.trajectory);
  entry.trajectoryId = chosen.trajectory.id;
  plan.history.push_back(entry);
}

// SetElectrode / SetDepth (mm beyond the target) / SetRoll (degrees, kept in [0, 360)) on `t`, each
// value checked first.
void setElectrodeDepthOrRoll(const PlanEdit& edit, Trajectory& t, PlanHistoryEntry& entry) {
  using Kind = PlanEdit::Kind;
  switch (edit.kind) {
    case Kind::SetElectrode:
      try {
        ElectrodeCatalogue::standard().find(edit.text);
      } catch (const std::out_of_range& e) {
        throw std::invalid_argument(e.what());
      }
      entry.action = EditAction::SetElectrode;
      entry.from = t.electrodeId;
      entry.to = edit.text;
      t.electrodeId = edit.text;
      break;
    case Kind::SetDepth:
      // A few millimetres either way: beyond that the target itself should move.
      if (!std::isfinite(edit.value) || std::abs(edit.value) > 10)
        throw std::invalid_argument("depth must be between -10 and 10 mm beyond the target");
      entry.action = EditAction::SetDepth;
      entry.from = t.deepestContactBeyondTargetMm;
      entry.to = edit.value;
      t.deepestContactBeyondTargetMm = edit.value;
      break;
    case Kind::SetRoll: {
      if (!std::isfinite(edit.value) || std::abs(edit.value) > 360)
        throw std::invalid_argument("roll must be between -360 and 360 degrees");
      const double roll = std::fmod(edit.value + 360.0, 360.0);
      entry.action = EditAction::SetRoll;
      entry.from = t.markerRollDeg;
      entry.to = roll;
      t.markerRollDeg = roll;
      break;
    }
    default:
      throw std::logic_error("unhandled plan edit");
  }
}

// SetStimulation: the side's settings replaced (or removed, when no contact is active), checked
// against the side's lead first. The assessment follows in applyEdit.
void setStimulation(const PlanEdit& edit, PlanDocument& plan, PlanHistoryEntry& entry) {
  if (!edit.stimulation) throw std::invalid_argument("a stimulation edit without settings");
  const Side side = edit.sided();
  StimulationSettings settings = *edit.stimulation;
  settings.side = side;
  const PlannedTrajectory* chosen = chosenTrajectory(plan, side);
  validateStimulation(settings, ElectrodeCatalogue::standard().find(chosen->trajectory.electrodeId));
  entry.action = EditAction::SetStimulation;
  entry.side = side;
  entry.trajectoryId = chosen->trajectory.id;
  const PlanStimulation* before = planStimulation(plan, side);
  entry.from = before ? stimulationSettingsToJson(before->settings) : nlohmann::json();
  const bool off = settings.activeContacts.empty();
  entry.to = off ? nlohmann::json() : stimulationSettingsToJson(settings);
  plan.stimulation.erase(std::remove_if(plan.stimulation.begin(), plan.stimulation.end(),
                                        [&](const PlanStimulation& st) { return st.settings.side == side; }),
                         plan.stimulation.end());
  if (!off) plan.stimulation.push_back({settings, {}});
  std::sort(plan.stimulation.begin(), plan.stimulation.end(),
            [](const PlanStimulation& a, const PlanStimulation& b) {
              return sideIndex(a.settings.side) < sideIndex(b.settings.side);
            });
  plan.history.push_back(entry);
}

// The edit applied to a copy of the document, re-scored. The one place an edit's meaning lives.
PlanDocument applyEditToTrajectories(const PlanResult& basis, PlanDocument plan, const PlanEdit& edit) {
  using Kind = PlanEdit::Kind;
  PlanHistoryEntry entry;
  entry.time = utcNowIso8601();
  if (edit.kind == Kind::PlaceAc || edit.kind == Kind::PlacePc) {
    placeAcOrPc(basis, edit, entry, plan);
    return plan;
  }
  if (edit.kind == Kind::EditNote) {
    entry.action = EditAction::EditNote;
    entry.from = plan.reviewNote;
    entry.to = edit.text;
    plan.reviewNote = edit.text;
    plan.history.push_back(entry);
    return plan;
  }
  PlannedTrajectory* chosen = chosenTrajectory(plan, edit.sided());
  if (!chosen)
    throw std::invalid_argument(std::string("the plan has no trajectory for side '") +
                                sideLetter(edit.sided()) + "'");
  if (edit.kind == Kind::SetStimulation) {
    setStimulation(edit, plan, entry);
    return plan;
  }
  const AcpcFrame frame = planAcpcFrame(plan);
  const PlanningContext context = contextWithFrame(basis, frame);
  Trajectory t = chosen->trajectory;
  entry.side = edit.side;
  switch (edit.kind) {
    case Kind::MoveTarget:
    case Kind::MoveEntry:
      moveTargetOrEntry(edit, frame, context, t, entry, plan);
      break;
    case Kind::ChooseAlternative:
      swapInAlternative(edit, context, t, *chosen, entry, plan);
      return plan;
    case Kind::SetElectrode:
    case Kind::SetDepth:
    case Kind::SetRoll:
      setElectrodeDepthOrRoll(edit, t, entry);
      break;
    default:
      throw std::logic_error("unhandled plan edit");
  }
  if (norm(t.entryRas - t.targetRas) < 1.0)
    throw std::invalid_argument("the entry must lie at least 1 mm from the target");
  chosen->metrics = evaluateTrajectory(context, t);
  chosen->trajectory = t;
  entry.trajectoryId = t.id;
  plan.history.push_back(entry);
  return plan;
}

// Every side's stimulation re-assessed on the document's leads: a moved target, a new depth or
// electrode moves the spheres. A setting the new lead cannot take (a contact label the new electrode
// lacks) is dropped: the side is then off, as the panel shows, and undo brings both back.
void reassessStimulation(const PlanResult& basis, PlanDocument& plan) {
  for (auto it = plan.stimulation.begin(); it != plan.stimulation.end();) {
    const PlannedTrajectory* chosen = chosenTrajectory(plan, it->settings.side);
    try {
      if (!chosen) throw std::invalid_argument("no trajectory");
      it->assessment = assessStimulation(it->settings, chosen->trajectory, chosen->metrics, *basis.field);
      ++it;
    } catch (const std::invalid_argument&) {
      it = plan.stimulation.erase(it);
    }
  }
}

PlanDocument applyEdit(const PlanResult& basis, PlanDocument plan, const PlanEdit& edit) {
  PlanDocument next = applyEditToTrajectories(basis, std::move(plan), edit);
  reassessStimulation(basis, next);
  return next;
}

// Whether two scorings of one path agree (what reopening a plan checks), and if not, how not.
std::string scoreDifference(const TrajectoryMetrics& stored, const TrajectoryMetrics& now) {
  std::ostringstream out;
  out.precision(3);
  constexpr double toleranceMm = 0.05;
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    const ClosestApproach &a = stored.closest[k], &b = now.closest[k];
    if (a.present != b.present)
      out << " " << riskName(a.kind) << " " << (b.present ? "now assessed" : "no longer assessed") << ";";
    else if (a.present && std::abs(a.distanceMm - b.distanceMm) > toleranceMm)
      out << " " << riskName(a.kind) << " margin " << a.distanceMm << " -> " << b.distanceMm << " mm;";
  }
  if (stored.contactsInGpi != now.contactsInGpi)
    out << " contacts in GPi " << stored.contactsInGpi << " -> " << now.contactsInGpi << ";";
  if (stored.safe != now.safe) out << (now.safe ? " now safe;" : " NO LONGER SAFE;");
  return out.str();
}

}  // namespace

bool PlanEdit::invalidatesAlternatives() const {
  return kind == Kind::MoveTarget || kind == Kind::SetElectrode || kind == Kind::SetDepth;
}

std::string PlanEdit::describe() const {
  const std::string s = side ? std::string(sideWord(*side)) + " " : std::string();
  switch (kind) {
    case Kind::MoveTarget:
      return "Move " + s + "target";
    case Kind::MoveEntry:
      return "Move " + s + "entry";
    case Kind::ChooseAlternative:
      return "Choose " + s + "alternative " + text;
    case Kind::SetElectrode:
      return "Set " + s + "electrode";
    case Kind::SetDepth:
      return "Set " + s + "depth";
    case Kind::SetRoll:
      return "Set " + s + "roll";
    case Kind::PlaceAc:
      return "Place AC";
    case Kind::PlacePc:
      return "Place PC";
    case Kind::EditNote:
      return "Edit note";
    case Kind::SetStimulation:
      return "Set " + s + "stimulation";
  }
  return "Edit";
}

PlanSession::PlanSession(std::shared_ptr<PlanResult> result, std::string planPath)
    : result_(std::move(result)), planPath_(std::move(planPath)) {
  if (!result_ || !result_->field) throw std::invalid_argument("a plan session needs a planned result");
  assignMissingTrajectoryIds(result_->plan);
  setDocument(result_->plan);
}

void PlanSession::setDocument(PlanDocument plan) {
  result_->acpc = std::make_unique<AcpcFrame>(planAcpcFrame(plan));
  result_->plan = std::move(plan);
}

std::shared_ptr<const PlanResult> PlanSession::snapshot() const {
  auto copy = std::make_shared<PlanResult>();
  copy->locate = result_->locate;  // ITK images are shared, not copied
  copy->risks = result_->risks;
  copy->field = result_->field;  // shared, read only: the report's scalp risk maps score with it
  copy->plan = result_->plan;
  copy->acpc = std::make_unique<AcpcFrame>(*result_->acpc);
  copy->searchSettings = result_->searchSettings;
  return copy;
}

PlanDocument PlanSession::preview(const PlanEdit& edit) const {
  return applyEdit(*result_, plan(), edit);
}

namespace {
bool sameKindOfEdit(const PlanHistoryEntry& a, const PlanHistoryEntry& b) {
  return a.action == b.action && a.side == b.side && a.trajectoryId == b.trajectoryId;
}
}  // namespace

bool PlanSession::commit(const PlanEdit& edit, bool searchAlternativesNow, EditMerge merge) {
  if (!readOnlyReason_.empty()) throw std::invalid_argument("the plan is read-only: " + readOnlyReason_);
  PlanDocument next = preview(edit);
  PlanHistoryEntry& entry = next.history.back();  // applyEdit records every edit
  if (entry.from == entry.to) return false;
  const bool join = merge == EditMerge::WithPreviousOfTheSameKind && lastCommitMayBeJoined_ &&
                    !undo_.empty() && !plan().history.empty() && sameKindOfEdit(plan().history.back(), entry);
  if (join) {
    entry.from = plan().history.back().from;
    next.history.erase(next.history.end() - 2);  // the burst's earlier entry, now part of this one
    if (next.history.back().from == next.history.back().to) {
      // Back where the burst began: the state before it, as if it had never happened.
      revision_ = undo_.back().revision;
      setDocument(std::move(undo_.back().plan));
      undo_.pop_back();
      lastCommitMayBeJoined_ = false;
      return true;
    }
  }
  if (edit.invalidatesAlternatives()) {
    std::vector<PlannedTrajectory> alternatives;
    if (searchAlternativesNow) {
      const AcpcFrame frame = planAcpcFrame(next);
      alternatives = searchAlternatives(contextWithFrame(*result_, frame),
                                        chosenTrajectory(next, edit.sided())->trajectory);
    }
    replaceAlternatives(next, edit.sided(), std::move(alternatives));
  }
  if (join) {  // the undo stack's top stays the state before the burst
    redo_.clear();
    setDocument(std::move(next));
    revision_ = nextRevision_++;
  } else {
    pushState(std::move(next), edit.describe());
  }
  lastCommitMayBeJoined_ = true;
  return true;
}

void PlanSession::pushState(PlanDocument next, std::string description) {
  undo_.push_back({plan(), std::move(description), revision_});
  redo_.clear();
  setDocument(std::move(next));
  revision_ = nextRevision_++;
}

void PlanSession::step(std::vector<UndoState>& from, std::vector<UndoState>& to) {
  if (from.empty()) return;
  lastCommitMayBeJoined_ = false;
  to.push_back({plan(), from.back().description, revision_});
  revision_ = from.back().revision;
  setDocument(std::move(from.back().plan));
  from.pop_back();
}

void PlanSession::setFrameRegistration(PlanFrameRegistration registration) {
  if (!readOnlyReason_.empty()) throw std::invalid_argument("the plan is read-only: " + readOnlyReason_);
  PlanDocument next = plan();
  next.frame = std::move(registration);
  lastCommitMayBeJoined_ = false;
  pushState(std::move(next), "Register to the frame");
}

void PlanSession::undo() {
  step(undo_, redo_);
}

void PlanSession::redo() {
  step(redo_, undo_);
}

AlternativesJob PlanSession::alternativesJob(Side side) const {
  const PlannedTrajectory* chosen = chosenTrajectory(plan(), side);
  if (!chosen)
    throw std::invalid_argument(std::string("the plan has no trajectory for side '") + sideLetter(side) +
                                "'");
  // Everything the job reads is its own or immutable: the basis (fields, labels, registration) is
  // kept alive by the shared pointer, the frame and the trajectory are copies.
  auto frame = std::make_shared<const AcpcFrame>(planAcpcFrame(plan()));
  PlanningContext context = contextWithFrame(*result_, *frame);
  std::shared_ptr<const PlanResult> basis = result_;
  const Trajectory trajectory = chosen->trajectory;
  return {side, revision_,
          [basis, frame, context, trajectory] { return searchAlternatives(context, trajectory); }};
}

bool PlanSession::setAlternatives(const AlternativesJob& job, std::vector<PlannedTrajectory> alternatives) {
  if (job.revision != revision_) return false;
  replaceAlternatives(result_->plan, job.side, std::move(alternatives));
  return true;
}

std::string PlanSession::autosavePathFor(const std::string& planPath) {
  const fs::path p(planPath);
  return (p.parent_path() / ("." + p.filename().string() + ".autosave")).string();
}

void PlanSession::save(const std::string& path) {
  if (!readOnlyReason_.empty()) throw std::runtime_error("the plan is read-only: " + readOnlyReason_);
  const std::string target = path.empty() ? planPath_ : path;
  if (target.empty()) throw std::runtime_error("the plan has no file yet: choose where to save it");
  const std::string fromDir = fs::absolute(planPath_.empty() ? target : planPath_).parent_path().string();
  const std::string toDir = fs::absolute(target).parent_path().string();
  PlanDocument written = plan();
  // Into another folder the plan takes its files along (labels, risk structures, transforms): it
  // once pointed back into the old folder and broke when that was cleaned up. The image stays where
  // it is: it is the patient's scan, not the plan's output.
  lastCarriedFiles_ = carryPlanCompanions(written, fromDir, toDir);
  relocatePlanReferences(written, fromDir, toDir, lastCarriedFiles_);
  writePlan(written, target);
  std::error_code ec;
  if (!planPath_.empty()) fs::remove(autosavePathFor(planPath_), ec);
  fs::remove(autosavePathFor(target), ec);
  // The references of every state now speak from the new folder.
  for (auto* stack : {&undo_, &redo_})
    for (UndoState& s : *stack) relocatePlanReferences(s.plan, fromDir, toDir, lastCarriedFiles_);
  result_->plan = std::move(written);
  planPath_ = target;
  savedRevision_ = revision_;
}

void PlanSession::writeAutosave() const {
  if (planPath_.empty()) return;
  const std::string autosave = autosavePathFor(planPath_);
  if (!modified()) {
    std::error_code ec;
    fs::remove(autosave, ec);
    return;
  }
  writeTextAtomically(autosave, planToJson(plan()).dump(2) + "\n");
}

std::string PlanSession::recoverableAutosave(const std::string& planPath) {
  const std::string autosave = autosavePathFor(planPath);
  std::error_code ec;
  if (!fs::is_regular_file(autosave, ec) || !fs::is_regular_file(planPath, ec)) return {};
  if (fs::last_write_time(autosave, ec) < fs::last_write_time(planPath, ec)) return {};
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  try {
    if (json::parse(slurp(autosave)) == json::parse(slurp(planPath))) return {};
  } catch (const json::exception&) {
    return {};  // a damaged autosave is not offered (recoverAutosave would refuse it)
  }
  return autosave;
}

void PlanSession::recoverAutosave(const std::string& autosavePath) {
  PlanDocument recovered = readPlan(autosavePath);
  if (recovered.image.sha256 != plan().image.sha256)
    throw std::runtime_error(autosavePath + ": the autosave belongs to another image");
  pushState(std::move(recovered), "Recover autosave");
  lastCommitMayBeJoined_ = false;
}

std::unique_ptr<PlanSession> PlanSession::open(const std::string& planPath,
                                               std::vector<std::string>* warnings,
                                               const ProgressCallback& progress) {
  auto report = [&](double f, const std::string& s) {
    if (progress && !progress(f, s)) throw Cancelled();
  };
  auto warn = [&](const std::string& w) {
    if (warnings) warnings->push_back(w);
  };
  report(0.0, "reading the plan");
  PlanDocument plan = readPlan(planPath);
  const std::string folder = fs::absolute(planPath).parent_path().string();
  report(0.05, "checking the image and the plan's files");
  if (const std::string problem = planImageProblem(plan); !problem.empty())
    throw std::runtime_error(planPath + ": " + problem);
  if (const std::string problem = planReferencedFilesProblem(plan, folder); !problem.empty())
    throw std::runtime_error(planPath + ": " + problem + ": plan again, or restore the file");
  const std::string readOnlyReason =
      planCompanionsUnverified(plan) ? "this plan (schema version 1) recorded no checksums of its labels, "
                                       "risk structures and transforms, so they cannot be verified; it opens "
                                       "read-only: plan again to re-create them with checksums"
                                     : std::string();
  if (!readOnlyReason.empty()) warn(readOnlyReason);
  const std::string riskFile = plan.riskStructures.value("file", std::string());
  if (riskFile.empty())
    throw std::runtime_error(planPath +
                             ": risk_structures.file: missing: the plan cannot be re-scored (plan again)");

  auto result = std::make_shared<PlanResult>();
  report(0.1, "loading the image");
  result->locate.patient = loadVolumeForPlanning(plan.image.path, {}, plan.image.binFactors);
  if (plan.image.statedGeometry)
    applyStatedGeometry(result->locate.patient, *plan.image.statedGeometry);
  else
    requireGeometryFromFile(result->locate.patient, "open a plan");
  auto sameGrid = [&](const ImageGeometry& g, const std::string& what) {
    bool same = g.size == plan.image.geometry.size;
    for (int r = 0; r < 4 && same; ++r)
      for (int c = 0; c < 4 && same; ++c)
        same = std::abs(g.rasFromIjk.m[r][c] - plan.image.geometry.rasFromIjk.m[r][c]) < 1e-4;
    if (!same) throw std::runtime_error(what + ": its grid is not the plan's image grid");
  };
  sameGrid(result->locate.patient.geometry, plan.image.path);
  report(0.25, "loading the labels");
  const std::string labelsPath = (fs::path(folder) / plan.labelsFile).string();
  result->locate.labels = loadLabelVolume(labelsPath);
  sameGrid(result->locate.labels.geometry, labelsPath);
  report(0.35, "loading the transforms");
  result->locate.registration = TemplateRegistration::readTransforms(
      (fs::path(folder) / plan.transforms.affineFile).string(),
      plan.transforms.displacementFile.empty()
          ? std::string()
          : (fs::path(folder) / plan.transforms.displacementFile).string());
  report(0.4, "rebuilding the risk structures' distance maps");
  const std::string riskPath = (fs::path(folder) / riskFile).string();
  const LabelVolume riskMap = loadLabelVolume(riskPath);
  sameGrid(riskMap.geometry, riskPath);
  std::array<bool, kRiskKinds> present{};
  for (std::size_t k = 0; k < kRiskKinds; ++k) {
    const json& s = plan.riskStructures["structures"];
    const char* name = riskName(static_cast<RiskKind>(k));
    present[k] = s.is_object() && s.contains(name) && s[name].value("assessed", false);
  }
  result->risks = riskStructuresFromMap(riskMap, present, [&](double f, const std::string& s) {
    return !progress || progress(0.4 + 0.5 * f, s);
  });
  result->field = std::make_unique<RiskField>(result->risks, result->locate.labels);
  result->acpc = std::make_unique<AcpcFrame>(planAcpcFrame(plan));
  result->locate.acRas = plan.acRas;
  result->locate.pcRas = plan.pcRas;
  result->locate.mcpRas = plan.mcpRas;
  result->locate.midlineRas = plan.midlineRas;
  result->searchSettings = searchSettingsFromJson(plan.search.settings, planPath);

  // Re-score every path against the rebuilt data: what the user sees is what these files give.
  report(0.95, "re-scoring the trajectories");
  const PlanningContext context = result->context();
  for (auto* list : {&plan.trajectories, &plan.alternatives})
    for (PlannedTrajectory& p : *list) {
      TrajectoryMetrics now = evaluateTrajectory(context, p.trajectory);
      const std::string difference = scoreDifference(p.metrics, now);
      if (!difference.empty())
        warn("trajectory " + p.trajectory.id +
             ": re-scored from the plan's files, the stored score differs:" + difference +
             " (the re-scored values are shown)");
      p.metrics = std::move(now);
    }
  // The stimulation's assessment too (derived, like the scores).
  std::vector<PlanStimulation> stored = plan.stimulation;
  reassessStimulation(*result, plan);
  for (const PlanStimulation& before : stored) {
    const PlanStimulation* now = planStimulation(plan, before.settings.side);
    const std::string side = sideWord(before.settings.side);
    if (!now)
      warn("the " + side + " stimulation no longer fits its lead and is off");
    else if (std::abs(now->assessment.volumeMm3 - before.assessment.volumeMm3) >
                 0.01 * before.assessment.volumeMm3 + 0.5 ||
             std::abs(now->assessment.fractionGpi - before.assessment.fractionGpi) > 0.01)
      warn("the " + side +
           " stimulation, re-assessed from the plan's files, differs from the stored assessment (" +
           describeAssessment(before.assessment) + " stored; the re-assessed values are shown)");
  }
  result->plan = std::move(plan);
  report(1.0, "plan ready");
  auto session = std::make_unique<PlanSession>(std::move(result), planPath);
  session->readOnlyReason_ = readOnlyReason;
  return session;
}

}  // namespace dbs
