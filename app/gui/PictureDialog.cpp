#include "gui/PictureDialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPixmap>
#include <QVBoxLayout>

#include "figures/PlanFigures.h"
#include "gui/WindowSettings.h"

namespace dbs::app {

PictureDialog::PictureDialog(std::shared_ptr<const QImage> image, std::function<QString()> folder,
                             QWidget* parent, const FigureDialogText& text)
    : QDialog(parent), image_(std::move(image)), folder_(std::move(folder)), text_(text) {
  setObjectName("pictureDialog");
  setAttribute(Qt::WA_DeleteOnClose);
  setWindowTitle(text_.title);
  auto* layout = new QVBoxLayout(this);
  auto* picture = new QLabel(this);
  picture->setObjectName("picture");
  picture->setPixmap(
      QPixmap::fromImage(*image_).scaled(1000, 750, Qt::KeepAspectRatio, Qt::SmoothTransformation));
  picture->setToolTip(text_.toolTip);
  layout->addWidget(picture);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Close, this);
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
  connect(buttons, &QDialogButtonBox::accepted, this, &PictureDialog::save);
}

QString savePictureAs(QWidget* parent, const QImage& image, const QString& suggestedPath) {
  const QString path = QFileDialog::getSaveFileName(parent, "Save the picture", suggestedPath, "PNG (*.png)");
  if (path.isEmpty()) return {};
  try {
    writePngAtomically(image, path.toStdString());  // never a partial PNG
  } catch (const std::exception& e) {
    QMessageBox::warning(parent, "dbsplan", "Could not write " + path + ": " + e.what());
    return {};
  }
  WindowSettings::rememberFolder(path);
  return path;
}

void PictureDialog::save() {
  const QString path = savePictureAs(this, *image_, folder_() + "/" + text_.fileName);
  if (!path.isEmpty()) emit saved(path);
}

}  // namespace dbs::app
