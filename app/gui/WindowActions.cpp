#include "gui/WindowActions.h"

#include <QActionGroup>
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

#include <cmath>
#include <fstream>
#include <utility>

#include <itkConfigure.h>
#include <vtkVersion.h>
#include <nlohmann/json.hpp>

#include "dbs/imaging/TemplateSpace.h"
#include "dbs/planning/DataPaths.h"
#include "figures/PlanFigures.h"
#include "gui/MainWindow.h"
#include "gui/WindowSettings.h"

namespace dbs::app {

WindowActions::WindowActions(MainWindow& window, QDockWidget* probesEyeDock, QDockWidget* alongPathDock)
    : window_(window) {
  QMenuBar* bar = window.menuBar();
  buildFileMenu(bar);
  buildEditMenu(bar);
  buildViewMenu(bar, probesEyeDock, alongPathDock);
  buildToolsMenu(bar);
  buildHelpMenu(bar);
}

void WindowActions::buildFileMenu(QMenuBar* bar) {
  MainWindow* w = &window_;
  QMenu* file = bar->addMenu("&File");
  file->addAction("&Open image...", QKeySequence::Open, w, [w] {
    const QString path = QFileDialog::getOpenFileName(
        w, "Open image", WindowSettings::lastFolder(),
        "Images (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.dcm);;All files (*)");
    if (!path.isEmpty()) w->openPath(path);
  });
  file->addAction("Open &DICOM folder...", w, [w] {
    const QString dir =
        QFileDialog::getExistingDirectory(w, "Open DICOM folder", WindowSettings::lastFolder());
    if (!dir.isEmpty()) w->openPath(dir);
  });
  QMenu* samples = file->addMenu("Open &sample");
  try {
    for (const Sample& sample : SampleCatalogue::standard().samples()) {
      QAction* action =
          samples->addAction(QString::fromStdString(sample.name + ": " + sample.title), w,
                             [w, name = sample.name] { w->openSample(QString::fromStdString(name)); });
      action->setToolTip(QString::fromStdString(sample.description));
    }
  } catch (const std::exception& e) {
    samples->addAction(QString("sample catalogue unavailable: ") + e.what())->setEnabled(false);
  }
  file->addAction("Open &plan...", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), w, [w] {
    const QString path = QFileDialog::getOpenFileName(
        w, "Open plan", WindowSettings::lastFolder(),
        "dbsplan plans (plan.json *.plan.json);;JSON files (*.json);;All files (*)");
    if (!path.isEmpty()) w->openPlan(path);
  });
  file->addAction("Open &labels...", w, [w] {
    const QString path = QFileDialog::getOpenFileName(w, "Open label map", WindowSettings::lastFolder(),
                                                      "Label maps (*.nii *.nii.gz *.nrrd *.mha)");
    if (!path.isEmpty()) w->openLabels(path);
  });
  recentMenu_ = file->addMenu("&Recent files");
  rebuildRecentMenu();
  file->addSeparator();
  save_ = file->addAction("&Save plan", QKeySequence::Save, w, [w] { w->savePlan(); });
  // Explicit: QKeySequence::SaveAs is empty on some platforms' key bindings.
  saveAs_ = file->addAction("Save plan &as...", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), w, [w] {
    const QString path = QFileDialog::getSaveFileName(
        w, "Save plan as", WindowSettings::lastFolder() + "/plan.json", "dbsplan plans (*.json)");
    if (!path.isEmpty()) w->savePlanAs(path);
  });
  exportReport_ = file->addAction("Export &report (PDF)...", QKeySequence(Qt::CTRL | Qt::Key_E), w, [w] {
    const QString path = QFileDialog::getSaveFileName(
        w, "Export report", WindowSettings::planFolder(w->session()) + "/report.pdf", "PDF (*.pdf)");
    if (!path.isEmpty()) w->exportReport(path);
  });
  exportScene_ = file->addAction("Export s&cene (PNG)...", w, [w] {
    const QString path = QFileDialog::getSaveFileName(
        w, "Export 3D scene", WindowSettings::planFolder(w->session()) + "/scene.png", "PNG (*.png)");
    if (!path.isEmpty()) w->exportScene(path);
  });
  QMenu* screenshots = file->addMenu("Save screens&hot");
  screenshots->addAction("&Whole window...", w, [this] { saveScreenshot(nullptr, "dbsplan"); });
  for (SliceOrientation o :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    SliceViewWidget* view = w->sliceView(o);
    const QString name = sliceOrientationName(view->sliceRenderer().orientation());
    screenshots->addAction(name + " view...", w,
                           [this, view, name] { saveScreenshot(view, name.toLower()); });
  }
  screenshots->addAction("&3D view...", w, [this, w] { saveScreenshot(w->sceneView(), "3d"); });
  file->addSeparator();
  // Back to the empty window, as at start-up (asks first about unsaved edits, like Quit).
  close_ = file->addAction("&Close", QKeySequence(Qt::CTRL | Qt::Key_W), w, [w] { w->closeImage(); });
  file->addAction("&Quit", QKeySequence::Quit, w, &QWidget::close);
}

