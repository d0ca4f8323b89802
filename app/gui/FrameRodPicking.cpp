#include "gui/FrameRodPicking.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMouseEvent>
#include <QPushButton>
#include <QVBoxLayout>

#include <set>

#include "dbs/imaging/TextFormat.h"
#include "gui/ViewWidgets.h"
#include "gui/ViewerModel.h"

namespace dbs::app {

namespace {

QString rasText(Vec3 p) {
  return QString::fromStdString("(" + fixedText(p.x, 1) + ", " + fixedText(p.y, 1) + ", " +
                                fixedText(p.z, 1) + ")");
}

}  // namespace

FrameRodPickingDialog::FrameRodPickingDialog(std::shared_ptr<const Volume> stereotacticImage, QWidget* parent)
    : QDialog(parent), image_(std::move(stereotacticImage)) {
  setWindowTitle("dbsplan: click the localizer's rods");
  model_ = new ViewerModel(this);
  auto* layout = new QHBoxLayout(this);
  view_ = new SliceViewWidget(SliceOrientation::Axial, model_, this);
  model_->setVolume(image_);  // after the view exists: it follows the model's volumeChanged
  view_->setMinimumSize(560, 560);
  view_->installEventFilter(this);
  layout->addWidget(view_, 1);
  auto* side = new QVBoxLayout;
  auto* help = new QLabel(
      "Click the centre of every rod's cross-section (9: three on each side and three in front) on at "
      "least 3 slices well apart: near the top, the middle and the bottom of the localizer. The wheel or "
      "PgUp/PgDn change slice; a click snaps to the bright cross-section under it.",
      this);
  help->setWordWrap(true);
  side->addWidget(help);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  side->addWidget(status_);
  list_ = new QListWidget(this);
  side->addWidget(list_, 1);
  auto* undo = new QPushButton("Remove the last point", this);
  connect(undo, &QPushButton::clicked, this, [this] { removeLastPoint(); });
  side->addWidget(undo);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
  register_ = buttons->addButton("Register", QDialogButtonBox::AcceptRole);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  side->addWidget(buttons);
  layout->addLayout(side);
  resize(960, 640);
  refresh();
}

FrameRodPickingDialog::~FrameRodPickingDialog() = default;

bool FrameRodPickingDialog::eventFilter(QObject* watched, QEvent* event) {
  if (watched == view_) {
    if (event->type() == QEvent::MouseButtonPress) {
      pressedAt_ = static_cast<QMouseEvent*>(event)->position();
    } else if (event->type() == QEvent::MouseButtonRelease) {
      const auto* mouse = static_cast<QMouseEvent*>(event);
      // A click, not a drag (a drag moves the crosshair, pans or sets window/level as in any view).
      if (mouse->button() == Qt::LeftButton && (mouse->position() - pressedAt_).manhattanLength() < 4)
        addPointAt(mouse->position());
    }
  }
  return QDialog::eventFilter(watched, event);
}

void FrameRodPickingDialog::addPointAt(QPointF widgetPos) {
  const std::optional<RodPoint> point = rodCrossSectionNear(*image_, view_->rasAtWidgetPosition(widgetPos));
  if (!point) {
    status_->setText("Nothing bright under that click: click on a rod's cross-section.");
    return;
  }
  for (const RodPoint& p : points_)
    if (p.slice == point->slice && norm(p.ras - point->ras) < 1.0) {
      status_->setText("That cross-section is already clicked on this slice.");
      return;
    }
  points_.push_back(*point);
  refresh();
}

void FrameRodPickingDialog::removeLastPoint() {
  if (!points_.empty()) points_.pop_back();
  refresh();
}

void FrameRodPickingDialog::refresh() {
  list_->clear();
  std::set<int> slices;
  for (const RodPoint& p : points_) {
    list_->addItem(QString("slice %1: RAS %2 mm").arg(p.slice).arg(rasText(p.ras)));
    slices.insert(p.slice);
  }
  // The clicked points drawn on their slices, as the window draws rods: a short segment across each.
  std::vector<std::array<Vec3, 2>> marks;
  for (const RodPoint& p : points_) marks.push_back({p.ras - Vec3{0, 0, 0.4}, p.ras + Vec3{0, 0, 0.4}});
  view_->sliceRenderer().setFrameRods(marks);
  view_->update();
  const bool enough = slices.size() >= 3 && points_.size() >= 9 * 3;
  register_->setEnabled(enough);
  status_->setText(QString("%1 cross-sections on %2 slices%3")
                       .arg(points_.size())
                       .arg(slices.size())
                       .arg(enough ? ": ready to register" : " (9 on each of at least 3 slices are needed)"));
}

}  // namespace dbs::app
