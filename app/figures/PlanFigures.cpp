#include "figures/PlanFigures.h"

#include <QBuffer>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QOpenGLContext>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <vtkAOSDataArrayTemplate.h>
#include <vtkActor.h>
#include <vtkBillboardTextActor3D.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkDoubleArray.h>
#include <vtkFlyingEdges3D.h>
#include <vtkImageCast.h>
#include <vtkImageChangeInformation.h>
#include <vtkImageData.h>
#include <vtkImageMapToColors.h>
#include <vtkImageMapToWindowLevelColors.h>
#include <vtkImageReslice.h>
#include <vtkImageShrink3D.h>
#include <vtkLineSource.h>
#include <vtkMatrix4x4.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProp3D.h>
#include <vtkPropCollection.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkSphereSource.h>
#include <vtkTextProperty.h>
#include <vtkTransform.h>
#include <vtkTubeFilter.h>
#include <vtkWindowToImageFilter.h>

#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/Labels.h"
#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/TrajectorySearch.h"
#include "render/ColourTables.h"
#include "render/GlContext.h"
#include "render/ImplantedSystem.h"
#include "render/LabelDisplay.h"
#include "render/PlanActors.h"
#include "render/ScalpRiskMap.h"
#include "render/SceneRenderer3D.h"
#include "render/SliceRenderer.h"
#include "render/VtkImages.h"

