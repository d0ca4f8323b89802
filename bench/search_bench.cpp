// dbs_search_bench: the trajectory-search benchmark and the plan check on patients with known truth.
//
//   dbs_search_bench IMAGE [--truth LABELS] [--repeats N] [--out DIR]
//
// Runs the planning pipeline once (locate, risk structures, distance maps; timed), then re-runs the
// search for each side N times, as a user dragging a target would, and prints the candidates scored
// and the wall time of each search (best and median), against the target of >= 10,000 candidates in
// <= 0.2 s on this machine. With --truth (a label map on IMAGE's grid in dbsplan's label values, e.g.
// a synthetic patient's), it also checks each side's plan against the truth: target in the true GPi,
// distance of the whole lead to the true ventricles, entry side and direction.
// Prints one JSON object on stdout; exit 1 when a target is missed.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ItkSetup.h"
#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/TrajectorySearch.h"

int main(int argc, char** argv) {
  dbs::configureItk();
  std::string image, truthPath, outDir;
  int repeats = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--truth" && i + 1 < argc)
      truthPath = argv[++i];
    else if (a == "--repeats" && i + 1 < argc)
      repeats = std::max(1, std::stoi(argv[++i]));
    else if (a == "--out" && i + 1 < argc)
      outDir = argv[++i];
    else if (image.empty() && a[0] != '-')
      image = a;
    else {
      std::cerr << "usage: dbs_search_bench IMAGE [--truth LABELS] [--repeats N] [--out DIR]\n";
      return 2;
    }
  }
  if (image.empty()) {
    std::cerr << "usage: dbs_search_bench IMAGE [--truth LABELS] [--repeats N] [--out DIR]\n";
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  try {
    dbs::PlanInputs inputs;
    inputs.locate.imagePath = image;
    inputs.programVersion = "bench";
    const auto start = Clock::now();
    const dbs::PlanResult result = dbs::runPlanPipeline(inputs);
    const double pipelineSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!outDir.empty()) dbs::writePlanOutputs(result, outDir);
    const dbs::PlanningContext context = result.context();

    nlohmann::json out = {{"image", image},
                          {"pipeline_seconds", pipelineSeconds},
                          {"risk_structures_seconds", result.risks.seconds},
                          {"threads", std::thread::hardware_concurrency()},
                          {"repeats", repeats}};
    bool ok = true;
    for (const dbs::PlannedTrajectory& planned : result.plan.trajectories) {
      const dbs::Trajectory& t = planned.trajectory;
      std::vector<double> seconds;
      std::size_t candidates = 0;
      for (int r = 0; r < repeats; ++r) {
        const dbs::SearchResult s = dbs::searchTrajectories(context, t.side, t.targetRas, t.electrodeId);
        seconds.push_back(s.seconds);
        candidates = s.candidates;
      }
      std::sort(seconds.begin(), seconds.end());
      const double median = seconds[seconds.size() / 2];
      const bool meets = candidates >= 10000 && median <= 0.2;
      ok = ok && meets;
      const dbs::TrajectoryMetrics& m = planned.metrics;
      nlohmann::json side = {{"candidates", candidates},
                             {"seconds_best", seconds.front()},
                             {"seconds_median", median},
                             {"seconds_worst", seconds.back()},
                             {"candidates_per_second", candidates / median},
                             {"meets_10000_in_0.2_s", meets},
                             {"target_ras", {t.targetRas.x, t.targetRas.y, t.targetRas.z}},
                             {"entry_ras", {t.entryRas.x, t.entryRas.y, t.entryRas.z}},
                             {"sagittal_angle_deg", m.sagittalAngleDeg},
                             {"lateral_angle_deg", m.lateralAngleDeg},
                             {"length_mm", m.lengthMm},
                             {"ventricles_min_mm", m.closest[0].distanceMm},
                             {"sulci_min_mm", m.closest[1].distanceMm},
                             {"contacts_in_gpi", m.contactsInGpi},
                             {"safe", m.safe},
                             {"own_side", m.ownSide},
                             {"entry_above_mm", m.entryAcpc.z - m.targetAcpc.z},
                             {"entry_anterior_mm", m.entryAcpc.y - m.targetAcpc.y},
                             {"window_inside_deg", m.windowInsideDeg},
                             {"window_inside_mm", m.windowInsideMm},
                             {"score", m.score},
                             {"why", dbs::scoreExplanation(m)}};
      int contactsInPallidum = 0;
      const int gpiLabel = dbs::labelValue(dbs::sidedLabelName("GPi", t.side)),
                gpeLabel = dbs::labelValue(dbs::sidedLabelName("GPe", t.side));
      for (const auto& c : m.contacts) {
        const int label = result.field->labelAt(c.centreRas);
        contactsInPallidum += label == gpiLabel || label == gpeLabel;
      }
      side["contacts_in_pallidum"] = contactsInPallidum;
      if (!truthPath.empty()) {
        const dbs::LabelVolume truth = dbs::loadLabelVolume(truthPath);
        const dbs::RiskField truthField(result.risks, truth);
        const int gpi = dbs::labelValue(dbs::sidedLabelName("GPi", t.side));
        // Distance of the lead to the true ventricles: a distance map of the truth's ventricles.
        auto mask = dbs::MaskImage::New();
        mask->CopyInformation(truth.image);
        mask->SetRegions(truth.image->GetLargestPossibleRegion());
        mask->Allocate(true);
        const unsigned short* l = truth.image->GetBufferPointer();
        unsigned char* mk = mask->GetBufferPointer();
        const int vl = dbs::labelValue("Ventricle_L"), vr = dbs::labelValue("Ventricle_R");
        for (std::size_t i = 0; i < truth.geometry.voxelCount(); ++i)
          mk[i] = (l[i] == vl || l[i] == vr) ? 1 : 0;
        dbs::RiskStructures truthRisks = result.risks;
        truthRisks.risks[0].distanceMm = dbs::signedDistanceMm(mask);
        const dbs::RiskField truthVentricles(truthRisks, truth);
        const dbs::Vec3 u = dbs::normalized(t.entryRas - t.targetRas);
        double closest = 1e9;
        for (double d = -m.tipBeyondTargetMm; d <= m.lengthMm; d += 0.25)
          closest = std::min(closest, double(truthVentricles.sample(t.targetRas + d * u).risk[0]));
        const bool inGpi = truthField.labelAt(t.targetRas) == gpi;
        int contactsInTrueGpi = 0, contactsInTruePallidum = 0;
        for (const auto& c : m.contacts) {
          const int label = truthField.labelAt(c.centreRas);
          contactsInTrueGpi += label == gpi;
          contactsInTruePallidum += label == gpiLabel || label == gpeLabel;
        }
        side["truth"] = {{"target_in_true_gpi", inGpi},
                         {"contacts_in_true_gpi", contactsInTrueGpi},
                         {"contacts_in_true_pallidum", contactsInTruePallidum},
                         {"true_ventricles_min_mm", closest}};
        ok = ok && inGpi && closest >= 2.0 && m.ownSide && m.entryAcpc.z > m.targetAcpc.z &&
             m.entryAcpc.y > m.targetAcpc.y;
      }
      out[std::string(1, dbs::sideLetter(t.side))] = side;
    }
    out["ok"] = ok;
    std::cout << out.dump(2) << "\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "dbs_search_bench: " << e.what() << "\n";
    return 1;
  }
}
