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

std::vector<TargetAgreement> targetAgreements(const PlanDocument& plan) {
  std::vector<TargetAgreement> out;
  for (Side side : kBothSides) {
    const PlanTarget *atlas = nullptr, *indirect = nullptr;
    for (const PlanTarget& t : plan.targets) {
      if (t.side != side) continue;
      if (t.source == TargetSource::Atlas) atlas = &t;
      if (t.source == TargetSource::Indirect) indirect = &t;
    }
    if (atlas && indirect)
      out.push_back({side, atlas->acpc, indirect->acpc, norm(atlas->ras - indirect->ras)});
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
