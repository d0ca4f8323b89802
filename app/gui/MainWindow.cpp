#include "gui/MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPixmap>
#include <QProgressDialog>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <filesystem>
#include <fstream>

#include <itkConfigure.h>
#include <vtkVersion.h>
#include <nlohmann/json.hpp>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/TemplateSpace.h"
#include "dbs/planning/DataPaths.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/TrajectorySearch.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "gui/GuidedTour.h"
#include "gui/PlanFigureView.h"
#include "gui/PlanPanel.h"
#include "render/PlanActors.h"

namespace dbs::app {

namespace {
constexpr int kMaxRecentFiles = 8;
constexpr int kAutosaveDelayMs = 3000;  // after the last change: a drag's commit, an undo...
const char* kRecentKey = "recentFiles";
const char* kLastFolderKey = "lastFolder";
const char* kGeometryKey = "window/geometry";
const char* kStateKey = "window/state";

QSettings settings() {
  return QSettings("dbsplan", "dbsplan");
}

bool isPlanFile(const QString& path) {
  return path.endsWith(".json", Qt::CaseInsensitive);
}
}  // namespace

MainWindow::MainWindow(QWidget* parent, bool rememberLayout)
    : QMainWindow(parent), rememberLayout_(rememberLayout) {
  setWindowTitle("dbsplan");
  setAcceptDrops(true);
  auto* central = new QWidget(this);
  auto* grid = new QGridLayout(central);
  grid->setContentsMargins(2, 2, 2, 2);
  grid->setSpacing(2);
  const SliceOrientation orientations[3] = {SliceOrientation::Axial, SliceOrientation::Coronal,
                                            SliceOrientation::Sagittal};
  for (int i = 0; i < 3; ++i) {
    sliceViews_[i] = new SliceViewWidget(orientations[i], &model_, central);
    sliceViews_[i]->setObjectName(QString(sliceOrientationName(orientations[i])).toLower() + "View");
    connect(sliceViews_[i], &SliceViewWidget::hovered, this,
            [this](Vec3 p) { positionLabel_->setText(model_.describePoint(p)); });
    connect(sliceViews_[i], &SliceViewWidget::handleDragged, this, &MainWindow::onHandleDragged);
  }
  sceneView_ = new SceneViewWidget(
      &model_,
      {&sliceViews_[0]->sliceRenderer(), &sliceViews_[1]->sliceRenderer(), &sliceViews_[2]->sliceRenderer()},
      central);
  sceneView_->setObjectName("sceneView");
  // Axial | coronal over sagittal | 3D.
  grid->addWidget(sliceViews_[0], 0, 0);
  grid->addWidget(sliceViews_[1], 0, 1);
  grid->addWidget(sliceViews_[2], 1, 0);
  grid->addWidget(sceneView_, 1, 1);
  setCentralWidget(central);

  panel_ = new PlanPanel(&model_, this);
  auto* dock = new QDockWidget("Plan", this);
  dock->setObjectName("planDock");
  // In a scroll area: whatever the panel shows, it never widens the dock, so the views keep their
  // size (and their mapping of pixels to millimetres) while a handle is being dragged.
  auto* scroll = new QScrollArea(dock);
  scroll->setWidget(panel_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setMinimumWidth(280);
  dock->setWidget(scroll);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  planDock_ = dock;
  // The probe's-eye and along-the-path views of the selected lead, under the plan panel, side by
  // side in tabs (View > Probe's eye, View > Along the path).
  probesEye_ = new PlanFigureView(PlanFigureView::probesEye(), this);
  probesEyeDock_ = new QDockWidget("Probe's eye", this);
  probesEyeDock_->setObjectName("probesEyeDock");
  probesEyeDock_->setWidget(probesEye_);
  addDockWidget(Qt::RightDockWidgetArea, probesEyeDock_);
  splitDockWidget(planDock_, probesEyeDock_, Qt::Vertical);
  alongPath_ = new PlanFigureView(PlanFigureView::alongTrajectory(), this);
  alongPathDock_ = new QDockWidget("Along the path", this);
  alongPathDock_->setObjectName("alongPathDock");
  alongPathDock_->setWidget(alongPath_);
  addDockWidget(Qt::RightDockWidgetArea, alongPathDock_);
  tabifyDockWidget(probesEyeDock_, alongPathDock_);
  probesEyeDock_->raise();
  // The guided tour, on the left, hidden until Help > Guided tour.
  tour_ = new TourPanel(this);
  tourDock_ = new QDockWidget("Guided tour", this);
  tourDock_->setObjectName("tourDock");
  tourDock_->setWidget(tour_);
  addDockWidget(Qt::LeftDockWidgetArea, tourDock_);
  tourDock_->hide();
  connect(tour_, &TourPanel::stepShown, this, &MainWindow::showTourStep);
  connect(panel_, &PlanPanel::editRequested, this, [this](const PlanEdit& edit) { applyEdit(edit); });
  connect(sceneView_, &SceneViewWidget::riskMapClicked, this, [this](Vec3 pointRas) {
    // Onto the nearest scored vertex: the entry gets the margin whose colour was clicked.
    if (riskMap_ && !riskMap_->verticesRas.empty())
      applyEdit(PlanEdit::moveEntry(riskMap_->side,
                                    riskMap_->verticesRas[nearestVertex(riskMap_->verticesRas, pointRas)]));
  });
  connect(panel_, &PlanPanel::sideSelected, this, [this](char side) {
    selectedSide_ = side;
    if (!session_) return;
    if (const PlannedTrajectory* t = chosenTrajectory(session_->plan(), side))
      model_.setCrosshairRas(t->trajectory.targetRas);
    showPlanDocument(&session_->plan(), false);
  });

  autosaveTimer_ = new QTimer(this);
  autosaveTimer_->setSingleShot(true);
  autosaveTimer_->setInterval(kAutosaveDelayMs);
  connect(autosaveTimer_, &QTimer::timeout, this, [this] {
    if (!session_) return;
    try {
      session_->writeAutosave();
    } catch (const std::exception& e) {
      statusBar()->showMessage(QString("Autosave failed: ") + e.what(), 10000);
    }
  });

  positionLabel_ = new QLabel("Open an image: File > Open, or drop a file here", this);
  statusBar()->addWidget(positionLabel_, 1);
  planLabel_ = new QLabel(this);  // the open plan at a glance (permanent: messages do not cover it)
  statusBar()->addPermanentWidget(planLabel_);
  connect(&model_, &ViewerModel::crosshairChanged, this,
          [this](Vec3 p) { positionLabel_->setText("Crosshair: " + model_.describePoint(p)); });
  buildMenus();
  resize(1400, 900);
  if (rememberLayout_) {
    restoreGeometry(settings().value(kGeometryKey).toByteArray());
    layoutRestored_ = restoreState(settings().value(kStateKey).toByteArray());
  }
  updateActions();
}

MainWindow::~MainWindow() {
  if (cancelLoad_) *cancelLoad_ = true;
}

SliceViewWidget* MainWindow::sliceView(SliceOrientation orientation) const {
  return sliceViews_[static_cast<int>(orientation)];
}

QString MainWindow::lastFolder() const {
  return settings().value(kLastFolderKey).toString();
}

QString MainWindow::planFolder() const {
  return session_ ? QFileInfo(QString::fromStdString(session_->planPath())).absolutePath() : lastFolder();
}

void MainWindow::rememberFolder(const QString& path) {
  const QFileInfo info(path);
  settings().setValue(kLastFolderKey, info.isDir() ? info.absoluteFilePath() : info.absolutePath());
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open image...", QKeySequence::Open, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, "Open image", lastFolder(),
        "Images (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.dcm);;All files (*)");
    if (!path.isEmpty()) openPath(path);
  });
  file->addAction("Open &DICOM folder...", this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Open DICOM folder", lastFolder());
    if (!dir.isEmpty()) openPath(dir);
  });
  QMenu* samples = file->addMenu("Open &sample");
  try {
    for (const Sample& sample : SampleCatalogue::standard().samples()) {
      QAction* action =
          samples->addAction(QString::fromStdString(sample.name + ": " + sample.title), this,
                             [this, name = sample.name] { openSample(QString::fromStdString(name)); });
      action->setToolTip(QString::fromStdString(sample.description));
    }
  } catch (const std::exception& e) {
    samples->addAction(QString("sample catalogue unavailable: ") + e.what())->setEnabled(false);
  }
  file->addAction("Open &plan...", this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Open plan", lastFolder(),
                                                      "dbsplan plans (plan.json *.json);;All files (*)");
    if (!path.isEmpty()) openPlan(path);
  });
  file->addAction("Open &labels...", this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Open label map", lastFolder(),
                                                      "Label maps (*.nii *.nii.gz *.nrrd *.mha)");
    if (!path.isEmpty()) openLabels(path);
  });
  recentMenu_ = file->addMenu("&Recent files");
  rebuildRecentMenu();
  file->addSeparator();
  saveAction_ = file->addAction("&Save plan", QKeySequence::Save, this, [this] { savePlan(); });
  saveAsAction_ = file->addAction("Save plan &as...", QKeySequence::SaveAs, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, "Save plan as", lastFolder() + "/plan.json",
                                                      "dbsplan plans (*.json)");
    if (!path.isEmpty()) savePlanAs(path);
  });
  exportReportAction_ = file->addAction("Export &report (PDF)...", this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, "Export report", planFolder() + "/report.pdf", "PDF (*.pdf)");
    if (!path.isEmpty()) exportReport(path);
  });
  exportSceneAction_ = file->addAction("Export s&cene (PNG)...", this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, "Export 3D scene", planFolder() + "/scene.png", "PNG (*.png)");
    if (!path.isEmpty()) exportScene(path);
  });
  QMenu* screenshots = file->addMenu("Save screens&hot");
  screenshots->addAction("&Whole window...", this, [this] { saveViewScreenshot(nullptr, "dbsplan"); });
  for (SliceViewWidget* view : sliceViews_) {
    const QString name = sliceOrientationName(view->sliceRenderer().orientation());
    screenshots->addAction(name + " view...", this,
                           [this, view, name] { saveViewScreenshot(view, name.toLower()); });
  }
  screenshots->addAction("&3D view...", this, [this] { saveViewScreenshot(sceneView_, "3d"); });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu("&Edit");
  undoAction_ = edit->addAction("&Undo", QKeySequence::Undo, this, [this] { undo(); });
  redoAction_ =
      edit->addAction("&Redo", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), this, [this] { redo(); });
  edit->addSeparator();
  placeAcAction_ = edit->addAction("Place &AC at the crosshair", this,
                                   [this] { applyEdit(PlanEdit::placeAc(model_.crosshairRas())); });
  placeAcAction_->setToolTip(
      "Moves the anterior commissure to the crosshair; every AC-PC coordinate follows");
  placePcAction_ = edit->addAction("Place &PC at the crosshair", this,
                                   [this] { applyEdit(PlanEdit::placePc(model_.crosshairRas())); });
  noteAction_ = edit->addAction("Review &note...", this, [this] {
    if (!session_) return;
    bool ok = false;
    const QString text = QInputDialog::getMultiLineText(
        this, "Review note",
        "The reviewing team's note on this plan:", QString::fromStdString(session_->plan().reviewNote), &ok);
    if (ok) applyEdit(PlanEdit::editNote(text.toStdString()));
  });

  QMenu* view = menuBar()->addMenu("&View");
  view->addAction("Reset &window/level", this, [this] {
    if (model_.volume()) model_.resetWindowLevel();
  });
  QAction* showLabels = view->addAction("Show &labels");
  showLabels->setCheckable(true);
  showLabels->setChecked(true);
  connect(showLabels, &QAction::toggled, this, [this](bool on) { model_.setLabelsVisible(on); });
  view->addAction("Reset &3D camera", this, [this] {
    sceneView_->sceneRenderer().resetCamera();
    sceneView_->update();
  });
  QAction* probesEye = probesEyeDock_->toggleViewAction();
  probesEye->setText("&Probe's eye");
  probesEye->setStatusTip(
      "Look down the selected lead: the image perpendicular to it, scrolled along its path");
  view->addAction(probesEye);
  view->addAction("&Schematic (both leads in 3D)...", this, [this] { showSchematic(); });
  QAction* alongPath = alongPathDock_->toggleViewAction();
  alongPath->setText("&Along the path");
  alongPath->setStatusTip(
      "See the selected lead whole: the oblique plane that holds its path, turned about it");
  view->addAction(alongPath);
  riskMapAction_ = view->addAction("Scalp &risk map");
  riskMapAction_->setObjectName("riskMapAction");
  riskMapAction_->setCheckable(true);
  riskMapAction_->setStatusTip(
      "Colour the scalp in the 3-D view by the risk of entering there for the selected side's target; "
      "click it to move that side's entry");
  connect(riskMapAction_, &QAction::toggled, this, [this] { refreshRiskMap(); });
  QMenu* tools = menuBar()->addMenu("&Tools");
  tools->addAction("&Locate GPi (atlas registration)", this, [this] { locateGpiInCurrentImage(); });
  tools->addAction("&Plan bilateral trajectories...", this, [this] {
    if (!model_.volume()) {
      QMessageBox::information(this, "dbsplan",
                               "Open a patient T1 first: File > Open image, or File > Open sample.");
      return;
    }
    const QString dir = QFileDialog::getExistingDirectory(
        this, "Folder for plan.json, report.pdf and scene.png", lastFolder());
    if (!dir.isEmpty()) planTrajectoriesForCurrentImage(dir);
  });
  QMenu* help = menuBar()->addMenu("&Help");
  help->addAction("&Mouse and keys", this, [this] {
    QMessageBox::information(
        this, "dbsplan",
        "Slice views: left-click or drag to move the crosshair; wheel, Up/Down or PgUp/PgDn to change "
        "slice (Shift: 5 slices); Ctrl+wheel, a pinch or +/- to zoom; middle-drag to pan; Home to show "
        "the whole slice; right-drag to change window (horizontal) and level (vertical), their values "
        "shown while you drag.\n"
        "Plan: drag a target (magenta) or an entry (cyan) in any slice view; the path, its "
        "margins and the panel follow while you drag, releasing applies the edit.\n"
        "Ctrl+Z undo, Ctrl+Shift+Z redo, Ctrl+S save the plan.\n"
        "3D view: left-drag to rotate, right-drag or wheel to zoom, middle-drag to pan; with View > Scalp "
        "risk map on, a click on the scalp moves the selected side's entry there.\n"
        "Probe's eye: wheel, Up/Down or PgUp/PgDn move along the selected lead; Home returns to the target.\n"
        "Along the path: wheel, Up/Down or PgUp/PgDn turn the plane about the lead; Home returns to 0 deg.\n"
        "All coordinates are patient RAS in millimetres.");
  });
  help->addAction("&Guided tour...", this, [this] { startGuidedTour(); })
      ->setStatusTip(
          "A teacher's walk through the plan (the colin27 sample's when none is open), step by step");
  help->addAction("&About dbsplan", this, [this] { QMessageBox::about(this, "About dbsplan", aboutText()); });
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

