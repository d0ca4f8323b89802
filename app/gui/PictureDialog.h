// PictureDialog: a rendered picture to look at, with Save (a PNG, written atomically) and Close; the
// frame registration's overlay is shown this way. (3-D scenes the user turns are in SceneDialog.)
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

// Asks where to save `image` as PNG (offering `suggestedPath`), writes it atomically and remembers its
// folder; a failure is said in a message box. Returns the path written, or empty (cancelled, failed).
// The Save of PictureDialog and SceneDialog.
QString savePictureAs(QWidget* parent, const QImage& image, const QString& suggestedPath);

class PictureDialog : public QDialog {
  Q_OBJECT
 public:
  // `image`: the picture; `folder`: where Save offers to write it, asked when it is pressed. The
  // picture is the child QLabel named "picture".
  PictureDialog(std::shared_ptr<const QImage> image, std::function<QString()> folder, QWidget* parent,
                const FigureDialogText& text);

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
