// SceneDialog: a 3-D scene the user turns (drag), zooms (wheel) and resets, with Save (a PNG of the
// view as shown, written atomically) and Close. View > Schematic shows the report's plan scene this
// way (buildPlanScene) and View > Implanted system the whole implanted system
// (buildImplantedSystemScene). The scene is built off the UI thread by the window; this dialog only
// shows it. It deletes itself when closed.
#pragma once

#include <QDialog>
#include <QString>

#include <functional>

#include "figures/PlanFigures.h"

namespace dbs::app {

class SceneView;

// What a scene dialog is called and says. `name` names its widgets (what tests find them by): the
// dialog name + "Dialog", its view name + "View", its caption name + "Caption", its reset button
// "reset" + Name + "View".
struct SceneDialogText {
  QString name, title, caption, fileName;
};
SceneDialogText schematicDialogText();
SceneDialogText implantedSystemDialogText();

class SceneDialog : public QDialog {
  Q_OBJECT
 public:
  // `folder`: where Save offers to write, asked when it is pressed.
  SceneDialog(BuiltScene scene, const SceneDialogText& text, std::function<QString()> folder,
              QWidget* parent);
  // The view as rendered now (what Save writes), and its camera's position (RAS mm), for tests.
  QImage renderedView();
  Vec3 cameraPositionRas() const;
  void resetView();

 signals:
  void saved(const QString& path);

 private:
  void save();

  BuiltScene scene_;
  SceneDialogText text_;
  std::function<QString()> folder_;
  SceneView* view_ = nullptr;
};

}  // namespace dbs::app
