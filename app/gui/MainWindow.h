// MainWindow: the planning workstation. Axial, coronal and sagittal slice views and a 3D view around
// one linked crosshair; a side panel with the structures, the trajectories and the selected one;
// File (open image, DICOM folder, sample, plan; save, save as, export report and scene, screenshots),
// Edit (undo, redo, AC/PC placement, review note), View, Tools (locate, plan) and Help menus; drag and
// drop; recent files and the window layout kept in QSettings.
//
// The open plan lives in one PlanSession (planning/, no Qt): a drag on a target or entry handle in
// a slice view previews the edit (re-scored, nothing changed) and commits it on release; the panel's
// electrode, depth and roll and the Edit menu send the same edits. A commit pushes undo, searches the
// side's alternatives on a worker thread and writes an autosave a few seconds later, which is
// offered back when the plan is opened after a crash or a kill. Long steps (loading, locating,
// planning, reopening a plan) run on a worker thread behind a cancellable progress dialog; a cancel
// or a failure leaves what was shown before untouched.
//
// This class lays the window out (views, docks, panel, status bar) and wires its pieces, each in its
// own file: the menus (WindowActions), the worker threads and progress dialogs (BackgroundJobs), the
// scalp risk map (RiskMapController), the autosave (PlanAutosave), what is kept between runs
// (WindowSettings), the 3-D scenes' and pictures' dialogs (SceneDialog, PictureDialog), the slice views'
// mouse modes (InteractionModes, inside the views), the panel (PlanPanel) and the tour (GuidedTour).
#pragma once

#include <QApplication>
#include <QMainWindow>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "dbs/planning/FrameRegistration.h"
#include "dbs/planning/PlanSession.h"
#include "gui/SampleLoading.h"
#include "gui/SceneDialog.h"
#include "gui/ViewWidgets.h"
#include "gui/ViewerModel.h"
#include "gui/WindowActions.h"  // aboutText()
#include "render/PlanActors.h"
#include "render/ScalpRiskMap.h"

class QDockWidget;
class QLabel;
class QTimer;

namespace dbs::app {

class BackgroundJobs;
class PlanAutosave;
class PlanPanel;
class PlanFigureView;
class RiskMapController;
class TourPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `rememberLayout`: restore the window's geometry and panel layout from the settings and save
  // them on close (false for a one-shot `view --screenshot`, which must neither depend on nor
  // change the user's layout).
  explicit MainWindow(QWidget* parent = nullptr, bool rememberLayout = true);
  ~MainWindow() override;

  ViewerModel& model() { return model_; }
  SliceViewWidget* sliceView(SliceOrientation orientation) const;
  SceneViewWidget* sceneView() const { return sceneView_; }
  PlanPanel* planPanel() const { return panel_; }
  // The open plan (null when none): what the window shows and edits.
  PlanSession* session() const { return session_.get(); }

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
  // Shows a plan's leads read-only (no session: e.g. a plan whose files are gone).
  void showPlan(const PlanDocument& plan);
  // Shows an open plan session (its image, labels and leads) and edits it from now on.
  void showSession(std::shared_ptr<PlanSession> session);
  // Reopens a plan file editable (PlanSession::open, in the background): its image, labels and
  // leads; offers an autosave newer than the file (File > Open plan).
  void openPlan(const QString& planPath);
  // Plans both trajectories on the open image (the pipeline `dbsplan plan` runs) in the background
  // with progress and cancel, writes plan.json, labels, risk structures, report.pdf and scene.png to
  // `outDir`, then opens the plan for editing.
  void planTrajectoriesForCurrentImage(const QString& outDir);
  // Tools > Register frame: the open plan registered to the stereotactic frame seen in that image
  // (a frame CT or MR), in the background with progress and cancel; one undoable step.
  void registerFrame(const QString& stereotacticImagePath);
  // Tools > Register frame by hand: the stereotactic image opened in a dialog where the user clicks
  // the rods' cross-sections (FrameRodPicking.h); then the same solver and co-registration.
  void registerFrameByHand(const QString& stereotacticImagePath);
  // Loads a file or DICOM folder in the background with a cancellable progress dialog; errors are
  // reported in a message box and leave the current volume untouched.
  void openPath(const QString& path);
  // File > Close: the plan (asking first about unsaved edits) and the image go, the window is empty
  // as at start-up. False when the user kept them (Cancel).
  bool closeImage();
  // Renders every view and returns the whole window as an image (what a user sees).
  QImage renderToImage();

