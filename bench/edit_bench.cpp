// dbs_edit_bench: what dragging in the window costs. Reopens a saved plan (no registration; timed)
// and drags each side's target and entry the way a mouse does: STEPS small steps of 0.25 mm along a
// 6 mm loop around where it is, each step one PlanSession::preview (the re-score of the edited path,
// nothing else: what the window runs per mouse move). Then one commit per side and its alternatives'
// search (what a release costs, off the UI thread in the window).
//
//   dbs_edit_bench PLAN.json [--steps N]
//
// Prints one JSON object: the open time, and per side and handle the median, 95th percentile and
// largest preview time in ms, against the target of a median of at most 20 ms on 2 cores; the same
// for a change of the side's stimulation settings (issue 25: a live update within 20 ms).
// Exit 1 when a median misses the target.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "BenchSupport.h"
#include "dbs/imaging/ItkSetup.h"
#include "dbs/planning/PlanSession.h"

using dbs::bench::Clock;
using dbs::bench::msSince;
using dbs::bench::percentile;

int main(int argc, char** argv) {
  dbs::configureItk();
  std::string planPath;
  int steps = 200;
  if (!dbs::bench::parsePlanAndSteps(argc, argv, "dbs_edit_bench", planPath, steps, 10)) return 2;
  try {
    const auto openStart = Clock::now();
    std::unique_ptr<dbs::PlanSession> session = dbs::PlanSession::open(planPath);
    nlohmann::json out = {{"plan", planPath},
                          {"open_seconds", msSince(openStart) / 1000},
                          {"steps", steps},
                          {"target_median_ms", 20}};
    bool ok = true;
    const std::vector<dbs::PlannedTrajectory> trajectories =
        session->plan().trajectories;  // commits replace the plan
    for (const dbs::PlannedTrajectory& chosen : trajectories) {
      const dbs::Side side = chosen.trajectory.side;
      for (bool entry : {false, true}) {
        const dbs::Vec3 start = entry ? chosen.trajectory.entryRas : chosen.trajectory.targetRas;
        std::vector<double> ms;
        for (int s = 0; s < steps; ++s) {
          // A loop of radius 1 mm in the coronal plane, walked in 0.25 mm steps (6.3 mm around).
          const double a = 0.25 * s;
          const dbs::Vec3 p = start + dbs::Vec3{std::cos(a) - 1.0, 0.0, std::sin(a)};
          const dbs::PlanEdit edit =
              entry ? dbs::PlanEdit::moveEntry(side, p) : dbs::PlanEdit::moveTarget(side, p);
          const auto t = Clock::now();
          const dbs::PlanDocument preview = session->preview(edit);
          ms.push_back(msSince(t));
          if (!dbs::chosenTrajectory(preview, side)) return 1;
        }
        const double median = percentile(ms, 0.5);
        ok = ok && median <= 20.0;
        out["preview"][std::string(1, dbs::sideLetter(side))][entry ? "entry" : "target"] = {
            {"median_ms", median},
            {"p95_ms", percentile(ms, 0.95)},
            {"max_ms", *std::max_element(ms.begin(), ms.end())}};
      }
      // A stimulation setting changed in the panel (issue 25): each change is a preview-and-commit
      // of a SetStimulation edit, re-assessing the activated region against the labels. The
      // amplitude is walked 0.5-5 V over contact 1 and 1+2, each model in turn.
      {
        std::vector<double> ms;
        for (int s = 0; s < steps; ++s) {
          dbs::StimulationSettings settings;
          settings.side = side;
          settings.activeContacts =
              s % 2 ? std::vector<std::string>{"1", "2"} : std::vector<std::string>{"1"};
          settings.amplitude = 0.5 + 4.5 * (s % 50) / 49.0;
          settings.model = static_cast<dbs::VtaModel>(s % 3);
          const auto t = Clock::now();
          const dbs::PlanDocument preview = session->preview(dbs::PlanEdit::setStimulation(settings));
          ms.push_back(msSince(t));
          if (!dbs::planStimulation(preview, side)) return 1;
        }
        const double median = percentile(ms, 0.5);
        ok = ok && median <= 20.0;
        out["stimulation_change"][std::string(1, dbs::sideLetter(side))] = {
            {"median_ms", median},
            {"p95_ms", percentile(ms, 0.95)},
            {"max_ms", *std::max_element(ms.begin(), ms.end())}};
      }
      // The release: commit (undo state, history) with its alternatives' search, in place here.
      const auto t = Clock::now();
      session->commit(dbs::PlanEdit::moveTarget(side, chosen.trajectory.targetRas + dbs::Vec3{0, 0, -1}),
                      true);
      out["commit_with_alternatives_ms"][std::string(1, dbs::sideLetter(side))] = msSince(t);
    }
    out["meets_target"] = ok;
    std::cout << out.dump(2) << "\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "dbs_edit_bench: " << e.what() << "\n";
    return 1;
  }
}
