// PlanSession: the one open plan and every change made to it. It owns the plan document and, read
// only beside it, what scoring needs: the risk-structure distance maps, the labels, the patient T1
// and the registration (a PlanResult). The AC-PC frame follows the document's landmarks.
//
// Every change is a PlanEdit sent through preview() (re-score, change nothing: while dragging) or
// commit() (apply, push on the undo stack, record a typed history entry). Undo and redo restore
// whole document states (memento), so an undone edit leaves no trace, not even in the history. The
// search for a side's alternatives after an edit is a separate, thread-safe job (alternativesJob),
// so the GUI runs it off its thread while the CLI runs it in place. No Qt here: the GUI, the CLI
// (`dbsplan edit`) and the tests send the same edits.
//
// A plan reopens editable without registering again: open() rebuilds everything from the plan's
// own folder (the image by its path and SHA-256, labels, risk structures and transforms by their
// recorded SHA-256) and re-scores every trajectory; a missing or changed file is an error that names
// it, and a stored score that the files no longer reproduce is reported, never kept silently.
//
// Coordinate systems used: patient RAS mm for every point of an edit; depth in mm along the lead
// (Trajectory::deepestContactBeyondTargetMm), roll in degrees (Trajectory::markerRollDeg).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dbs/planning/PlanPipeline.h"

namespace dbs {

struct PlanEdit {
  enum class Kind {
    MoveTarget,         // side, pointRas: the entry stays, the path re-scored to the new target
    MoveEntry,          // side, pointRas: the target stays
    ChooseAlternative,  // side, text = the alternative's id: it becomes the side's trajectory
    SetElectrode,       // side, text = electrode id from the catalogue
    SetDepth,           // side, value = deepest contact beyond the target, mm
    SetRoll,            // side, value = orientation marker roll, degrees
    PlaceAc,            // pointRas: AC moves; the AC-PC coordinates of everything follow
    PlacePc,            // pointRas
    EditNote,           // text = the reviewer's note
    SetStimulation,     // side, stimulation = the side's settings (no active contact: off)
  };
  Kind kind = Kind::MoveTarget;
  std::optional<Side> side;  // none for the plan-wide edits (PlaceAc, PlacePc, EditNote)
  Vec3 pointRas;
  std::string text;
  double value = 0;
  std::optional<StimulationSettings> stimulation = {};

  static PlanEdit moveTarget(Side side, Vec3 ras) { return {Kind::MoveTarget, side, ras, {}, 0}; }
  static PlanEdit moveEntry(Side side, Vec3 ras) { return {Kind::MoveEntry, side, ras, {}, 0}; }
  static PlanEdit chooseAlternative(Side side, std::string id) {
    return {Kind::ChooseAlternative, side, {}, std::move(id), 0};
  }
  static PlanEdit setElectrode(Side side, std::string id) {
    return {Kind::SetElectrode, side, {}, std::move(id), 0};
  }
  static PlanEdit setDepth(Side side, double mm) { return {Kind::SetDepth, side, {}, {}, mm}; }
  static PlanEdit setRoll(Side side, double degrees) { return {Kind::SetRoll, side, {}, {}, degrees}; }
  static PlanEdit placeAc(Vec3 ras) { return {Kind::PlaceAc, std::nullopt, ras, {}, 0}; }
  static PlanEdit placePc(Vec3 ras) { return {Kind::PlacePc, std::nullopt, ras, {}, 0}; }
  static PlanEdit setStimulation(StimulationSettings settings) {
    const Side side = settings.side;
    return {Kind::SetStimulation, side, {}, {}, 0, std::move(settings)};
  }
  static PlanEdit editNote(std::string text) {
    return {Kind::EditNote, std::nullopt, {}, std::move(text), 0};
  }

  // The side of a sided edit; throws std::invalid_argument for a plan-wide one.
  Side sided() const {
    if (!side) throw std::invalid_argument("this edit is of the whole plan, not of one side");
    return *side;
  }

  // Whether the side's alternatives must be searched again after this edit (the target, electrode
  // or depth they were scored for changed).
  bool invalidatesAlternatives() const;
  // "Move left target", "Place AC"...: for the undo menu and messages.
  std::string describe() const;
};

// The search for one side's alternatives as a self-contained job: it holds what it reads (shared,
// immutable fields; its own copy of the frame and the trajectory), so it can run on any thread
// while the session goes on editing. Its result is installed with setAlternatives().
struct AlternativesJob {
  Side side = Side::Left;
  unsigned long revision = 0;  // the session revision it was made at
  std::function<std::vector<PlannedTrajectory>()> run;
};

// Whether a commit may join the edit before it into one undo step: a burst of changes to one field
// (the depth stepped four times by its arrows) is one step to undo and one history entry, from the
// value before the burst to the value after it. The caller says what a burst is (the window: the same
// field again within two seconds).
enum class EditMerge { Separate, WithPreviousOfTheSameKind };

class PlanSession {
 public:
  // A session on a finished pipeline run; `planPath` is where it saves ("" until saved).
  PlanSession(std::shared_ptr<PlanResult> result, std::string planPath);
  // Reopens a saved plan from its folder (see the header's brief). `warnings` receives what the
  // user must know (scores re-computed differently, a version 1 plan without checksums). Throws
  // std::runtime_error naming the file and the problem, Cancelled when `progress` returns false.
  static std::unique_ptr<PlanSession> open(const std::string& planPath,
                                           std::vector<std::string>* warnings = nullptr,
                                           const ProgressCallback& progress = {});

