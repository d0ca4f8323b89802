// The dbsplan command line where it renders (label gui: ctest runs it under Xvfb): `view
// --screenshot` writes a labelled four-view picture of a coronal 2x2x3 mm volume with the patient's
// right where the letters say; `plan` on colin27 writes the plan, report and scene that plan-info,
// view, edit and risk-map read; a plan killed at random moments leaves one whole generation.
#include <gtest/gtest.h>

#include <QImage>

#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <vtkCellLocator.h>
#include <vtkDataArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkXMLPolyDataReader.h>
#include <nlohmann/json.hpp>

#include "CliTestSupport.h"
#include "PlanSchema.h"
#include "RiskMapTestSupport.h"
#include "TestNifti.h"
#include "TestSupport.h"
#include "dbs/planning/PlanDocument.h"
#include "render/ScalpRiskMap.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using test::affineFromColumns;
using test::runDbsplan;
using test::RunResult;
using test::writeCoronalVolume;

int yellowPixels(const QImage& image, QRect box) {
  int n = 0;
  for (int y = box.top(); y <= box.bottom(); ++y)
    for (int x = box.left(); x <= box.right(); ++x) {
      const QColor c = image.pixelColor(x, y);
      if (c.red() > 180 && c.green() > 150 && c.blue() < 100) ++n;
    }
  return n;
}

// Width of the four views in a window screenshot: they end where the plan panel's margin starts,
// the first run of columns (right of the middle) that are mostly the window's background colour.
int viewAreaWidth(const QImage& image) {
  // The first columns (from a third of the width) that are mostly the docks' light grey window
  // background (not the white of tables or of the test volume's bright hemisphere).
  auto panelGrey = [](QColor c) {
    return c.red() >= 225 && c.red() <= 250 && std::abs(c.red() - c.green()) < 8 &&
           std::abs(c.red() - c.blue()) < 8;
  };
  int run = 0;
  for (int x = image.width() / 3; x < image.width(); ++x) {
    int same = 0, rows = 0;
    for (int y = 30; y < image.height() / 3; y += 2, ++rows) same += panelGrey(image.pixelColor(x, y));
    run = same > 0.5 * rows ? run + 1 : 0;
    if (run == 4) return x - 3;
  }
  return image.width();
}

// Without a display the viewer says so in one line and exits 2 (Qt's xcb plugin used to abort).
TEST(Cli, ScreenshotOfCoronalVolumeIsLabelledAndUpright) {
  const std::string path = writeCoronalVolume();
  const fs::path png =
      fs::temp_directory_path() / "dbs_app_tests" / ("coronal_" + std::to_string(getpid()) + ".png");
  fs::remove(png);
  const RunResult r = runDbsplan("view " + path + " --screenshot " + png.string() + " --size 1000x800");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("screenshot written"), std::string::npos);
  QImage image(QString::fromStdString(png.string()));
  ASSERT_FALSE(image.isNull());
  EXPECT_EQ(image.size(), QSize(1000, 800));

  // Four views: axial top-left, coronal top-right, sagittal bottom-left, 3D bottom-right, left of
  // the plan panel. The slice views show black background around the head; find each view's head
  // by its grey pixels.
  const int midX = viewAreaWidth(image) / 2, midY = image.height() / 2;
  const QRect axial(0, 20, midX, midY - 20), coronal(midX, 20, midX, midY - 20);
  for (const QRect& view : {axial, coronal}) {
    // Letters: R on the left edge and L on the right edge (radiological convention).
    const QRect leftEdge(view.left() + 2, view.center().y() - 20, 30, 40);
    const QRect rightEdge(view.right() - 32, view.center().y() - 20, 30, 40);
    EXPECT_GT(yellowPixels(image, leftEdge), 10) << "no direction letter on the left edge";
    EXPECT_GT(yellowPixels(image, rightEdge), 10) << "no direction letter on the right edge";
    // The bright right hemisphere must be on the screen's left half, under the "R"; the dimmer left
    // hemisphere on the right half.
    int whiteLeft = 0, whiteRight = 0;
    for (int y = view.top() + 30; y < view.bottom(); ++y)
      for (int x = view.left(); x < view.right(); ++x) {
        const QColor c = image.pixelColor(x, y);
        // A band of a few pixels around the middle is left out: the midline's column may fall either way.
        if (std::abs(x - view.center().x()) <= 3) continue;
        if (c.red() > 250 && c.green() > 250 && c.blue() > 250)
          (x < view.center().x() ? whiteLeft : whiteRight)++;
      }
    EXPECT_GT(whiteLeft, 5000) << "the patient's bright right hemisphere is missing from the screen's left";
    EXPECT_LT(whiteRight, 50) << "the bright hemisphere is on the screen's right: left/right flipped";
  }
  // The 3D view is rendered (not blank): many distinct colours in the bottom-right quadrant.
  int nonBackground = 0;
  for (int y = midY + 10; y < image.height() - 30; y += 3)
    for (int x = midX + 10; x < 2 * midX - 10; x += 3)
      if (image.pixelColor(x, y) != image.pixelColor(midX + 10, midY + 10)) ++nonBackground;
  EXPECT_GT(nonBackground, 500);
}

