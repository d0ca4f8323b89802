// SchematicDialog: View > Schematic's window. The report's 3-D scene of both leads (renderPlanScene:
// translucent head and brain, both GPi and GPe, both leads with their contacts, seen from the
// front-left above), scaled to fit, with Save (a PNG, written atomically) and Close. It deletes
// itself when closed.
#pragma once

#include <QDialog>
#include <QImage>
#include <QString>

#include <functional>
#include <memory>

namespace dbs::app {

class SchematicDialog : public QDialog {
  Q_OBJECT
 public:
  // `image`: the scene as rendered; `folder`: where Save offers to write it, asked when it is pressed.
  SchematicDialog(std::shared_ptr<const QImage> image, std::function<QString()> folder, QWidget* parent);

 signals:
  // The picture was written to `path`.
  void saved(const QString& path);

 private:
  void save();

  std::shared_ptr<const QImage> image_;
  std::function<QString()> folder_;
};

}  // namespace dbs::app