namespace dbs::app {

QPointF FigurePlane::pixelFromRas(Vec3 pointRas) const {
  const Vec3 d = pointRas - centreRas;
  return {size.width() / 2 + dot(d, rightRas) / mmPerPixel, size.height() / 2 - dot(d, upRas) / mmPerPixel};
}

Vec3 FigurePlane::rasFromPixel(QPointF pixel) const {
  return centreRas + ((pixel.x() - size.width() / 2) * mmPerPixel) * rightRas +
         ((size.height() / 2 - pixel.y()) * mmPerPixel) * upRas;
}

namespace {

void requireSize(QSize size) {
  if (size.width() < 16 || size.height() < 16 || size.width() > 8192 || size.height() > 8192)
    throw std::invalid_argument("figure size must be between 16x16 and 8192x8192 pixels");
}

// ---- VTK images --------------------------------------------------------------------------------

// plane mm (u along rightRas, v along upRas, w along the normal) -> RAS mm.
Affine rasFromPlane(const FigurePlane& plane) {
  Affine a;
  const Vec3 columns[4] = {plane.rightRas, plane.upRas, plane.normalRas(), plane.centreRas};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) a.m[r][c] = columns[c][r];
  return a;
}

// Samples an index-space image on the figure's pixel grid: output sample (i, j) is figure pixel
// (i, height - 1 - j), exactly at FigurePlane::rasFromPixel. The reslice goes plane -> RAS -> ijk
// with the image's exact rasFromIjk (direction matrix included), as SliceRenderer does.
vtkSmartPointer<vtkImageData> resliceOnPlane(vtkImageData* indexSpace, const ImageGeometry& geometry,
                                             const FigurePlane& plane, bool nearest, double background) {
  const int w = plane.size.width(), h = plane.size.height();
  const double s = plane.mmPerPixel;
  vtkNew<vtkImageReslice> reslice;
  reslice->SetInputData(indexSpace);
  vtkNew<vtkTransform> ijkFromRas;
  ijkFromRas->SetMatrix(vtkMatrixFromAffine(geometry.ijkFromRas()));
  reslice->SetResliceTransform(ijkFromRas);
  reslice->SetResliceAxes(vtkMatrixFromAffine(rasFromPlane(plane)));
  reslice->SetOutputDimensionality(2);
  reslice->SetOutputSpacing(s, s, 1.0);
  reslice->SetOutputOrigin(-(w / 2) * s, -(h - 1 - h / 2) * s, 0.0);
  reslice->SetOutputExtent(0, w - 1, 0, h - 1, 0, 0);
  if (nearest)
    reslice->SetInterpolationModeToNearestNeighbor();
  else
    reslice->SetInterpolationModeToLinear();  // display only; measurements never use this
  reslice->SetBackgroundLevel(background);
  reslice->Update();
  auto out = vtkSmartPointer<vtkImageData>::New();
  out->ShallowCopy(reslice->GetOutput());
  return out;
}

// An unsigned-char RGB or RGBA VTK image (row 0 at the bottom) as a QImage (row 0 at the top).
QImage qImageFromVtk(vtkImageData* image) {
  int dims[3];
  image->GetDimensions(dims);
  const int components = image->GetNumberOfScalarComponents();
  const QImage::Format format = components == 4 ? QImage::Format_RGBA8888 : QImage::Format_RGB888;
  QImage out(dims[0], dims[1], format);
  const auto* pixels = static_cast<const unsigned char*>(image->GetScalarPointer());
  const std::size_t rowBytes = static_cast<std::size_t>(dims[0]) * components;
  for (int y = 0; y < dims[1]; ++y)
    std::memcpy(out.scanLine(y), pixels + static_cast<std::size_t>(dims[1] - 1 - y) * rowBytes, rowBytes);
  return out.convertToFormat(components == 4 ? QImage::Format_ARGB32 : QImage::Format_RGB32);
}

// The T1 on the figure's plane, window/level from its robust intensity range (0.5-99.5 percentile).
QImage greyOnPlane(const Volume& volume, const FigurePlane& plane) {
  if (!volume.image) throw std::invalid_argument("the plan has no patient volume to draw");
  const IntensityRange range = intensityRange(*volume.image);
  auto input = indexSpaceImage(volume.image.GetPointer(), volume.geometry, "patient volume");
  vtkNew<vtkImageMapToWindowLevelColors> colours;
  colours->SetInputData(resliceOnPlane(input, volume.geometry, plane, false, range.min));
  colours->SetWindow(std::max(range.robustHigh - range.robustLow, 1e-6));
  colours->SetLevel(0.5 * (range.robustHigh + range.robustLow));
  colours->SetOutputFormatToRGB();
  colours->Update();
  return qImageFromVtk(colours->GetOutput());
}

// The label map on the figure's plane as colours (transparent where there is no structure), or a
// null image when the plan has no labels.
QImage labelsOnPlane(const LabelVolume& labels, const FigurePlane& plane) {
  if (!labels.image) return {};
  auto input = indexSpaceImage(labels.image.GetPointer(), labels.geometry, "label map");
  vtkNew<vtkImageMapToColors> colours;
  colours->SetInputData(resliceOnPlane(input, labels.geometry, plane, true, 0));
  colours->SetLookupTable(labelLookupTable());
  colours->SetOutputFormatToRGBA();
  colours->Update();
  return qImageFromVtk(colours->GetOutput());
}

// ---- QPainter annotations ------------------------------------------------------------------------

int baseFontPixels(QSize size) {
  return std::max(11, std::min(size.width(), size.height()) / 38);
}

// Where drawHaloText puts `text`: the font it uses, the baseline's start, and the box it covers
// (figure pixels).
struct HaloTextPlace {
  QFont font;
  QPointF baseline;
  QRectF box;
};
HaloTextPlace haloTextPlace(const QFont& base, QPointF anchor, const QString& text, int pixelSize, bool bold,
                            Qt::Alignment alignment) {
  QFont font = base;
  font.setPixelSize(pixelSize);
  font.setBold(bold);
  const QFontMetricsF metrics(font);
  const double width = metrics.boundingRect(text).width();
  double x = anchor.x(), y = anchor.y();
  if (alignment & Qt::AlignRight) x -= width;
  if (alignment & Qt::AlignHCenter) x -= 0.5 * width;
  if (alignment & Qt::AlignTop) y += metrics.ascent();
  if (alignment & Qt::AlignVCenter) y += 0.5 * (metrics.ascent() - metrics.descent());
  if (alignment & Qt::AlignBottom) y -= metrics.descent();
  return {font, {x, y}, QRectF(x, y - metrics.ascent(), width, metrics.ascent() + metrics.descent())};
}

// Text with a dark halo, readable on any image. `anchor` is where `alignment` puts the text.
// Returns the box it covers (figure pixels).
QRectF drawHaloText(QPainter& painter, QPointF anchor, const QString& text, QColor colour, int pixelSize,
                    bool bold, Qt::Alignment alignment) {
  const HaloTextPlace place = haloTextPlace(painter.font(), anchor, text, pixelSize, bold, alignment);
  QPainterPath path;
  path.addText(place.baseline, place.font, text);
  painter.save();
  painter.setRenderHint(QPainter::Antialiasing);
  painter.strokePath(path, QPen(QColor(0, 0, 0, 200), std::max(2.0, pixelSize / 6.0), Qt::SolidLine,
                                Qt::RoundCap, Qt::RoundJoin));
  painter.fillPath(path, colour);
  painter.restore();
  return place.box;
}

const QColor kLetterColour(255, 217, 51);  // the viewer's edge letters (SliceRenderer)

// The patient direction each edge of a planar figure faces, as in the slice views; with
// "lateral"/"medial" for the target's side when `side` is given.
void drawEdgeLetters(QPainter& painter, const FigurePlane& plane, std::optional<Side> side) {
  const int w = plane.size.width(), h = plane.size.height();
  const int px = baseFontPixels(plane.size) * 3 / 2;
  const double margin = 0.4 * px;
  const Vec3 lateralRas{side ? sideSign(*side) : 0.0, 0, 0};
  struct Edge {
    Vec3 directionRas;
    QPointF anchor;
    Qt::Alignment alignment;
  };
  const Edge edges[4] = {{plane.rightRas, {w - margin, h / 2.0}, Qt::AlignRight | Qt::AlignVCenter},
                         {-1.0 * plane.rightRas, {margin, h / 2.0}, Qt::AlignLeft | Qt::AlignVCenter},
                         {plane.upRas, {w / 2.0, margin}, Qt::AlignHCenter | Qt::AlignTop},
                         {-1.0 * plane.upRas, {w / 2.0, h - margin}, Qt::AlignHCenter | Qt::AlignBottom}};
  for (const Edge& e : edges) {
    drawHaloText(painter, e.anchor, QString(QChar(anatomicalLetter(e.directionRas))), kLetterColour, px, true,
                 e.alignment);
    if (!side) continue;
    const double lateral = dot(e.directionRas, lateralRas);
    if (std::abs(lateral) < 0.7) continue;
    const QPointF below = e.anchor + QPointF(0, (e.alignment & Qt::AlignBottom) ? -1.1 * px : 1.1 * px);
    drawHaloText(painter, below, lateral > 0 ? "lateral" : "medial", kLetterColour, px * 2 / 3, false,
                 e.alignment);
  }
}

// A scale bar of `lengthMm` at the bottom left, and the field of view at the bottom right. Returns
// the boxes they cover (figure pixels): the bar with its ticks, its length, the field of view.
std::vector<QRectF> drawScaleBar(QPainter& painter, const FigurePlane& plane, double lengthMm) {
  const int px = baseFontPixels(plane.size);
  const double length = lengthMm / plane.mmPerPixel;
  const QPointF start(1.2 * px, plane.size.height() - 1.2 * px);
  const QPointF end = start + QPointF(length, 0);
  painter.save();
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setPen(QPen(Qt::black, 5, Qt::SolidLine, Qt::FlatCap));
  painter.drawLine(start, end);
  painter.setPen(QPen(Qt::white, 2.5, Qt::SolidLine, Qt::FlatCap));
  painter.drawLine(start, end);
  painter.drawLine(start, start - QPointF(0, 0.4 * px));
  painter.drawLine(end, end - QPointF(0, 0.4 * px));
  painter.restore();
  const QRectF bar = QRectF(start - QPointF(0, 0.4 * px), end + QPointF(0, 2.5)).normalized();
  const QRectF label =
      drawHaloText(painter, start + QPointF(0.5 * length, -0.5 * px), QString("%1 mm").arg(lengthMm),
                   Qt::white, px, false, Qt::AlignHCenter | Qt::AlignBottom);
  const double fieldMm = std::min(plane.size.width(), plane.size.height()) * plane.mmPerPixel;
  const QRectF field =
      drawHaloText(painter, QPointF(plane.size.width() - 1.2 * px, plane.size.height() - 0.8 * px),
                   QString("field %1 mm").arg(fieldMm, 0, 'f', 0), QColor(220, 220, 220), px, false,
                   Qt::AlignRight | Qt::AlignBottom);
  return {bar, label, field};
}

// A title and smaller lines under it at the top left, each elided to `maxWidth` pixels (2-D figures
// keep clear of the top edge's letter). Returns the y (pixels) under its last line.
double drawTitle(QPainter& painter, QSize size, const QString& title, const QStringList& lines,
                 double maxWidth) {
  const int px = baseFontPixels(size);
  // Wrapped at spaces onto up to two lines, the second elided if it still does not fit: a narrow
  // view's caption once read "Probe's eye, le..." (issue 23). (QTextLayout would wrap too, but the
  // halo text is drawn line by line.)
  auto wrapped = [&](const QString& text, int pixelSize, bool bold) {
    QFont font = painter.font();
    font.setPixelSize(pixelSize);
    font.setBold(bold);
    const QFontMetricsF metrics(font);
    QStringList out;
    QString rest = text;
    while (!rest.isEmpty() && out.size() < 1 && metrics.horizontalAdvance(rest) > maxWidth) {
      int cut = static_cast<int>(rest.size());
      while (cut > 0 && (rest[cut - 1] != ' ' || metrics.horizontalAdvance(rest.left(cut - 1)) > maxWidth))
        --cut;
      if (cut == 0) break;  // one word wider than the room: elided below
      out << rest.left(cut - 1);
      rest = rest.mid(cut);
    }
    out << metrics.elidedText(rest, Qt::ElideRight, maxWidth);
    return out;
  };
  double y = 0.6 * px;
  for (const QString& part : wrapped(title, px * 5 / 4, true)) {
    drawHaloText(painter, QPointF(0.8 * px, y), part, QColor(235, 235, 235), px * 5 / 4, true,
                 Qt::AlignLeft | Qt::AlignTop);
    y += 1.55 * px;
  }
  y += 0.05 * px;
  for (const QString& line : lines)
    for (const QString& part : wrapped(line, px, false)) {
      drawHaloText(painter, QPointF(0.8 * px, y), part, QColor(205, 205, 205), px, false,
                   Qt::AlignLeft | Qt::AlignTop);
      y += 1.25 * px;
    }
  return y;  // under the last line
}

// Room for a 2-D figure's title: the left part of the top edge, clear of the centred letter.
double titleWidth(QSize size) {
  return 0.5 * size.width() - 1.5 * baseFontPixels(size) - 0.8 * baseFontPixels(size);
}

// T1 with the translucent label overlay on a figure plane (the viewer's 45 % opacity).
QImage anatomyOnPlane(const PlanResult& result, const FigurePlane& plane) {
  QImage image = greyOnPlane(result.locate.patient, plane);
  const QImage labels = labelsOnPlane(result.locate.labels, plane);
  if (!labels.isNull()) {
    QPainter painter(&image);
    painter.setOpacity(0.45);
    painter.drawImage(0, 0, labels);
  }
  return image;
}

SliceOrientation orientationOfAxis(int axis) {
  switch (axis) {
    case 0:
      return SliceOrientation::Sagittal;
    case 1:
      return SliceOrientation::Coronal;
    case 2:
      return SliceOrientation::Axial;
    default:
      break;
  }
  throw std::invalid_argument("slice axis must be 0 (sagittal), 1 (coronal) or 2 (axial), got " +
                              std::to_string(axis));
}

std::optional<QPointF> imagePixelOfRas(vtkRenderer* renderer, Vec3 pointRas, int imageHeight) {
  renderer->SetWorldPoint(pointRas.x, pointRas.y, pointRas.z, 1.0);
  renderer->WorldToDisplay();
  double display[3];
  renderer->GetDisplayPoint(display);
  if (!std::isfinite(display[0]) || !std::isfinite(display[1])) return std::nullopt;
  return QPointF(display[0], imageHeight - 1 - display[1]);
}

QColor qColour(const std::array<double, 3>& c) {
  return QColor::fromRgbF(float(c[0]), float(c[1]), float(c[2]));
}

}  // namespace

