// `dbsplan plan` and `dbsplan plan-info`: the planning pipeline from the command line, and a reader
// that validates and summarises a plan file. The pipeline is planning/PlanPipeline (the same the GUI
// runs); the pictures and the report are PlanFigures / PlanReport.
#include <sys/resource.h>

#include <QApplication>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/Commands.h"
#include "dbs/imaging/TemplateSpace.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/SampleCatalogue.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "gui/SampleLoading.h"
#include "render/GlContext.h"

namespace dbs::app {

namespace {

namespace fs = std::filesystem;

std::string fixed(double v, int digits = 1) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}
std::string triple(Vec3 v, int digits = 1) {
  return "(" + fixed(v.x, digits) + ", " + fixed(v.y, digits) + ", " + fixed(v.z, digits) + ")";
}

}  // namespace

void printTrajectorySummary(const PlannedTrajectory& p, std::ostream& out) {
  const Trajectory& t = p.trajectory;
  const TrajectoryMetrics& m = p.metrics;
  out << "  " << (t.side == 'L' ? "LEFT " : "RIGHT ") << terminalSafe(t.id) << " (" << terminalSafe(t.origin)
      << "), electrode " << terminalSafe(t.electrodeId) << ", deepest contact "
      << fixed(t.deepestContactBeyondTargetMm) << " mm beyond the target, roll " << fixed(t.markerRollDeg, 0)
      << " deg\n";
  out << "    target RAS " << triple(t.targetRas) << " mm, AC-PC " << triple(m.targetAcpc) << " mm from MCP";
  if (m.targetMni) out << ", " << kTemplateSpaceShortName << " " << triple(*m.targetMni);
  out << "\n    entry  RAS " << triple(t.entryRas) << " mm, AC-PC " << triple(m.entryAcpc) << "\n";
  out << "    length " << fixed(m.lengthMm) << " mm, " << fixed(m.sagittalAngleDeg)
      << " deg to the AC-PC line (sagittal projection), " << fixed(m.lateralAngleDeg)
      << " deg lateral to the midsagittal plane\n";
  out << "    margins:";
  for (const ClosestApproach& c : m.closest) {
    out << " " << riskName(c.kind) << " ";
    if (!c.present) {
      out << "not assessed;";
      continue;
    }
    out << fixed(c.distanceMm) << " mm at " << fixed(std::abs(c.depthMm)) << " mm "
        << (c.depthMm >= 0 ? "above" : "below") << " the target" << (c.safe ? "" : " UNSAFE") << ";";
  }
  out << "\n    side effects:";
  for (const SideEffectMargin& e : m.sideEffects) out << " " << terminalSafe(sideEffectMarginText(e)) << ";";
  out << "\n    contacts in GPi: " << m.contactsInGpi << " of " << m.contacts.size() << "; "
      << (m.safe ? "keeps every required margin" : "DOES NOT keep every required margin") << "\n";
}