void MainWindow::updateActions() {
  const bool plan = static_cast<bool>(session_);
  saveAction_->setEnabled(plan);
  saveAsAction_->setEnabled(plan);
  exportReportAction_->setEnabled(plan);
  exportSceneAction_->setEnabled(plan);
  placeAcAction_->setEnabled(plan);
  placePcAction_->setEnabled(plan);
  noteAction_->setEnabled(plan);
  undoAction_->setEnabled(plan && session_->canUndo());
  redoAction_->setEnabled(plan && session_->canRedo());
  undoAction_->setText(plan && session_->canUndo() ? "&Undo " + QString::fromStdString(session_->undoText())
                                                   : "&Undo");
  redoAction_->setText(plan && session_->canRedo() ? "&Redo " + QString::fromStdString(session_->redoText())
                                                   : "&Redo");
  QString title = "dbsplan";
  if (plan) {
    title += " - " + QFileInfo(QString::fromStdString(session_->planPath())).fileName() + "[*]";
  }
  if (model_.volume())
    title += " (" + QFileInfo(QString::fromStdString(model_.volume()->path)).fileName() + ")";
  setWindowTitle(title);
  setWindowModified(plan && session_->modified());  // Qt shows the [*] as "*" while modified
}

void MainWindow::showVolume(std::shared_ptr<const Volume> volume) {
  model_.setVolume(std::move(volume));
  if (session_) setSession(nullptr);  // a plan belongs to the volume it was made on
  showPlanDocument(nullptr, false);
  positionLabel_->setText("Crosshair: " + model_.describePoint(model_.crosshairRas()));
  for (const auto& note : model_.volume()->notes)
    statusBar()->showMessage(QString::fromStdString(note), 10000);
  updateActions();
}