std::optional<QRectF> placeLabelClear(const std::vector<QRectF>& candidates, const std::vector<QRectF>& taken,
                                      const QRectF& bounds, double step, int maxSteps) {
  auto clear = [&](const QRectF& box) {
    if (!bounds.contains(box)) return false;
    return std::none_of(taken.begin(), taken.end(), [&](const QRectF& t) { return t.intersects(box); });
  };
  for (int k = 0; k <= maxSteps; ++k)
    for (int sign : {-1, 1}) {  // up first: a figure keeps its scale bar and field at the bottom
      if (k == 0 && sign > 0) continue;
      for (const QRectF& candidate : candidates) {
        const QRectF moved = candidate.translated(0, sign * k * step);
        if (clear(moved)) return moved;
      }
    }
  return std::nullopt;
}

// ---- Planes ------------------------------------------------------------------------------------

FigurePlane probesEyePlane(const PlannedTrajectory& trajectory, QSize size, double depthMm) {
  requireSize(size);
  const Vec3 towardsTarget = trajectory.trajectory.targetRas - trajectory.trajectory.entryRas;
  if (norm(towardsTarget) < 1e-6) throw std::invalid_argument("trajectory entry and target coincide");
  const Vec3 view = normalized(towardsTarget);
  // Screen up: anterior as it projects on the plane; superior when the lead runs front to back.
  Vec3 up = Vec3{0, 1, 0} - dot(Vec3{0, 1, 0}, view) * view;
  if (norm(up) < 0.2) up = Vec3{0, 0, 1} - dot(Vec3{0, 0, 1}, view) * view;
  FigurePlane plane;
  plane.centreRas = trajectory.trajectory.targetRas - depthMm * view;  // positive depth: towards the entry
  plane.upRas = normalized(up);
  plane.rightRas = normalized(cross(view, plane.upRas));
  plane.size = size;
  plane.mmPerPixel = kProbesEyeFieldOfViewMm / std::min(size.width(), size.height());
  return plane;
}

FigurePlane targetSlicePlane(const PlannedTrajectory& trajectory, int axis, QSize size) {
  requireSize(size);
  const SlicePlaneAxes axes = SlicePlaneAxes::standard(orientationOfAxis(axis));
  FigurePlane plane;
  plane.centreRas = trajectory.trajectory.targetRas;
  plane.rightRas = axes.rightRas;
  plane.upRas = axes.upRas;
  plane.size = size;
  const Vec3 path = trajectory.trajectory.entryRas - trajectory.trajectory.targetRas;
  const double halfFieldMm =
      std::max(std::abs(dot(path, axes.rightRas)), std::abs(dot(path, axes.upRas))) + 10.0;
  plane.mmPerPixel = std::clamp(2 * halfFieldMm, 60.0, 300.0) / std::min(size.width(), size.height());
  return plane;
}

FigurePlane alongTrajectoryPlane(const PlannedTrajectory& trajectory, QSize size, double rotationDeg) {
  requireSize(size);
  const LeadShape lead = leadShape(trajectory);
  const Vec3 up = lead.axisRas;  // tip -> entry: the entry at the top
  // The patient's left-right axis made perpendicular to the lead (the anterior axis if the lead
  // runs left-right), turned about the lead by the rotation.
  Vec3 lateral = Vec3{-1, 0, 0} - dot(Vec3{-1, 0, 0}, up) * up;  // screen right = patient left
  if (norm(lateral) < 0.2) lateral = Vec3{0, 1, 0} - dot(Vec3{0, 1, 0}, up) * up;
  lateral = normalized(lateral);
  const Vec3 other = normalized(cross(up, lateral));
  const double angle = rotationDeg * std::acos(-1.0) / 180.0;
  FigurePlane plane;
  plane.upRas = up;
  plane.rightRas = normalized(std::cos(angle) * lateral + std::sin(angle) * other);
  const double pathMm = norm(lead.entryRas - lead.tipRas);
  plane.centreRas = lead.tipRas + (0.5 * pathMm) * up;
  plane.size = size;
  plane.mmPerPixel = (pathMm + 10.0) / std::min(size.width(), size.height());
  return plane;
}

// ---- 2-D figures -----------------------------------------------------------------------------------

// The lead drawn on a plane figure (the target slices, the along-trajectory view): its projection
// from the entry to the tip at its real diameter (at least `minimumWidthPixels`) over a dark edge,
// the contacts' extents along the axis, and a ring around the target (the target's pixel itself
// stays the lead's). Returns the lead's width in pixels.
double drawLeadOnPlane(QPainter& painter, const FigurePlane& plane, const LeadShape& lead,
                       double minimumWidthPixels) {
  const double leadWidth = std::max(minimumWidthPixels, lead.model->diameterMm / plane.mmPerPixel);
  const QPointF entry = plane.pixelFromRas(lead.entryRas), tip = plane.pixelFromRas(lead.tipRas);
  painter.setPen(QPen(QColor(0, 0, 0, 180), leadWidth + 2.5, Qt::SolidLine, Qt::FlatCap));
  painter.drawLine(entry, tip);
  painter.setPen(QPen(QColor(kLeadFigureColour), leadWidth, Qt::SolidLine, Qt::FlatCap));
  painter.drawLine(entry, tip);
  painter.setPen(QPen(QColor(kContactFigureColour), leadWidth + 2, Qt::SolidLine, Qt::FlatCap));
  for (const LeadContactShape& c : lead.contacts)
    painter.drawLine(plane.pixelFromRas(c.centreRas - (0.5 * c.lengthMm) * lead.axisRas),
                     plane.pixelFromRas(c.centreRas + (0.5 * c.lengthMm) * lead.axisRas));
  const double ringRadius = std::max(6.0, 1.5 / plane.mmPerPixel);
  painter.setPen(QPen(QColor(kTargetFigureColour), 2));
  painter.setBrush(Qt::NoBrush);
  painter.drawEllipse(plane.pixelFromRas(lead.targetRas), ringRadius, ringRadius);
  return leadWidth;
}

// The side's activated region (its stimulation's spheres, Stimulation.h) where the plane cuts it:
// circles of radius sqrt(r^2 - d^2), light blue, orange when the region reaches a side-effect
// structure; the same colours as the window's slice views and 3-D scene.
void drawActivatedRegionOnPlane(QPainter& painter, const FigurePlane& plane, const PlanResult& result,
                                Side side) {
  const PlanStimulation* st = planStimulation(result.plan, side);
  if (!st) return;
  const QColor colour =
      st->assessment.reachesSideEffectStructure() ? QColor(255, 140, 0) : QColor(90, 205, 255);
  painter.setPen(QPen(colour, 2));
  painter.setBrush(QColor(colour.red(), colour.green(), colour.blue(), 50));
  const Vec3 normal = plane.normalRas();
  for (const ActivatedSphere& sphere : st->assessment.spheres) {
    const double distance = dot(normal, sphere.centreRas - plane.centreRas);
    if (std::abs(distance) >= sphere.radiusMm) continue;
    const double r = std::sqrt(sphere.radiusMm * sphere.radiusMm - distance * distance) / plane.mmPerPixel;
    painter.drawEllipse(plane.pixelFromRas(sphere.centreRas), r, r);
  }
  painter.setBrush(Qt::NoBrush);
}

