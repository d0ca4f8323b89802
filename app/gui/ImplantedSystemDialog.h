// ImplantedSystemDialog: View > Implanted system. The whole implanted system (buildImplantedSystemScene:
// both GPi, the translucent head and brain, the leads and their activated regions, burr-hole caps,
// extensions, the generator, a neutral body outline) in a 3-D view the user rotates (drag), zooms
// (wheel) and resets, with Save (a PNG of the view as shown, written atomically) and Close. The scene
// is built off the UI thread by the window; this dialog only shows it. It deletes itself when closed.
#pragma once

#include <QDialog>

#include <functional>

#include "figures/PlanFigures.h"

class QLabel;

namespace dbs::app {

class ImplantedSystemView;

class ImplantedSystemDialog : public QDialog {
  Q_OBJECT
 public:
  // `folder`: where Save offers to write, asked when it is pressed.
  ImplantedSystemDialog(ImplantedSystemScene scene, std::function<QString()> folder, QWidget* parent);
  // The view as rendered now (what Save writes), and its camera's position (RAS mm), for tests.
  QImage renderedView();
  Vec3 cameraPositionRas() const;
  void resetView();

 signals:
  void saved(const QString& path);

 private:
  void save();

  ImplantedSystemScene scene_;
  std::function<QString()> folder_;
  ImplantedSystemView* view_ = nullptr;
};

}  // namespace dbs::app