void WindowActions::buildEditMenu(QMenuBar* bar) {
  MainWindow* w = &window_;
  QMenu* edit = bar->addMenu("&Edit");
  undo_ = edit->addAction("&Undo", QKeySequence::Undo, w, [w] { w->undo(); });
  redo_ = edit->addAction("&Redo", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), w, [w] { w->redo(); });
  edit->addSeparator();
  placeAc_ = edit->addAction("Place &AC at the crosshair", w,
                             [w] { w->applyEdit(PlanEdit::placeAc(w->model().crosshairRas())); });
  placeAc_->setToolTip("Moves the anterior commissure to the crosshair; every AC-PC coordinate follows");
  placePc_ = edit->addAction("Place &PC at the crosshair", w,
                             [w] { w->applyEdit(PlanEdit::placePc(w->model().crosshairRas())); });
  note_ = edit->addAction("Review &note...", w, [w] {
    if (!w->session()) return;
    bool ok = false;
    const QString text =
        QInputDialog::getMultiLineText(w, "Review note", "The reviewing team's note on this plan:",
                                       QString::fromStdString(w->session()->plan().reviewNote), &ok);
    if (ok) w->applyEdit(PlanEdit::editNote(text.toStdString()));
  });
}

void WindowActions::buildViewMenu(QMenuBar* bar, QDockWidget* probesEyeDock, QDockWidget* alongPathDock) {
  MainWindow* w = &window_;
  QMenu* view = bar->addMenu("&View");
  view->addAction("Reset &window/level", w, [w] {
    if (w->model().volume()) w->model().resetWindowLevel();
  });
  QMenu* layout = view->addMenu("La&yout");
  layout->addAction("&Four views", w, [w] { w->showOnlyView(nullptr); });
  for (SliceOrientation o : {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal})
    layout->addAction(QString(sliceOrientationName(o)) + " only", w,
                      [w, o] { w->showOnlyView(w->sliceView(o)); });
  layout->addAction("&3D only", w, [w] { w->showOnlyView(w->sceneView()); });
  QMenu* textSize = view->addMenu("&Text size");
  auto* textSizes = new QActionGroup(textSize);
  for (const auto& [name, scale] :
       {std::pair{"&Normal", 1.0}, std::pair{"&Large", 1.25}, std::pair{"&Projector", 1.6}}) {
    QAction* size = textSize->addAction(name, w, [w, scale = scale] { w->setTextScale(scale); });
    size->setCheckable(true);
    size->setChecked(std::abs(scale - w->textScale()) < 1e-6);  // as restored from the settings
    textSizes->addAction(size);
  }
  QMenu* presets = view->addMenu("Window/level &presets");
  using Preset = ViewerModel::WindowLevelPreset;
  for (const auto& [name, preset] : {std::pair{"&Automatic (0.5-99.5th percentile)", Preset::Automatic},
                                     std::pair{"&Grey/white matter contrast", Preset::GreyWhite},
                                     std::pair{"&Full range (minimum to maximum)", Preset::FullRange}})
    presets->addAction(name, w, [w, preset = preset] { w->model().applyWindowLevelPreset(preset); });
  QAction* showLabels = view->addAction("Show &labels");
  showLabels->setCheckable(true);
  showLabels->setChecked(true);
  QObject::connect(showLabels, &QAction::toggled, w, [w](bool on) { w->model().setLabelsVisible(on); });
  view->addAction("Reset &3D camera", w, [w] {
    w->sceneView()->sceneRenderer().resetCamera();
    w->sceneView()->update();
  });
  QAction* probesEye = probesEyeDock->toggleViewAction();
  probesEye->setText("&Probe's eye");
  probesEye->setStatusTip(
      "Look down the selected lead: the image perpendicular to it, scrolled along its path");
  view->addAction(probesEye);
  view->addAction("&Schematic (both leads in 3D)...", w, [w] { w->showSchematic(); });
  view->addAction("&Implanted system (leads, extensions, generator)...", w,
                  [w] { w->showImplantedSystem(); });
  QAction* alongPath = alongPathDock->toggleViewAction();
  alongPath->setText("&Along the path");
  alongPath->setStatusTip(
      "See the selected lead whole: the oblique plane that holds its path, turned about it");
  view->addAction(alongPath);
  riskMap = view->addAction("Scalp &risk map");
  riskMap->setObjectName("riskMapAction");
  riskMap->setCheckable(true);
  riskMap->setStatusTip(
      "Colour the scalp in the 3-D view by the risk of entering there for the selected side's target; "
      "click it to move that side's entry");
}

