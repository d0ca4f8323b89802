// MainWindow: the viewer: axial, coronal and sagittal slice views and a 3D view around one linked
// crosshair, with File > Open (image files, DICOM folders), drag and drop, recent files, and the RAS
// position and intensity under the mouse in the status bar.
#pragma once

#include <QMainWindow>

#include <array>
#include <atomic>
#include <functional>
#include <memory>

#include "dbs/app/SampleLoading.h"
#include "dbs/planning/PlanDocument.h"
#include "dbs/app/ViewWidgets.h"
#include "dbs/app/ViewerModel.h"

class QLabel;
class QMenu;

namespace dbs::app {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  ViewerModel& model() { return model_; }
  SliceViewWidget* sliceView(SliceOrientation orientation) const;
  SceneViewWidget* sceneView() const { return sceneView_; }

  // Shows an already loaded volume (the CLI loads synchronously; the GUI through openPath()).
  void showVolume(std::shared_ptr<const Volume> volume);
  // Shows a volume with its labels, the crosshair on the left GPi when there is one.
  void showScene(const LoadedScene& scene);
  // Opens a sample from the catalogue in the background (File > Open sample).
  void openSample(const QString& name);
  void openLabels(const QString& path);
  // Runs the GPi localisation (the pipeline `dbsplan locate` runs) on the open image, in the
  // background with progress and cancel, then shows its labels with the crosshair on the left target.
  void locateGpiInCurrentImage();
  // Shows a plan's leads in the 3-D view (replacing any shown) with the crosshair on the first
  // target and the plan's summary in the status bar; opening another volume clears them.
  void showPlan(const PlanDocument& plan);
  // Opens a plan file: its image, the labels beside it, and its leads (File > Open plan).
  void openPlan(const QString& planPath);
  // Plans both trajectories on the open image (the pipeline `dbsplan plan` runs) in the background
  // with progress and cancel, writes plan.json, labels, report.pdf and scene.png to `outDir`, then
  // shows the labels with the crosshair on the left target and the plan's summary.
  void planTrajectoriesForCurrentImage(const QString& outDir);
  // Loads a file or DICOM folder in the background with a cancellable progress dialog; errors are
  // reported in a message box and leave the current volume untouched.
  void openPath(const QString& path);
  // Renders every view and returns the whole window as an image (what a user sees).
  QImage renderToImage();

 protected:
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;

 private:
  void buildMenus();
  // Runs `load` on a worker thread behind a cancellable progress dialog; shows the result or the
  // error. The current scene stays untouched until a load succeeds.
  void loadInBackground(const QString& what, std::function<LoadedScene(const ProgressCallback&)> load,
                        std::function<void(const LoadedScene&)> onLoaded);
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();

  ViewerModel model_;
  std::array<SliceViewWidget*, 3> sliceViews_{};
  SceneViewWidget* sceneView_ = nullptr;
  QLabel* positionLabel_ = nullptr;
  QLabel* planLabel_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  std::shared_ptr<std::atomic<bool>> cancelLoad_;
};

}  // namespace dbs::app
