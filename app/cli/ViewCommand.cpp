// `dbsplan view`: the viewer on an image, a sample or a plan; with --screenshot it renders once,
// saves the picture atomically and exits.
#include <CLI/CLI.hpp>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/planning/PlanSession.h"
#include "dbs/planning/SampleCatalogue.h"
#include "figures/PlanFigures.h"
#include "gui/MainWindow.h"
#include "gui/SampleLoading.h"
#include "render/GlContext.h"

namespace dbs::app {

namespace {

struct ViewOptions {
  std::string path, screenshot, sampleName, labelsPath, planPath;
  int width = 1100, height = 900;
};

int runView(const ViewOptions& o, const CommandLine& commandLine) {
  if (!o.planPath.empty() && (!o.path.empty() || !o.sampleName.empty() || !o.labelsPath.empty())) {
    std::cerr << "dbsplan view: --plan opens the plan's own image and labels: give it alone\n";
    return 2;
  }
  // A plan: reopened editable from its folder (image, labels, risk structures, transforms).
  std::shared_ptr<PlanSession> session;
  if (!o.planPath.empty()) {
    std::vector<std::string> warnings;
    session = PlanSession::open(o.planPath, &warnings);
    for (const std::string& w : warnings) std::cerr << "dbsplan view: warning: " << w << "\n";
  }
  if (!o.sampleName.empty() && !o.path.empty()) {
    std::cerr << "dbsplan view: give an IMAGE or --sample NAME, not both\n";
    return 2;
  }
  if (!o.screenshot.empty() && o.path.empty() && o.sampleName.empty() && o.planPath.empty()) {
    std::cerr << "dbsplan view: --screenshot needs an IMAGE or --sample NAME\n";
    return 2;
  }
  if (!o.labelsPath.empty() && o.path.empty()) {
    std::cerr << "dbsplan view: --labels goes with an IMAGE\n";
    return 2;
  }
  // No display: say so in one line (Qt's xcb plugin would abort the process with a core dump).
  if (const std::string problem = displayProblem(); !problem.empty()) {
    std::cerr
        << "dbsplan view: " << problem
        << ": the viewer needs an X display; on a headless machine run `xvfb-run -a dbsplan view ...`\n";
    return 2;
  }
  // Load before any window exists: a bad file fails fast with one line, in scripts and tests alike.
  LoadedScene scene;
  if (!o.sampleName.empty())
    scene = loadSampleScene(SampleCatalogue::standard().find(o.sampleName), printProgress);
  else if (!o.path.empty())
    scene = loadScene(o.path, o.labelsPath, {});

  // Qt wants a private runtime folder and warns on stderr when the session has none (CI, ssh).
  if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
    const QString runtime = QDir::tempPath() + "/dbsplan-runtime-" + QString::number(getuid());
    QDir().mkpath(runtime);
    QFile::setPermissions(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    qputenv("XDG_RUNTIME_DIR", runtime.toLocal8Bit());
  }
  setDefaultOpenGLSurfaceFormat();
  int argc = commandLine.argc;
  QApplication app(argc, commandLine.argv);
  QApplication::setApplicationName("dbsplan");
  MainWindow window(nullptr, /*rememberLayout=*/o.screenshot.empty());
  window.resize(o.width, o.height);
  if (scene.volume) window.showScene(scene);
  if (session) window.showSession(session);
  window.show();
  if (o.screenshot.empty()) return QApplication::exec();

  // Render once and save atomically (temporary file, then rename), then exit.
  int status = 0;
  QTimer::singleShot(0, [&] {
    const QImage image = window.renderToImage();
    try {
      writePngAtomically(image, o.screenshot);
      std::cout << "screenshot written: "
                << QFileInfo(QString::fromStdString(o.screenshot)).absoluteFilePath().toStdString() << " ("
                << image.width() << "x" << image.height() << ")\n";
    } catch (const std::exception& e) {
      std::cerr << "dbsplan view: " << e.what() << "\n";
      status = 1;
    }
    QApplication::quit();
  });
  QApplication::exec();
  return status;
}

}  // namespace

Command viewCommand() {
  return {
      "view", "Images", "open the viewer; with --screenshot render once, save, exit",
      [](CLI::App& cli, const CommandLine& commandLine) -> CommandRun {
        auto o = std::make_shared<ViewOptions>();
        cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        cli.add_option("IMAGE", o->path,
                       "the image to show (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM folder)")
            ->type_name("");
        cli.add_option("--labels", o->labelsPath, "a label map on the IMAGE's grid, drawn over it")
            ->type_name("LABELS");
        cli.add_option("--sample", o->sampleName,
                       "a sample dataset instead of an IMAGE (dbsplan sample list)")
            ->type_name("NAME");
        cli.add_option("--plan", o->planPath, "reopen a plan for editing, with its own image and labels")
            ->type_name("PLAN.json");
        cli.add_option("--screenshot", o->screenshot, "render the window once into this PNG and exit")
            ->type_name("PNG");
        // "WxH" as sscanf reads it, each side 200 to 8192 pixels.
        cli.add_option_function<std::string>(
               "--size",
               [o](const std::string& text) {
                 int width = 0, height = 0;
                 if (std::sscanf(text.c_str(), "%dx%d", &width, &height) != 2 || width < 200 ||
                     height < 200 || width > 8192 || height > 8192)
                   throw CLI::ValidationError("--size wants WxH between 200x200 and 8192x8192, got " + text);
                 o->width = width;
                 o->height = height;
               },
               "the window's size in pixels, 200x200 to 8192x8192")
            ->default_str(std::to_string(o->width) + "x" + std::to_string(o->height))
            ->type_name("WxH");
        return [o, commandLine] { return runView(*o, commandLine); };
      }};
}

}  // namespace dbs::app