namespace {

// The stereotactic image for a frame registration: a volume file, or any file of a DICOM series
// (a frame CT usually comes as one), which stands for its folder.
QString chooseStereotacticImage(QWidget* parent) {
  const QString path = QFileDialog::getOpenFileName(
      parent,
      "The stereotactic image: a CT or MR with the frame's N-localizer on (for DICOM: any file of the "
      "series)",
      WindowSettings::lastFolder(), "Images (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.dcm);;All files (*)");
  if (path.isEmpty()) return path;
  static const QStringList volumeSuffixes{"nii", "gz", "nrrd", "nhdr", "mha", "mhd"};
  return volumeSuffixes.contains(QFileInfo(path).suffix().toLower()) ? path : QFileInfo(path).absolutePath();
}

}  // namespace

void WindowActions::buildToolsMenu(QMenuBar* bar) {
  MainWindow* w = &window_;
  QMenu* tools = bar->addMenu("&Tools");
  tools->addAction("&Locate GPi (atlas registration)", w, [w] { w->locateGpiInCurrentImage(); });
  tools->addAction("&Plan bilateral trajectories...", w, [w] {
    if (!w->model().volume()) {
      QMessageBox::information(w, "dbsplan",
                               "Open a patient T1 first: File > Open image, or File > Open sample.");
      return;
    }
    const QString dir = QFileDialog::getExistingDirectory(w, "Folder for plan.json, report.pdf and scene.png",
                                                          WindowSettings::lastFolder());
    if (dir.isEmpty()) return;
    const QString chosen = folderToPlanInto(w, dir);
    if (!chosen.isEmpty()) w->planTrajectoriesForCurrentImage(chosen);
  });
  registerFrame_ = tools->addAction("Register &frame (stereotactic CT/MR)...", w, [w] {
    if (const QString path = chooseStereotacticImage(w); !path.isEmpty()) w->registerFrame(path);
  });
  registerFrameByHand_ = tools->addAction("Register frame by &hand (click the rods)...", w, [w] {
    if (const QString path = chooseStereotacticImage(w); !path.isEmpty()) w->registerFrameByHand(path);
  });
  registerFrameByHand_->setStatusTip(
      "When the automatic detection refuses: click the localizer's rods on a few slices; the same solver");
  registerFrame_->setStatusTip(
      "Find the Leksell G localizer in a frame CT, register it to the plan's image, and show X, Y, Z, arc "
      "and "
      "ring per side");
}

