// ViewerModel: what the viewer shows, as plain state with change signals: the loaded volume, the
// crosshair (RAS mm) and the display window/level. Views read it and send edits through it; they
// never call imaging algorithms themselves.
#pragma once

#include <QObject>

#include <map>
#include <memory>
#include <vector>

#include <vtkImageData.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs::app {

class ViewerModel : public QObject {
  Q_OBJECT
 public:
  explicit ViewerModel(QObject* parent = nullptr);
  ~ViewerModel() override;

  void setVolume(std::shared_ptr<const Volume> volume);
  // No image and no labels (File > Close); volumeChanged() with volume() null.
  void clear();
  const Volume* volume() const { return volume_.get(); }
  // The volume in voxel index space (origin 0, spacing 1) for VTK; shares the ITK pixel buffer.
  vtkImageData* indexSpaceImage() const { return indexSpaceImage_; }
  const IntensityRange& intensityRange() const { return range_; }

  // An anatomical label map shown over the volume (atlas, segmentation); it may have its own grid.
  void setLabels(std::shared_ptr<const LabelVolume> labels);
  const LabelVolume* labels() const { return labels_.get(); }
  vtkImageData* labelsIndexSpaceImage() const { return labelsIndexSpaceImage_; }
  bool labelsVisible() const { return labelsVisible_; }
  void setLabelsVisible(bool visible);

  // How each label value is drawn (slices and 3-D): visible or not, opacity 0-1 of its usual.
  struct LabelAppearance {
    bool visible = true;
    double opacity = 1.0;
  };
  LabelAppearance labelAppearance(int value) const;
  void setLabelAppearance(int value, LabelAppearance appearance);
  // The non-zero values present in the label map, ascending (computed once per label map).
  const std::vector<int>& presentLabelValues() const { return presentLabelValues_; }

  Vec3 crosshairRas() const { return crosshairRas_; }
  void setCrosshairRas(Vec3 pointRas);

  double window() const { return window_; }
  double level() const { return level_; }
  void setWindowLevel(double window, double level);
  void resetWindowLevel();
  // Window/level presets, from the volume's own intensities (MRI has no absolute units, unlike CT's
  // Hounsfield presets): Automatic = the 0.5-99.5th percentiles (resetWindowLevel); GreyWhite = the
  // upper half of that range at half its width, where a T1's grey and white matter differ; FullRange =
  // minimum to maximum (the scalp's fat and vessels unclipped).
  enum class WindowLevelPreset { Automatic, GreyWhite, FullRange };
  void applyWindowLevelPreset(WindowLevelPreset preset);

  // Text for the status bar: RAS position, voxel index and intensity at a point.
  QString describePoint(Vec3 pointRas) const;

 signals:
  void volumeChanged();
  void crosshairChanged(dbs::Vec3 crosshairRas);
  void windowLevelChanged(double window, double level);
  void labelsChanged();
  void labelAppearanceChanged(int value);

 private:
  std::shared_ptr<const Volume> volume_;
  vtkSmartPointer<vtkImageData> indexSpaceImage_;
  std::shared_ptr<const LabelVolume> labels_;
  vtkSmartPointer<vtkImageData> labelsIndexSpaceImage_;
  bool labelsVisible_ = true;
  std::map<int, LabelAppearance> labelAppearance_;
  std::vector<int> presentLabelValues_;
  IntensityRange range_;
  Vec3 crosshairRas_;
  double window_ = 1, level_ = 0.5;
};

}  // namespace dbs::app
