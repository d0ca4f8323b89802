#include "dbs/planning/PlanModel.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace dbs {

std::string utcNowIso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const PlannedTrajectory* chosenTrajectory(const PlanDocument& plan, Side side) {
  for (const PlannedTrajectory& p : plan.trajectories)
    if (p.trajectory.side == side) return &p;
  return nullptr;
}

const PlanStimulation* planStimulation(const PlanDocument& plan, Side side) {
  for (const PlanStimulation& s : plan.stimulation)
    if (s.settings.side == side) return &s;
  return nullptr;
}

std::vector<std::string> stimulationSheetLines(const PlanDocument& plan) {
  std::vector<std::string> lines;
  for (const PlanStimulation& st : plan.stimulation) {
    lines.push_back(std::string("stimulation, ") + sideWord(st.settings.side) + ": " +
                    describeSettings(st.settings));
    lines.push_back("  " + describeAssessment(st.assessment));
    for (const std::string& note : st.assessment.notes) lines.push_back("  note: " + note);
  }
  if (!lines.empty())
    lines.push_back(
        "  (teaching grade: spheres around the active contacts from a closed-form model, not a field "
        "solution; data/stimulation/SOURCES.md)");
  return lines;
}

PlannedTrajectory* chosenTrajectory(PlanDocument& plan, Side side) {
  return const_cast<PlannedTrajectory*>(chosenTrajectory(static_cast<const PlanDocument&>(plan), side));
}

const PlanTarget* planTarget(const PlanDocument& plan, Side side, TargetSource source) {
  for (const PlanTarget& t : plan.targets)
    if (t.side == side && t.source == source) return &t;
  return nullptr;
}

AcpcFrame planAcpcFrame(const PlanDocument& plan) {
  return AcpcFrame(plan.acRas, plan.pcRas, plan.midlineRas);
}

std::optional<TargetAgreement> targetAgreement(const PlanDocument& plan, Side side) {
  const PlanTarget* atlas = planTarget(plan, side, TargetSource::Atlas);
  const PlanTarget* indirect = planTarget(plan, side, TargetSource::Indirect);
  if (!atlas || !indirect) return std::nullopt;
  TargetAgreement a;
  a.side = side;
  a.atlasRas = atlas->ras;
  a.indirectRas = indirect->ras;
  a.atlasAcpc = atlas->acpc;
  a.indirectAcpc = indirect->acpc;
  a.distanceMm = norm(atlas->ras - indirect->ras);
  if (const PlannedTrajectory* chosen = chosenTrajectory(plan, side)) {
    const Vec3 aim = chosen->trajectory.targetRas;
    a.aimToAtlasMm = norm(aim - atlas->ras);
    a.aimToIndirectMm = norm(aim - indirect->ras);
    if (const PlanTarget* proposed = planTarget(plan, side, TargetSource::Proposed))
      a.aimToProposedMm = norm(aim - proposed->ras);
    a.aimSetByHand = chosen->trajectory.origin == TrajectoryOrigin::Manual &&
                     (!a.aimToProposedMm || *a.aimToProposedMm > kSameTargetMm);
  }
  return a;
}

std::vector<TargetAgreement> targetAgreements(const PlanDocument& plan) {
  std::vector<TargetAgreement> out;
  for (Side side : kBothSides)
    if (auto a = targetAgreement(plan, side)) out.push_back(*a);
  return out;
}