  const PlanDocument& plan() const { return result_->plan; }
  // The document with everything the figures and the report need (patient, labels, risks, frame).
  const PlanResult& result() const { return *result_; }
  const std::string& planPath() const { return planPath_; }
  // A copy of the current state for work on another thread while editing goes on (the report and
  // the scene): the document and the frame copied, the images and the risk field shared (read only).
  std::shared_ptr<const PlanResult> snapshot() const;

  // The document as it would be after `edit`, re-scoring only what the edit changes (one path, or
  // every path for a landmark). Throws std::invalid_argument for an impossible edit (no trajectory on that
  // side, electrode or alternative, entry on the target, depth or roll out of range).
  PlanDocument preview(const PlanEdit& edit) const;
  // Applies `edit`, pushes the previous state on the undo stack (clearing redo), records the history
  // entry. When `searchAlternativesNow`, a side's stale alternatives are searched again in place;
  // otherwise they are cleared and the caller runs alternativesJob(side). Throws like preview(),
  // leaving the session unchanged. An edit that changes nothing (a depth set to what it is, a handle
  // released where it was) is not recorded: no undo step, no history entry; returns false.
  // With EditMerge::WithPreviousOfTheSameKind, an edit of the same action, side and trajectory as
  // the last commit (nothing undone, redone or recovered since) joins it: one undo step and one
  // history entry from the first value to the last; a burst that ends where it began leaves no trace.
  bool commit(const PlanEdit& edit, bool searchAlternativesNow = true, EditMerge merge = EditMerge::Separate);

  // Registers the plan to a stereotactic frame (FrameRegistration.h), replacing any earlier
  // registration: one undoable step ("Register to the frame"). Throws std::invalid_argument when the
  // plan is read-only.
  void setFrameRegistration(PlanFrameRegistration registration);

  bool canUndo() const { return !undo_.empty(); }
  bool canRedo() const { return !redo_.empty(); }
  std::string undoText() const { return canUndo() ? undo_.back().description : std::string(); }
  std::string redoText() const { return canRedo() ? redo_.back().description : std::string(); }
  void undo();
  void redo();
  // Changes with every commit, undo, redo and installed alternatives.
  unsigned long revision() const { return revision_; }
  // Whether the document differs from the one last saved (or opened).
  bool modified() const { return revision_ != savedRevision_; }
  // Why the plan may be looked at but not changed or saved ("" when it may): a schema-1 plan whose
  // labels, risk structures and transforms carry no checksums (they may have been replaced since
  // it was written). Planning again re-creates them with checksums. commit() and save() refuse.
  const std::string& readOnlyReason() const { return readOnlyReason_; }

  // The search for `side`'s alternatives from its current target, as a job (see AlternativesJob).
  AlternativesJob alternativesJob(Side side) const;
  // Installs a finished job's result when the session is still at the job's revision (else false:
  // an edit came in between and its own job will follow).
  bool setAlternatives(const AlternativesJob& job, std::vector<PlannedTrajectory> alternatives);

  // Writes the plan atomically to `path` (default: planPath()) and forgets the autosave. Into another
  // folder, the plan's files are copied along (carryPlanCompanions: self-contained there;
  // lastCarriedFiles() names the files beside it there). Throws std::runtime_error naming the file, the old
  // plan intact.
  void save(const std::string& path = {});
  const std::vector<std::string>& lastCarriedFiles() const { return lastCarriedFiles_; }
  // The autosave beside the plan ("plan.json" -> ".plan.json.autosave"); written atomically.
  static std::string autosavePathFor(const std::string& planPath);
  void writeAutosave() const;
  // An autosave of `planPath` newer than it and different from it, or "" (nothing to recover).
  static std::string recoverableAutosave(const std::string& planPath);
  // Replaces the document by the autosave's (validated like any plan), as an unsaved change.
  void recoverAutosave(const std::string& autosavePath);

 private:
  struct UndoState {
    PlanDocument plan;
    std::string description;  // of the edit that leads away from this state
    unsigned long revision = 0;
  };
  void setDocument(PlanDocument plan);  // the frame follows the landmarks
  // Makes `next` the document, the current one undoable as `description`; clears redo.
  void pushState(PlanDocument next, std::string description);
  // Undo (from undo_ to redo_) or redo (the other way): restores the top state of `from`.
  void step(std::vector<UndoState>& from, std::vector<UndoState>& to);
  std::shared_ptr<PlanResult> result_;
  std::string planPath_;
  std::vector<UndoState> undo_, redo_;
  unsigned long revision_ = 0, savedRevision_ = 0, nextRevision_ = 1;
  std::string readOnlyReason_;
  bool lastCommitMayBeJoined_ = false;  // the document is still the last commit's result
  std::vector<std::string> lastCarriedFiles_;
};

}  // namespace dbs