  // The plan session's edits, as the panel, the menus and the drags send them. Returns false (and
  // says why in a message box) for an edit the session refuses.
  bool applyEdit(const PlanEdit& edit, EditMerge merge = EditMerge::Separate);
  void undo();
  void redo();
  // Saves the plan in place (Ctrl+S) or to a new file; false when it could not be written (said).
  bool savePlan();
  bool savePlanAs(const QString& path);
  // Start writing the report or the scene in the background (progress, cancel); false without a plan.
  bool exportReport(const QString& pdfPath);
  bool exportScene(const QString& pngPath);
  // View > Schematic: the report's 3-D scene of both leads (buildPlanScene, off the UI thread) in a
  // dialog the user turns (SceneDialog), with Save (PNG, atomic).
  void showSchematic();
  // Builds a scene with `build` from a snapshot of the plan on a worker (progress, cancel) and shows
  // it in a SceneDialog. `what` names it in the progress and errors ("the schematic"); `toSee` says
  // what there is to see when no plan is open.
  void showBuiltScene(const QString& what, const QString& toSee, BuiltScene (*build)(const PlanResult&),
                      const SceneDialogText& text);
  // View > Implanted system: the whole system (buildImplantedSystemScene, off the UI thread) in a
  // rotatable 3-D view (SceneDialog).
  void showImplantedSystem();
  // View > Scalp risk map: the selected side's map (ScalpRiskMap.h) on the 3-D view, built in the
  // background, re-scored in the window while that side's target is dragged and again after each
  // edit; a click on it moves that side's entry there. Null while none is shown.
  const ScalpRiskMap* riskMap() const;
  // Help > Guided tour: the teaching tour (GuidedTour.h) of the open plan; without one, of the colin27
  // sample, planned once into the user's cache folder (and reopened from there afterwards).
  void startGuidedTour();
  TourPanel* tourPanel() const { return tour_; }
  // Whether a background step (load, plan, alternatives' search, risk map) is still running.
  bool busy() const;
  // The views' layout: `only` alone, filling the middle (a double-click on a view does it), or all
  // four with nullptr (a double-click on the lone view, or View > Layout > Four views).
  void showOnlyView(QWidget* only);
  // View > Text size: the window's font and every view's overlay texts times `scale` (1 normal,
  // 1.25 large, 1.6 projector), for a lecture hall or a screen seen from across the theatre; kept
  // for the next start when the window remembers its layout.
  void setTextScale(double scale);
  double textScale() const { return textScale_; }
  QWidget* onlyView() const { return onlyView_; }

 signals:
  // After every change of what the plan session holds (commit, undo, redo, alternatives, open).
  void planChanged();

 protected:
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;
  void closeEvent(QCloseEvent* e) override;
  void showEvent(QShowEvent* e) override;
  bool eventFilter(QObject* watched, QEvent* e) override;  // the views' double-clicks

