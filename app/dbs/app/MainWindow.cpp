#include "dbs/app/MainWindow.h"

#include <QApplication>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPointer>
#include <QProgressDialog>
#include <QSettings>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

#include <filesystem>

#include "dbs/imaging/ImagingError.h"
#include "dbs/app/PlanFigures.h"
#include "dbs/app/PlanReport.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/PlanPipeline.h"

namespace dbs::app {

namespace {
constexpr int kMaxRecentFiles = 8;
const char* kRecentKey = "recentFiles";
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
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
    connect(sliceViews_[i], &SliceViewWidget::hovered, this,
            [this](Vec3 p) { positionLabel_->setText(model_.describePoint(p)); });
  }
  sceneView_ = new SceneViewWidget(
      &model_, {&sliceViews_[0]->sliceRenderer(), &sliceViews_[1]->sliceRenderer(), &sliceViews_[2]->sliceRenderer()},
      central);
  // Axial | coronal over sagittal | 3D.
  grid->addWidget(sliceViews_[0], 0, 0);
  grid->addWidget(sliceViews_[1], 0, 1);
  grid->addWidget(sliceViews_[2], 1, 0);
  grid->addWidget(sceneView_, 1, 1);
  setCentralWidget(central);

  positionLabel_ = new QLabel("Open an image: File > Open, or drop a file here", this);
  statusBar()->addWidget(positionLabel_, 1);
  planLabel_ = new QLabel(this);  // the open plan at a glance (permanent: messages do not cover it)
  statusBar()->addPermanentWidget(planLabel_);
  connect(&model_, &ViewerModel::crosshairChanged, this,
          [this](Vec3 p) { positionLabel_->setText("Crosshair: " + model_.describePoint(p)); });
  buildMenus();
  resize(1100, 900);
}

MainWindow::~MainWindow() {
  if (cancelLoad_) *cancelLoad_ = true;
}

SliceViewWidget* MainWindow::sliceView(SliceOrientation orientation) const {
  return sliceViews_[static_cast<int>(orientation)];
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open image...", QKeySequence::Open, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, "Open image", QString(), "Images (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.dcm);;All files (*)");
    if (!path.isEmpty()) openPath(path);
  });
  file->addAction("Open &DICOM folder...", this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Open DICOM folder");
    if (!dir.isEmpty()) openPath(dir);
  });
  QMenu* samples = file->addMenu("Open &sample");
  try {
    for (const Sample& sample : SampleCatalogue::standard().samples()) {
      QAction* action = samples->addAction(QString::fromStdString(sample.name + ": " + sample.title), this,
                                           [this, name = sample.name] { openSample(QString::fromStdString(name)); });
      action->setToolTip(QString::fromStdString(sample.description));
    }
  } catch (const std::exception& e) {
    samples->addAction(QString("sample catalogue unavailable: ") + e.what())->setEnabled(false);
  }
  file->addAction("Open &plan...", this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Open plan", QString(), "dbsplan plans (plan.json *.json)");
    if (!path.isEmpty()) openPlan(path);
  });
  file->addAction("Open &labels...", this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open label map", QString(), "Label maps (*.nii *.nii.gz *.nrrd *.mha)");
    if (!path.isEmpty()) openLabels(path);
  });
  recentMenu_ = file->addMenu("&Recent files");
  rebuildRecentMenu();
  file->addSeparator();
  file->addAction("Save &screenshot...", this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, "Save screenshot", "dbsplan.png", "PNG (*.png)");
    if (!path.isEmpty() && !renderToImage().save(path))
      QMessageBox::warning(this, "dbsplan", "Could not write " + path);
  });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

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
  QMenu* tools = menuBar()->addMenu("&Tools");
  tools->addAction("&Locate GPi (atlas registration)", this, [this] { locateGpiInCurrentImage(); });
  tools->addAction("&Plan bilateral trajectories...", this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Folder for plan.json, report.pdf and scene.png");
    if (!dir.isEmpty()) planTrajectoriesForCurrentImage(dir);
  });
  QMenu* help = menuBar()->addMenu("&Help");
  help->addAction("&Mouse and keys", this, [this] {
    QMessageBox::information(this, "dbsplan",
                             "Slice views: left-click or drag to move the crosshair; wheel to change slice; "
                             "right-drag to change window (horizontal) and level (vertical).\n"
                             "3D view: left-drag to rotate, right-drag or wheel to zoom, middle-drag to pan.\n"
                             "All coordinates are patient RAS in millimetres.");
  });
}

void MainWindow::showVolume(std::shared_ptr<const Volume> volume) {
  const QString name = QFileInfo(QString::fromStdString(volume->path)).fileName();
  model_.setVolume(std::move(volume));
  sceneView_->sceneRenderer().setPlannedLeads({});  // a plan belongs to the volume it was made on
  for (SliceViewWidget* view : sliceViews_) view->sliceRenderer().setLeads({});
  planLabel_->clear();
  setWindowTitle("dbsplan - " + name);
  positionLabel_->setText("Crosshair: " + model_.describePoint(model_.crosshairRas()));
  for (const auto& note : model_.volume()->notes) statusBar()->showMessage(QString::fromStdString(note), 10000);
}