// The side's reference targets (referenceTargetsToShow: its atlas and indirect targets when they
// disagree) projected on the plane: white open diamonds, named, solid within 2 mm of the plane and
// dashed farther off it (with how far). The same marks as the window's slice views and 3-D scene.
void drawReferenceTargetsOnPlane(QPainter& painter, const FigurePlane& plane, const PlanResult& result,
                                 Side side) {
  const double half = std::max(5.0, 2.5 / plane.mmPerPixel);
  QFont font = painter.font();
  font.setPixelSize(std::max(11, baseFontPixels(plane.size) - 2));
  font.setBold(true);
  painter.setFont(font);
  for (const ReferenceTarget& t : referenceTargetsToShow(result.plan)) {
    if (t.side != side) continue;
    const bool nameToTheLeft = t.source == TargetSource::Atlas;  // the two names never overprint
    const QPointF c = plane.pixelFromRas(t.ras);
    const double offPlaneMm = std::abs(dot(plane.normalRas(), t.ras - plane.centreRas));
    const bool onPlane = offPlaneMm <= 2.0;
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(0, 0, 0, 200), 4));
    const QPolygonF diamond({c + QPointF(half, 0), c + QPointF(0, half), c - QPointF(half, 0),
                             c - QPointF(0, half), c + QPointF(half, 0)});
    painter.drawPolyline(diamond);
    painter.setPen(QPen(Qt::white, 2, onPlane ? Qt::SolidLine : Qt::DashLine));
    painter.drawPolyline(diamond);
    const QString text =
        onPlane ? QString::fromStdString(t.label)
                : QString("%1 (%2 mm off)").arg(QString::fromStdString(t.label)).arg(offPlaneMm, 0, 'f', 0);
    const double textWidth = QFontMetricsF(font).horizontalAdvance(text);
    const QPointF at = c + QPointF(nameToTheLeft ? -half - 4 - textWidth : half + 4, 0.35 * font.pixelSize());
    painter.setPen(QColor(0, 0, 0, 220));
    painter.drawText(at + QPointF(1, 1), text);
    painter.setPen(Qt::white);
    painter.drawText(at, text);
  }
}

QImage renderTargetSlice(const PlanResult& result, const PlannedTrajectory& trajectory, int axis,
                         QSize size) {
  const FigurePlane plane = targetSlicePlane(trajectory, axis, size);
  const LeadShape lead = leadShape(trajectory);
  QImage image = anatomyOnPlane(result, plane);
  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);

  drawActivatedRegionOnPlane(painter, plane, result, trajectory.trajectory.side);
  // The lead's projection from the entry to the tip: width of its real diameter (at least 2 px).
  drawLeadOnPlane(painter, plane, lead, 2.0);
  drawReferenceTargetsOnPlane(painter, plane, result, trajectory.trajectory.side);

  const SliceOrientation orientation = orientationOfAxis(axis);
  const int normalAxis = axis;  // sagittal: x, coronal: y, axial: z
  drawTitle(
      painter, size,
      QString("%1, %2 target")
          .arg(QString(sliceOrientationName(orientation)), QString(sideWord(trajectory.trajectory.side))),
      {QString("%1 = %2 mm (RAS)").arg(QChar("xyz"[normalAxis])).arg(lead.targetRas[normalAxis], 0, 'f', 1)},
      titleWidth(size));
  drawEdgeLetters(painter, plane, std::nullopt);
  drawScaleBar(painter, plane, 10);
  return image;
}

QImage renderProbesEyeView(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size,
                           double depthMm) {
  const FigurePlane plane = probesEyePlane(trajectory, size, depthMm);
  const LeadShape lead = leadShape(trajectory);
  QImage image = anatomyOnPlane(result, plane);
  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);

  drawActivatedRegionOnPlane(painter, plane, result, trajectory.trajectory.side);
  // Where the plane cuts the lead: its cross-section, the real diameter. Beyond the tip the lead
  // is not there: a dashed outline shows where it would pass.
  const QPointF centre = plane.pixelFromRas(plane.centreRas);
  const double radius = 0.5 * lead.model->diameterMm / plane.mmPerPixel;
  const double planeFromTipMm = dot(plane.centreRas - lead.tipRas, lead.axisRas);  // along the lead
  const bool cutsLead = planeFromTipMm >= 0 && planeFromTipMm <= norm(lead.entryRas - lead.tipRas);
  if (cutsLead) {
    painter.setPen(QPen(Qt::black, 1.5));
    painter.setBrush(QColor(kLeadFigureColour));
  } else {
    painter.setPen(QPen(QColor(kLeadFigureColour), 1.5, Qt::DashLine));
    painter.setBrush(Qt::NoBrush);
  }
  painter.drawEllipse(centre, radius, radius);

  // The contacts the plane cuts (ring: a full circle; directional: the segment's arc, facing where
  // the plan says), else the nearest level's, dashed.
  const double targetDepthMm = planeFromTipMm;  // the plane's position along the lead, from the tip
  double nearestOffsetMm = 1e300;
  int nearestLevel = -1;
  for (const LeadContactShape& c : lead.contacts) {
    const double offset =
        std::abs(dot(c.centreRas - lead.tipRas, lead.axisRas) - targetDepthMm) - 0.5 * c.lengthMm;
    if (offset < nearestOffsetMm) {
      nearestOffsetMm = offset;
      nearestLevel = c.level;
    }
  }
  const bool cutsContact = nearestOffsetMm <= 0;
  const double arcRadius = radius + std::max(3.0, 0.25 / plane.mmPerPixel);
  const int px = baseFontPixels(size);
  QStringList levelLabels;
  for (const LeadContactShape& c : lead.contacts) {
    if (c.level != nearestLevel) continue;
    levelLabels << QString::fromStdString(c.label);
    QPen pen(QColor(kContactFigureColour), std::max(3.0, 0.3 / plane.mmPerPixel),
             cutsContact ? Qt::SolidLine : Qt::DashLine, Qt::FlatCap);
    painter.setPen(pen);
    painter.setBrush(Qt::NoBrush);
    const QRectF arcBox(centre.x() - arcRadius, centre.y() - arcRadius, 2 * arcRadius, 2 * arcRadius);
    if (!c.facingRas) {
      painter.drawEllipse(arcBox);
      continue;
    }
    // Screen angle of the facing (counter-clockwise from screen right, y up), as QPainter measures arcs.
    const double facingDeg = std::atan2(dot(*c.facingRas, plane.upRas), dot(*c.facingRas, plane.rightRas)) *
                             180.0 / std::acos(-1.0);
    painter.drawArc(arcBox, static_cast<int>(std::lround((facingDeg - 0.5 * c.arcDeg) * 16)),
                    static_cast<int>(std::lround(c.arcDeg * 16)));
    const double labelRadius = arcRadius + 1.2 * px;
    const double rad = facingDeg * std::acos(-1.0) / 180.0;
    drawHaloText(painter, centre + QPointF(labelRadius * std::cos(rad), -labelRadius * std::sin(rad)),
                 QString::fromStdString(c.label), QColor(kContactFigureColour), px, true,
                 Qt::AlignHCenter | Qt::AlignVCenter);
  }

  const QString depth = std::abs(depthMm) < 0.05
                            ? QString("at the target")
                            : QString("%1 mm %2 the target")
                                  .arg(std::abs(depthMm), 0, 'f', 1)
                                  .arg(depthMm > 0 ? "above (towards the entry)" : "beyond");
  drawReferenceTargetsOnPlane(painter, plane, result, trajectory.trajectory.side);
  drawTitle(painter, size, QString("Probe's eye, %1 target").arg(sideWord(trajectory.trajectory.side)),
            {depth, "perpendicular to the lead, seen from the entry",
             !cutsLead     ? QString("beyond the lead's tip")
             : cutsContact ? QString("cuts contact %1").arg(levelLabels.join("/"))
                           : QString("nearest contact %1").arg(levelLabels.join("/"))},
            titleWidth(size));
  drawEdgeLetters(painter, plane, trajectory.trajectory.side);
  drawScaleBar(painter, plane, 5);
  return image;
}