template <typename Result>
void MainWindow::runInBackground(const QString& what, const QString& failureTitle,
                                 std::function<Result(const ProgressCallback&)> work,
                                 std::function<void(Result)> onDone, Qt::WindowModality modality) {
  if (cancelLoad_) *cancelLoad_ = true;  // a newer request supersedes a step in progress
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  cancelLoad_ = cancel;
  auto* dialog = new QProgressDialog(what, "Cancel", 0, 100, this);
  dialog->setWindowTitle("dbsplan");
  dialog->setWindowModality(modality);
  dialog->setMinimumDuration(300);
  dialog->setAutoClose(false);
  dialog->setAutoReset(false);
  connect(dialog, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });

  struct Outcome {
    std::optional<Result> value;
    QString error;
  };
  ++runningJobs_;
  auto* watcher = new QFutureWatcher<Outcome>(this);
  connect(watcher, &QFutureWatcher<Outcome>::finished, this,
          [this, watcher, dialog, cancel, onDone, failureTitle] {
            --runningJobs_;
            Outcome outcome = watcher->result();
            watcher->deleteLater();
            // Read the user's answer before closing the dialog: closing a QProgressDialog emits canceled()
            // (QProgressDialog::closeEvent), which must not count as the user cancelling a finished step.
            const bool cancelled = *cancel;
            disconnect(dialog, &QProgressDialog::canceled, nullptr, nullptr);
            dialog->close();
            dialog->deleteLater();
            if (cancelled) {
              statusBar()->showMessage("Cancelled: nothing was changed", 5000);
              return;
            }
            if (!outcome.value) {
              QMessageBox::critical(this, failureTitle, outcome.error);
              return;
            }
            try {
              onDone(std::move(*outcome.value));
            } catch (const std::exception& e) {  // never let an exception leave the event loop
              QMessageBox::critical(this, failureTitle, QString::fromStdString(e.what()));
            }
          });
  QPointer<QProgressDialog> progressDialog(dialog);
  watcher->setFuture(QtConcurrent::run([work, cancel, progressDialog]() -> Outcome {
    const ProgressCallback progress = [cancel, progressDialog](double fraction, const std::string& step) {
      QMetaObject::invokeMethod(
          progressDialog,
          [progressDialog, fraction, step] {
            if (!progressDialog) return;
            progressDialog->setValue(static_cast<int>(fraction * 99));
            progressDialog->setLabelText(QString::fromStdString(step));
          },
          Qt::QueuedConnection);
      return !*cancel;
    };
    try {
      return {work(progress), {}};
    } catch (const Cancelled&) {
      return {std::nullopt, "cancelled"};
    } catch (const std::bad_alloc&) {
      return {std::nullopt, "out of memory"};
    } catch (const std::exception& e) {
      return {std::nullopt, QString::fromStdString(e.what())};
    }
  }));
}

