// WindowActions: the workstation's menu bar and the actions in it.
//   File   Open image, DICOM folder, sample, plan, labels; recent files; Save plan (Ctrl+S), Save plan
//          as; Export report (PDF), Export scene (PNG); Save screenshot (window or one view); Quit
//   Edit   Undo (Ctrl+Z), Redo (Ctrl+Shift+Z); Place AC / PC at the crosshair; Review note
//   View   Reset window/level, Show labels, Reset 3D camera, Probe's eye, Schematic, Along the path,
//          Scalp risk map
//   Tools  Locate GPi, Plan bilateral trajectories
//   Help   Mouse and keys, Guided tour, About
// Each item asks for what it needs (a file, a folder, a note) and calls the window's public API, the
// same calls the tests and the command line make. The window enables the plan's items (update()),
// keeps the recent files' menu current (rebuildRecentMenu()) and reacts to View > Scalp risk map
// (riskMap) itself.
#pragma once

#include <QString>

class QAction;
class QDockWidget;
class QMenu;
class QMenuBar;
class QWidget;

namespace dbs {
class PlanSession;
}

namespace dbs::app {

class MainWindow;

// Help > About: dbsplan's version, the Qt, VTK and ITK versions it runs with, the atlas (version and
// the files it was derived from), the template space and where the atlas numbers' sources are.
QString aboutText();

class WindowActions {
 public:
  // Fills `window`'s menu bar; the docks' own toggle actions become View > Probe's eye and Along the
  // path. The actions live as long as the window (its menus own them).
  WindowActions(MainWindow& window, QDockWidget* probesEyeDock, QDockWidget* alongPathDock);

  // Enables what needs an open plan (null: none) and names the step Undo and Redo would take.
  void update(const PlanSession* session, bool imageOpen);
  // The recent files' menu, from the settings.
  void rebuildRecentMenu();

  QAction* riskMap = nullptr;  // View > Scalp risk map (checkable, objectName "riskMapAction")

 private:
  void buildFileMenu(QMenuBar* bar);
  void buildEditMenu(QMenuBar* bar);
  void buildViewMenu(QMenuBar* bar, QDockWidget* probesEyeDock, QDockWidget* alongPathDock);
  void buildToolsMenu(QMenuBar* bar);
  void buildHelpMenu(QMenuBar* bar);
  // The folder Tools > Plan writes into, after asking about one that holds a plan or other files.
  static QString folderToPlanInto(QWidget* parent, const QString& dir);
  // File > Save screenshot: `view` (null: the whole window) as a PNG named after `name`.
  void saveScreenshot(QWidget* view, const QString& name);

  MainWindow& window_;
  QMenu* recentMenu_ = nullptr;
  QAction* close_ = nullptr;  // File > Close: enabled while an image is open
  QAction *save_ = nullptr, *saveAs_ = nullptr, *exportReport_ = nullptr, *exportScene_ = nullptr,
          *undo_ = nullptr, *redo_ = nullptr, *placeAc_ = nullptr, *placePc_ = nullptr, *note_ = nullptr,
          *registerFrame_ = nullptr, *registerFrameByHand_ = nullptr;
};

}  // namespace dbs::app
