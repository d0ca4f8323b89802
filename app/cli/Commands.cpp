#include "cli/Commands.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTimer>

#include <cstdio>
#include <filesystem>
#include <optional>

#include <unistd.h>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/PlanDocument.h"
#include "dbs/planning/PlanSession.h"
#include "dbs/planning/SampleCatalogue.h"
#include "gui/MainWindow.h"
#include "gui/SampleLoading.h"
#include "render/GlContext.h"

namespace dbs::app {

namespace fs = std::filesystem;

namespace {

nlohmann::json vecJson(Vec3 v) {
  return nlohmann::json::array({v.x, v.y, v.z});
}

std::string formatVec(Vec3 v, int precision = 3) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << "(" << v.x << ", " << v.y << ", " << v.z << ")";
  return s.str();
}

}  // namespace

std::string terminalSafe(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  char hex[16];
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (c1) {
      std::snprintf(hex, sizeof hex, "\\xc2\\x%02x", static_cast<unsigned char>(text[++i]));
      out += hex;
    } else {
      out += text[i];
    }
  }
  return out;
}

nlohmann::json volumeInfoJson(const Volume& volume) {
  const ImageGeometry& g = volume.geometry;
  const IntensityRange range = intensityRange(*volume.image);
  nlohmann::json matrix = nlohmann::json::array();
  for (int r = 0; r < 4; ++r)
    matrix.push_back(
        {g.rasFromIjk.m[r][0], g.rasFromIjk.m[r][1], g.rasFromIjk.m[r][2], g.rasFromIjk.m[r][3]});
  const auto bounds = g.rasBoundsMm();
  nlohmann::json j;
  j["path"] = volume.path;
  j["format"] = volume.format;
  j["pixel_type"] = volume.storedPixelType;
  j["dimensions"] = {g.size[0], g.size[1], g.size[2]};
  j["spacing_mm"] = vecJson(g.spacingMm());
  j["orientation"] = g.orientationCode();
  j["orientation_convention"] = "letter i = patient direction voxel axis i points towards (nibabel)";
  j["geometry_source"] = volume.geometrySource;
  j["ras_from_ijk"] = matrix;
  j["bounds_ras_mm"] = {{"min", vecJson(bounds[0])}, {"max", vecJson(bounds[1])}};
  j["centre_ras_mm"] =
      vecJson(g.rasFromIndex({(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0}));
  j["intensity"] = {
      {"min", range.min}, {"max", range.max}, {"p0_5", range.robustLow}, {"p99_5", range.robustHigh}};
  j["notes"] = volume.notes;
  return j;
}

bool printProgress(double fraction, const std::string& step) {
  std::cerr << "[" << std::setw(3) << static_cast<int>(fraction * 100) << "%] " << step << "\n";
  return true;
}

int runSample(const std::vector<std::string>& args) {
  const auto& catalogue = SampleCatalogue::standard();
  if (args.empty() || args[0] == "list") {
    for (const Sample& s : catalogue.samples()) {
      const std::string reason = s.missingReason();
      std::cout << std::left << std::setw(17) << s.name << s.title << "\n"
                << std::setw(17) << "" << (reason.empty() ? "ready: " + s.t1Path : reason) << "\n";
    }
    return 0;
  }
  if (args[0] == "path" && (args.size() == 2 || (args.size() == 3 && args[2] == "--labels"))) {
    const Sample& sample = catalogue.find(args[1]);
    ensureSampleReady(sample, printProgress);
    std::cout << (args.size() == 3 ? sample.labelsPath : sample.t1Path) << "\n";
    return 0;
  }
  std::cerr << "dbsplan sample: usage: dbsplan sample list | dbsplan sample path NAME [--labels]\n";
  return 2;
}

ProgressCallback stderrProgress() {
  auto lastPercent = std::make_shared<int>(-1);
  auto lastStep = std::make_shared<std::string>();
  return [lastPercent, lastStep](double fraction, const std::string& step) {
    const int percent = static_cast<int>(fraction * 100);
    if (step != *lastStep || percent >= *lastPercent + 10) {
      std::cerr << "[" << std::setw(3) << percent << "%] " << step << "\n";
      *lastPercent = percent;
      *lastStep = step;
    }
    return true;
  };
}

void printUsage() {
  std::cout
      << "dbsplan " << DBS_VERSION << ": planning deep brain stimulation of the internal globus pallidus\n\n"
      << "usage:\n"
      << "  dbsplan info IMAGE [--json]     geometry (RAS mm), orientation and intensities of an image\n"
      << "  dbsplan view [IMAGE [--labels LABELS] | --sample NAME | --plan PLAN.json] [--screenshot PNG] "
         "[--size WxH]\n"
      << "                                  open the viewer; with --screenshot render once, save, exit\n"
      << "  dbsplan locate IMAGE --out DIR [--with FILE]... [--json]\n"
      << "                                  find both GPi: atlas registration, labels, landmarks, targets\n"
      << "  dbsplan plan IMAGE|--sample NAME --out DIR [--json] [--electrode ID] [--vessels CONTRAST_T1]\n"
      << "               [--target L|R X,Y,Z] [--entry L|R X,Y,Z] [--candidates N] [--no-figures]\n"
      << "                                  locate both GPi, segment risk structures, search safe "
         "trajectories;\n"
      << "                                  writes plan.json, labels.nii.gz, report.pdf, scene.png\n"
      << "  dbsplan plan-info PLAN.json [--json]\n"
      << "                                  validate a plan file and summarise it\n"
      << "  dbsplan edit PLAN.json [--target L|R X,Y,Z] [--entry L|R X,Y,Z] [--electrode L|R ID] [--depth "
         "L|R MM]\n"
      << "               [--choose L|R N] [--out PLAN2.json] [--json]\n"
      << "                                  edit a saved plan without registering again (dbsplan edit "
         "--help)\n"
      << "  dbsplan risk-map PLAN.json --side L|R --out MAP.vtp [--json]\n"
      << "                                  the scalp coloured by the risk of entering there (VTK PolyData)\n"
      << "  dbsplan sample list | path NAME [--labels]\n"
      << "                                  the sample datasets (colin27, phantom) and their files\n"
      << "  dbsplan phantom --out DIR [--seed N] [--spacing SX,SY,SZ] [--orientation CODE] [--noise F] "
         "[--warp-mm MM]\n"
      << "                                  write the ground-truth phantom: T1, labels, truth JSON\n"
      << "  dbsplan --version\n\n"
      << "IMAGE: .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, or a folder of DICOM files.\n"
      << "All coordinates are patient RAS in millimetres (x right, y anterior, z superior).\n";
}

int runInfo(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "dbsplan info: unknown option " << a << "\n";
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::cerr << "dbsplan info: one image at a time (got " << path << " and " << a << ")\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "dbsplan info: missing IMAGE (usage: dbsplan info IMAGE [--json])\n";
    return 2;
  }
  LoadOptions options;
  options.allowShearedGeometry = true;  // info reports the file's exact affine, sheared or not
  const Volume volume = loadVolume(path, {}, options);
  const nlohmann::json j = volumeInfoJson(volume);
  if (json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const ImageGeometry& g = volume.geometry;
  const auto bounds = g.rasBoundsMm();
  std::cout << "file:         " << volume.path << "\n"
            << "format:       " << volume.format << " (" << volume.storedPixelType << ")\n"
            << "dimensions:   " << g.size[0] << " x " << g.size[1] << " x " << g.size[2] << " voxels\n"
            << "spacing:      " << formatVec(g.spacingMm(), 4) << " mm\n"
            << "orientation:  " << g.orientationCode() << " (voxel axes point to the patient's "
            << g.orientationCode() << ")\n"
            << "geometry:     " << volume.geometrySource << "\n"
            << "bounds (RAS): " << formatVec(bounds[0], 1) << " to " << formatVec(bounds[1], 1) << " mm\n"
            << "intensity:    " << j["intensity"]["min"].get<double>() << " to "
            << j["intensity"]["max"].get<double>() << " (0.5-99.5 percentile "
            << j["intensity"]["p0_5"].get<double>() << " to " << j["intensity"]["p99_5"].get<double>()
            << ")\n"
            << "ras_from_ijk: voxel index -> RAS mm\n";
  for (int r = 0; r < 4; ++r) {
    std::cout << "   ";
    for (int c = 0; c < 4; ++c)
      std::cout << std::setw(12) << std::fixed << std::setprecision(4) << g.rasFromIjk.m[r][c];
    std::cout << "\n";
  }
  for (const auto& note : volume.notes) std::cout << "note:         " << note << "\n";
  return 0;
}

int runView(int argc, char** argv, const std::vector<std::string>& args) {
  std::string path, screenshot, sampleName, labelsPath, planPath;
  int width = 1100, height = 900;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--screenshot" && i + 1 < args.size()) {
      screenshot = args[++i];
    } else if (a == "--sample" && i + 1 < args.size()) {
      sampleName = args[++i];
    } else if (a == "--labels" && i + 1 < args.size()) {
      labelsPath = args[++i];
    } else if (a == "--plan" && i + 1 < args.size()) {
      planPath = args[++i];
    } else if (a == "--size" && i + 1 < args.size()) {
      if (std::sscanf(args[++i].c_str(), "%dx%d", &width, &height) != 2 || width < 200 || height < 200 ||
          width > 8192 || height > 8192) {
        std::cerr << "dbsplan view: --size wants WxH between 200x200 and 8192x8192, got " << args[i] << "\n";
        return 2;
      }
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "dbsplan view: unknown or incomplete option " << a << "\n";
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::cerr << "dbsplan view: one image at a time\n";
      return 2;
    }
  }
  if (!planPath.empty() && (!path.empty() || !sampleName.empty() || !labelsPath.empty())) {
    std::cerr << "dbsplan view: --plan opens the plan's own image and labels: give it alone\n";
    return 2;
  }
  // A plan: reopened editable from its folder (image, labels, risk structures, transforms).
  std::shared_ptr<PlanSession> session;
  if (!planPath.empty()) {
    std::vector<std::string> warnings;
    session = PlanSession::open(planPath, &warnings);
    for (const std::string& w : warnings) std::cerr << "dbsplan view: warning: " << w << "\n";
  }
  if (!sampleName.empty() && !path.empty()) {
    std::cerr << "dbsplan view: give an IMAGE or --sample NAME, not both\n";
    return 2;
  }
  if (!screenshot.empty() && path.empty() && sampleName.empty() && planPath.empty()) {
    std::cerr << "dbsplan view: --screenshot needs an IMAGE or --sample NAME\n";
    return 2;
  }
  if (!labelsPath.empty() && path.empty()) {
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
  if (!sampleName.empty())
    scene = loadSampleScene(SampleCatalogue::standard().find(sampleName), printProgress);
  else if (!path.empty())
    scene = loadScene(path, labelsPath, {});

  // Qt wants a private runtime folder and warns on stderr when the session has none (CI, ssh).
  if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
    const QString runtime = QDir::tempPath() + "/dbsplan-runtime-" + QString::number(getuid());
    QDir().mkpath(runtime);
    QFile::setPermissions(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    qputenv("XDG_RUNTIME_DIR", runtime.toLocal8Bit());
  }
  setDefaultOpenGLSurfaceFormat();
  QApplication app(argc, argv);
  QApplication::setApplicationName("dbsplan");
  MainWindow window(nullptr, /*rememberLayout=*/screenshot.empty());
  window.resize(width, height);
  if (scene.volume) window.showScene(scene);
  if (session) window.showSession(session);
  window.show();
  if (screenshot.empty()) return QApplication::exec();

  // Render once and save atomically (temporary file, then rename), then exit.
  int status = 0;
  QTimer::singleShot(0, [&] {
    const QImage image = window.renderToImage();
    QSaveFile file(QString::fromStdString(screenshot));
    if (image.isNull() || !file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit()) {
      std::cerr << "dbsplan view: cannot write screenshot " << screenshot << "\n";
      status = 1;
    } else {
      std::cout << "screenshot written: " << QFileInfo(file.fileName()).absoluteFilePath().toStdString()
                << " (" << image.width() << "x" << image.height() << ")\n";
    }
    QApplication::quit();
  });
  QApplication::exec();
  return status;
}

}  // namespace dbs::app