QImage renderAlongTrajectoryView(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size,
                                 double rotationDeg) {
  const FigurePlane plane = alongTrajectoryPlane(trajectory, size, rotationDeg);
  const LeadShape lead = leadShape(trajectory);
  QImage image = anatomyOnPlane(result, plane);
  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);

  drawActivatedRegionOnPlane(painter, plane, result, trajectory.trajectory.side);
  // The lead lies in the plane: one line from the tip to the entry, its real diameter (at least 3 px).
  const double leadWidth = drawLeadOnPlane(painter, plane, lead, 3.0);
  drawReferenceTargetsOnPlane(painter, plane, result, trajectory.trajectory.side);

  const double titleBottom =
      drawTitle(painter, size, QString("Along the path, %1 lead").arg(sideWord(trajectory.trajectory.side)),
                {QString("rotated %1 deg about the lead").arg(rotationDeg, 0, 'f', 0), "entry at the top",
                 "ticks: where each margin is smallest"},
                titleWidth(size));

  // Where each margin is smallest: a tick across the lead and the margin, alternately left and
  // right of it so neighbouring labels do not overlap.
  // Cyan: kept; orange: a side-effect structure closer than its warning distance; red: a required
  // margin not kept, or a contact inside a side-effect structure.
  const QColor kept(120, 235, 255), warned(255, 160, 40), broken(255, 70, 70);
  struct Mark {
    Vec3 pointRas;
    QString text;
    QColor colour;
  };
  std::vector<Mark> marks;
  for (const ClosestApproach& c : trajectory.metrics.closest)
    if (c.present)
      marks.push_back({c.pointRas, QString("%1 %2 mm").arg(riskName(c.kind)).arg(c.distanceMm, 0, 'f', 1),
                       c.distanceMm >= c.requiredMarginMm ? kept : broken});
  for (const SideEffectMargin& m : trajectory.metrics.sideEffects)
    if (m.assessed)
      marks.push_back(
          {m.pointRas,
           QString("%1 %2 mm%3")
               .arg(QString(sideEffectDisplayName(m.structure)))
               .arg(m.distanceMm, 0, 'f', 1)
               .arg(m.tooClose() ? QString(" (under %1)").arg(sideEffectWarningMm(m.structure), 0, 'f', 1)
                                 : QString()),
           m.distanceMm <= 0 ? broken
           : m.tooClose()    ? warned
                             : kept});
  const int px = baseFontPixels(size);
  const QPointF across(1, 0);
  // The labels keep clear of the title block, the scale bar and the field of view (as drawn: a label
  // once sat on the scale bar) and of each other.
  std::vector<QRectF> taken = drawScaleBar(painter, plane, 10);
  taken.push_back(QRectF(0, 0, titleWidth(size) + 0.8 * px, titleBottom));
  const QRectF bounds(0, 0, size.width(), size.height());
  for (std::size_t n = 0; n < marks.size(); ++n) {
    const QPointF at = plane.pixelFromRas(marks[n].pointRas);
    const QColor colour = marks[n].colour;
    painter.setPen(QPen(colour, 2));
    const double half = leadWidth + 6;
    painter.drawLine(at - half * across, at + half * across);
    // Alternately right and left of the lead, the other side if that one is taken.
    const bool right = n % 2 == 0;
    const Qt::Alignment vcentre = Qt::AlignVCenter;
    const QPointF rightAnchor = at + (half + 3) * across, leftAnchor = at - (half + 3) * across;
    const QRectF rightBox =
        haloTextPlace(painter.font(), rightAnchor, marks[n].text, px, false, Qt::AlignLeft | vcentre).box;
    const QRectF leftBox =
        haloTextPlace(painter.font(), leftAnchor, marks[n].text, px, false, Qt::AlignRight | vcentre).box;
    const std::optional<QRectF> placed = placeLabelClear(
        right ? std::vector<QRectF>{rightBox, leftBox} : std::vector<QRectF>{leftBox, rightBox}, taken,
        bounds, 0.6 * px);
    if (!placed) continue;  // no room anywhere: the tick stays; the panel and the report give the number
    taken.push_back(*placed);
    const bool onTheRight = placed->left() > at.x();
    const QPointF labelAnchor(onTheRight ? placed->left() : placed->right(), placed->center().y());
    if (std::abs(placed->center().y() - at.y()) > 1.0) {  // moved off its tick: a leader line to it
      painter.setPen(QPen(colour, 1));
      painter.drawLine(at + (onTheRight ? half : -half) * across, labelAnchor);
    }
    drawHaloText(painter, labelAnchor, marks[n].text, colour, px, false,
                 (onTheRight ? Qt::AlignLeft : Qt::AlignRight) | vcentre);
  }
  return image;
}

// ---- 3-D scene ---------------------------------------------------------------------------------------

// VTK's X11 render window aborts the process without an X display, so the callers ask first.
// Renders `scene` (its renderer and orientation cube) at `size` off-screen and returns the picture;
// `whileRendered` runs while the render window still holds the renderer (for projecting points).
// VTK's own render window (its GLX context) draws into framebuffer objects and never maps a
// window; Qt's current context, if any, is made current again afterwards.
static QImage renderSceneOffScreen(SceneRenderer3D& scene, QSize size,
                                   const std::function<void(vtkRenderer*)>& whileRendered = {}) {
  vtkRenderer* renderer = scene.renderer();
  QOpenGLContext* qtContext = QOpenGLContext::currentContext();
  QSurface* qtSurface = qtContext ? qtContext->surface() : nullptr;
  QImage image;
  {
    vtkNew<vtkRenderWindow> window;
    window->SetShowWindow(false);
    window->SetUseOffScreenBuffers(true);
    window->SetMultiSamples(0);  // depth peeling and multisampling do not mix; FXAA smooths instead
    window->SetAlphaBitPlanes(1);
    window->SetNumberOfLayers(2);
    window->AddRenderer(renderer);
    window->AddRenderer(scene.orientationRenderer());
    window->SetSize(size.width(), size.height());
    window->Render();
    vtkNew<vtkWindowToImageFilter> capture;
    capture->SetInput(window);
    capture->SetInputBufferTypeToRGB();
    capture->ReadFrontBufferOff();
    capture->Update();
    int dims[3];
    capture->GetOutput()->GetDimensions(dims);
    if (dims[0] != size.width() || dims[1] != size.height() ||
        capture->GetOutput()->GetNumberOfScalarComponents() != 3)
      throw std::runtime_error("the off-screen 3-D render failed");
    image = qImageFromVtk(capture->GetOutput());
    if (whileRendered) whileRendered(renderer);
    window->RemoveRenderer(scene.orientationRenderer());
    window->RemoveRenderer(renderer);
  }
  if (qtContext) qtContext->makeCurrent(qtSurface);
  return image;
}

