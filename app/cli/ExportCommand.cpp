// `dbsplan export`: a plan in the files other tools open. --slicer DIR: 3D Slicer's markups, a
// segmentation, the T1 and a scene (planning/SlicerExport.h). --dicom DIR: for navigation systems,
// the T1 with the leads burned in as a derived MR series and the report as an Encapsulated PDF
// (planning/DicomExport.h). The plan is opened and verified as every command opens it (its image and
// files checked against their checksums) before anything is written.
#include <CLI/CLI.hpp>

#include <QApplication>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/DicomExport.h"
#include "dbs/planning/PlanSession.h"
#include "dbs/planning/SlicerExport.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "render/GlContext.h"

namespace dbs::app {

namespace {

namespace fs = std::filesystem;

struct ExportOptions {
  std::string planPath, slicerDir, dicomDir, reportPath, coordinates = "LPS";
};

bool haveDisplay() {
  const char* display = std::getenv("DISPLAY");
  return display && *display;
}

// The plan's report (PDF, with the frame sheets once registered), rendered now: needs an X display.
void renderReport(const PlanSession& session, const CommandLine& commandLine, const std::string& pdfPath) {
  setDefaultOpenGLSurfaceFormat();
  int argc = commandLine.argc;
  QApplication app(argc, commandLine.argv);
  writePlanReport(session.result(), pdfPath, renderPlanScene(session.result(), QSize(1600, 1200)));
}

// The report to encapsulate: the plan's own report.pdf beside it, else one rendered now (which needs
// an X display); "" when neither can be had, with the reason in `why`.
std::string reportForDicom(const ExportOptions& o, const PlanSession& session, const CommandLine& commandLine,
                           std::string* why) {
  if (!o.reportPath.empty()) return o.reportPath;  // written just before, from this plan
  const fs::path beside = fs::absolute(o.planPath).parent_path() / "report.pdf";
  // A report older than the plan lacks its last edits (a frame registration's sheets, a moved lead).
  std::error_code ec;
  if (fs::is_regular_file(beside) && fs::last_write_time(beside, ec) >= fs::last_write_time(o.planPath, ec))
    return beside.string();
  if (!haveDisplay()) {
    *why =
        "no report.pdf beside the plan, and no X display to render one: the Encapsulated PDF is not written "
        "(plan without --no-figures, or export with a display)";
    return {};
  }
  const fs::path rendered = fs::path(o.dicomDir) / "report.pdf";
  renderReport(session, commandLine, rendered.string());
  return rendered.string();
}

int runExport(const ExportOptions& o, const CommandLine& commandLine) {
  if (o.slicerDir.empty() && o.dicomDir.empty() && o.reportPath.empty()) {
    std::cerr << "dbsplan export: say what to export (--slicer DIR, --dicom DIR, --report PDF); see dbsplan "
                 "export --help\n";
    return 2;
  }
  if (!o.reportPath.empty() && !haveDisplay()) {
    std::cerr << "dbsplan export: --report renders the plan's figures and needs an X display (run it under "
                 "xvfb-run on a server)\n";
    return 1;
  }
  std::vector<std::string> warnings;
  const std::unique_ptr<PlanSession> session = PlanSession::open(o.planPath, &warnings);
  for (const std::string& w : warnings) std::cerr << "dbsplan export: warning: " << w << "\n";
  if (!o.reportPath.empty()) {
    renderReport(*session, commandLine, o.reportPath);
    std::cout << "report written: " << o.reportPath
              << (session->plan().frame ? " (with the frame sheets)" : "") << "\n";
  }
  if (!o.slicerDir.empty()) {
    const std::vector<std::string> files = exportPlanToSlicer(
        *session, o.slicerDir, o.coordinates == "RAS" ? MarkupsCoordinates::Ras : MarkupsCoordinates::Lps);
    std::cout << "Slicer files written to " << o.slicerDir << " (markups in " << o.coordinates << " mm):\n";
    for (const std::string& f : files) std::cout << "  " << f << "\n";
    std::cout << "open plan.mrml in 3D Slicer (File > Add Data), or drag the files onto it\n";
  }
  if (!o.dicomDir.empty()) {
    fs::create_directories(o.dicomDir);
    std::string why;
    const std::string report = reportForDicom(o, *session, commandLine, &why);
    const DicomExportResult result = exportPlanToDicom(*session, o.dicomDir, report);
    std::cout << "DICOM written to " << o.dicomDir << ": " << result.files.size() - (report.empty() ? 0 : 1)
              << " slices of the T1 with the leads burned in (series/)"
              << (report.empty() ? "" : ", the report as Encapsulated PDF (report.dcm)") << "\n";
    for (const std::string& note : result.notes) std::cout << "  note: " << note << "\n";
    if (!why.empty()) std::cout << "  note: " << why << "\n";
  }
  return 0;
}

}  // namespace

Command exportCommand() {
  return {"export", "Planning", "a plan in the files other tools open: 3D Slicer, DICOM, the PDF report",
          [](CLI::App& cli, const CommandLine& commandLine) -> CommandRun {
            auto o = std::make_shared<ExportOptions>();
            cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            cli.add_option("PLAN", o->planPath, "plan.json to export")
                ->required()
                ->check(CLI::ExistingFile.description(""))
                ->type_name("");
            cli.add_option("--slicer", o->slicerDir,
                           "folder for 3D Slicer: each trajectory a Markups Line, landmarks and targets as "
                           "Markups Fiducials, the labels as a segmentation, the T1, and plan.mrml")
                ->type_name("DIR");
            cli.add_option("--markups-coordinates", o->coordinates,
                           "the markups files' coordinate system: LPS (what Slicer writes) or RAS")
                ->check(CLI::IsMember({"LPS", "RAS"}))
                ->type_name("LPS|RAS");
            cli.add_option(
                   "--dicom", o->dicomDir,
                   "folder for navigation systems: the T1 with the leads, contacts and targets burned in "
                   "as a derived MR series (series/), and the report as Encapsulated PDF (report.dcm)")
                ->type_name("DIR");
            cli.add_option("--report", o->reportPath,
                           "the plan's report as PDF, with a frame-settings page per side once the plan is "
                           "registered to a frame (needs an X display)")
                ->type_name("PDF");
            return [o, commandLine] { return runExport(*o, commandLine); };
          }};
}

}  // namespace dbs::app