void MainWindow::openPath(const QString& path) {
  if (isPlanFile(path)) return openPlan(path);  // it asks about unsaved edits itself
  if (!maybeKeepChanges()) return;
  const std::string file = path.toStdString();
  runInBackground<LoadedScene>(
      "Loading " + path, "dbsplan: cannot open",
      [file](const ProgressCallback& progress) { return loadScene(file, "", progress); },
      [this, path](LoadedScene scene) {
        showScene(scene);
        addRecentFile(path);
        rememberFolder(path);
      });
}

void MainWindow::openSample(const QString& name) {
  if (!maybeKeepChanges()) return;
  const std::string sampleName = name.toStdString();
  runInBackground<LoadedScene>(
      "Loading sample " + name, "dbsplan: cannot open the sample",
      [sampleName](const ProgressCallback& progress) {
        return loadSampleScene(SampleCatalogue::standard().find(sampleName), progress);
      },
      [this](LoadedScene scene) { showScene(scene); });
}

void MainWindow::openLabels(const QString& path) {
  if (!model_.volume()) {
    QMessageBox::information(this, "dbsplan", "Open an image first; labels are shown over it.");
    return;
  }
  try {
    model_.setLabels(std::make_shared<LabelVolume>(loadLabelVolume(path.toStdString())));
  } catch (const std::exception& e) {
    QMessageBox::critical(this, "dbsplan: cannot open labels", QString::fromStdString(e.what()));
  }
}

void MainWindow::locateGpiInCurrentImage() {
  if (!model_.volume() || model_.volume()->path.empty() ||
      !QFileInfo::exists(QString::fromStdString(model_.volume()->path))) {
    QMessageBox::information(this, "dbsplan", "Open a patient T1 from a file first.");
    return;
  }
  if (!maybeKeepChanges()) return;
  const std::string path = model_.volume()->path;
  runInBackground<std::shared_ptr<LocateResult>>(
      "Locating the GPi in " + QString::fromStdString(path), "dbsplan: cannot locate the GPi",
      [path](const ProgressCallback& progress) {
        LocateInputs inputs;
        inputs.imagePath = path;
        return std::make_shared<LocateResult>(locateGpi(inputs, progress));
      },
      [this](std::shared_ptr<LocateResult> result) {
        showVolume(std::shared_ptr<const Volume>(result, &result->patient));
        model_.setLabels(std::shared_ptr<const LabelVolume>(result, &result->labels));
        model_.setCrosshairRas(result->sides[0].proposed.ras);
        const auto& l = result->sides[0];
        const auto& r = result->sides[1];
        statusBar()->showMessage(QString("GPi targets (RAS mm): left (%1, %2, %3), right (%4, %5, %6); atlas "
                                         "vs AC-PC target %7 / %8 mm apart")
                                     .arg(l.proposed.ras.x, 0, 'f', 1)
                                     .arg(l.proposed.ras.y, 0, 'f', 1)
                                     .arg(l.proposed.ras.z, 0, 'f', 1)
                                     .arg(r.proposed.ras.x, 0, 'f', 1)
                                     .arg(r.proposed.ras.y, 0, 'f', 1)
                                     .arg(r.proposed.ras.z, 0, 'f', 1)
                                     .arg(l.targetDistanceMm, 0, 'f', 1)
                                     .arg(r.targetDistanceMm, 0, 'f', 1),
                                 30000);
      });
}

void MainWindow::planTrajectoriesForCurrentImage(const QString& outDir) {
  if (!model_.volume() || model_.volume()->path.empty() ||
      !QFileInfo::exists(QString::fromStdString(model_.volume()->path))) {
    QMessageBox::information(this, "dbsplan", "Open a patient T1 from a file first.");
    return;
  }
  if (!maybeKeepChanges()) return;
  rememberFolder(outDir);
  planImage(model_.volume()->path, outDir);
}

void MainWindow::planImage(const std::string& imagePath, const QString& outDir) {
  const std::string path = imagePath, out = outDir.toStdString();
  runInBackground<std::shared_ptr<PlanResult>>(
      "Planning both trajectories for " + QString::fromStdString(path), "dbsplan: cannot plan",
      [path, out](const ProgressCallback& progress) {
        PlanInputs inputs;
        inputs.locate.imagePath = path;
        inputs.programVersion = DBS_VERSION;
        // One generation, as in `dbsplan plan`: a cancelled or failed run leaves the folder's previous
        // plan whole. Its old report and scene go at the commit; writeFigures makes the new ones.
        OutputGeneration generation(out);
        auto result = std::make_shared<PlanResult>(runPlanPipeline(inputs, progress));
        // As written: with the checksums of its files (the same bytes after the rename).
        result->plan = writePlanOutputs(*result, generation.stagingFolder());
        generation.commit("plan.json", isPlanOutputName);
        return result;
      },
      [this, out](std::shared_ptr<PlanResult> result) {
        const std::string planPath = (std::filesystem::path(out) / "plan.json").string();
        showSession(std::make_shared<PlanSession>(result, planPath));
        addRecentFile(QString::fromStdString(planPath));
        writeFigures(QString::fromStdString(out + "/scene.png"), QString::fromStdString(out + "/report.pdf"));
      });
}