bool canRenderPlanScene() {
  return displayProblem().empty();
}

namespace {

// The plan scene's anatomy: the deep structures and the translucent head and brain, added to
// `renderer`. Returns the head and brain surfaces (either null without its mask).
struct SceneSurfaces {
  vtkSmartPointer<vtkActor> head, brain;
};
// Adds the plan scene's anatomy to `renderer`: the deep structures, the head and the brain.
SceneSurfaces addSceneAnatomy(const PlanResult& result, vtkRenderer* renderer) {
  // Deep structures: both GPi green and nearly opaque (so the contacts inside still show), the
  // others faint. The internal capsule (13, 14) and the tissue classes (scalp, grey matter...,
  // labels 20-25) stay off: they would veil the GPi.
  if (const LabelVolume& labels = result.locate.labels; labels.image) {
    auto labelImage = indexSpaceImage(labels.image.GetPointer(), labels.geometry, "label map");
    double range[2];
    labelImage->GetScalarRange(range);
    for (const LabelInfo& label : standardLabels()) {
      if (label.value > 12 || label.value > range[1]) continue;
      const bool gpi = label.name.rfind("GPi", 0) == 0;
      if (auto actor = labelSurfaceActor(labelImage, label.value, labels.geometry.rasFromIjk, label.colour,
                                         gpi ? 0.7 : 0.14)) {
        actor->GetProperty()->SetSpecular(gpi ? 0.3 : 0.0);
        renderer->AddActor(actor);
      }
    }
  }
  // Head and brain: translucent surfaces of the risk segmentation's masks (the T1's grid).
  vtkSmartPointer<vtkActor> head, brain;
  if (result.risks.headMask) {
    auto mask = indexSpaceImage(result.risks.headMask.GetPointer(), result.risks.geometry, "head mask");
    head = maskSurfaceActor(mask, result.risks.geometry.rasFromIjk, kScalpColour, 0.2);
  }
  if (result.risks.brainMask) {
    auto mask = indexSpaceImage(result.risks.brainMask.GetPointer(), result.risks.geometry, "brain mask");
    brain = maskSurfaceActor(mask, result.risks.geometry.rasFromIjk, kBrainColour, 0.12);
  }
  for (const auto& actor : {head, brain})
    if (actor) renderer->AddActor(actor);
  return {head, brain};
}

// The plan scene's background, transparency and camera (from the front-left, above, zoomed in).
void setUpSceneView(SceneRenderer3D& scene) {
  vtkRenderer* renderer = scene.renderer();
  renderer->GradientBackgroundOn();  // dark, lighter towards the top: the translucent head stands out
  renderer->SetBackground(0.04, 0.05, 0.07);
  renderer->SetBackground2(0.2, 0.23, 0.3);
  renderer->SetUseDepthPeeling(true);
  // Four dual peels (VTK peels from the front and the back at once): eight translucent layers, the
  // head's, the brain's and the deep structures' near and far walls. Twelve drew the same picture on
  // the phantom and colin27 and made the scene 2 s slower on software OpenGL (issue 23, defect 8).
  renderer->SetMaximumNumberOfPeels(4);
  renderer->SetOcclusionRatio(0.0);
  renderer->UseFXAAOn();
  scene.resetCamera();  // from the front-left, above, superior up
  renderer->GetActiveCamera()->Zoom(1.3);
  renderer->ResetCameraClippingRange();
  scene.syncOrientationCamera();
}

// A text drawn on the plan scene beside a RAS point: a side letter or a lead's caption.
struct SceneAnnotation {
  Vec3 pointRas;
  QString text;
  bool sideLetter;
  std::optional<QPointF> pixel;  // where the point is drawn, once rendered
};

std::vector<SceneAnnotation> sceneAnnotations(vtkRenderer* renderer, const vtkSmartPointer<vtkActor>& head,
                                              const vtkSmartPointer<vtkActor>& brain,
                                              const std::vector<LeadShape>& leads) {
  // Where the annotations go: beside the head's right and left sides, above each lead's entry.
  double bounds[6];
  if (vtkActor* extent = head ? head.Get() : brain.Get())
    extent->GetBounds(bounds);
  else
    renderer->ComputeVisiblePropBounds(bounds);
  const Vec3 middle{0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
                    0.5 * (bounds[4] + bounds[5])};
  const double reach = 0.05 * (bounds[1] - bounds[0]);
  std::vector<SceneAnnotation> annotations = {{{bounds[1] + reach, middle.y, middle.z}, "R", true, {}},
                                              {{bounds[0] - reach, middle.y, middle.z}, "L", true, {}}};
  for (const LeadShape& lead : leads)
    annotations.push_back(
        {lead.entryRas + 6.0 * lead.axisRas,
         QString("%1 lead: %2")
             .arg(QString(sideWord(lead.side)),
                  QString::fromStdString(lead.model->manufacturer + " " + lead.model->model)),
         false,
         {}});
  return annotations;
}

// The annotations over the rendered scene, kept inside `inside`. A lead's caption that would run over
// a side letter moves above it ("R" covered the right lead's caption, issue 23).
void drawSceneAnnotations(QPainter& painter, const std::vector<SceneAnnotation>& annotations, QSize size,
                          const QRectF& inside, int px) {
  const auto placed = [&](const SceneAnnotation& a) {
    return QPointF(std::clamp(a.pixel->x(), inside.left(), inside.right()),
                   std::clamp(a.pixel->y(), inside.top(), inside.bottom()));
  };
  QFont letterFont = painter.font();
  letterFont.setPixelSize(px * 5 / 2);
  letterFont.setBold(true);
  std::vector<QRectF> letterBoxes;
  for (const SceneAnnotation& a : annotations) {
    if (!a.pixel || !a.sideLetter) continue;
    const QPointF p = placed(a);
    drawHaloText(painter, p, a.text, kLetterColour, letterFont.pixelSize(), true,
                 Qt::AlignHCenter | Qt::AlignVCenter);
    QRectF box = QFontMetricsF(letterFont).boundingRect(a.text);
    box.moveCenter(p);
    letterBoxes.push_back(box.adjusted(-0.3 * px, -0.3 * px, 0.3 * px, 0.3 * px));
  }
  QFont captionFont = painter.font();
  captionFont.setPixelSize(px);
  const QFontMetricsF captionMetrics(captionFont);
  for (const SceneAnnotation& a : annotations) {
    if (!a.pixel || a.sideLetter) continue;
    const QPointF p = placed(a);
    // Lead captions run away from the picture's middle and stay inside it.
    const double width = captionMetrics.horizontalAdvance(a.text);
    const bool leftward = p.x() < 0.5 * size.width();
    const double x =
        leftward ? std::max(p.x(), inside.left() + width) : std::min(p.x(), inside.right() - width);
    double bottom = p.y();
    for (const QRectF& letter : letterBoxes) {
      const QRectF caption(leftward ? x - width : x, bottom - captionMetrics.height(), width,
                           captionMetrics.height());
      if (caption.intersects(letter)) bottom = letter.top();
    }
    drawHaloText(painter, QPointF(x, bottom), a.text, QColor(235, 235, 235), px, false,
                 (leftward ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
  }
}

// The legend, bottom left.
void drawSceneLegend(QPainter& painter, QSize size, int px) {
  const std::pair<QColor, QString> legend[] = {{qColour(standardLabels()[0].colour), "GPi"},
                                               {qColour(kContactMetalColour), "contacts"},
                                               {qColour(kLeadBodyColour), "lead (real diameter)"},
                                               {qColour(kTargetColour), "target"},
                                               {qColour(kBrainColour), "brain"},
                                               {qColour(kScalpColour), "scalp"}};
  double y = size.height() - 1.0 * px;
  for (const auto& [colour, text] : legend) {
    painter.setPen(QPen(Qt::black, 1));
    painter.setBrush(colour);
    painter.drawRect(QRectF(1.0 * px, y - 0.9 * px, 0.9 * px, 0.9 * px));
    drawHaloText(painter, QPointF(2.3 * px, y), text, QColor(230, 230, 230), px, false,
                 Qt::AlignLeft | Qt::AlignBottom);
    y -= 1.4 * px;
  }
}

}  // namespace

// The plan scene in `scene`'s renderer, framed (setUpSceneView); returns its annotations, not drawn.
std::vector<SceneAnnotation> setUpPlanScene(const PlanResult& result, SceneRenderer3D& scene) {
  vtkRenderer* renderer = scene.renderer();
  // The viewer's own caption ("3D") is not this scene's: its annotations are drawn by the caller.
  scene.setTitleVisible(false);
  const SceneSurfaces surfaces = addSceneAnatomy(result, renderer);
  std::vector<LeadShape> leads;
  for (const PlannedTrajectory& t : result.plan.trajectories) {
    leads.push_back(leadShape(t));
    for (const auto& actor : leadActors(leads.back())) renderer->AddViewProp(actor);
  }
  for (const auto& actor : activatedRegionActors(result.plan.stimulation)) renderer->AddViewProp(actor);
  for (const auto& actor : referenceTargetActors(referenceTargetsToShow(result.plan)))
    renderer->AddViewProp(actor);
  setUpSceneView(scene);
  return sceneAnnotations(renderer, surfaces.head, surfaces.brain, leads);
}

QImage renderPlanScene(const PlanResult& result, QSize size) {
  requireSize(size);
  if (!canRenderPlanScene())
    throw std::runtime_error("the 3-D scene needs an X display (run under xvfb-run -a when there is none)");

  SceneRenderer3D scene;  // its camera (front-left, above) and orientation cube
  std::vector<SceneAnnotation> annotations = setUpPlanScene(result, scene);

  const QImage rendered = renderSceneOffScreen(scene, size, [&](vtkRenderer* r) {
    for (SceneAnnotation& a : annotations) a.pixel = imagePixelOfRas(r, a.pointRas, size.height());
  });
  QImage image = rendered;

  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);
  const int px = baseFontPixels(size);
  const QString file = QFileInfo(QString::fromStdString(result.plan.image.path)).fileName();
  drawTitle(painter, size, "DBS plan, both GPi" + (file.isEmpty() ? QString() : ": " + file),
            {"3-D, seen from the front-left, above (patient RAS)"}, size.width() - 2.0 * px);
  const QRectF inside = QRectF(image.rect()).adjusted(2 * px, 4 * px, -2 * px, -2 * px);
  drawSceneAnnotations(painter, annotations, size, inside, px);
  drawSceneLegend(painter, size, px);
  return image;
}

BuiltScene buildPlanScene(const PlanResult& result) {
  const auto start = std::chrono::steady_clock::now();
  SceneRenderer3D scene;  // for the scene's actors and camera only: nothing is rendered here
  const std::vector<SceneAnnotation> annotations = setUpPlanScene(result, scene);
  BuiltScene built;
  vtkPropCollection* props = scene.renderer()->GetViewProps();
  props->InitTraversal();
  while (vtkProp* prop = props->GetNextProp())
    if (auto* prop3d = vtkProp3D::SafeDownCast(prop); prop3d && prop3d->GetVisibility())
      built.actors.push_back(prop3d);
  // The side letters and the leads' captions, as the picture draws them, but in the scene.
  for (const SceneAnnotation& a : annotations) {
    auto label = vtkSmartPointer<vtkBillboardTextActor3D>::New();
    label->SetInput(a.text.toStdString().c_str());
    label->SetPosition(a.pointRas.x, a.pointRas.y, a.pointRas.z);
    vtkTextProperty* text = label->GetTextProperty();
    text->SetFontSize(a.sideLetter ? 30 : 15);
    text->SetBold(a.sideLetter);
    text->ShadowOn();
    text->SetJustificationToCentered();
    if (a.sideLetter)
      text->SetColor(kLetterColour.redF(), kLetterColour.greenF(), kLetterColour.blueF());
    else
      text->SetColor(0.92, 0.92, 0.92);
    built.actors.push_back(label);
  }
  for (const auto& prop : built.actors)
    if (auto* actor = vtkActor::SafeDownCast(prop); actor && actor->GetMapper()) actor->GetMapper()->Update();
  vtkCamera* camera = scene.renderer()->GetActiveCamera();
  double focal[3], position[3], up[3];
  camera->GetFocalPoint(focal);
  camera->GetPosition(position);
  camera->GetViewUp(up);
  built.focalRas = {focal[0], focal[1], focal[2]};
  built.cameraRas = {position[0], position[1], position[2]};
  built.viewUpRas = {up[0], up[1], up[2]};
  built.viewAngleDeg = camera->GetViewAngle();
  built.buildSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return built;
}

BuiltScene buildImplantedSystemScene(const PlanResult& result) {
  const auto start = std::chrono::steady_clock::now();
  BuiltScene scene;
  // Only the GPi of the labels (the other structures would veil it at this scale, and each costs a
  // pass over the label map), the head and the brain at half resolution (maskSurfaceActor).
  if (const LabelVolume& labels = result.locate.labels; labels.image) {
    auto labelImage = indexSpaceImage(labels.image.GetPointer(), labels.geometry, "label map");
    for (const char* name : {"GPi_L", "GPi_R"}) {
      const int value = labelValue(name);
      const auto& table = standardLabels();
      const auto info =
          std::find_if(table.begin(), table.end(), [&](const LabelInfo& l) { return l.value == value; });
      if (auto actor = labelSurfaceActor(labelImage, value, labels.geometry.rasFromIjk, info->colour, 0.8))
        scene.actors.push_back(actor);
    }
  }
  double headBounds[6] = {-75, 75, -100, 80, -70, 100};  // an adult head about the origin, without masks
  for (const auto& [mask, colour, opacity] : {std::tuple{result.risks.brainMask, kBrainColour, 0.12},
                                              std::tuple{result.risks.headMask, kScalpColour, 0.2}}) {
    if (!mask) continue;
    auto image = indexSpaceImage(mask.GetPointer(), result.risks.geometry, "mask");
    if (auto actor = maskSurfaceActor(image, result.risks.geometry.rasFromIjk, colour, opacity)) {
      actor->GetBounds(headBounds);  // the head's, when there is one (it comes last)
      scene.actors.push_back(actor);
    }
  }
  for (const PlannedTrajectory& t : result.plan.trajectories)
    for (const auto& actor : leadActors(leadShape(t))) scene.actors.push_back(actor);
  for (const auto& actor : activatedRegionActors(result.plan.stimulation)) scene.actors.push_back(actor);
  const ImplantedSystemLayout layout = implantedSystemLayout(result.plan, headBounds);
  for (const auto& actor : implantedSystemActors(layout)) scene.actors.push_back(actor);
  // Execute every pipeline here (off the UI thread in the window): rendering then only draws.
  for (const auto& prop : scene.actors)
    if (auto* actor = vtkActor::SafeDownCast(prop); actor && actor->GetMapper()) actor->GetMapper()->Update();
  // The camera: from the front-right, a little above, the head's top to the generator in view (the
  // picture's title takes its top, hence the margin above the head).
  const Vec3 focal = 0.5 * (Vec3{0.5 * (headBounds[0] + headBounds[1]), 0.5 * (headBounds[2] + headBounds[3]),
                                 0.5 * (headBounds[4] + headBounds[5])} +
                            layout.generatorRas) +
                     Vec3{0, 0, 25};
  const double span = headBounds[5] - layout.generatorRas.z + 130;  // mm shown from top to bottom
  const double distance = 0.5 * span / std::tan(0.5 * 30.0 * 3.14159265358979323846 / 180.0);
  scene.focalRas = focal;
  scene.cameraRas = focal + distance * normalized(Vec3{0.55, 0.8, 0.2});
  scene.buildSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return scene;
}

QImage renderImplantedSystemScene(const PlanResult& result, QSize size) {
  requireSize(size);
  if (!canRenderPlanScene())
    throw std::runtime_error("the 3-D scene needs an X display (run under xvfb-run -a when there is none)");
  const BuiltScene built = buildImplantedSystemScene(result);
  SceneRenderer3D scene;
  vtkRenderer* renderer = scene.renderer();
  scene.setTitleVisible(false);
  for (const auto& actor : built.actors) renderer->AddViewProp(actor);
  setUpSceneView(scene);
  vtkCamera* camera = renderer->GetActiveCamera();
  camera->SetViewAngle(30);
  camera->SetFocalPoint(built.focalRas.x, built.focalRas.y, built.focalRas.z);
  camera->SetPosition(built.cameraRas.x, built.cameraRas.y, built.cameraRas.z);
  camera->SetViewUp(0, 0, 1);
  renderer->ResetCameraClippingRange();
  scene.syncOrientationCamera();
  QImage image = renderSceneOffScreen(scene, size, [](vtkRenderer*) {});
  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);
  const int px = baseFontPixels(size);
  drawTitle(painter, size, "The implanted system",
            {"leads in both GPi; extensions behind the right ear to the generator under the right clavicle",
             "schematic: the body and the cables' course are drawn, not imaged"},
            size.width() - 2.0 * px);
  return image;
}

