#include "gui/ViewerModel.h"

#include <vtkFloatArray.h>
#include <vtkImageData.h>
#include <vtkPointData.h>
#include <vtkUnsignedShortArray.h>

namespace dbs::app {

ViewerModel::ViewerModel(QObject* parent) : QObject(parent) {}
ViewerModel::~ViewerModel() = default;

void ViewerModel::setVolume(std::shared_ptr<const Volume> volume) {
  volume_ = std::move(volume);
  const ImageGeometry& g = volume_->geometry;
  // Wrap the ITK buffer without copying; volume_ keeps it alive as long as the VTK image exists.
  auto image = vtkSmartPointer<vtkImageData>::New();
  image->SetDimensions(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]), static_cast<int>(g.size[2]));
  image->SetOrigin(0, 0, 0);
  image->SetSpacing(1, 1, 1);
  vtkNew<vtkFloatArray> scalars;
  scalars->SetNumberOfComponents(1);
  scalars->SetArray(const_cast<float*>(volume_->image->GetBufferPointer()),
                    static_cast<vtkIdType>(g.voxelCount()), /*save=*/1);
  image->GetPointData()->SetScalars(scalars);
  indexSpaceImage_ = image;
  range_ = dbs::intensityRange(*volume_->image);
  crosshairRas_ = g.rasFromIndex({(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0});
  window_ = range_.robustHigh - range_.robustLow;
  level_ = 0.5 * (range_.robustHigh + range_.robustLow);
  emit volumeChanged();
}

void ViewerModel::clear() {
  // Labels first, so their views let go of them before the image's do.
  setLabels(nullptr);
  volume_ = nullptr;
  indexSpaceImage_ = nullptr;
  range_ = {};
  emit volumeChanged();
}

void ViewerModel::setLabels(std::shared_ptr<const LabelVolume> labels) {
  labels_ = std::move(labels);
  labelsIndexSpaceImage_ = nullptr;
  if (labels_) {
    const ImageGeometry& g = labels_->geometry;
    auto image = vtkSmartPointer<vtkImageData>::New();
    image->SetDimensions(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]),
                         static_cast<int>(g.size[2]));
    vtkNew<vtkUnsignedShortArray> scalars;
    scalars->SetArray(const_cast<unsigned short*>(labels_->image->GetBufferPointer()),
                      static_cast<vtkIdType>(g.voxelCount()), /*save=*/1);
    image->GetPointData()->SetScalars(scalars);
    labelsIndexSpaceImage_ = image;
  }
  presentLabelValues_.clear();
  if (labels_) {
    std::vector<bool> seen(65536, false);
    const unsigned short* l = labels_->image->GetBufferPointer();
    for (std::size_t i = 0, n = labels_->geometry.voxelCount(); i < n; ++i) seen[l[i]] = true;
    for (int v = 1; v < 65536; ++v)
      if (seen[static_cast<std::size_t>(v)]) presentLabelValues_.push_back(v);
  }
  emit labelsChanged();
}

ViewerModel::LabelAppearance ViewerModel::labelAppearance(int value) const {
  const auto it = labelAppearance_.find(value);
  return it == labelAppearance_.end() ? LabelAppearance{} : it->second;
}

void ViewerModel::setLabelAppearance(int value, LabelAppearance appearance) {
  labelAppearance_[value] = appearance;
  emit labelAppearanceChanged(value);
}

void ViewerModel::setLabelsVisible(bool visible) {
  labelsVisible_ = visible;
  emit labelsChanged();
}

void ViewerModel::setCrosshairRas(Vec3 pointRas) {
  crosshairRas_ = pointRas;
  emit crosshairChanged(pointRas);
}

void ViewerModel::setWindowLevel(double window, double level) {
  window_ = std::max(window, 1e-6);
  level_ = level;
  emit windowLevelChanged(window_, level_);
}

void ViewerModel::resetWindowLevel() {
  setWindowLevel(range_.robustHigh - range_.robustLow, 0.5 * (range_.robustHigh + range_.robustLow));
}

void ViewerModel::applyWindowLevelPreset(WindowLevelPreset preset) {
  if (!volume_) return;
  const double low = range_.robustLow, high = range_.robustHigh;
  switch (preset) {
    case WindowLevelPreset::Automatic:
      resetWindowLevel();
      return;
    case WindowLevelPreset::GreyWhite:
      setWindowLevel(0.5 * (high - low), low + 0.65 * (high - low));
      return;
    case WindowLevelPreset::FullRange:
      setWindowLevel(range_.max - range_.min, 0.5 * (range_.max + range_.min));
      return;
  }
}

QString ViewerModel::describePoint(Vec3 p) const {
  QString text = QString("RAS (%1, %2, %3) mm").arg(p.x, 0, 'f', 1).arg(p.y, 0, 'f', 1).arg(p.z, 0, 'f', 1);
  if (!volume_) return text;
  float value = 0;
  std::array<long, 3> index{};
  if (sampleNearest(*volume_, p, &value, &index))
    text += QString("   voxel [%1, %2, %3]   value %4")
                .arg(index[0])
                .arg(index[1])
                .arg(index[2])
                .arg(value, 0, 'g', 6);
  else
    text += "   outside the volume";
  if (labels_) {
    const Vec3 ijk = labels_->geometry.indexFromRas(p);
    LabelImage::IndexType idx;
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      idx[a] = std::lround(ijk[a]);
      inside = inside && idx[a] >= 0 && idx[a] < static_cast<long>(labels_->geometry.size[a]);
    }
    const int label = inside ? labels_->image->GetPixel(idx) : 0;
    if (label != 0) text += "   " + QString::fromStdString(labelName(label));
  }
  return text;
}

}  // namespace dbs::app
