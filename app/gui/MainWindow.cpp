#include "gui/MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QMouseEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/FrameRegistration.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/OutputGeneration.h"
#include "dbs/planning/PlanPipeline.h"
#include "dbs/planning/TrajectorySearch.h"
#include "figures/FrameOverlay.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "gui/BackgroundJobs.h"
#include "gui/FrameRodPicking.h"
#include "gui/GuidedTour.h"
#include "gui/PictureDialog.h"
#include "gui/PlanAutosave.h"
#include "gui/PlanFigureView.h"
#include "gui/PlanPanel.h"
#include "gui/RiskMapController.h"
#include "gui/SceneDialog.h"
#include "gui/WindowSettings.h"
#include "render/PlanActors.h"

namespace dbs::app {

namespace {
// How long the mouse rests during a drag before the panel and the figure views show the preview:
// long enough to skip them between the moves of a continuous drag, short enough to read as live.
constexpr int kDragDetailsAfterRestMs = 150;

bool isPlanFile(const QString& path) {
  return path.endsWith(".json", Qt::CaseInsensitive);
}
}  // namespace

MainWindow::MainWindow(QWidget* parent, bool rememberLayout)
    : QMainWindow(parent), rememberLayout_(rememberLayout) {
  setWindowTitle("dbsplan");
  setAcceptDrops(true);
  buildViews();
  buildDocks();
  jobs_ = new BackgroundJobs(this);
  riskMap_ = new RiskMapController(
      sceneView_, jobs_, [this] { return selectedSide_; }, this);
  autosave_ = new PlanAutosave([this] { return session_.get(); }, this);
  dragPreviewTimer_ = new QTimer(this);
  dragPreviewTimer_->setSingleShot(true);
  dragPreviewTimer_->setInterval(0);
  connect(dragPreviewTimer_, &QTimer::timeout, this, &MainWindow::showDragPreview);
  dragDetailsTimer_ = new QTimer(this);
  dragDetailsTimer_->setSingleShot(true);
  dragDetailsTimer_->setInterval(kDragDetailsAfterRestMs);
  connect(dragDetailsTimer_, &QTimer::timeout, this, [this] {
    if (dragging_ && dragPreview_) showPlanInPanels(&*dragPreview_, true);
  });
  buildStatusBar();
  if (rememberLayout_) applyTextScale(WindowSettings::textScale());  // before the menu shows it checked
  actions_ = std::make_unique<WindowActions>(*this, probesEyeDock_, alongPathDock_);
  connectPieces();
  resize(1400, 900);
  if (rememberLayout_) {
    restoreGeometry(WindowSettings::windowGeometry());
    layoutRestored_ = restoreState(WindowSettings::windowState());
  }
  updateActions();
}

MainWindow::~MainWindow() {
  jobs_->cancelCurrent();
}

void MainWindow::buildViews() {
  auto* central = new QWidget(this);
  auto* grid = new QGridLayout(central);
  grid->setContentsMargins(2, 2, 2, 2);
  grid->setSpacing(2);
  const SliceOrientation orientations[3] = {SliceOrientation::Axial, SliceOrientation::Coronal,
                                            SliceOrientation::Sagittal};
  for (int i = 0; i < 3; ++i) {
    sliceViews_[i] = new SliceViewWidget(orientations[i], &model_, central);
    sliceViews_[i]->setObjectName(QString(sliceOrientationName(orientations[i])).toLower() + "View");
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
  for (QWidget* view : {static_cast<QWidget*>(sliceViews_[0]), static_cast<QWidget*>(sliceViews_[1]),
                        static_cast<QWidget*>(sliceViews_[2]), static_cast<QWidget*>(sceneView_)})
    view->installEventFilter(this);
}

void MainWindow::showOnlyView(QWidget* only) {
  onlyView_ = only;
  for (QWidget* view : {static_cast<QWidget*>(sliceViews_[0]), static_cast<QWidget*>(sliceViews_[1]),
                        static_cast<QWidget*>(sliceViews_[2]), static_cast<QWidget*>(sceneView_)})
    view->setVisible(!only || view == only);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* e) {
  if (e->type() == QEvent::MouseButtonDblClick && static_cast<QMouseEvent*>(e)->button() == Qt::LeftButton) {
    auto* view = qobject_cast<QWidget*>(watched);
    if (view && view->parentWidget() == centralWidget()) {
      showOnlyView(onlyView_ == view ? nullptr : view);  // the lone view's double-click brings back all four
      return true;
    }
  }
  return QMainWindow::eventFilter(watched, e);
}

void MainWindow::buildDocks() {
  panel_ = new PlanPanel(&model_, this);
  auto* dock = new QDockWidget("Plan", this);
  dock->setObjectName("planDock");
  // In a scroll area: whatever the panel shows, it never widens the dock, so the views keep their
  // size (and their mapping of pixels to millimetres) while a handle is being dragged. As wide as
  // the panel's minimum (its trajectory table's columns whole, PlanPanel), which is known before
  // any plan opens; taller content scrolls.
  auto* scroll = new QScrollArea(dock);
  scroll->setWidget(panel_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setMinimumWidth(
      std::max(280, panel_->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width()));
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
}

void MainWindow::buildStatusBar() {
  positionLabel_ = new QLabel("Open an image: File > Open, or drop a file here", this);
  statusBar()->addWidget(positionLabel_, 1);
  planLabel_ = new QLabel(this);  // the open plan at a glance (permanent: messages do not cover it)
  statusBar()->addPermanentWidget(planLabel_);
}

void MainWindow::connectPieces() {
  for (SliceViewWidget* view : sliceViews_) {
    connect(view, &SliceViewWidget::hovered, this,
            [this](Vec3 p) { positionLabel_->setText(model_.describePoint(p)); });
    connect(view, &SliceViewWidget::handleDragged, this, &MainWindow::onHandleDragged);
    // For a while only: a status-bar message hides the position readout under it (the ruler keeps
    // its length on the view).
    connect(view, &SliceViewWidget::rulerChanged, this, [this](double lengthMm, bool shown) {
      statusBar()->showMessage(
          shown ? QString("Ruler: %1 mm (Shift + click to take it away)").arg(lengthMm, 0, 'f', 1)
                : QString("Ruler taken away"),
          shown ? 8000 : 3000);
    });
  }
  connect(tour_, &TourPanel::stepShown, this, &MainWindow::showTourStep);
  connect(panel_, &PlanPanel::editRequested, this,
          [this](const PlanEdit& edit, EditMerge merge) { applyEdit(edit, merge); });
  connect(sceneView_, &SceneViewWidget::riskMapClicked, this, [this](Vec3 pointRas) {
    // Onto the nearest scored vertex: the entry gets the margin whose colour was clicked.
    const ScalpRiskMap* map = riskMap_->map();
    if (map && !map->verticesRas.empty())
      applyEdit(PlanEdit::moveEntry(map->side, map->verticesRas[nearestVertex(map->verticesRas, pointRas)]));
  });
  connect(panel_, &PlanPanel::alternativeHighlighted, this,
          [this] { showPreviewedAlternative(session_ ? &session_->plan() : nullptr); });
  connect(panel_, &PlanPanel::sideSelected, this, [this](Side side) {
    selectedSide_ = side;
    if (!session_) return;
    if (const PlannedTrajectory* t = chosenTrajectory(session_->plan(), side))
      model_.setCrosshairRas(t->trajectory.targetRas);
    showPlanDocument(&session_->plan(), false);
  });
  connect(&model_, &ViewerModel::crosshairChanged, this,
          [this](Vec3 p) { positionLabel_->setText("Crosshair: " + model_.describePoint(p)); });
  connect(actions_->riskMap, &QAction::toggled, riskMap_, &RiskMapController::setShown);
  connect(jobs_, &BackgroundJobs::message, statusBar(), &QStatusBar::showMessage);
  connect(riskMap_, &RiskMapController::message, statusBar(), &QStatusBar::showMessage);
  connect(autosave_, &PlanAutosave::message, statusBar(), &QStatusBar::showMessage);
}

SliceViewWidget* MainWindow::sliceView(SliceOrientation orientation) const {
  return sliceViews_[static_cast<int>(orientation)];
}

const ScalpRiskMap* MainWindow::riskMap() const {
  return riskMap_->map();
}

bool MainWindow::busy() const {
  return jobs_->busy();
}

void MainWindow::updateActions() {
  const bool plan = static_cast<bool>(session_);
  actions_->update(session_.get(), model_.volume() != nullptr);
  QString title = "dbsplan";
  if (plan) {
    // The plan's folder too (issue 23): every plan is called plan.json; its folder says which one.
    const QFileInfo planFile(QString::fromStdString(session_->planPath()));
    title += " - " + planFile.fileName() + "[*] in " + QDir::toNativeSeparators(planFile.absolutePath());
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

void MainWindow::openPath(const QString& path) {
  if (isPlanFile(path)) return openPlan(path);  // it asks about unsaved edits itself
  if (!maybeKeepChanges()) return;
  const std::string file = path.toStdString();
  jobs_->runWithProgress<LoadedScene>(
      "Loading " + path, "dbsplan: cannot open",
      [file](const ProgressCallback& progress) { return loadScene(file, "", progress); },
      [this, path](LoadedScene scene) {
        showScene(scene);
        addRecentFile(path);
        WindowSettings::rememberFolder(path);
      });
}

bool MainWindow::closeImage() {
  if (!maybeKeepChanges()) return false;
  // A step that would show its result (a load, a plan) is superseded, as by any newer request; the
  // quiet ones (alternatives, the risk map) and figures written from a snapshot are dropped by the
  // session generation setSession() advances. Nothing waits.
  jobs_->cancelCurrent();
  tourDock_->hide();
  setSession(nullptr);  // shows no plan in every view and the panel
  model_.clear();
  positionLabel_->clear();
  updateActions();
  statusBar()->showMessage("Closed", 5000);
  return true;
}

void MainWindow::openSample(const QString& name) {
  if (!maybeKeepChanges()) return;
  const std::string sampleName = name.toStdString();
  jobs_->runWithProgress<LoadedScene>(
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
  jobs_->runWithProgress<std::shared_ptr<LocateResult>>(
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

bool MainWindow::planCanBeRegisteredToAFrame() {
  if (!session_) {
    QMessageBox::information(this, "dbsplan",
                             "Open or make a plan first (File > Open plan, or Tools > Plan bilateral "
                             "trajectories): the frame registration belongs to a plan.");
    return false;
  }
  if (!session_->readOnlyReason().empty()) {
    QMessageBox::warning(this, "dbsplan: cannot register the frame",
                         QString::fromStdString("The plan is read-only: " + session_->readOnlyReason()));
    return false;
  }
  return true;
}

void MainWindow::runFrameRegistration(const QString& what, FrameRegistrationStep registerPlan) {
  const PlanDocument plan = session_->plan();  // the worker registers a copy; the session stays here
  const unsigned long generation = sessionGeneration_;
  jobs_->runWithProgress<RegisteredFrame>(
      what, "dbsplan: cannot register the frame",
      [plan, registerPlan](const ProgressCallback& progress) {
        FrameRegistrationCheck check;
        RegisteredFrame out;
        out.registration = registerPlan(plan, progress, &check);
        out.overlay = std::make_shared<QImage>(
            frameOverlayFigure(check.planImage, check.stereotacticOnPlanGrid, plan.mcpRas));
        return out;
      },
      [this, generation](RegisteredFrame registered) {
        installFrameRegistration(std::move(registered), generation);
      });
}

void MainWindow::registerFrame(const QString& stereotacticImagePath) {
  if (!planCanBeRegisteredToAFrame()) return;
  const std::string path = stereotacticImagePath.toStdString();
  runFrameRegistration(
      "Registering the plan to the frame in " + stereotacticImagePath,
      [path](const PlanDocument& plan, const ProgressCallback& progress, FrameRegistrationCheck* check) {
        return registerPlanToFrame(plan, path, {}, progress, check);
      });
}

void MainWindow::registerFrameByHand(const QString& stereotacticImagePath) {
  if (!planCanBeRegisteredToAFrame()) return;
  const std::string path = stereotacticImagePath.toStdString();
  const unsigned long generation = sessionGeneration_;
  jobs_->runWithProgress<std::shared_ptr<const Volume>>(
      "Loading " + stereotacticImagePath, "dbsplan: cannot open the stereotactic image",
      [path](const ProgressCallback& progress) -> std::shared_ptr<const Volume> {
        auto volume = std::make_shared<Volume>(loadVolume(path, progress));
        requireGeometryFromFile(*volume, "register a frame");
        return volume;
      },
      [this, path, generation](std::shared_ptr<const Volume> volume) {
        if (generation != sessionGeneration_ || !session_) return;
        auto* dialog = new FrameRodPickingDialog(std::move(volume), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, this, [this, dialog, path, generation] {
          if (generation != sessionGeneration_ || !session_) return;
          const std::vector<RodPoint> points = dialog->points();
          runFrameRegistration("Registering the plan to the frame from the clicked rods",
                               [path, points](const PlanDocument& plan, const ProgressCallback& progress,
                                              FrameRegistrationCheck* check) {
                                 return registerPlanToFrameByHand(plan, path, points, {}, progress, check);
                               });
        });
        dialog->open();
      });
}

void MainWindow::installFrameRegistration(RegisteredFrame registered, unsigned long generation) {
  if (generation != sessionGeneration_ || !session_) return;  // another plan was opened meanwhile
  const double fre = registered.registration.freMm;
  const std::string method = registered.registration.method;
  session_->setFrameRegistration(std::move(registered.registration));
  onSessionChanged();
  // The overlay to look at before trusting it (not modal: the panel's sheet stays usable).
  auto* overlay = new PictureDialog(
      registered.overlay, [] { return WindowSettings::lastFolder(); }, this,
      {"dbsplan: check the frame registration",
       "The frame image on the plan's T1 through the MCP: its bone in orange, its metal in green. The orange "
       "skull must lie on the T1's skull; an offset means the co-registration failed.",
       "frame_overlay.png"});
  overlay->setObjectName("frameOverlayDialog");
  overlay->show();
  statusBar()->showMessage(
      QString("Registered to the frame (%1): fiducial registration error %2 mm; the frame "
              "settings are in the panel (Edit > Undo takes it back)")
          .arg(QString::fromStdString(method))
          .arg(fre, 0, 'f', 2),
      30000);
}

void MainWindow::planTrajectoriesForCurrentImage(const QString& outDir) {
  if (!model_.volume() || model_.volume()->path.empty() ||
      !QFileInfo::exists(QString::fromStdString(model_.volume()->path))) {
    QMessageBox::information(this, "dbsplan", "Open a patient T1 from a file first.");
    return;
  }
  if (!maybeKeepChanges()) return;
  WindowSettings::rememberFolder(outDir);
  planImage(model_.volume()->path, outDir);
}

void MainWindow::planImage(const std::string& imagePath, const QString& outDir) {
  const std::string path = imagePath, out = outDir.toStdString();
  jobs_->runWithProgress<std::shared_ptr<PlanResult>>(
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
        generation.write(
            [&](const std::string& staging) { result->plan = writePlanOutputs(*result, staging); });
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
  jobs_->runWithProgress<std::shared_ptr<Opened>>(
      "Opening the plan " + planPath, "dbsplan: cannot open the plan",
      [path](const ProgressCallback& progress) {
        auto opened = std::make_shared<Opened>();
        opened->session = PlanSession::open(path, &opened->warnings, progress);
        return opened;
      },
      [this, planPath, path](std::shared_ptr<Opened> opened) {
        showSession(opened->session);
        addRecentFile(planPath);
        WindowSettings::rememberFolder(planPath);
        if (!opened->warnings.empty()) {
          QString text;
          for (const std::string& w : opened->warnings) text += QString::fromStdString(w) + "\n";
          QMessageBox::warning(this, "dbsplan: plan reopened with warnings", text.trimmed());
        }
        offerAutosave(path);
      });
}

void MainWindow::offerAutosave(const std::string& path) {
  const std::string autosave = PlanSession::recoverableAutosave(path);
  const bool chosenAtStartup = !recoverWithoutAsking_.empty() && recoverWithoutAsking_ == path;
  recoverWithoutAsking_.clear();
  if (autosave.empty()) return;
  const QString when = QFileInfo(QString::fromStdString(autosave)).lastModified().toString(Qt::ISODate);
  const auto answer = chosenAtStartup
                          ? QMessageBox::Yes
                          : QMessageBox::question(this, "dbsplan: recover unsaved edits?",
                                                  "This plan has edits from " + when +
                                                      " that were never saved (dbsplan was closed without "
                                                      "saving, or stopped).\n\nRecover them?",
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
}

void MainWindow::offerAutosaveAtStartup() {
  // Not a fresh, interactive start: opened with something, or a one-shot window (view --screenshot).
  if (!rememberLayout_ || model_.volume() || session_ || busy()) return;
  for (const QString& recent : WindowSettings::recentFiles()) {
    if (!isPlanFile(recent)) continue;
    const std::string autosave = PlanSession::recoverableAutosave(recent.toStdString());
    if (autosave.empty()) continue;
    const QString when = QFileInfo(QString::fromStdString(autosave)).lastModified().toString(Qt::ISODate);
    const auto answer = QMessageBox::question(
        this, "dbsplan: recover unsaved edits?",
        "The plan " + recent + " has edits from " + when +
            " that were never saved (dbsplan was closed without saving, or stopped).\n\nOpen the plan and "
            "recover them? (No keeps them: they are offered again when you open that plan.)",
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    if (answer == QMessageBox::Yes) {
      recoverWithoutAsking_ = recent.toStdString();
      openPlan(recent);
    }
    return;  // one question at start-up: the most recent plan
  }
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
  riskMap_->setSession(session_);
  autosave_->stop();
  dragging_ = false;
  pendingDragEdit_.reset();
  dragPreviewTimer_->stop();
  dragDetailsTimer_->stop();
  if (session_) {
    selectedSide_ = chosenTrajectory(session_->plan(), selectedSide_)
                        ? selectedSide_
                        : session_->plan().trajectories.front().trajectory.side;
    if (const PlannedTrajectory* t = chosenTrajectory(session_->plan(), selectedSide_))
      model_.setCrosshairRas(t->trajectory.targetRas);
  }
  showPlanDocument(session_ ? &session_->plan() : nullptr, false);
  dragPreview_.reset();  // nothing points into it any more
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
  if (step.side && chosenTrajectory(session_->plan(), *step.side) && *step.side != selectedSide_) {
    selectedSide_ = *step.side;
    showPlanDocument(&session_->plan(), false);
  }
  if (step.figure == TourStep::Figure::ProbesEye) {
    probesEyeDock_->show();
    probesEyeDock_->raise();
  } else if (step.figure == TourStep::Figure::AlongPath) {
    alongPathDock_->show();
    alongPathDock_->raise();
  }
  if (actions_->riskMap->isChecked() != step.riskMap) actions_->riskMap->setChecked(step.riskMap);
  if (step.crosshairRas) {
    model_.setCrosshairRas(*step.crosshairRas);
    for (SliceViewWidget* view : sliceViews_) view->showZoomedAt(step.sliceZoom, *step.crosshairRas);
  }
  statusBar()->showMessage(QString("Tour step %1: %2").arg(index + 1).arg(step.title), 8000);
}

void MainWindow::showPlanDocument(const PlanDocument* plan, bool preview) {
  showPlanInViews(plan);
  showPlanInPanels(plan, preview);
}

void MainWindow::showPlanInViews(const PlanDocument* plan) {
  std::vector<SliceRenderer::LeadOverlay> overlays;
  if (plan)
    for (const PlannedTrajectory& p : plan->trajectories) {
      SliceRenderer::LeadOverlay overlay{
          p.metrics.tipRas, p.trajectory.entryRas, {}, p.trajectory.targetRas, p.trajectory.side, {}, false};
      for (const PlacedContact& c : p.metrics.contacts) overlay.contactCentresRas.push_back(c.centreRas);
      if (const PlanStimulation* st = planStimulation(*plan, p.trajectory.side)) {
        for (const ActivatedSphere& sphere : st->assessment.spheres)
          overlay.activatedSpheres.push_back({sphere.centreRas, sphere.radiusMm});
        overlay.activationReachesSideEffect = st->assessment.reachesSideEffectStructure();
      }
      overlays.push_back(overlay);
    }
  // The localizer's rods as the frame registration places them in the plan's RAS.
  std::vector<std::array<Vec3, 2>> rods;
  if (plan && plan->frame) {
    const FrameCoordinates frame(frameModel(plan->frame->frameId), plan->frame->frameFromPlanRas);
    for (const LocalizerPlate& plate : frame.model().plates)
      for (const LocalizerRod& rod : plate.rods)
        rods.push_back({frame.rasFromFramePoint(rod.fromFrame), frame.rasFromFramePoint(rod.toFrame)});
  }
  // Where a side's atlas and indirect targets disagree, both are drawn in every view (issue 22).
  std::vector<ReferenceTarget> references;
  if (plan) references = referenceTargetsToShow(*plan);
  std::vector<SliceRenderer::TargetMarker> markers;
  for (const ReferenceTarget& r : references) markers.push_back({r.ras, r.label});
  for (SliceViewWidget* view : sliceViews_) {
    view->sliceRenderer().setLeads(overlays);
    view->sliceRenderer().setReferenceTargets(markers);
    view->sliceRenderer().setFrameRods(rods);
    view->update();
  }
  try {
    sceneView_->sceneRenderer().setPlannedLeads(plan ? planActors_.actorsFor(*plan, references)
                                                     : std::vector<vtkSmartPointer<vtkProp3D>>{});
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString("Cannot draw the leads: ") + e.what(), 10000);
  }
  sceneView_->update();
}

void MainWindow::showPlanInPanels(const PlanDocument* plan, bool preview) {
  panel_->showPlan(plan, selectedSide_, preview);
  showPreviewedAlternative(plan);
  // The probe's eye looks down the selected side's lead as shown (a drag's preview too); it needs
  // the session's volume and labels, so a read-only plan leaves it empty.
  for (PlanFigureView* view : {probesEye_, alongPath_})
    view->showTrajectory(session_ ? &session_->result() : nullptr,
                         plan ? chosenTrajectory(*plan, selectedSide_) : nullptr);
  showPlanSummary(plan, preview);
  if (preview && plan)
    riskMap_->preview(*plan);
  else
    riskMap_->refresh();
}

void MainWindow::setTextScale(double scale) {
  applyTextScale(scale);
  if (rememberLayout_) WindowSettings::setTextScale(textScale_);
}

void MainWindow::applyTextScale(double scale) {
  textScale_ = std::clamp(scale, 0.5, 3.0);
  QFont font = designedFont_;
  if (font.pointSizeF() > 0)
    font.setPointSizeF(designedFont_.pointSizeF() * textScale_);
  else
    font.setPixelSize(static_cast<int>(std::lround(designedFont_.pixelSize() * textScale_)));
  QApplication::setFont(font);
  for (SliceViewWidget* view : sliceViews_) {
    view->sliceRenderer().setTextScale(textScale_);
    view->update();
  }
  sceneView_->sceneRenderer().setTextScale(textScale_);
  sceneView_->update();
}

void MainWindow::showPreviewedAlternative(const PlanDocument* plan) {
  const PlannedTrajectory* ghost = plan ? panel_->highlightedAlternativeIn(*plan) : nullptr;
  std::optional<SliceRenderer::LeadOverlay> overlay;
  if (ghost)
    overlay = SliceRenderer::LeadOverlay{ghost->metrics.tipRas,
                                         ghost->trajectory.entryRas,
                                         {},
                                         ghost->trajectory.targetRas,
                                         ghost->trajectory.side,
                                         {},
                                         false};
  for (SliceViewWidget* view : sliceViews_) {
    view->sliceRenderer().setGhostLead(overlay);
    view->update();
  }
  try {
    sceneView_->sceneRenderer().setGhostLeads(ghost ? ghostLeadActors(*ghost)
                                                    : std::vector<vtkSmartPointer<vtkProp3D>>{});
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString("Cannot draw the alternative: ") + e.what(), 10000);
  }
  sceneView_->update();
}

void MainWindow::showPlanSummary(const PlanDocument* plan, bool preview) {
  QString summary;
  if (plan)
    for (const PlannedTrajectory& p : plan->trajectories) {
      const auto& m = p.metrics;
      summary +=
          QString("%1 %2: ventricles %3 mm, %4 in GPi%5   ")
              .arg(p.trajectory.side == Side::Left ? "L" : "R", QString::fromStdString(p.trajectory.id))
              .arg(m.closest[0].distanceMm, 0, 'f', 1)
              .arg(m.contactsInGpi)
              .arg(m.safe ? "" : " (UNSAFE: review)");
    }
  planLabel_->setText(summary.isEmpty() ? QString() : (preview ? "Preview: " : "Plan: ") + summary.trimmed());
}

void MainWindow::onSessionChanged() {
  if (!session_) return;
  showPlanDocument(&session_->plan(), false);
  updateActions();
  autosave_->restart();
  emit planChanged();
}

bool MainWindow::applyEdit(const PlanEdit& edit, EditMerge merge) {
  if (!session_) return false;
  try {
    if (!session_->commit(edit, /*searchAlternativesNow=*/false, merge)) {
      showPlanDocument(&session_->plan(), false);  // nothing changed: drop any preview
      return true;
    }
  } catch (const std::exception& e) {
    QMessageBox::warning(this, "dbsplan: edit refused",
                         QString::fromStdString(edit.describe() + ": " + e.what()));
    showPlanDocument(&session_->plan(), false);  // drop any preview
    return false;
  }
  if (edit.side) selectedSide_ = *edit.side;
  onSessionChanged();
  if (edit.invalidatesAlternatives()) searchAlternatives(edit.sided());
  return true;
}

void MainWindow::searchAlternatives(Side side) {
  if (!session_) return;
  const AlternativesJob job = session_->alternativesJob(side);
  const unsigned long generation = sessionGeneration_;
  statusBar()->showMessage(QString("Searching the %1 side's alternatives...").arg(sideWord(side)));
  jobs_->runQuietly(job.run, [this, job, generation](QFuture<std::vector<PlannedTrajectory>> future) {
    std::vector<PlannedTrajectory> found;
    try {
      found = future.result();
    } catch (const std::exception& e) {
      statusBar()->showMessage(QString("The alternatives' search failed: ") + e.what(), 10000);
      return;
    }
    // Installed only into the session and the state it was started for; a newer edit brings its own.
    if (generation != sessionGeneration_ || !session_ || !session_->setAlternatives(job, std::move(found)))
      return;
    statusBar()->showMessage("Alternatives updated", 3000);
    if (!dragging_) onSessionChanged();
  });
}

void MainWindow::onHandleDragged(Side side, bool entry, Vec3 pointRas, bool finished) {
  if (!session_) return;
  const PlanEdit edit = entry ? PlanEdit::moveEntry(side, pointRas) : PlanEdit::moveTarget(side, pointRas);
  selectedSide_ = side;
  if (finished) {
    dragging_ = false;
    pendingDragEdit_.reset();
    dragPreviewTimer_->stop();
    dragDetailsTimer_->stop();
    applyEdit(edit);  // shows the session's plan everywhere, so nothing points into the preview
    dragPreview_.reset();
    return;
  }
  dragging_ = true;
  // Coalesced: the moves that arrive while a preview is scored and drawn become one preview of the
  // last of them, on the next pass of the event loop (issue 23, defect 8).
  pendingDragEdit_ = edit;
  if (!dragPreviewTimer_->isActive()) dragPreviewTimer_->start();
}

void MainWindow::showDragPreview() {
  if (!pendingDragEdit_ || !session_) return;
  const PlanEdit edit = *pendingDragEdit_;
  pendingDragEdit_.reset();
  try {
    dragPreview_ = session_->preview(edit);
  } catch (const std::invalid_argument&) {
    return;  // dragged onto the other end of the path: nothing to show until the mouse moves on
  }
  // The views and the status bar's summary follow every move; the panel's tables and text, the
  // probe's eye and along-the-path figures (a reslice each) and the scalp risk map follow when the
  // mouse rests, and on release.
  showPlanInViews(&*dragPreview_);
  showPlanSummary(&*dragPreview_, true);
  dragDetailsTimer_->start();
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
  autosave_->stop();
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
  autosave_->stop();
  addRecentFile(path);
  WindowSettings::rememberFolder(path);
  updateActions();
  const std::vector<std::string>& carried = session_->lastCarriedFiles();
  QStringList names;
  for (const std::string& f : carried) names << QString::fromStdString(f);
  statusBar()->showMessage(carried.empty() ? "Saved " + path
                                           : "Saved " + path + " with its files beside it (" +
                                                 names.join(", ") + "): the folder is self-contained",
                           15000);
  return true;
}

bool MainWindow::exportReport(const QString& pdfPath) {
  return writeFigures({}, pdfPath);
}

bool MainWindow::exportScene(const QString& pngPath) {
  return writeFigures(pngPath, {});
}

void MainWindow::showSchematic() {
  // The report's scene (renderPlanScene's anatomy, leads and camera) to turn by hand (issue 23: it
  // was a picture, 5-8 s in coming).
  showBuiltScene("the schematic", "its schematic", buildPlanScene, schematicDialogText());
}

void MainWindow::showImplantedSystem() {
  showBuiltScene("the implanted system", "the implanted system", buildImplantedSystemScene,
                 implantedSystemDialogText());
}

void MainWindow::showBuiltScene(const QString& what, const QString& toSee,
                                BuiltScene (*build)(const PlanResult&), const SceneDialogText& text) {
  if (!session_) {
    QMessageBox::information(this, "dbsplan",
                             "Plan, or open a plan (File > Open plan...), to see " + toSee + ".");
    return;
  }
  // Built on a worker from a snapshot (every pipeline executed there), then shown in a view the user
  // turns.
  std::shared_ptr<const PlanResult> snapshot = session_->snapshot();
  jobs_->runWithProgress<std::shared_ptr<BuiltScene>>(
      "Building " + what, "dbsplan: cannot build " + what,
      [snapshot, build](const ProgressCallback& progress) {
        if (!progress(0.1, "building the 3-D scene")) throw Cancelled();
        return std::make_shared<BuiltScene>(build(*snapshot));
      },
      [this, text, what](std::shared_ptr<BuiltScene> scene) {
        auto* dialog = new SceneDialog(
            std::move(*scene), text, [this] { return WindowSettings::planFolder(session()); }, this);
        connect(dialog, &SceneDialog::saved, this, [this, what](const QString& path) {
          QString written = what.mid(what.indexOf(' ') + 1);  // "the schematic" -> "schematic"
          written[0] = written[0].toUpper();
          statusBar()->showMessage(written + " written: " + path, 10000);
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
  jobs_->runWithProgress<bool>(
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
        if (!pdf.empty())
          // The report's own steps (each figure, each page) as the rest of the bar.
          writePlanReport(*snapshot, pdf, image, [&progress](double fraction, const std::string& text) {
            return progress(0.3 + 0.7 * fraction, "report: " + text);
          });
        return true;
      },
      [this, what](bool) { statusBar()->showMessage("Written: " + what, 10000); }, Qt::NonModal);
  return true;
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
  autosave_->discard(session_->planPath());  // discarded on purpose: not offered back
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
  if (!startupChecked_) {  // once the window is up, so the question has a parent to sit on
    startupChecked_ = true;
    QTimer::singleShot(0, this, [this] { offerAutosaveAtStartup(); });
  }
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!maybeKeepChanges()) {
    e->ignore();
    return;
  }
  if (rememberLayout_) {
    WindowSettings::saveWindowLayout(saveGeometry(), saveState());
  }
  e->accept();
}

void MainWindow::addRecentFile(const QString& path) {
  WindowSettings::addRecentFile(path);
  actions_->rebuildRecentMenu();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  const auto urls = e->mimeData()->urls();
  if (!urls.isEmpty() && urls.first().isLocalFile()) openPath(urls.first().toLocalFile());
}

QImage MainWindow::renderToImage() {
  // QWidget::grab() paints every child, the views too (each renders its frame and paints it).
  QApplication::processEvents();
  return grab().toImage();
}

}  // namespace dbs::app
