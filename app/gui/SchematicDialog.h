// SchematicDialog: View > Schematic's window (and the frame registration's overlay). The report's 3-D scene
// of both leads (renderPlanScene: translucent head and brain, both GPi and GPe, both leads with their
// contacts, seen from the front-left above), scaled to fit, with Save (a PNG, written atomically) and Close.
// It deletes itself when closed.
#pragma once

#include <QDialog>
#include <QImage>
#include <QString>

#include <functional>
#include <memory>

namespace dbs::app {

// What a picture dialog says: its title, the picture's tooltip, the file name Save offers.
struct FigureDialogText {
  QString title, toolTip, fileName;
};
FigureDialogText schematicText();

class SchematicDialog : public QDialog {
  Q_OBJECT
 public:
  // `image`: the scene as rendered; `folder`: where Save offers to write it, asked when it is pressed.
  // `text`: the title, tooltip and file name Save offers, for another picture shown the same way
  // (the frame registration's overlay); by default the schematic's.
  SchematicDialog(std::shared_ptr<const QImage> image, std::function<QString()> folder, QWidget* parent,
                  const FigureDialogText& text = schematicText());

 signals:
  // The picture was written to `path`.
  void saved(const QString& path);

 private:
  void save();

  std::shared_ptr<const QImage> image_;
  std::function<QString()> folder_;
  FigureDialogText text_;
};

}  // namespace dbs::app