// A folder typed or picked in the dialog once received the plan at once, beside another plan's or
// unrelated files (issue 23). A folder with a plan asks before replacing it; a folder with other
// things in it offers a new folder inside it. "" when the user declines.
QString WindowActions::folderToPlanInto(QWidget* parent, const QString& dir) {
  const QDir folder(dir);
  if (folder.exists("plan.json")) {
    const QString written =
        QFileInfo(folder.filePath("plan.json")).lastModified().toString("yyyy-MM-dd hh:mm");
    const auto answer = QMessageBox::question(
        parent, "dbsplan: replace the plan in this folder?",
        dir + " already holds a plan (plan.json, written " + written +
            "). Planning here replaces it and its files (labels, risk structures, report, scene).\n\n"
            "Replace it?",
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    return answer == QMessageBox::Yes ? dir : QString();
  }
  const QStringList contents = folder.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
  if (contents.isEmpty()) return dir;
  const QString name = "dbsplan-plan-" + QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss");
  const auto answer = QMessageBox::question(
      parent, "dbsplan: plan into a new folder?",
      dir + " is not empty (" + QString::number(contents.size()) +
          " items). A plan writes several files; plan into a new folder inside it, " + name + "?",
      QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes);
  if (answer != QMessageBox::Yes) return {};
  if (!folder.mkdir(name)) {
    QMessageBox::critical(parent, "dbsplan: cannot plan", "Cannot create " + folder.filePath(name));
    return {};
  }
  return folder.filePath(name);
}

void WindowActions::buildHelpMenu(QMenuBar* bar) {
  MainWindow* w = &window_;
  QMenu* help = bar->addMenu("&Help");
  help->addAction("&Mouse and keys", w, [w] {
    QMessageBox::information(
        w, "dbsplan",
        "Any view: double-click shows it alone, double-click again shows all four (View > Layout).\n"
        "Slice views: left-click or drag to move the crosshair; wheel, Up/Down or PgUp/PgDn to change "
        "slice (Shift: 5 slices); Ctrl+wheel, a pinch or +/- to zoom; middle-drag to pan; Home to show "
        "the whole slice; right-drag to change window (horizontal) and level (vertical), their values "
        "shown while you drag; Shift+drag to measure (a ruler, its length in mm; Shift+click takes it "
        "away).\n"
        "Plan: drag a target (magenta) or an entry (cyan) in any slice view; the path, its "
        "margins and the panel follow while you drag, releasing applies the edit.\n"
        "Ctrl+Z undo, Ctrl+Shift+Z redo, Ctrl+S save the plan, Ctrl+Shift+S save it as, Ctrl+Shift+O open "
        "a plan, Ctrl+E export the report, Ctrl+W close the plan and the image.\n"
        "3D view: left-drag to rotate, right-drag or wheel to zoom, middle-drag to pan; with View > Scalp "
        "risk map on, a click on the scalp moves the selected side's entry there.\n"
        "Probe's eye: wheel, Up/Down or PgUp/PgDn move along the selected lead; Home returns to the target.\n"
        "Along the path: wheel, Up/Down or PgUp/PgDn turn the plane about the lead; Home returns to 0 deg.\n"
        "All coordinates are patient RAS in millimetres.");
  });
  help->addAction("&Guided tour...", w, [w] { w->startGuidedTour(); })
      ->setStatusTip(
          "A teacher's walk through the plan (the colin27 sample's when none is open), step by step");
  help->addAction("&About dbsplan", w, [w] { QMessageBox::about(w, "About dbsplan", aboutText()); });
}

void WindowActions::update(const PlanSession* session, bool imageOpen) {
  const bool plan = session != nullptr;
  close_->setEnabled(imageOpen || plan);
  save_->setEnabled(plan);
  saveAs_->setEnabled(plan);
  exportReport_->setEnabled(plan);
  exportScene_->setEnabled(plan);
  registerFrame_->setEnabled(plan);
  registerFrameByHand_->setEnabled(plan);
  placeAc_->setEnabled(plan);
  placePc_->setEnabled(plan);
  note_->setEnabled(plan);
  undo_->setEnabled(plan && session->canUndo());
  redo_->setEnabled(plan && session->canRedo());
  undo_->setText(plan && session->canUndo() ? "&Undo " + QString::fromStdString(session->undoText())
                                            : "&Undo");
  redo_->setText(plan && session->canRedo() ? "&Redo " + QString::fromStdString(session->redoText())
                                            : "&Redo");
}

void WindowActions::rebuildRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = WindowSettings::recentFiles();
  MainWindow* w = &window_;
  for (const QString& path : recent) recentMenu_->addAction(path, w, [w, path] { w->openPath(path); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

void WindowActions::saveScreenshot(QWidget* view, const QString& name) {
  const QString path = QFileDialog::getSaveFileName(
      &window_, "Save screenshot", WindowSettings::lastFolder() + "/" + name + ".png", "PNG (*.png)");
  if (path.isEmpty()) return;
  QApplication::processEvents();
  const QImage image = view ? view->grab().toImage() : window_.renderToImage();
  try {  // atomic: a failure never leaves a partial PNG
    writePngAtomically(image, path.toStdString());
  } catch (const std::exception& e) {
    QMessageBox::warning(&window_, "dbsplan", QString::fromStdString(e.what()));
    return;
  }
  WindowSettings::rememberFolder(path);
  window_.statusBar()->showMessage("Screenshot written: " + path, 5000);
}

QString aboutText() {
  // The atlas the build derived, as its own JSON describes it (data/tools/make_atlas.cpp).
  QString atlas = "not found (build the dbs_atlas target)";
  try {
    std::ifstream in(buildDataPath("atlas/dbs_atlas_mni.json"));
    if (in) {
      const nlohmann::json j = nlohmann::json::parse(in);
      QStringList inputs;
      for (const auto& [role, path] : j.at("derived_from").items())
        if (path.is_string()) inputs << QString::fromStdString(role + ": " + path.get<std::string>());
      atlas = QString("version %1, derived at build time from %2")
                  .arg(j.at("atlas_version").get<int>())
                  .arg(inputs.join("; ").toHtmlEscaped());
    }
  } catch (const std::exception& e) {
    atlas = QString("unreadable (%1)").arg(QString::fromUtf8(e.what()).toHtmlEscaped());
  }
  return QString(
             "<h3>dbsplan %1</h3>"
             "<p>Planning deep brain stimulation of the internal globus pallidus (GPi): atlas registration, "
             "bilateral trajectory search, margins, plan files and reports. For planning review and "
             "teaching; "
             "every plan needs a surgeon's own check on the patient's images.</p>"
             "<p><b>Libraries:</b> Qt %2, VTK %3, ITK %4.</p>"
             "<p><b>Atlas:</b> %5.</p>"
             "<p><b>Template space:</b> %6. %7</p>"
             "<p><b>Sources of the atlas numbers:</b> data/atlas/SOURCES.md (every rule and number with its "
             "reference: AAL, Colin27 at 0.5 mm, JHU white-matter labels, Thoerner 1975 for the GPi "
             "fraction, "
             "Valsky et al. 2020 (eLife 9:e57445) for the indirect target).</p>"
             "<p>All coordinates are patient RAS in millimetres unless named otherwise.</p>")
      .arg(DBS_VERSION, qVersion(), vtkVersion::GetVTKVersion(), ITK_VERSION_STRING, atlas,
           QString(kTemplateSpaceName).toHtmlEscaped(), QString(kTemplateSpaceNote).toHtmlEscaped());
}

}  // namespace dbs::app