std::string targetChoiceText(const TargetAgreement& a) {
  std::ostringstream text;
  text.precision(1);
  text << std::fixed;
  if (!a.aimToAtlasMm || !a.aimToIndirectMm) {
    text << "no trajectory aims at either target yet";
    return text.str();
  }
  // Why each would be aimed at; said after the distances so a reviewer can weigh them.
  const char* atlasWhy =
      "the atlas is carried onto this patient's own anatomy by the deformable registration, while the "
      "indirect target puts an average brain's GPi at fixed AC-PC distances, from which enlarged "
      "ventricles, a shrunken striatum or an unusual head shape move the patient's own GPi";
  const char* indirectWhy = "check it against the patient's own GPi, which the atlas target follows";
  const bool nearerAtlas = a.aimsAtAtlas();
  const char* nearer = nearerAtlas ? "nearer the atlas target" : "nearer the indirect one";
  if (a.aimSetByHand)
    text << "the trajectory aims at a target set by hand (" << *a.aimToAtlasMm
         << " mm from the atlas target, " << *a.aimToIndirectMm
         << " mm from the indirect one): " << indirectWhy;
  else if (a.aimToProposedMm && *a.aimToProposedMm <= kSameTargetMm)
    // The default: the sensorimotor GPi point of the patient's located GPi inside (or nearest) the
    // published indirect range, nearest the atlas target (Locate.h's target rule).
    text << "the trajectory aims at the proposed target, the patient's sensorimotor GPi nearest the "
            "published indirect range ("
         << *a.aimToAtlasMm << " mm from the atlas target, " << *a.aimToIndirectMm
         << " mm from the indirect one, " << nearer << "): " << (nearerAtlas ? atlasWhy : indirectWhy);
  else if (nearerAtlas)
    text << "the trajectory aims at the atlas target (" << *a.aimToAtlasMm << " mm from it, "
         << *a.aimToIndirectMm << " mm from the indirect one): " << atlasWhy;
  else
    text << "the trajectory aims at the indirect (AC-PC) target (" << *a.aimToIndirectMm << " mm from it, "
         << *a.aimToAtlasMm << " mm from the atlas one): " << indirectWhy;
  return text.str();
}

std::vector<ReferenceTarget> referenceTargetsToShow(const PlanDocument& plan) {
  std::vector<ReferenceTarget> out;
  for (const TargetAgreement& a : targetAgreements(plan)) {
    if (a.agrees()) continue;
    const std::string letter(1, sideLetter(a.side));
    out.push_back({a.side, TargetSource::Atlas, a.atlasRas, "atlas " + letter});
    out.push_back({a.side, TargetSource::Indirect, a.indirectRas, "AC-PC " + letter});
  }
  return out;
}

std::string nextTrajectoryId(const PlanDocument& plan, Side side) {
  long highest = 0;
  auto consider = [&](const std::string& id) {
    if (id.size() > 1 && id[0] == sideLetter(side))
      highest = std::max(highest, std::strtol(id.c_str() + 1, nullptr, 10));
  };
  for (const auto* list : {&plan.trajectories, &plan.alternatives})
    for (const PlannedTrajectory& t : *list) consider(t.trajectory.id);
  for (const PlanHistoryEntry& h : plan.history) consider(h.trajectoryId);  // ids of trajectories since gone
  return std::string(1, sideLetter(side)) + std::to_string(highest + 1);
}

void replaceAlternatives(PlanDocument& plan, Side side, std::vector<PlannedTrajectory> alternatives) {
  long next = std::stol(nextTrajectoryId(plan, side).substr(1));  // before the old alternatives go
  plan.alternatives.erase(
      std::remove_if(plan.alternatives.begin(), plan.alternatives.end(),
                     [side](const PlannedTrajectory& p) { return p.trajectory.side == side; }),
      plan.alternatives.end());
  for (PlannedTrajectory& a : alternatives) {
    a.trajectory.id = std::string(1, sideLetter(side)) + std::to_string(next++);
    plan.alternatives.push_back(std::move(a));
  }
}

void assignMissingTrajectoryIds(PlanDocument& plan) {
  for (auto* list : {&plan.trajectories, &plan.alternatives})
    for (PlannedTrajectory& t : *list)
      if (t.trajectory.id.empty()) t.trajectory.id = nextTrajectoryId(plan, t.trajectory.side);
}

}  // namespace dbs