void MainWindow::showPlan(const PlanDocument& plan) {
  setSession(nullptr);
  showPlanDocument(&plan, false);
}

void MainWindow::openPlan(const QString& planPath) {
  if (!maybeKeepChanges()) return;
  const std::string path = planPath.toStdString();
  struct Opened {
    std::shared_ptr<PlanSession> session;
    std::vector<std::string> warnings;
  };
  runInBackground<std::shared_ptr<Opened>>(
      "Opening the plan " + planPath, "dbsplan: cannot open the plan",
      [path](const ProgressCallback& progress) {
        auto opened = std::make_shared<Opened>();
        opened->session = PlanSession::open(path, &opened->warnings, progress);
        return opened;
      },
      [this, planPath, path](std::shared_ptr<Opened> opened) {
        showSession(opened->session);
        addRecentFile(planPath);
        rememberFolder(planPath);
        if (!opened->warnings.empty()) {
          QString text;
          for (const std::string& w : opened->warnings) text += QString::fromStdString(w) + "\n";
          QMessageBox::warning(this, "dbsplan: plan reopened with warnings", text.trimmed());
        }
        const std::string autosave = PlanSession::recoverableAutosave(path);
        if (autosave.empty()) return;
        const QString when = QFileInfo(QString::fromStdString(autosave)).lastModified().toString(Qt::ISODate);
        const auto answer = QMessageBox::question(
            this, "dbsplan: recover unsaved edits?",
            "This plan has edits from " + when +
                " that were never saved (dbsplan was closed without saving, or stopped).\n\nRecover them?",
            QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
        if (answer == QMessageBox::Yes) {
          try {
            session_->recoverAutosave(autosave);
            onSessionChanged();
            statusBar()->showMessage("Recovered the unsaved edits: save (Ctrl+S) to keep them", 15000);
          } catch (const std::exception& e) {
            QMessageBox::critical(this, "dbsplan: cannot recover", QString::fromStdString(e.what()));
          }
        } else {
          std::error_code ec;
          std::filesystem::remove(autosave, ec);
        }
      });
}

void MainWindow::showSession(std::shared_ptr<PlanSession> session) {
  // The views share the session's volume and labels (aliasing pointers keep the session alive).
  std::shared_ptr<const PlanResult> result(session, &session->result());
  showVolume(std::shared_ptr<const Volume>(result, &result->locate.patient));
  model_.setLabels(std::shared_ptr<const LabelVolume>(result, &result->locate.labels));
  setSession(std::move(session));
}

void MainWindow::showScene(const LoadedScene& scene) {
  showVolume(scene.volume);
  model_.setLabels(scene.labels);
  model_.setCrosshairRas(initialCrosshairRas(scene));
}

void MainWindow::setSession(std::shared_ptr<PlanSession> session) {
  probesEye_->showTrajectory(nullptr, nullptr);  // they point into the session's result
  alongPath_->showTrajectory(nullptr, nullptr);
  session_ = std::move(session);
  ++sessionGeneration_;
  riskMap_.reset();  // of the previous plan's scalp
  scalpSurface_ = nullptr;
  riskMapFrame_.reset();
  riskMapPending_ = false;
  sceneView_->sceneRenderer().setRiskMap(nullptr);
  autosaveTimer_->stop();
  dragging_ = false;
  if (session_) {
    selectedSide_ = chosenTrajectory(session_->plan(), selectedSide_)
                        ? selectedSide_
                        : session_->plan().trajectories.front().trajectory.side;
    if (const PlannedTrajectory* t = chosenTrajectory(session_->plan(), selectedSide_))
      model_.setCrosshairRas(t->trajectory.targetRas);
  }
  showPlanDocument(session_ ? &session_->plan() : nullptr, false);
  updateActions();
  emit planChanged();
  if (tourPending_ && session_) {
    tourPending_ = false;
    QTimer::singleShot(0, this, [this] { startGuidedTour(); });
  }
}

void MainWindow::startGuidedTour() {
  if (session_) {
    try {
      tour_->setSteps(guidedTourSteps(session_->result()));
    } catch (const std::exception& e) {
      QMessageBox::information(this, "dbsplan: guided tour", e.what());
      return;
    }
    tourDock_->show();
    tourDock_->raise();
    tour_->showStep(0);
    return;
  }
  // No plan open: the colin27 sample's, planned once into the cache folder.
  const QString folder = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/colin27-tour";
  const QString planPath = folder + "/plan.json";
  tourPending_ = true;
  if (QFileInfo::exists(planPath)) {
    openPlan(planPath);
    return;
  }
  try {
    const Sample& sample = SampleCatalogue::standard().find("colin27");
    if (!sample.ready()) throw std::runtime_error(sample.missingReason());
    QDir().mkpath(folder);
    statusBar()->showMessage("Planning the colin27 sample for the tour (once; kept in " + folder + ")");
    planImage(sample.t1Path, folder);
  } catch (const std::exception& e) {
    tourPending_ = false;
    QMessageBox::information(this, "dbsplan: guided tour",
                             QString("The tour needs the colin27 sample: ") + e.what());
  }
}

void MainWindow::showTourStep(int index) {
  if (!session_ || index < 0 || index >= static_cast<int>(tour_->steps().size())) return;
  const TourStep& step = tour_->steps()[static_cast<std::size_t>(index)];
  if (step.side && chosenTrajectory(session_->plan(), step.side) && step.side != selectedSide_) {
    selectedSide_ = step.side;
    showPlanDocument(&session_->plan(), false);
  }
  if (step.figure == TourStep::Figure::ProbesEye) {
    probesEyeDock_->show();
    probesEyeDock_->raise();
  } else if (step.figure == TourStep::Figure::AlongPath) {
    alongPathDock_->show();
    alongPathDock_->raise();
  }
  if (riskMapAction_->isChecked() != step.riskMap) riskMapAction_->setChecked(step.riskMap);
  if (step.crosshairRas) {
    model_.setCrosshairRas(*step.crosshairRas);
    for (SliceViewWidget* view : sliceViews_) view->showZoomedAt(step.sliceZoom, *step.crosshairRas);
  }
  statusBar()->showMessage(QString("Tour step %1: %2").arg(index + 1).arg(step.title), 8000);
}

void MainWindow::showPlanDocument(const PlanDocument* plan, bool preview) {
  std::vector<SliceRenderer::LeadOverlay> overlays;
  if (plan)
    for (const PlannedTrajectory& p : plan->trajectories) {
      SliceRenderer::LeadOverlay overlay{
          p.metrics.tipRas, p.trajectory.entryRas, {}, p.trajectory.targetRas, p.trajectory.side};
      for (const PlacedContact& c : p.metrics.contacts) overlay.contactCentresRas.push_back(c.centreRas);
      overlays.push_back(overlay);
    }
  for (SliceViewWidget* view : sliceViews_) {
    view->sliceRenderer().setLeads(overlays);
    view->update();
  }
  try {
    sceneView_->sceneRenderer().setPlannedLeads(plan ? plannedLeadActors(plan->trajectories)
                                                     : std::vector<vtkSmartPointer<vtkProp3D>>{});
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString("Cannot draw the leads: ") + e.what(), 10000);
  }
  sceneView_->update();
  panel_->showPlan(plan, selectedSide_, preview);
  // The probe's eye looks down the selected side's lead as shown (a drag's preview too); it needs
  // the session's volume and labels, so a read-only plan leaves it empty.
  for (PlanFigureView* view : {probesEye_, alongPath_})
    view->showTrajectory(session_ ? &session_->result() : nullptr,
                         plan ? chosenTrajectory(*plan, selectedSide_) : nullptr);
  QString summary;
  if (plan)
    for (const PlannedTrajectory& p : plan->trajectories) {
      const auto& m = p.metrics;
      summary += QString("%1 %2: ventricles %3 mm, %4 in GPi%5   ")
                     .arg(p.trajectory.side == 'L' ? "L" : "R", QString::fromStdString(p.trajectory.id))
                     .arg(m.closest[0].distanceMm, 0, 'f', 1)
                     .arg(m.contactsInGpi)
                     .arg(m.safe ? "" : " (UNSAFE: review)");
    }
  planLabel_->setText(summary.isEmpty() ? QString() : (preview ? "Preview: " : "Plan: ") + summary.trimmed());
  if (preview && plan)
    previewRiskMap(*plan);
  else
    refreshRiskMap();
}

