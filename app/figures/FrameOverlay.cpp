#include "figures/FrameOverlay.h"

#include <QFont>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace dbs::app {

namespace {

constexpr int kPanelPixels = 360;
constexpr double kFieldMm = 190.0;  // a whole head
const QColor kMetal(40, 255, 80);

// Nearest-voxel value of `v` at `ras`, or NaN outside its grid. (Nearest, not linear: both volumes
// are on one grid, and the picture shows voxels as they are.)
double valueAt(const Volume& v, const Affine& ijkFromRas, Vec3 ras) {
  const Vec3 ijk = ijkFromRas.apply(ras);
  const long i = std::lround(ijk.x), j = std::lround(ijk.y), k = std::lround(ijk.z);
  const auto& n = v.geometry.size;
  if (i < 0 || j < 0 || k < 0 || i >= static_cast<long>(n[0]) || j >= static_cast<long>(n[1]) ||
      k >= static_cast<long>(n[2]))
    return std::nan("");
  return v.image
      ->GetBufferPointer()[(static_cast<std::size_t>(k) * n[1] + static_cast<std::size_t>(j)) * n[0] +
                           static_cast<std::size_t>(i)];
}

}  // namespace

bool isFrameOverlayBone(QRgb p) {
  return qRed(p) > 200 && qGreen(p) > 90 && qGreen(p) < 190 && qBlue(p) < 80;
}

bool isFrameOverlayMetal(QRgb p) {
  return qGreen(p) > 200 && qRed(p) < 120 && qBlue(p) < 140;
}

QImage frameOverlayFigure(const Volume& planImage, const Volume& overlay, Vec3 centreRas) {
  const IntensityRange t1 = intensityRange(*planImage.image);
  const IntensityRange other = intensityRange(*overlay.image);
  // A CT in Hounsfield units: bone from 300, metal from 1800; otherwise (MR) the top 2 % as "metal".
  const bool ct = other.min < -500;
  double boneFrom = 300, metalFrom = 1800;
  if (!ct) {
    boneFrom = std::numeric_limits<double>::infinity();
    metalFrom = other.robustLow + 0.98 * (other.robustHigh - other.robustLow);
  }
  const Affine t1Ijk = planImage.geometry.ijkFromRas(), otherIjk = overlay.geometry.ijkFromRas();
  QImage image(3 * kPanelPixels, kPanelPixels + 28, QImage::Format_RGB32);
  image.fill(Qt::black);
  // Screen axes per panel (right, up) in RAS, radiological left-right as dbsplan's views.
  const Vec3 axes[3][2] = {{{1, 0, 0}, {0, 1, 0}}, {{1, 0, 0}, {0, 0, 1}}, {{0, -1, 0}, {0, 0, 1}}};
  const char* names[3] = {"axial", "coronal", "sagittal"};
  const double mmPerPixel = kFieldMm / kPanelPixels;
  for (int panel = 0; panel < 3; ++panel)
    for (int y = 0; y < kPanelPixels; ++y)
      for (int x = 0; x < kPanelPixels; ++x) {
        const double u = (x - kPanelPixels / 2.0) * mmPerPixel, v = (kPanelPixels / 2.0 - y) * mmPerPixel;
        const Vec3 ras = centreRas + u * axes[panel][0] + v * axes[panel][1];
        const double t = valueAt(planImage, t1Ijk, ras);
        const int grey =
            std::isnan(t)
                ? 0
                : static_cast<int>(std::clamp(
                      255.0 * (t - t1.robustLow) / std::max(1e-9, t1.robustHigh - t1.robustLow), 0.0, 255.0));
        QColor colour(grey, grey, grey);
        const double o = valueAt(overlay, otherIjk, ras);
        if (!std::isnan(o)) {
          if (o >= metalFrom)
            colour = kMetal;
          else if (o >= boneFrom)  // orange, a little of the T1 left in it
            colour = QColor(std::min(255, 230 + grey / 12), 120 + grey / 6, grey / 8);
        }
        image.setPixel(panel * kPanelPixels + x, y, colour.rgb());
      }
  QPainter painter(&image);
  painter.setPen(Qt::white);
  QFont font = painter.font();
  font.setPixelSize(14);
  painter.setFont(font);
  for (int panel = 0; panel < 3; ++panel)
    painter.drawText(QRect(panel * kPanelPixels + 6, 4, kPanelPixels - 12, 18), Qt::AlignLeft, names[panel]);
  painter.drawText(
      QRect(6, kPanelPixels + 4, 3 * kPanelPixels - 12, 20), Qt::AlignLeft,
      QString("Frame image on the plan's T1 (%1 mm across): its bone in orange, metal in green. The "
              "orange skull must lie on the T1's skull.")
          .arg(kFieldMm, 0, 'f', 0));
  painter.end();
  return image;
}

}  // namespace dbs::app