int pdfPageCount(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(in)), {});
  int pages = 0;
  for (std::size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1))
    if (pdf.compare(at, 12, "/Type /Pages") != 0) ++pages;
  return pdf.rfind("%PDF-", 0) == 0 ? pages : -1;
}

// The whole job on the colin27 sample, as the README's first command runs it.
TEST(CliPlan, Colin27PlanWritesPlanLabelsReportSceneAndPlanInfoReadsIt) {
  const fs::path dir = fs::temp_directory_path() / ("dbs_cli_plan_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const RunResult r = runDbsplan("plan --sample colin27 --out " + dir.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("%] searching trajectories"), std::string::npos) << "progress on stderr: " << r.err;
  EXPECT_NE(r.out.find("LEFT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RIGHT"), std::string::npos) << r.out;
  for (const char* file : {"plan.json", "labels.nii.gz", "report.pdf", "scene.png", "risk_structures.nii.gz"})
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  EXPECT_GE(pdfPageCount((dir / "report.pdf").string()), 3);  // summary + one page per side at least
  const QImage scene((dir / "scene.png").string().c_str());
  ASSERT_FALSE(scene.isNull());
  EXPECT_GE(scene.width(), 800);

  EXPECT_EQ(test::planSchemaProblems((dir / "plan.json").string()), "");
  nlohmann::json plan;
  std::ifstream((dir / "plan.json").string()) >> plan;
  EXPECT_EQ(plan.at("schema"), "dbsplan.plan");
  ASSERT_EQ(plan.at("trajectories").size(), 2u);
  EXPECT_GE(plan.at("search").at("candidates").get<int>(), 20000);
  // The scoring time is recorded (its speed is bench/plan_bench.sh's to measure, not a test's).
  EXPECT_GT(plan.at("search").at("seconds").get<double>(), 0.0);
  for (const auto& t : plan.at("trajectories")) {
    const std::string side = t.at("side");
    const double targetX = t.at("target_ras")[0], entryX = t.at("entry_ras")[0];
    // Colin27 is in MNI space: the left hemisphere is at x < 0.
    EXPECT_EQ(targetX < 0, side == "L");
    EXPECT_EQ(entryX < 0, side == "L");
    EXPECT_GT(t.at("entry_ras")[2].get<double>(), t.at("target_ras")[2].get<double>() + 40);
    EXPECT_GT(t.at("entry_ras")[1].get<double>(), t.at("target_ras")[1].get<double>());
    EXPECT_GE(t.at("metrics").at("closest").at("ventricles").at("distance_mm").get<double>(), 2.0);
    EXPECT_EQ(t.at("metrics").at("contacts").at(0).at("structure"), "GPi_" + side);
  }

  const RunResult info = runDbsplan("plan-info " + (dir / "plan.json").string());
  EXPECT_EQ(info.exitCode, 0) << info.err;
  EXPECT_NE(info.out.find("matches the image on disk"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("contacts in GPi"), std::string::npos) << info.out;

  // The viewer opens the plan (image, labels, leads); a plan whose image has changed is refused.
  const RunResult view = runDbsplan("view --plan " + (dir / "plan.json").string() + " --screenshot " +
                                    (dir / "view.png").string() + " --size 900x700");
  EXPECT_EQ(view.exitCode, 0) << view.err;
  EXPECT_TRUE(fs::exists(dir / "view.png"));
  nlohmann::json otherImage = plan;
  otherImage["image"]["sha256"] = std::string(64, '0');
  std::ofstream((dir / "other.json").string()) << otherImage.dump();
  const RunResult changed = runDbsplan("plan-info " + (dir / "other.json").string());
  // plan-info says "valid" only for a plan the other commands accept (issue 26): exit 1, and why.
  EXPECT_EQ(changed.exitCode, 1);
  EXPECT_NE(changed.out.find("has changed since the plan was made"), std::string::npos) << changed.out;
  EXPECT_NE(changed.err.find("NOT valid"), std::string::npos) << changed.err;
  const RunResult refused = runDbsplan("view --plan " + (dir / "other.json").string() + " --screenshot " +
                                       (dir / "refused.png").string());
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("has changed since the plan was made"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "refused.png"));

  // Strings from a plan are untrusted: escape sequences are printed escaped, never raw.
  nlohmann::json hostile = plan;
  hostile["notes"] = nlohmann::json::array({"\x1b[2J\x1b[1;1Hall margins kept\x07"});
  hostile["trajectories"][0]["electrode"] = plan["trajectories"][0]["electrode"];
  std::ofstream((dir / "hostile.json").string()) << hostile.dump();
  const RunResult escaped = runDbsplan("plan-info " + (dir / "hostile.json").string());
  EXPECT_EQ(escaped.exitCode, 0) << escaped.err;
  EXPECT_EQ(escaped.out.find('\x1b'), std::string::npos) << "a raw escape character reached the terminal";
  EXPECT_NE(escaped.out.find("\\x1b[2J"), std::string::npos) << escaped.out;

  // A damaged copy: plan-info names the field, exit 1.
  plan["trajectories"][1]["entry_ras"] = "up";
  std::ofstream((dir / "bad.json").string()) << plan.dump();
  const RunResult bad = runDbsplan("plan-info " + (dir / "bad.json").string());
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.err.find("trajectories[1].entry_ras: must be an array of 3 numbers"), std::string::npos)
      << bad.err;

  // dbsplan risk-map (issue 10): the scalp as VTK PolyData with its point arrays, every vertex; the
  // planned entry's vertex is safe and in the window, a vertex whose path to the target runs through
  // the left ventricle is not safe; bad options are refused by name.
  {
    const std::string vtp = (dir / "risk_L.vtp").string();
    const RunResult map =
        runDbsplan("risk-map " + (dir / "plan.json").string() + " --side L --out " + vtp + " --json");
    ASSERT_EQ(map.exitCode, 0) << map.err;
    const nlohmann::json counts = nlohmann::json::parse(map.out);
    vtkNew<vtkXMLPolyDataReader> reader;
    reader->SetFileName(vtp.c_str());
    reader->Update();
    vtkPolyData* surface = reader->GetOutput();
    ASSERT_GT(surface->GetNumberOfPoints(), 50000) << "the scalp at the T1's own resolution";
    EXPECT_EQ(counts.at("vertices").get<vtkIdType>(), surface->GetNumberOfPoints());
    EXPECT_GT(counts.at("in_window_vertices").get<int>(), 1000);
    EXPECT_GE(counts.at("scoring_seconds").get<double>(), 0.0);
    for (const char* name : {"score", "clearance_mm", "margin_mm", "safe", "in_window"})
      EXPECT_NE(surface->GetPointData()->GetArray(name), nullptr) << name;
    std::vector<Vec3> vertices(static_cast<std::size_t>(surface->GetNumberOfPoints()));
    for (vtkIdType i = 0; i < surface->GetNumberOfPoints(); ++i) {
      double p[3];
      surface->GetPoint(i, p);
      vertices[static_cast<std::size_t>(i)] = {p[0], p[1], p[2]};
    }
    vtkDataArray* safe = surface->GetPointData()->GetArray("safe");
    vtkDataArray* inWindow = surface->GetPointData()->GetArray("in_window");
    const auto& left = plan.at("trajectories")[0];
    ASSERT_EQ(left.at("side"), "L");
    const Vec3 entry{left.at("entry_ras")[0], left.at("entry_ras")[1], left.at("entry_ras")[2]};
    const Vec3 target{left.at("target_ras")[0], left.at("target_ras")[1], left.at("target_ras")[2]};
    const std::size_t atEntry = dbs::app::nearestVertex(vertices, entry);
    // The entry lies on the surface. Sphere tracing stops within a fraction of a voxel of the head
    // distance map's zero level; the map's mesh is an isosurface of the head mask, which can lie a
    // voxel or so from it: measured 1.45 mm from the triangles (1.53 mm to the nearest vertex) on this
    // plan, so 2 mm (the plan itself warns when an entry lies more than 2 mm from the scalp).
    vtkNew<vtkCellLocator> locator;
    locator->SetDataSet(surface);
    locator->BuildLocator();
    double entryPoint[3] = {entry.x, entry.y, entry.z}, closest[3], distance2 = 0;
    vtkIdType cell = -1;
    int subId = 0;
    locator->FindClosestPoint(entryPoint, closest, cell, subId, distance2);
    EXPECT_LT(std::sqrt(distance2), 2.0) << "the planned entry lies on the scalp surface";
    EXPECT_LT(norm(vertices[atEntry] - entry), 2.5) << "a vertex of the map lies beside the entry";
    EXPECT_EQ(safe->GetTuple1(static_cast<vtkIdType>(atEntry)), 1.0) << "the planned entry is safe";
    EXPECT_EQ(inWindow->GetTuple1(static_cast<vtkIdType>(atEntry)), 1.0);
    const LabelVolume labels = loadLabelVolume((dir / "labels.nii.gz").string());
    const auto overVentricle = test::vertexAboveVentricle(vertices, labels, target, Side::Left);
    ASSERT_TRUE(overVentricle);
    EXPECT_EQ(safe->GetTuple1(static_cast<vtkIdType>(*overVentricle)), 0.0)
        << "a path through the ventricle is unsafe";
    const RunResult badSide =
        runDbsplan("risk-map " + (dir / "plan.json").string() + " --side X --out " + vtp);
    EXPECT_EQ(badSide.exitCode, 2);
    EXPECT_NE(badSide.err.find("--side"), std::string::npos) << badSide.err;
  }

  // dbsplan edit: the window's edits from the command line, re-scored without registering again,
  // the plan rewritten in place; then to another folder with --out; bad options named; a changed
  // file the plan refers to refused.
  const std::string planJson = (dir / "plan.json").string();
  const RunResult edit = runDbsplan("edit " + planJson + " --target L -19.5,-6,-5 --depth R 1 --json");
  ASSERT_EQ(edit.exitCode, 0) << edit.err;
  const nlohmann::json report = nlohmann::json::parse(edit.out);
  ASSERT_EQ(report.at("edits").size(), 2u);
  for (const auto& e : report.at("edits")) EXPECT_GE(e.at("rescore_seconds").get<double>(), 0.0);
  ASSERT_EQ(report.at("trajectories").size(), 2u);
  nlohmann::json edited;
  std::ifstream(planJson) >> edited;
  EXPECT_EQ(edited.at("trajectories")[0].at("target_ras"), nlohmann::json::array({-19.5, -6.0, -5.0}));
  EXPECT_EQ(edited.at("trajectories")[0].at("origin"), "manual");
  EXPECT_EQ(edited.at("trajectories")[1].at("deepest_contact_beyond_target_mm"), 1.0);
  ASSERT_EQ(edited.at("history").size(), 2u);
  EXPECT_EQ(edited.at("history")[0].at("action"), "set_depth");
  EXPECT_EQ(edited.at("history")[1].at("action"), "move_target");
  EXPECT_EQ(edited.at("history")[1].at("to"), nlohmann::json::array({-19.5, -6.0, -5.0}));
  EXPECT_EQ(runDbsplan("plan-info " + planJson).exitCode, 0);

  fs::create_directories(dir / "copy");
  const std::string copy = (dir / "copy" / "plan2.json").string();
  const RunResult chosen = runDbsplan("edit " + planJson + " --choose R 1 --out " + copy);
  ASSERT_EQ(chosen.exitCode, 0) << chosen.err;
  nlohmann::json copied;
  std::ifstream(copy) >> copied;
  // Saved elsewhere, the plan takes its files along (issue 23): the new folder is self-contained.
  EXPECT_EQ(copied.at("labels"), "labels.nii.gz");
  EXPECT_TRUE(fs::exists(dir / "copy" / "labels.nii.gz"));
  EXPECT_EQ(copied.at("history").back().at("action"), "choose_alternative");
  EXPECT_EQ(runDbsplan("edit " + copy + " --depth L 0.5").exitCode, 0) << "a plan saved elsewhere reopens";
  nlohmann::json unchanged;
  std::ifstream(planJson) >> unchanged;
  EXPECT_EQ(unchanged, edited) << "--out changed the original plan";

  const RunResult badSide = runDbsplan("edit " + planJson + " --target X 1,2,3");
  EXPECT_EQ(badSide.exitCode, 2);
  EXPECT_NE(badSide.err.find("--target"), std::string::npos) << badSide.err;
  const RunResult badDepth = runDbsplan("edit " + planJson + " --depth L 40");
  EXPECT_EQ(badDepth.exitCode, 2);
  EXPECT_NE(badDepth.err.find("--depth"), std::string::npos) << badDepth.err;
  std::ofstream(dir / "labels.nii.gz", std::ios::app) << "x";
  const RunResult damaged = runDbsplan("edit " + planJson + " --depth L 0");
  EXPECT_EQ(damaged.exitCode, 1);
  EXPECT_NE(damaged.err.find("labels.nii.gz has changed since the plan was written"), std::string::npos)
      << damaged.err;
  nlohmann::json after;
  std::ifstream(planJson) >> after;
  EXPECT_EQ(after, edited) << "a refused edit changed the plan";
  fs::remove_all(dir);
}