 private:
  // The layout: the views in the middle, the docks around them, the status bar.
  void buildViews();
  void buildDocks();
  void buildStatusBar();
  // What each piece's signals do to the others.
  void connectPieces();
  // The 3-D scene (PNG) and/or the report (PDF) of the plan as it is now, on a worker thread; each
  // file written atomically. An empty path skips that file.
  bool writeFigures(const QString& scenePath, const QString& pdfPath);
  void addRecentFile(const QString& path);
  // Asks what to do with unsaved plan edits before they would be lost; false = the user cancelled.
  bool maybeKeepChanges();
  void setSession(std::shared_ptr<PlanSession> session);
  // Shows `plan` (the session's, or a preview of an edit) in every view and the panel.
  void showPlanDocument(const PlanDocument* plan, bool preview);
  // The part of showPlanDocument a drag repaints on every move: the slice views and the 3-D view.
  void showPlanInViews(const PlanDocument* plan);
  // The rest: the panel, the ghost of a highlighted alternative, the figure views, the status
  // bar's summary and the scalp risk map.
  void showPlanInPanels(const PlanDocument* plan, bool preview);
  // The preview of the last handle move not yet shown (see onHandleDragged).
  void showDragPreview();
  // The plan at a glance in the status bar (`preview`: of an edit in progress).
  void showPlanSummary(const PlanDocument* plan, bool preview);
  // The alternative whose row the panel has selected, as a ghost path in every view (none: cleared).
  void showPreviewedAlternative(const PlanDocument* plan);
  void onSessionChanged();
  void onHandleDragged(Side side, bool entry, Vec3 pointRas, bool finished);
  void searchAlternatives(Side side);
  void showTourStep(int index);
  // Plans both sides of the T1 at `imagePath` into `outDir` in the background and opens the plan.
  void planImage(const std::string& imagePath, const QString& outDir);
  // A finished frame registration into the session it was started for (`generation`), as one step.
  struct RegisteredFrame {
    PlanFrameRegistration registration;
    std::shared_ptr<const QImage> overlay;  // the frame image on the T1, to look at (FrameOverlay.h)
  };
  void installFrameRegistration(RegisteredFrame registered, unsigned long generation);
  // Whether the open plan may be registered to a frame (else the box saying why has been shown).
  bool planCanBeRegisteredToAFrame();
  // Registers a copy of the plan in the background (progress, cancel), with its overlay, then
  // installs it: the automatic and the manual registration differ only in `registerPlan`.
  using FrameRegistrationStep = std::function<PlanFrameRegistration(
      const PlanDocument&, const ProgressCallback&, FrameRegistrationCheck*)>;
  void runFrameRegistration(const QString& what, FrameRegistrationStep registerPlan);
  // Offers back the autosave of the plan at `path` when it holds edits never saved.
  void offerAutosave(const std::string& path);
  // At start-up, with nothing open: offers to open the most recent plan whose autosave holds edits
  // never saved, and to recover them (issue 23: they were offered only when that plan was reopened).
  void offerAutosaveAtStartup();
  void updateActions();

  ViewerModel model_;
  std::array<SliceViewWidget*, 3> sliceViews_{};
  SceneViewWidget* sceneView_ = nullptr;
  PlanPanel* panel_ = nullptr;
  QDockWidget* planDock_ = nullptr;
  PlanFigureView *probesEye_ = nullptr, *alongPath_ = nullptr;
  QDockWidget *probesEyeDock_ = nullptr, *alongPathDock_ = nullptr;
  TourPanel* tour_ = nullptr;
  QDockWidget* tourDock_ = nullptr;
  bool rememberLayout_ = true, layoutRestored_ = false, dockSized_ = false;
  QLabel* positionLabel_ = nullptr;
  QLabel* planLabel_ = nullptr;
  std::unique_ptr<WindowActions> actions_;
  BackgroundJobs* jobs_ = nullptr;
  RiskMapController* riskMap_ = nullptr;
  PlanAutosave* autosave_ = nullptr;
  std::shared_ptr<PlanSession> session_;
  unsigned long sessionGeneration_ = 0;  // changes with every session set, so stale results are dropped
  Side selectedSide_ = Side::Left;
  bool tourPending_ = false;  // start the tour when the plan being opened or planned arrives
  bool dragging_ = false;
  std::optional<PlanEdit> pendingDragEdit_;  // the last handle move, not yet previewed
  std::optional<PlanDocument> dragPreview_;  // the preview shown during a drag (the panel points in)
  QTimer* dragPreviewTimer_ = nullptr;       // 0 ms: coalesces the moves queued behind a preview
  QTimer* dragDetailsTimer_ = nullptr;       // the panel and figures once the mouse rests
  PlanActorCache planActors_;                // the 3-D view's plan actors, rebuilt where they changed
  bool startupChecked_ = false;
  double textScale_ = 1.0;
  void applyTextScale(double scale);  // setTextScale without keeping it (the start-up restore)
  // The application's font at text scale 1: taken once per process, before any window scales it
  // (QApplication's font is the process's; a second window took the first one's scaled font as its
  // design, and a restored projector size grew to 2.56 times).
  static QFont designedApplicationFont() {
    static const QFont designed = QApplication::font();
    return designed;
  }
  QFont designedFont_ = designedApplicationFont();
  QWidget* onlyView_ = nullptr;       // the one view shown alone, or nullptr: all four
  std::string recoverWithoutAsking_;  // a plan whose autosave the user chose at start-up
};

}  // namespace dbs::app
