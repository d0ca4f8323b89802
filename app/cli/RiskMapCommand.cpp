// `dbsplan risk-map`: the scalp risk map of one side of a saved plan (ScalpRiskMap.h) as VTK
// PolyData, for ParaView, 3D Slicer or a script. It reopens the plan from its own folder (no
// registration), scores every scalp vertex above the side's target as the window does, writes the
// surface with its point arrays atomically and prints how many vertices were scored and how long
// the scoring took. Options are parsed by CLI11.
#include <CLI/CLI.hpp>

#include <vtkPolyData.h>

#include <chrono>
#include <iomanip>
#include <iostream>

#include "cli/Commands.h"
#include "dbs/planning/PlanSession.h"
#include "render/ScalpRiskMap.h"

namespace dbs::app {

int runRiskMap(const std::vector<std::string>& args) {
  CLI::App cli{
      "Colour the scalp by what entering there would mean for a side's target: every scalp vertex above "
      "the target is the entry of a path scored as the search scores it (required margins met or not, "
      "smallest clearance, inside the search window or not). Writes VTK PolyData (.vtp) with the point "
      "arrays score, clearance_mm, margin_mm, safe (0/1), in_window (0/1) and colour (RGB).",
      "dbsplan risk-map"};
  std::string planPath, outPath, sideText;
  bool json = false;
  cli.add_option("PLAN", planPath, "plan.json (its folder holds the image and the risk structures)")
      ->required()
      ->check(CLI::ExistingFile);
  cli.add_option("--side", sideText, "L or R: whose chosen trajectory's target is scored")
      ->required()
      ->check(CLI::IsMember({"L", "R"}));
  cli.add_option("--out", outPath, "the map, VTK XML PolyData (.vtp), written atomically")->required();
  cli.add_flag("--json", json, "print the counts and timings as JSON");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    cli.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) std::cerr << "dbsplan risk-map: ";
    return cli.exit(e) == 0 ? 0 : 2;
  }
  const char side = sideText[0];

  using Clock = std::chrono::steady_clock;
  const auto openStart = Clock::now();
  std::vector<std::string> warnings;
  std::unique_ptr<PlanSession> session = PlanSession::open(planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan risk-map: warning: " << w << "\n";
  const double openSeconds = std::chrono::duration<double>(Clock::now() - openStart).count();
  if (!chosenTrajectory(session->plan(), side)) {
    std::cerr << "dbsplan risk-map: " << planPath << " has no trajectory on side " << side << "\n";
    return 1;
  }
  const auto mapStart = Clock::now();
  const ScalpRiskMap map = makeScalpRiskMap(session->result(), side);
  const double mapSeconds = std::chrono::duration<double>(Clock::now() - mapStart).count();
  writeRiskMapVtp(map, outPath);

  const std::size_t vertices = map.verticesRas.size();
  if (json) {
    const nlohmann::json report = {
        {"plan", planPath},
        {"side", std::string(1, side)},
        {"written", outPath},
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
              << "scored: " << map.scoredVertices << " vertices above the "
              << (side == 'L' ? "left" : "right") << " target in " << map.scoringSeconds << " s; "
              << map.inWindowVertices << " inside the search window, " << map.safeVertices << " safe\n"
              << "risk map written: " << outPath << "\n";
  }
  return 0;
}

}  // namespace dbs::app