void MainWindow::loadInBackground(const QString& what, std::function<LoadedScene(const ProgressCallback&)> load,
                                  std::function<void(const LoadedScene&)> onLoaded) {
  if (cancelLoad_) *cancelLoad_ = true;  // a newer request supersedes a load in progress
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  cancelLoad_ = cancel;
  auto* dialog = new QProgressDialog("Loading " + what, "Cancel", 0, 100, this);
  dialog->setWindowModality(Qt::WindowModal);
  dialog->setMinimumDuration(300);
  connect(dialog, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });

  struct Result {
    LoadedScene scene;
    QString error;
  };
  auto* watcher = new QFutureWatcher<Result>(this);
  connect(watcher, &QFutureWatcher<Result>::finished, this, [this, watcher, dialog, cancel, onLoaded] {
    const Result result = watcher->result();
    dialog->close();
    dialog->deleteLater();
    watcher->deleteLater();
    if (*cancel) return;
    if (!result.scene.volume) {
      QMessageBox::critical(this, "dbsplan: cannot open", result.error);
      return;
    }
    onLoaded(result.scene);
  });
  QPointer<QProgressDialog> progressDialog(dialog);
  watcher->setFuture(QtConcurrent::run([load, cancel, progressDialog]() -> Result {
    const ProgressCallback progress = [cancel, progressDialog](double fraction, const std::string& step) {
      QMetaObject::invokeMethod(
          progressDialog, [progressDialog, fraction, step] {
            if (!progressDialog) return;
            progressDialog->setValue(static_cast<int>(fraction * 100));
            progressDialog->setLabelText(QString::fromStdString(step));
          },
          Qt::QueuedConnection);
      return !*cancel;
    };
    try {
      return {load(progress), {}};
    } catch (const Cancelled&) {
      return {{}, "cancelled"};
    } catch (const std::exception& e) {
      return {{}, QString::fromStdString(e.what())};
    }
  }));
}

void MainWindow::openPath(const QString& path) {
  const std::string file = path.toStdString();
  loadInBackground(
      path, [file](const ProgressCallback& progress) { return loadScene(file, "", progress); },
      [this, path](const LoadedScene& scene) {
        showScene(scene);
        addRecentFile(path);
      });
}

void MainWindow::openSample(const QString& name) {
  const std::string sampleName = name.toStdString();
  loadInBackground(
      "sample " + name,
      [sampleName](const ProgressCallback& progress) {
        return loadSampleScene(SampleCatalogue::standard().find(sampleName), progress);
      },
      [this](const LoadedScene& scene) { showScene(scene); });
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
  if (!model_.volume() || model_.volume()->path.empty() || !QFileInfo::exists(QString::fromStdString(model_.volume()->path))) {
    QMessageBox::information(this, "dbsplan", "Open a patient T1 from a file first.");
    return;
  }
  const std::string path = model_.volume()->path;
  auto targets = std::make_shared<std::array<LocateSide, 2>>();
  loadInBackground(
      "Locating the GPi in " + QString::fromStdString(path),
      [path, targets](const ProgressCallback& progress) {
        LocateInputs inputs;
        inputs.imagePath = path;
        const LocateResult result = locateGpi(inputs, progress);
        *targets = result.sides;
        LoadedScene scene;
        scene.volume = std::make_shared<Volume>(result.patient);
        scene.labels = std::make_shared<LabelVolume>(result.labels);
        return scene;
      },
      [this, targets](const LoadedScene& scene) {
        showVolume(scene.volume);
        model_.setLabels(scene.labels);
        model_.setCrosshairRas((*targets)[0].atlasTargetRas);
        const auto& l = (*targets)[0];
        const auto& r = (*targets)[1];
        statusBar()->showMessage(
            QString("GPi targets (RAS mm): left (%1, %2, %3), right (%4, %5, %6); atlas vs AC-PC target %7 / %8 mm apart")
                .arg(l.atlasTargetRas.x, 0, 'f', 1).arg(l.atlasTargetRas.y, 0, 'f', 1).arg(l.atlasTargetRas.z, 0, 'f', 1)
                .arg(r.atlasTargetRas.x, 0, 'f', 1).arg(r.atlasTargetRas.y, 0, 'f', 1).arg(r.atlasTargetRas.z, 0, 'f', 1)
                .arg(l.targetDistanceMm, 0, 'f', 1).arg(r.targetDistanceMm, 0, 'f', 1),
            30000);
      });
}

