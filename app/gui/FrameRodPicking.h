// FrameRodPicking: the manual fallback of the frame registration (Tools > Register frame by hand),
// for a frame image where the automatic detection refuses (rods too faint, a plate cut by streaks).
// A dialog with the stereotactic image's axial slices: the user clicks each rod's cross-section on a
// few slices (every rod of every plate, on at least 3 slices well apart; the wheel or PgUp/PgDn
// change slice), each click snapping to the cross-section's centre (rodCrossSectionNear). The clicked
// points, in the image's RAS with their slice, go to the same solver as the automatic detection
// (registerPlanToFrameByHand); the dialog only collects them.
#pragma once

#include <QDialog>

#include <memory>
#include <vector>

#include "dbs/imaging/NLocalizer.h"
#include "dbs/imaging/Volume.h"

class QLabel;
class QListWidget;
class QPushButton;

namespace dbs::app {

class SliceViewWidget;
class ViewerModel;

class FrameRodPickingDialog : public QDialog {
  Q_OBJECT
 public:
  FrameRodPickingDialog(std::shared_ptr<const Volume> stereotacticImage, QWidget* parent);
  ~FrameRodPickingDialog() override;

  // The cross-sections clicked so far (image RAS mm, with their slice), in the order clicked.
  const std::vector<RodPoint>& points() const { return points_; }
  SliceViewWidget* sliceView() const { return view_; }
  ViewerModel* viewerModel() const { return model_; }
  const Volume& image() const { return *image_; }

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void addPointAt(QPointF widgetPos);
  void removeLastPoint();
  void refresh();

  std::shared_ptr<const Volume> image_;
  ViewerModel* model_ = nullptr;
  SliceViewWidget* view_ = nullptr;
  QLabel* status_ = nullptr;
  QListWidget* list_ = nullptr;
  QPushButton* register_ = nullptr;
  std::vector<RodPoint> points_;
  QPointF pressedAt_;
};

}  // namespace dbs::app