namespace {
// Whether a map scored for `scored` in `scoredFrame` still holds for `wanted` in `frame`: the map
// depends on the side, the target, the electrode, the depth and the frame (the window), never on
// the entry.
bool riskMapHolds(const Trajectory& scored, const std::optional<AcpcFrame>& scoredFrame,
                  const Trajectory& wanted, const AcpcFrame& frame) {
  auto same = [](Vec3 a, Vec3 b) { return norm(a - b) < 1e-9; };
  return scoredFrame && scored.side == wanted.side && same(scored.targetRas, wanted.targetRas) &&
         scored.electrodeId == wanted.electrodeId &&
         scored.deepestContactBeyondTargetMm == wanted.deepestContactBeyondTargetMm &&
         same(scoredFrame->mcpRas(), frame.mcpRas()) &&
         same(scoredFrame->rightAxisRas(), frame.rightAxisRas()) &&
         same(scoredFrame->anteriorAxisRas(), frame.anteriorAxisRas());
}
}  // namespace

void MainWindow::refreshRiskMap() {
  SceneRenderer3D& scene = sceneView_->sceneRenderer();
  const PlannedTrajectory* chosen = session_ && riskMapAction_ && riskMapAction_->isChecked()
                                        ? chosenTrajectory(session_->plan(), selectedSide_)
                                        : nullptr;
  if (!chosen) {
    if (scene.riskMapShown()) {
      scene.setRiskMap(nullptr);
      sceneView_->update();
    }
    riskMap_.reset();
    return;
  }
  const AcpcFrame& frame = *session_->result().acpc;
  if (riskMap_ && !riskMapStale_ &&
      riskMapHolds(riskMap_->trajectory, riskMapFrame_, chosen->trajectory, frame)) {
    if (!scene.riskMapShown()) {
      scene.setRiskMap(riskMap_->surface);
      sceneView_->update();
    }
    return;
  }
  if (riskMapJobRunning_) {  // one at a time; the newest inputs follow when it ends
    riskMapPending_ = true;
    return;
  }
  // The worker holds what it reads: the session (its fields and images stay alive and unchanged),
  // its own copy of the frame and the trajectory, and the scalp surface once it is built.
  struct Built {
    std::shared_ptr<ScalpRiskMap> map;
    vtkSmartPointer<vtkPolyData> scalp;
  };
  auto frameCopy = std::make_shared<AcpcFrame>(frame);
  PlanningContext context = session_->result().context();
  context.acpc = frameCopy.get();
  context.mniFromPatientRas = nullptr;
  const Trajectory trajectory = chosen->trajectory;
  std::shared_ptr<PlanSession> session = session_;
  vtkSmartPointer<vtkPolyData> scalp = scalpSurface_;
  const unsigned long generation = sessionGeneration_;
  riskMapJobRunning_ = true;
  riskMapPending_ = false;
  ++runningJobs_;
  statusBar()->showMessage(
      QString("Scoring the %1 side's scalp risk map...").arg(trajectory.side == 'L' ? "left" : "right"));
  auto* watcher = new QFutureWatcher<Built>(this);
  connect(watcher, &QFutureWatcher<Built>::finished, this, [this, watcher, generation, frameCopy] {
    --runningJobs_;
    riskMapJobRunning_ = false;
    watcher->deleteLater();
    Built built;
    try {
      built = watcher->result();
    } catch (const std::exception& e) {
      statusBar()->showMessage(QString("The scalp risk map failed: ") + e.what(), 10000);
      return;
    }
    if (generation != sessionGeneration_) {  // another plan is open now: its own map
      refreshRiskMap();
      return;
    }
    scalpSurface_ = built.scalp;
    riskMap_ = built.map;
    riskMapFrame_ = *frameCopy;
    riskMapStale_ = false;
    if (riskMapAction_->isChecked()) {  // also mid-drag: the drag's steps re-score this map
      sceneView_->sceneRenderer().setRiskMap(riskMap_->surface);
      sceneView_->update();
      statusBar()->showMessage(QString("Scalp risk map (%1): %2 vertices scored in %3 s, %4 in the search "
                                       "window, %5 safe")
                                   .arg(riskMap_->side == 'L' ? "left" : "right")
                                   .arg(riskMap_->scoredVertices)
                                   .arg(riskMap_->scoringSeconds, 0, 'f', 2)
                                   .arg(riskMap_->inWindowVertices)
                                   .arg(riskMap_->safeVertices),
                               10000);
    }
    if (riskMapPending_ || !riskMapAction_->isChecked()) refreshRiskMap();
  });
  watcher->setFuture(QtConcurrent::run([session, context, trajectory, scalp, frameCopy]() -> Built {
    Built built;
    built.scalp = scalp ? scalp : scalpSurface(session->result().risks);
    built.map = std::make_shared<ScalpRiskMap>(scalpRiskMapOn(built.scalp, context, trajectory));
    return built;
  }));
}

