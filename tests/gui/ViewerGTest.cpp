// The viewer shows what is where: a bright voxel placed at a known RAS position appears under the
// crosshair at that position in every view, and clicking it picks that RAS position back, for an
// oblique and for a coronally acquired volume. Checked on rendered pixels, not widget properties.
#include <gtest/gtest.h>

#include <functional>

#include <QTest>

#include <vtkCellPicker.h>
#include <vtkRenderer.h>

#include "TestNifti.h"
#include "dbs/planning/PlanDocument.h"
#include "gui/MainWindow.h"

namespace dbs::app {
namespace {

using test::affineFromColumns;
using test::rotationAbout;

constexpr float kBackground = 100.0f, kBright = 1000.0f;

struct VolumeCase {
  std::string name;
  Affine rasFromIjk;
  std::array<std::size_t, 3> size;
  std::array<long, 3> brightIndex;
};
void PrintTo(const VolumeCase& c, std::ostream* os) {
  *os << c.name;
}

std::shared_ptr<Volume> makeVolume(const VolumeCase& c) {
  auto v = std::make_shared<Volume>();
  v->path = c.name;
  v->format = "synthetic";
  v->geometry.size = c.size;
  v->geometry.rasFromIjk = c.rasFromIjk;
  v->image = FloatImage::New();
  v->image->SetRegions(FloatImage::SizeType{{c.size[0], c.size[1], c.size[2]}});
  v->image->Allocate();
  v->image->FillBuffer(kBackground);
  v->image->SetPixel({{c.brightIndex[0], c.brightIndex[1], c.brightIndex[2]}}, kBright);
  applyGeometryToItk(v->geometry, *v->image, c.name);
  return v;
}

bool isBrightNeutral(QColor c) {
  return c.red() > 200 && c.green() > 200 && c.blue() > 200 && std::abs(c.red() - c.green()) < 12 &&
         std::abs(c.green() - c.blue()) < 12;
}

// Centroid (device pixels) of bright grey pixels, ignoring the title band at the top.
bool brightCentroid(const QImage& image, QPointF* centroid, int* count) {
  double sx = 0, sy = 0;
  int n = 0;
  for (int y = image.height() / 10; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      if (isBrightNeutral(image.pixelColor(x, y))) {
        sx += x;
        sy += y;
        ++n;
      }
  *count = n;
  if (n == 0) return false;
  *centroid = {sx / n, sy / n};
  return true;
}

class ViewerShowsVoxelUnderCrosshair : public ::testing::TestWithParam<VolumeCase> {};

TEST_P(ViewerShowsVoxelUnderCrosshair, InEverySliceViewAndIn3D) {
  const VolumeCase& c = GetParam();
  MainWindow window;
  window.resize(1000, 800);
  window.showVolume(makeVolume(c));
  window.model().setWindowLevel(kBright, kBright / 2);  // 100 -> dark grey, 1000 -> white
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  const Vec3 brightRas =
      c.rasFromIjk.apply({double(c.brightIndex[0]), double(c.brightIndex[1]), double(c.brightIndex[2])});
  window.model().setCrosshairRas(brightRas);
  const Vec3 spacing = window.model().volume()->geometry.spacingMm();
  const double maxSpacing = std::max({spacing.x, spacing.y, spacing.z});

  for (SliceOrientation o :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    SCOPED_TRACE(sliceOrientationName(o));
    SliceViewWidget* view = window.sliceView(o);
    const QImage image = view->grabFramebuffer();
    const double dpr = view->devicePixelRatioF();
    const QPointF crosshairWidget = view->widgetPositionOfRas(brightRas);
    const QPoint crosshairPixel = (crosshairWidget * dpr).toPoint();
    ASSERT_TRUE(image.rect().contains(crosshairPixel));
    EXPECT_TRUE(isBrightNeutral(image.pixelColor(crosshairPixel)))
        << "pixel under the crosshair is " << image.pixelColor(crosshairPixel).name().toStdString();

    // The only bright voxel in the picture is centred on the crosshair, within a voxel.
    const double mmPerPixel = norm(view->rasAtWidgetPosition(crosshairWidget + QPointF(10, 0)) -
                                   view->rasAtWidgetPosition(crosshairWidget)) /
                              (10 * dpr);
    QPointF centroid;
    int count = 0;
    ASSERT_TRUE(brightCentroid(image, &centroid, &count));
    EXPECT_LT(std::hypot(centroid.x() - crosshairPixel.x(), centroid.y() - crosshairPixel.y()),
              maxSpacing / mmPerPixel)
        << count << " bright pixels around (" << centroid.x() << ", " << centroid.y() << ")";
    EXPECT_LT(count * mmPerPixel * mmPerPixel, 3 * maxSpacing * maxSpacing)
        << "more than one voxel is bright";

    // Picking: move the crosshair elsewhere on this plane, click the bright spot, get its RAS back.
    const Vec3 right = view->sliceRenderer().axes().rightRas, up = view->sliceRenderer().axes().upRas;
    window.model().setCrosshairRas(brightRas + 9.0 * right + 7.0 * up);
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, (centroid / dpr).toPoint());
    const Vec3 picked = window.model().crosshairRas();
    EXPECT_LT(norm(picked - brightRas), 0.75 * maxSpacing + 2 * mmPerPixel)
        << "picked (" << picked.x << ", " << picked.y << ", " << picked.z << ") for voxel at (" << brightRas.x
        << ", " << brightRas.y << ", " << brightRas.z << ")";
    window.model().setCrosshairRas(brightRas);
  }

  // 3D: the three slices meet at the crosshair; the voxel is drawn there, and a pick there lands on it.
  SceneViewWidget* scene = window.sceneView();
  const QImage image = scene->grabFramebuffer();
  vtkRenderer* renderer = scene->sceneRenderer().renderer();
  renderer->SetWorldPoint(brightRas.x, brightRas.y, brightRas.z, 1.0);
  renderer->WorldToDisplay();
  double display[3];
  renderer->GetDisplayPoint(display);
  const QPoint pixel(static_cast<int>(std::lround(display[0])),
                     image.height() - 1 - static_cast<int>(std::lround(display[1])));
  ASSERT_TRUE(image.rect().contains(pixel));
  EXPECT_TRUE(isBrightNeutral(image.pixelColor(pixel))) << image.pixelColor(pixel).name().toStdString();
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(0.0005);
  ASSERT_TRUE(picker->Pick(display[0], display[1], 0, renderer));
  double pickedWorld[3];
  picker->GetPickPosition(pickedWorld);
  EXPECT_LT(norm(Vec3{pickedWorld[0], pickedWorld[1], pickedWorld[2]} - brightRas), 0.75 * maxSpacing);
}

INSTANTIATE_TEST_SUITE_P(
    Volumes, ViewerShowsVoxelUnderCrosshair,
    ::testing::Values(VolumeCase{"oblique",
                                 [] {
                                   Affine a =
                                       rotationAbout(2, 25.0) * rotationAbout(0, 15.0) *
                                       affineFromColumns({1.5, 0, 0}, {0, 1.5, 0}, {0, 0, 2.0}, {0, 0, 0});
                                   a.m[0][3] = -30;
                                   a.m[1][3] = -40;
                                   a.m[2][3] = -25;
                                   return a;
                                 }(),
                                 {40, 44, 30},
                                 {23, 17, 12}},
                      VolumeCase{"coronal_2x2x3",
                                 affineFromColumns({2, 0, 0}, {0, 0, 2}, {0, -3, 0}, {-40, 30, -35}),
                                 {40, 36, 24},
                                 {29, 11, 9}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace dbs::app

namespace dbs::app {
namespace {

// A plan's leads appear in the 3-D view where they are: the pixels that change when the plan is
// shown lie along the projection of the lead's axis, on the side of the screen its RAS position
// puts it, and opening another volume clears them.
TEST(ViewerPlan, LeadsAppearAlongTheirProjectionIn3DAndGoWithANewVolume) {
  const VolumeCase c{
      "plain", affineFromColumns({2, 0, 0}, {0, 2, 0}, {0, 0, 2}, {-40, -40, -40}), {40, 40, 40}, {0, 0, 0}};
  MainWindow window;
  window.resize(1000, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  // Shown at the window's final size, like the other volume below: a volume resets the 3-D camera
  // for the view's shape, and only the lead may differ between the pictures.
  window.showVolume(makeVolume(c));
  SceneViewWidget* scene = window.sceneView();
  const Vec3 targetRas{-15, 0, -10};
  window.model().setCrosshairRas(targetRas);  // where showPlan puts it: only the lead may change
  const QImage before = scene->grabFramebuffer();

  PlanDocument plan;
  PlannedTrajectory lead;
  lead.trajectory.side = Side::Left;
  lead.trajectory.targetRas = targetRas;
  lead.trajectory.entryRas = {-25, 20, 35};
  lead.metrics.tipRas =
      lead.trajectory.targetRas - 1.5 * normalized(lead.trajectory.entryRas - lead.trajectory.targetRas);
  plan.trajectories.push_back(lead);
  window.showPlan(plan);
  const QImage after = scene->grabFramebuffer();
  ASSERT_EQ(before.size(), after.size());

  // Where the axis projects on the screen (VTK display coordinates: y up).
  vtkRenderer* renderer = scene->sceneRenderer().renderer();
  auto project = [&](Vec3 p) {
    renderer->SetWorldPoint(p.x, p.y, p.z, 1.0);
    renderer->WorldToDisplay();
    double d[3];
    renderer->GetDisplayPoint(d);
    return QPointF(d[0], after.height() - 1 - d[1]);
  };
  const QPointF a = project(lead.metrics.tipRas), b = project(lead.trajectory.entryRas);
  int changed = 0, nearAxis = 0;
  for (int y = after.height() / 10; y < after.height(); ++y)
    for (int x = 0; x < after.width(); ++x) {
      const QColor p = before.pixelColor(x, y), q = after.pixelColor(x, y);
      if (std::abs(p.red() - q.red()) + std::abs(p.green() - q.green()) + std::abs(p.blue() - q.blue()) < 60)
        continue;
      ++changed;
      // Distance of the pixel to the projected segment a-b.
      const QPointF ab = b - a, ap = QPointF(x, y) - a;
      const double t =
          std::clamp((ap.x() * ab.x() + ap.y() * ab.y()) / (ab.x() * ab.x() + ab.y() * ab.y()), 0.0, 1.0);
      const QPointF closest = a + t * ab;
      if (std::hypot(x - closest.x(), y - closest.y()) < 12) ++nearAxis;
    }
  EXPECT_GT(changed, 30) << "the lead is not drawn";
  EXPECT_GT(nearAxis, 0.9 * changed) << "pixels changed away from the lead's projection";

  // The slice views draw the lead solid where it crosses the slice (within 2 mm of it) and faded
  // where it only projects. Sampled every 0.25 mm along the lead's projection, away from the
  // handles drawn over its ends: a sample within 1.5 mm of the slice is solid, one over 3 mm away
  // is not (but tinted: the projection is still shown).
  auto solidYellow = [](QColor p) { return p.red() > 200 && p.green() > 170 && p.blue() < 90; };
  auto fadedYellow = [&](QColor p) {
    return !solidYellow(p) && p.red() > p.blue() + 25 && p.green() > p.blue() + 15;
  };
  auto anyAround = [](const QImage& image, QPoint centre, const std::function<bool(QColor)>& match) {
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        if (match(image.pixelColor(centre + QPoint(dx, dy)))) return true;
    return false;
  };
  struct Counts {
    int near = 0, nearSolid = 0, far = 0, farSolid = 0, farFaded = 0;
  };
  auto sampleLead = [&](SliceOrientation o) {
    SliceViewWidget* view = window.sliceView(o);
    const QImage image = view->grabFramebuffer();
    const Vec3 normal = SlicePlaneAxes::standard(o).normalRas();
    const double slice = dot(normal, window.model().crosshairRas());
    auto pixelOf = [&](Vec3 ras) {
      return (view->widgetPositionOfRas(ras) * view->devicePixelRatioF()).toPoint();
    };
    const QPoint targetPixel = pixelOf(lead.trajectory.targetRas),
                 entryPixel = pixelOf(lead.trajectory.entryRas);
    Counts c;
    const Vec3 tip = lead.metrics.tipRas, path = lead.trajectory.entryRas - tip;
    for (double t = 0; t <= 1.0; t += 0.25 / norm(path)) {
      const Vec3 p = tip + t * path;
      const QPoint pixel = pixelOf(p);
      if ((pixel - targetPixel).manhattanLength() < 9 || (pixel - entryPixel).manhattanLength() < 9) continue;
      const double away = std::abs(dot(normal, p) - slice);
      if (away <= 1.5) {
        ++c.near;
        c.nearSolid += anyAround(image, pixel, solidYellow);
      } else if (away >= 3.0) {
        ++c.far;
        c.farSolid += anyAround(image, pixel, solidYellow);
        c.farFaded += anyAround(image, pixel, fadedYellow);
      }
    }
    return c;
  };
  for (SliceOrientation o :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    SCOPED_TRACE(sliceOrientationName(o));
    const Counts c = sampleLead(o);
    // The lead runs mostly up and forwards: only the sagittal slice holds more of it than the
    // handle covers at this window size.
    if (o == SliceOrientation::Sagittal) {
      EXPECT_GT(c.near, 4) << "the lead crosses this slice";
    }
    EXPECT_GE(c.nearSolid, 0.9 * c.near) << "not solid where it crosses the slice";
    EXPECT_GT(c.far, 10);
    EXPECT_EQ(c.farSolid, 0) << "solid where it is millimetres from the slice";
    EXPECT_GE(c.farFaded, 0.8 * c.far) << "its projection is not shown faded";
  }
  // A sagittal slice 16 mm medial of the whole lead: no part of it is drawn solid there.
  window.model().setCrosshairRas(targetRas + Vec3{16, 0, 0});
  {
    const Counts c = sampleLead(SliceOrientation::Sagittal);
    EXPECT_EQ(c.near, 0);
    EXPECT_GT(c.far, 10);
    EXPECT_EQ(c.farSolid, 0) << "a lead 16 mm from the slice is drawn solid on it";
    EXPECT_GE(c.farFaded, 0.8 * c.far) << "and it is still shown, faded";
  }
  window.model().setCrosshairRas(targetRas);

  window.showVolume(makeVolume(c));  // another volume: the plan is gone
  window.model().setCrosshairRas(targetRas);
  const QImage cleared = scene->grabFramebuffer();
  int stillChanged = 0;
  for (int y = 0; y < cleared.height(); ++y)
    for (int x = 0; x < cleared.width(); ++x) stillChanged += cleared.pixel(x, y) != before.pixel(x, y);
  EXPECT_LT(stillChanged, changed / 10);
}

}  // namespace
}  // namespace dbs::app