void MainWindow::planTrajectoriesForCurrentImage(const QString& outDir) {
  if (!model_.volume() || model_.volume()->path.empty() || !QFileInfo::exists(QString::fromStdString(model_.volume()->path))) {
    QMessageBox::information(this, "dbsplan", "Open a patient T1 from a file first.");
    return;
  }
  const std::string path = model_.volume()->path, out = outDir.toStdString();
  auto planned = std::make_shared<std::shared_ptr<PlanResult>>();
  loadInBackground(
      "Planning both trajectories for " + QString::fromStdString(path),
      [path, out, planned](const ProgressCallback& progress) {
        PlanInputs inputs;
        inputs.locate.imagePath = path;
        inputs.programVersion = DBS_VERSION;
        auto result = std::make_shared<PlanResult>(runPlanPipeline(inputs, progress));
        writePlanOutputs(*result, out);
        *planned = result;
        LoadedScene scene;
        scene.volume = std::make_shared<Volume>(result->locate.patient);
        scene.labels = std::make_shared<LabelVolume>(result->locate.labels);
        return scene;
      },
      [this, out, planned](const LoadedScene& scene) {
        const PlanResult& result = **planned;
        // The figures render with OpenGL and Qt's painter: on this (the GUI) thread.
        try {
          writeSceneImage(result, out + "/scene.png");
          writePlanReport(result, out + "/report.pdf");
        } catch (const std::exception& e) {
          QMessageBox::warning(this, "dbsplan: report", QString::fromStdString(e.what()));
        }
        showVolume(scene.volume);
        model_.setLabels(scene.labels);
        try {
          showPlan(result.plan);
        } catch (const std::exception& e) {
          QMessageBox::critical(this, "dbsplan: cannot show the plan", QString::fromStdString(e.what()));
        }
      });
}

void MainWindow::showPlan(const PlanDocument& plan) {
  sceneView_->sceneRenderer().setPlannedLeads(plannedLeadActors(plan.trajectories));
  std::vector<SliceRenderer::LeadOverlay> overlays;
  for (const PlannedTrajectory& p : plan.trajectories) {
    SliceRenderer::LeadOverlay overlay{p.metrics.tipRas, p.trajectory.entryRas, {}};
    for (const PlacedContact& c : p.metrics.contacts) overlay.contactCentresRas.push_back(c.centreRas);
    overlays.push_back(overlay);
  }
  for (SliceViewWidget* view : sliceViews_) {
    view->sliceRenderer().setLeads(overlays);
    view->update();
  }
  if (!plan.trajectories.empty()) model_.setCrosshairRas(plan.trajectories.front().trajectory.targetRas);
  QString summary;
  for (const PlannedTrajectory& p : plan.trajectories) {
    const auto& m = p.metrics;
    summary += QString("%1 target (%2, %3, %4), %5 deg, ventricles %6 mm, %7 in GPi%8   ")
                   .arg(p.trajectory.side == 'L' ? "L" : "R")
                   .arg(p.trajectory.targetRas.x, 0, 'f', 1)
                   .arg(p.trajectory.targetRas.y, 0, 'f', 1)
                   .arg(p.trajectory.targetRas.z, 0, 'f', 1)
                   .arg(m.sagittalAngleDeg, 0, 'f', 0)
                   .arg(m.closest[0].distanceMm, 0, 'f', 1)
                   .arg(m.contactsInGpi)
                   .arg(m.safe ? "" : " (UNSAFE: review)");
  }
  planLabel_->setText("Plan (RAS mm): " + summary.trimmed());
  sceneView_->update();
}

void MainWindow::openPlan(const QString& planPath) {
  std::shared_ptr<PlanDocument> plan;
  try {
    plan = std::make_shared<PlanDocument>(readPlan(planPath.toStdString()));
    const std::string problem = planImageProblem(*plan);
    if (!problem.empty()) throw std::runtime_error(problem);
  } catch (const std::exception& e) {
    QMessageBox::critical(this, "dbsplan: cannot open plan", QString::fromStdString(e.what()));
    return;
  }
  const std::string labels = (std::filesystem::path(planPath.toStdString()).parent_path() / plan->labelsFile).string();
  const std::string image = plan->image.path;
  loadInBackground(
      QString::fromStdString(image),
      [image, labels](const ProgressCallback& progress) {
        return loadScene(image, std::filesystem::exists(labels) ? labels : std::string(), progress);
      },
      [this, plan](const LoadedScene& scene) {
        showScene(scene);
        try {
          showPlan(*plan);
        } catch (const std::exception& e) {  // never let an exception leave the event loop
          QMessageBox::critical(this, "dbsplan: cannot show the plan", QString::fromStdString(e.what()));
        }
      });
}

void MainWindow::showScene(const LoadedScene& scene) {
  showVolume(scene.volume);
  model_.setLabels(scene.labels);
  model_.setCrosshairRas(initialCrosshairRas(scene));
}

void MainWindow::addRecentFile(const QString& path) {
  QSettings settings("dbsplan", "dbsplan");
  QStringList recent = settings.value(kRecentKey).toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  settings.setValue(kRecentKey, recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = QSettings("dbsplan", "dbsplan").value(kRecentKey).toStringList();
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