void MainWindow::previewRiskMap(const PlanDocument& preview) {
  if (!riskMap_ || !riskMapAction_->isChecked() || !session_) return;
  const PlannedTrajectory* t = chosenTrajectory(preview, riskMap_->side);
  if (!t || riskMapHolds(riskMap_->trajectory, riskMapFrame_, t->trajectory, *session_->result().acpc))
    return;
  // The window's vertices only (tens of ms): the rest keep their last colours, dimmed, until the
  // release re-scores the whole map in the background.
  try {
    scoreRiskMap(*riskMap_, session_->result().context(), t->trajectory, EntryScope::InWindowOnly);
  } catch (const std::exception&) {
    return;
  }
  riskMapStale_ = true;
  sceneView_->sceneRenderer().riskMapChanged();
  sceneView_->update();
}

void MainWindow::onSessionChanged() {
  if (!session_) return;
  showPlanDocument(&session_->plan(), false);
  updateActions();
  autosaveTimer_->start();
  emit planChanged();
}

bool MainWindow::applyEdit(const PlanEdit& edit) {
  if (!session_) return false;
  try {
    session_->commit(edit, /*searchAlternativesNow=*/false);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, "dbsplan: edit refused",
                         QString::fromStdString(edit.describe() + ": " + e.what()));
    showPlanDocument(&session_->plan(), false);  // drop any preview
    return false;
  }
  if (edit.side) selectedSide_ = edit.side;
  onSessionChanged();
  if (edit.invalidatesAlternatives()) searchAlternatives(edit.side);
  return true;
}

void MainWindow::searchAlternatives(char side) {
  if (!session_) return;
  const AlternativesJob job = session_->alternativesJob(side);
  const unsigned long generation = sessionGeneration_;
  ++runningJobs_;
  statusBar()->showMessage(
      QString("Searching the %1 side's alternatives...").arg(side == 'L' ? "left" : "right"));
  auto* watcher = new QFutureWatcher<std::vector<PlannedTrajectory>>(this);
  connect(watcher, &QFutureWatcher<std::vector<PlannedTrajectory>>::finished, this,
          [this, watcher, job, generation] {
            --runningJobs_;
            watcher->deleteLater();
            std::vector<PlannedTrajectory> found;
            try {
              found = watcher->result();
            } catch (const std::exception& e) {
              statusBar()->showMessage(QString("The alternatives' search failed: ") + e.what(), 10000);
              return;
            }
            // Installed only into the session and the state it was started for; a newer edit brings its own.
            if (generation != sessionGeneration_ || !session_ ||
                !session_->setAlternatives(job, std::move(found)))
              return;
            statusBar()->showMessage("Alternatives updated", 3000);
            if (!dragging_) onSessionChanged();
          });
  watcher->setFuture(QtConcurrent::run(job.run));
}

void MainWindow::onHandleDragged(char side, bool entry, Vec3 pointRas, bool finished) {
  if (!session_) return;
  const PlanEdit edit = entry ? PlanEdit::moveEntry(side, pointRas) : PlanEdit::moveTarget(side, pointRas);
  selectedSide_ = side;
  if (finished) {
    dragging_ = false;
    applyEdit(edit);
    return;
  }
  dragging_ = true;
  try {
    const PlanDocument preview = session_->preview(edit);
    showPlanDocument(&preview, true);
  } catch (const std::invalid_argument&) {
    // Dragged onto the other end of the path: nothing to show until the mouse moves on.
  }
}

void MainWindow::undo() {
  if (!session_ || !session_->canUndo()) return;
  session_->undo();
  onSessionChanged();
}

void MainWindow::redo() {
  if (!session_ || !session_->canRedo()) return;
  session_->redo();
  onSessionChanged();
}

bool MainWindow::savePlan() {
  if (!session_) return false;
  try {
    session_->save();
  } catch (const std::exception& e) {
    QMessageBox::critical(this, "dbsplan: cannot save the plan", QString::fromStdString(e.what()));
    return false;
  }
  autosaveTimer_->stop();
  updateActions();
  statusBar()->showMessage("Saved " + QString::fromStdString(session_->planPath()), 5000);
  return true;
}

bool MainWindow::savePlanAs(const QString& path) {
  if (!session_) return false;
  try {
    session_->save(path.toStdString());
  } catch (const std::exception& e) {
    QMessageBox::critical(this, "dbsplan: cannot save the plan", QString::fromStdString(e.what()));
    return false;
  }
  autosaveTimer_->stop();
  addRecentFile(path);
  rememberFolder(path);
  updateActions();
  statusBar()->showMessage("Saved " + path, 5000);
  return true;
}

bool MainWindow::exportReport(const QString& pdfPath) {
  return writeFigures({}, pdfPath);
}

bool MainWindow::exportScene(const QString& pngPath) {
  return writeFigures(pngPath, {});
}