namespace {

void printPlanSummary(const PlanDocument& plan, std::ostream& out) {
  out << "plan (schema " << kPlanSchema << " v" << plan.schemaVersion << ", dbsplan "
      << terminalSafe(plan.programVersion) << ", created " << terminalSafe(plan.created) << ")\n";
  out << "  image: " << terminalSafe(plan.image.path) << "\n";
  const std::string imageProblem = planImageProblem(plan);
  out << "  sha256: " << terminalSafe(plan.image.sha256)
      << (imageProblem.empty() ? "  (matches the image on disk)" : "  (" + terminalSafe(imageProblem) + ")");
  out << "\n  AC " << triple(plan.acRas) << ", PC " << triple(plan.pcRas) << ", MCP " << triple(plan.mcpRas)
      << " (RAS mm)\n";
  for (const char side : {'L', 'R'})
    if (const PlanTarget* proposed = planTarget(plan, side, "proposed")) {
      const PlanTarget* atlas = planTarget(plan, side, "atlas");
      out << "  proposed target " << side << ": AC-PC " << triple(proposed->acpc)
          << " (the sensorimotor GPi inside the published indirect range where they overlap"
          << (atlas ? "; " + fixed(norm(proposed->ras - atlas->ras)) + " mm from the atlas target" : "")
          << ")\n";
    }
  for (const TargetAgreement& a : targetAgreements(plan))
    out << "  targets " << a.side << ": atlas AC-PC " << triple(a.atlasAcpc) << ", indirect AC-PC "
        << triple(a.indirectAcpc) << ", " << fixed(a.distanceMm) << " mm apart"
        << (a.agrees() ? ""
                       : " (MORE than " + fixed(kTargetAgreementToleranceMm, 0) + " mm: review the target)")
        << "\n";
  out << "  search: " << plan.search.candidates << " candidates scored in " << fixed(plan.search.seconds, 3)
      << " s\n";
  for (const PlannedTrajectory& p : plan.trajectories) printTrajectorySummary(p, out);
  if (!plan.alternatives.empty()) out << "  alternatives (dbsplan edit --choose SIDE ID):\n";
  for (const PlannedTrajectory& a : plan.alternatives) {
    const TrajectoryMetrics& m = a.metrics;
    out << "    " << terminalSafe(a.trajectory.id) << ": entry RAS " << triple(a.trajectory.entryRas)
        << ", length " << fixed(m.lengthMm) << " mm, ventricles " << fixed(m.closest[0].distanceMm)
        << " mm, sulci " << fixed(m.closest[1].distanceMm) << " mm, " << m.contactsInGpi
        << " contacts in GPi, " << (m.safe ? "safe" : "UNSAFE") << "\n";
  }
  if (!plan.reviewNote.empty()) out << "  review note: " << terminalSafe(plan.reviewNote) << "\n";
  if (!plan.history.empty()) {
    out << "  edits by hand: " << plan.history.size()
        << " (last: " << terminalSafe(plan.history.back().action) << " "
        << terminalSafe(plan.history.back().side) << " at " << terminalSafe(plan.history.back().time)
        << ")\n";
  }
  for (const std::string& note : plan.notes) out << "  note: " << terminalSafe(note) << "\n";
}

}  // namespace