QImage renderRiskMapFigure(const PlanResult& result, const PlannedTrajectory& trajectory, QSize size) {
  requireSize(size);
  if (!canRenderPlanScene())
    throw std::runtime_error(
        "the risk map figure needs an X display (run under xvfb-run -a when there is none)");
  const ScalpRiskMap map = makeScalpRiskMap(result, trajectory.trajectory.side);
  SceneRenderer3D scene;
  scene.setTitleVisible(false);
  scene.setRiskMap(map.surface, /*withLegend=*/false);  // the figure draws its own, with QPainter
  vtkRenderer* renderer = scene.renderer();
  for (const auto& actor : plannedLeadActors({trajectory})) renderer->AddViewProp(actor);
  renderer->GradientBackgroundOn();
  renderer->SetBackground(0.04, 0.05, 0.07);
  renderer->SetBackground2(0.2, 0.23, 0.3);
  // Looking down the path at the entry from 300 mm outside, anterior up: the window lies around
  // the entry, the head's outline around it.
  const Vec3 entry = trajectory.trajectory.entryRas;
  const Vec3 along = normalized(entry - trajectory.trajectory.targetRas);
  vtkCamera* camera = renderer->GetActiveCamera();
  camera->SetFocalPoint(entry.x, entry.y, entry.z);
  const Vec3 eye = entry + 300.0 * along;
  camera->SetPosition(eye.x, eye.y, eye.z);
  const Vec3 up = std::abs(along.y) > 0.9 ? Vec3{0, 0, 1} : Vec3{0, 1, 0};
  camera->SetViewUp(up.x, up.y, up.z);
  camera->OrthogonalizeViewUp();
  camera->SetViewAngle(30);
  renderer->ResetCameraClippingRange();
  scene.syncOrientationCamera();
  std::optional<QPointF> entryPixel;
  QImage image = renderSceneOffScreen(
      scene, size, [&](vtkRenderer* r) { entryPixel = imagePixelOfRas(r, entry, size.height()); });

  QPainter painter(&image);
  painter.setRenderHint(QPainter::Antialiasing);
  const int px = baseFontPixels(size);
  const QString side = sideWord(trajectory.trajectory.side);
  drawTitle(painter, size, "Scalp risk map, " + side + " target",
            {QString("%1 scalp vertices above the target scored, %2 inside the search window, %3 safe")
                 .arg(map.scoredVertices)
                 .arg(map.inWindowVertices)
                 .arg(map.safeVertices),
             "each vertex the entry of a straight path to the target, seen down the planned path"},
            size.width() - 2.0 * px);
  if (entryPixel) {  // the planned entry: a white ring
    painter.setPen(QPen(Qt::white, std::max(2, px / 6)));
    painter.setBrush(Qt::NoBrush);
    painter.drawEllipse(*entryPixel, 0.9 * px, 0.9 * px);
    drawHaloText(painter, *entryPixel + QPointF(1.2 * px, -0.4 * px), "planned entry", Qt::white, px, false,
                 Qt::AlignLeft | Qt::AlignBottom);
  }
  // The colour scale (the one riskMapColour uses), bottom left, with what red, dark and grey mean.
  const QRectF bar(1.0 * px, size.height() - 9.0 * px, 10.0 * px, 0.9 * px);
  for (int i = 0; i < 100; ++i) {
    const double mm = kRiskMapRangeMinMm + (kRiskMapGreenAtMm - kRiskMapRangeMinMm) * (i + 0.5) / 100.0;
    EntryAssessment a;
    a.scored = a.inWindow = true;
    a.safe = mm >= 0;
    a.marginMm = static_cast<float>(mm);
    const auto rgb = riskMapColour(a);
    painter.fillRect(
        QRectF(bar.left() + bar.width() * i / 100.0, bar.top(), bar.width() / 100.0 + 0.5, bar.height()),
        QColor(rgb[0], rgb[1], rgb[2]));
  }
  for (double mm : {kRiskMapRangeMinMm, 0.0, kRiskMapGreenAtMm}) {
    const double x =
        bar.left() + bar.width() * (mm - kRiskMapRangeMinMm) / (kRiskMapGreenAtMm - kRiskMapRangeMinMm);
    drawHaloText(painter, QPointF(x, bar.bottom() + 1.2 * px), QString::number(mm, 'f', 0),
                 QColor(230, 230, 230), px, false, Qt::AlignHCenter | Qt::AlignBottom);
  }
  drawHaloText(painter, QPointF(bar.left(), bar.top() - 0.4 * px),
               "smallest margin beyond the required clearance (mm)", QColor(230, 230, 230), px, false,
               Qt::AlignLeft | Qt::AlignBottom);
  const QString below[] = {"red: a required margin not met (ventricles 2, sulci 1, vessels 2 mm)",
                           "dark: outside the search window;  grey: not above the target"};
  for (int i = 0; i < 2; ++i)
    drawHaloText(painter, QPointF(bar.left(), bar.bottom() + (2.5 + 1.3 * i) * px), below[i],
                 QColor(230, 230, 230), px, false, Qt::AlignLeft | Qt::AlignBottom);
  return image;
}

QImage writeSceneImage(const PlanResult& result, const std::string& pngPath) {
  const QImage image = renderPlanScene(result, QSize(1600, 1200));
  writePngAtomically(image, pngPath);
  return image;
}

void writePngAtomically(const QImage& image, const std::string& path) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  if (image.isNull() || !buffer.open(QIODevice::WriteOnly) || !image.save(&buffer, "PNG"))
    throw ImagingError(path + ": cannot write: the image could not be rendered or encoded as PNG");
  writeTextAtomically(path, std::string(bytes.constData(), static_cast<std::size_t>(bytes.size())));
}

}  // namespace dbs::app