void MainWindow::showSchematic() {
  if (!session_) {
    QMessageBox::information(this, "dbsplan",
                             "Plan, or open a plan (File > Open plan...), to see its schematic.");
    return;
  }
  // The report's scene (renderPlanScene: translucent head and brain, both GPi and GPe, both leads
  // with their contacts, seen from the front-left above), rendered from a snapshot on a worker.
  std::shared_ptr<const PlanResult> snapshot = session_->snapshot();
  runInBackground<std::shared_ptr<QImage>>(
      "Rendering the schematic", "dbsplan: cannot render the schematic",
      [snapshot](const ProgressCallback& progress) {
        if (!progress(0.1, "rendering the 3-D scene")) throw Cancelled();
        return std::make_shared<QImage>(renderPlanScene(*snapshot, QSize(1600, 1200)));
      },
      [this](std::shared_ptr<QImage> image) {
        auto* dialog = new QDialog(this);
        dialog->setObjectName("schematicDialog");
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle("dbsplan: schematic of both leads");
        auto* layout = new QVBoxLayout(dialog);
        auto* picture = new QLabel(dialog);
        picture->setObjectName("schematicPicture");
        picture->setPixmap(
            QPixmap::fromImage(*image).scaled(1000, 750, Qt::KeepAspectRatio, Qt::SmoothTransformation));
        picture->setToolTip(
            "The scene report.pdf shows: translucent head and brain, both GPi (green) and GPe, both "
            "leads with their contacts, from the front-left above");
        layout->addWidget(picture);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Close, dialog);
        layout->addWidget(buttons);
        connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
        connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, image] {
          const QString path = QFileDialog::getSaveFileName(dialog, "Save the schematic",
                                                            planFolder() + "/scene.png", "PNG (*.png)");
          if (path.isEmpty()) return;
          QSaveFile file(path);  // atomic: a failure never leaves a partial PNG
          if (!file.open(QIODevice::WriteOnly) || !image->save(&file, "PNG") || !file.commit()) {
            QMessageBox::warning(dialog, "dbsplan", "Could not write " + path);
            return;
          }
          rememberFolder(path);
          statusBar()->showMessage("Schematic written: " + path, 10000);
        });
        dialog->show();
      });
}

bool MainWindow::writeFigures(const QString& scenePath, const QString& pdfPath) {
  if (!session_) return false;
  // A snapshot: the figures show the plan as it is now, and editing goes on while they are made.
  std::shared_ptr<const PlanResult> snapshot = session_->snapshot();
  const std::string scene = scenePath.toStdString(), pdf = pdfPath.toStdString();
  const QString what =
      !scenePath.isEmpty() && !pdfPath.isEmpty() ? scenePath + " and " + pdfPath : scenePath + pdfPath;
  runInBackground<bool>(
      "Writing " + what, "dbsplan: cannot write " + what,
      [snapshot, scene, pdf](const ProgressCallback& progress) {
        auto step = [&progress](double fraction, const char* text) {
          if (!progress(fraction, text)) throw Cancelled();
        };
        // Off-screen VTK rendering in its own GLX context and Qt's painter and PDF writer: both run
        // on a worker thread, so the window stays live through the seconds llvmpipe takes.
        step(0.05, "rendering the 3-D scene");
        const QImage image =
            scene.empty() ? renderPlanScene(*snapshot, QSize(1600, 1200)) : writeSceneImage(*snapshot, scene);
        if (!pdf.empty()) {
          step(0.4, "writing the report");
          writePlanReport(*snapshot, pdf, image);
        }
        return true;
      },
      [this, what](bool) { statusBar()->showMessage("Written: " + what, 10000); }, Qt::NonModal);
  return true;
}

void MainWindow::saveViewScreenshot(QWidget* view, const QString& name) {
  const QString path = QFileDialog::getSaveFileName(this, "Save screenshot",
                                                    lastFolder() + "/" + name + ".png", "PNG (*.png)");
  if (path.isEmpty()) return;
  QApplication::processEvents();
  const QImage image = view ? view->grab().toImage() : renderToImage();
  QSaveFile file(path);  // atomic: a failure never leaves a partial PNG
  if (image.isNull() || !file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit()) {
    QMessageBox::warning(this, "dbsplan", "Could not write " + path);
    return;
  }
  rememberFolder(path);
  statusBar()->showMessage("Screenshot written: " + path, 5000);
}

bool MainWindow::maybeKeepChanges() {
  if (!session_ || !session_->modified()) return true;
  const auto answer = QMessageBox::question(this, "dbsplan: unsaved edits",
                                            "The plan " + QString::fromStdString(session_->planPath()) +
                                                " has edits that are not saved.\n\nSave them?",
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                            QMessageBox::Save);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save) return savePlan();
  // Discarded on purpose: the autosave must not offer them back.
  std::error_code ec;
  std::filesystem::remove(PlanSession::autosavePathFor(session_->planPath()), ec);
  autosaveTimer_->stop();
  return true;
}

void MainWindow::showEvent(QShowEvent* e) {
  QMainWindow::showEvent(e);
  // The views keep most of the window: the panel starts at a third of it at most (then the user's
  // own width, remembered with the layout).
  if (!layoutRestored_ && !dockSized_) {
    dockSized_ = true;
    resizeDocks({planDock_}, {std::min(420, width() / 3)}, Qt::Horizontal);
  }
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!maybeKeepChanges()) {
    e->ignore();
    return;
  }
  if (rememberLayout_) {
    settings().setValue(kGeometryKey, saveGeometry());
    settings().setValue(kStateKey, saveState());
  }
  e->accept();
}

void MainWindow::addRecentFile(const QString& path) {
  QSettings s = settings();
  QStringList recent = s.value(kRecentKey).toStringList();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  s.setValue(kRecentKey, recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = settings().value(kRecentKey).toStringList();
  for (const QString& path : recent) recentMenu_->addAction(path, this, [this, path] { openPath(path); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  const auto urls = e->mimeData()->urls();
  if (!urls.isEmpty() && urls.first().isLocalFile()) openPath(urls.first().toLocalFile());
}

QImage MainWindow::renderToImage() {
  // QWidget::grab() composes QOpenGLWidget children by rendering each into its framebuffer.
  QApplication::processEvents();
  return grab().toImage();
}

}  // namespace dbs::app