int runPlan(int argc, char** argv, const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  PlanInputs inputs;
  inputs.programVersion = DBS_VERSION;
  std::string outDir, sampleName;
  bool json = false, figures = true;
  auto usageError = [] {
    std::cerr << "dbsplan plan: usage: dbsplan plan IMAGE|--sample NAME --out DIR [--json] [--electrode ID] "
                 "[--vessels CONTRAST_T1] [--with FILE]... [--candidates N] [--target L|R X,Y,Z] [--entry "
                 "L|R X,Y,Z] [--no-figures]\n";
    return 2;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool hasValue = i + 1 < args.size();
    if (a == "--out" && hasValue)
      outDir = args[++i];
    else if (a == "--sample" && hasValue)
      sampleName = args[++i];
    else if (a == "--json")
      json = true;
    else if (a == "--no-figures")
      figures = false;
    else if (a == "--electrode" && hasValue)
      inputs.electrodeId = args[++i];
    else if (a == "--vessels" && hasValue)
      inputs.vesselVolumePath = args[++i];
    else if (a == "--with" && hasValue)
      inputs.locate.withPaths.push_back(args[++i]);
    else if ((a == "--target" || a == "--entry") && i + 2 < args.size()) {
      // --target L|R X,Y,Z and --entry L|R X,Y,Z: patient RAS mm, set by hand and re-scored.
      const std::string side = args[++i], xyz = args[++i];
      Vec3 p;
      char comma1 = 0, comma2 = 0;
      std::istringstream in(xyz);
      if ((side != "L" && side != "R") || !(in >> p.x >> comma1 >> p.y >> comma2 >> p.z) || comma1 != ',' ||
          comma2 != ',' || !in.eof()) {
        std::cerr << "dbsplan plan: " << a << " takes L or R and X,Y,Z in RAS mm (e.g. " << a
                  << " L -20,-4,-3)\n";
        return 2;
      }
      auto& slot = a == "--target" ? inputs.manualTargetRas : inputs.manualEntryRas;
      slot[side == "L" ? 0 : 1] = p;
    } else if (a == "--candidates" && hasValue) {
      const std::string text = args[++i];
      std::size_t used = 0;
      long n = -1;
      try {
        n = std::stol(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      // Bounded so that a plan takes seconds: 10,000 candidates score in about 0.1 s per side.
      if (used != text.size() || n < 100 || n > 1'000'000) {
        std::cerr << "dbsplan plan: --candidates must be a whole number between 100 and 1000000 (is '" << text
                  << "')\n";
        return 2;
      }
      inputs.search.candidatesPerSide = static_cast<std::size_t>(n);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "dbsplan plan: unknown or incomplete option " << a << "\n";
      return usageError();
    } else if (inputs.locate.imagePath.empty())
      inputs.locate.imagePath = a;
    else
      return usageError();
  }
  if (outDir.empty() || (inputs.locate.imagePath.empty() == sampleName.empty())) return usageError();
  // Fail before minutes of work on what can be checked in milliseconds.
  try {
    ElectrodeCatalogue::standard().find(inputs.electrodeId);
  } catch (const std::out_of_range& e) {
    std::cerr << "dbsplan plan: " << e.what() << "\n";
    return 2;
  }
  if (figures && !canRenderPlanScene()) {
    std::cerr
        << "dbsplan plan: report.pdf and scene.png are rendered with OpenGL and need an X display: run under "
           "`xvfb-run -a dbsplan plan ...`, or add --no-figures for plan.json and the labels only\n";
    return 2;
  }
  if (!sampleName.empty()) {
    const Sample& sample = SampleCatalogue::standard().find(sampleName);
    ensureSampleReady(sample, {});
    const std::string missing = sample.missingReason();
    if (!missing.empty()) throw std::runtime_error("sample " + sampleName + ": " + missing);
    inputs.locate.imagePath = sample.t1Path;
  }
  // The new outputs are one generation: staged beside the old ones and renamed into place only
  // when all of them exist, plan.json last, so a failed or killed run leaves the previous plan,
  // report and transforms whole (issue 11).
  std::optional<OutputGeneration> generation;
  try {
    generation.emplace(outDir);
  } catch (const std::runtime_error& e) {
    std::cerr << "dbsplan plan: " << e.what() << "\n";
    return 1;
  }
  const fs::path staging(generation->stagingFolder());

  const PlanResult result = runPlanPipeline(inputs, stderrProgress());
  writePlanOutputs(result, staging.string());
  if (figures) {
    setDefaultOpenGLSurfaceFormat();
    QApplication app(argc, argv);
    std::cerr << "[ 97%] rendering scene.png\n";
    const QImage scene = writeSceneImage(result, (staging / "scene.png").string());
    std::cerr << "[ 98%] writing report.pdf\n";
    writePlanReport(result, (staging / "report.pdf").string(), scene);  // the same scene, rendered once
  }
  // A report or scene from an earlier plan in this folder must not sit beside the new plan: the
  // commit removes the outputs this generation did not write (--no-figures).
  generation->commit("plan.json", isPlanOutputName);
  std::cerr << "plan: wrote " << (fs::path(outDir) / "plan.json").string() << ", labels.nii.gz"
            << (figures ? ", report.pdf and scene.png" : "") << "\n";
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "plan: " << fixed(wall, 2) << " s wall, peak memory " << fixed(usage.ru_maxrss / 1024.0, 0)
            << " MB; search: " << result.plan.search.candidates << " candidates in "
            << fixed(result.plan.search.seconds, 3) << " s; outputs in " << outDir << "\n";
  if (json)
    std::cout << planToJson(result.plan).dump(2) << "\n";
  else
    printPlanSummary(result.plan, std::cout);
  return 0;
}

int runPlanInfo(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else if (!a.empty() && a[0] == '-') {
      std::cerr << "dbsplan plan-info: unknown option " << a << "\n";
      return 2;
    } else if (path.empty())
      path = a;
    else {
      std::cerr << "dbsplan plan-info: one plan at a time\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "dbsplan plan-info: usage: dbsplan plan-info PLAN.json [--json]\n";
    return 2;
  }
  const PlanDocument plan = readPlan(path);  // throws with the field and the problem
  if (json)
    std::cout << planToJson(plan).dump(2) << "\n";
  else
    printPlanSummary(plan, std::cout);
  return 0;
}

}  // namespace dbs::app