// Issue 11: a plan's outputs are one generation. `plan` is SIGKILLed at random moments (and once
// at each side of its commit manifest); after the next dbsplan has opened the folder (plan-info),
// it holds either the whole previous generation, byte for byte, or the whole new one: every file
// written by the new run and matching the new plan.json's checksums. Never a mixture, never a
// temporary.
TEST(CliPlan, KilledAtRandomMomentsLeavesTheWholeOldOrTheWholeNewGeneration) {
  const fs::path dir = fs::temp_directory_path() / ("dbs_cli_plankill_" + std::to_string(getpid()));
  fs::remove_all(dir);
  using Folder = std::map<std::string, std::string>;
  auto readFolder = [&] { return test::folderContents(dir); };
  // The phantom plans in about 15 s; two candidate counts tell the generations' plan.json apart.
  auto planCommand = [&](int candidates) {
    return "plan --sample phantom --candidates " + std::to_string(candidates) + " --out " + dir.string();
  };
  const auto firstStart = std::chrono::steady_clock::now();
  const RunResult first = runDbsplan(planCommand(200));
  ASSERT_EQ(first.exitCode, 0) << first.err;
  const auto planDuration = std::chrono::steady_clock::now() - firstStart;
  Folder previous = readFolder();
  ASSERT_EQ(previous.size(), 9u) << "plan, labels (2), locate, transforms (2), risk map, report, scene";

  // Starts `plan` with `candidates`; kills it after `killAfter` (0: let it run or the hook kill it).
  fs::file_time_type lastRunStarted;
  auto runAndKill = [&](int candidates, std::chrono::milliseconds killAfter, int hookStep) {
    lastRunStarted = fs::file_time_type::clock::now();
    const pid_t child = fork();
    if (child == 0) {
      setenv("XDG_CONFIG_HOME", (fs::temp_directory_path() / "dbs_app_tests" / "config_kill").c_str(), 1);
      if (hookStep >= 0) setenv("DBSPLAN_TEST_KILL_AT_COMMIT_STEP", std::to_string(hookStep).c_str(), 1);
      const std::string command =
          std::string(DBSPLAN_EXECUTABLE) + " " + planCommand(candidates) + " >/dev/null 2>&1";
      execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (killAfter.count() > 0) {
      // Poll so a run that finishes early is not waited for.
      const auto until = std::chrono::steady_clock::now() + killAfter;
      while (std::chrono::steady_clock::now() < until && waitpid(child, nullptr, WNOHANG) == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      kill(child, SIGKILL);
    }
    waitpid(child, nullptr, 0);
  };

  auto checkOneWholeGeneration = [&](int candidates, const std::string& what) -> std::string {
    const RunResult info = runDbsplan("plan-info " + (dir / "plan.json").string());  // recovers the folder
    EXPECT_EQ(info.exitCode, 0) << what << ": " << info.err;
    const Folder now = readFolder();
    if (now == previous) return "old";
    EXPECT_EQ(now.size(), previous.size()) << what << ": a file too many or too few (a temporary?)";
    for (const auto& [name, bytes] : now) EXPECT_EQ(previous.count(name), 1u) << what << ": " << name;
    const PlanDocument plan = readPlan((dir / "plan.json").string());
    EXPECT_EQ(plan.search.settings.at("candidates_per_side").get<int>(), candidates)
        << what << ": not the new plan";
    EXPECT_EQ(planReferencedFilesProblem(plan, dir.string()), "") << what << ": files of another generation";
    // Every file, the report and scene too (the plan has no checksum of them), is the new run's.
    for (const auto& [name, bytes] : now)
      EXPECT_GE(fs::last_write_time(dir / name), lastRunStarted)
          << what << ": " << name << " is older than the run";
    previous = now;
    return "new";
  };

  // Deterministic: just before the manifest (the old generation must stay) and in the middle of
  // the renames (the next dbsplan must finish them).
  int candidates = 300;
  runAndKill(candidates, std::chrono::milliseconds(0), 0);
  EXPECT_EQ(checkOneWholeGeneration(candidates, "killed before the manifest"), "old");
  runAndKill(candidates, std::chrono::milliseconds(0), 3);
  EXPECT_EQ(checkOneWholeGeneration(candidates, "killed after 2 of the renames"), "new");

  std::mt19937 random(11);
  const long longest = std::chrono::duration_cast<std::chrono::milliseconds>(planDuration).count() * 11 / 10;
  std::uniform_int_distribution<long> moment(200, std::max(400L, longest));
  for (int kill = 0; kill < 2; ++kill) {
    candidates = candidates == 300 ? 400 : 300;
    const long after = moment(random);
    runAndKill(candidates, std::chrono::milliseconds(after), -1);
    const std::string outcome =
        checkOneWholeGeneration(candidates, "killed after " + std::to_string(after) + " ms");
    if (outcome == "old") candidates = candidates == 300 ? 400 : 300;  // the folder still has the other
    std::cerr << "kill after " << after << " ms: the " << outcome << " generation\n";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbs
