// `dbsplan risk-map`: the scalp risk map of one side of a saved plan (ScalpRiskMap.h) as VTK
// PolyData, for ParaView, 3D Slicer or a script. It reopens the plan from its own folder (no
// registration), scores every scalp vertex above the side's target as the window does, writes the
// surface with its point arrays atomically and prints how many vertices were scored and how long
// the scoring took.
#include <CLI/CLI.hpp>

#include <vtkPolyData.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/PlanSession.h"
#include "render/ScalpRiskMap.h"

namespace dbs::app {

namespace {

struct RiskMapOptions {
  std::string planPath, outPath, side;
  bool json = false;
};

int runRiskMap(const RiskMapOptions& o) {
  const Side side = sideOf(o.side);
  using Clock = std::chrono::steady_clock;
  const auto openStart = Clock::now();
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan risk-map: warning: " << w << "\n";
  const double openSeconds = std::chrono::duration<double>(Clock::now() - openStart).count();
  if (!chosenTrajectory(session->plan(), side)) {
    std::cerr << "dbsplan risk-map: " << o.planPath << " has no trajectory on side " << sideLetter(side)
              << "\n";
    return 1;
  }
  const auto mapStart = Clock::now();
  const ScalpRiskMap map = makeScalpRiskMap(session->result(), side);
  const double mapSeconds = std::chrono::duration<double>(Clock::now() - mapStart).count();
  writeRiskMapVtp(map, o.outPath);

  const std::size_t vertices = map.verticesRas.size();
  if (o.json) {
    const nlohmann::json report = {
        {"plan", o.planPath},
        {"side", std::string(1, sideLetter(side))},
        {"written", o.outPath},
        {"vertices", vertices},
        {"triangles", map.surface->GetNumberOfPolys()},
        {"scored_vertices", map.scoredVertices},
        {"in_window_vertices", map.inWindowVertices},
        {"safe_vertices", map.safeVertices},
        {"scoring_seconds", map.scoringSeconds},
        {"surface_and_scoring_seconds", mapSeconds},
        {"open_seconds", openSeconds},
        {"arrays", {"score", "clearance_mm", "margin_mm", "safe", "in_window", "colour"}}};
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << std::fixed << std::setprecision(3) << "scalp: " << vertices << " vertices, "
              << map.surface->GetNumberOfPolys() << " triangles (the T1's own grid)\n"
              << "scored: " << map.scoredVertices << " vertices above the " << sideWord(side) << " target in "
              << map.scoringSeconds << " s; " << map.inWindowVertices << " inside the search window, "
              << map.safeVertices << " safe\n"
              << "risk map written: " << o.outPath << "\n";
  }
  return 0;
}

}  // namespace

Command riskMapCommand() {
  return {
      "risk-map", "Planning", "the scalp coloured by the risk of entering there (VTK PolyData)",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<RiskMapOptions>();
        cli.footer(
            "Colour the scalp by what entering there would mean for a side's target: every scalp vertex "
            "above "
            "the target is the entry of a path scored as the search scores it (required margins met or not, "
            "smallest clearance, inside the search window or not). Writes VTK PolyData (.vtp) with the point "
            "arrays score, clearance_mm, margin_mm, safe (0/1), in_window (0/1) and colour (RGB).");
        cli.add_option("PLAN", o->planPath, "plan.json (its folder holds the image and the risk structures)")
            ->required()
            ->check(CLI::ExistingFile.description(""))
            ->type_name("");
        cli.add_option("--side", o->side, "L or R: whose chosen trajectory's target is scored")
            ->required()
            ->check(sideValidator())
            ->type_name("L|R");
        cli.add_option("--out", o->outPath, "the map, VTK XML PolyData (.vtp), written atomically")
            ->required()
            ->type_name("MAP.vtp");
        cli.add_flag("--json", o->json, "print the counts and timings as JSON");
        return [o] { return runRiskMap(*o); };
      }};
}

}  // namespace dbs::app
