// The plan's pictures show what is where, checked on rendered pixels of a synthetic patient whose
// anatomy is known exactly: a head and a brain sphere on an LPS-stored grid (so the direction matrix
// matters), GPi blobs left and right, marker structures placed at known offsets from the left target,
// and two planned leads (rings on the left, directional on the right) with contacts placed from the
// electrode catalogue. Also: the report's pages and its atomic writing. Needs X (xvfb-run -a).
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>

#include <vtkBillboardTextActor3D.h>
#include <vtkImageData.h>
#include <vtkMapper.h>
#include <vtkMassProperties.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPolyData.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "TestSupport.h"
#include "dbs/planning/FrameRegistration.h"
#include "figures/PlanFigures.h"
#include "figures/PlanReport.h"
#include "render/LabelDisplay.h"
#include "render/PlanActors.h"

namespace dbs::app {
namespace {

constexpr double kSpacingMm = 1.5;
constexpr int kVoxels = 80;
constexpr double kHeadRadiusMm = 55, kBrainRadiusMm = 46, kBlobRadiusMm = 3.5;
const Vec3 kLeftTargetRas{-20, 2, -4}, kRightTargetRas{20, 2, -4};
// Marker structures around the left target, in RAS mm offsets from it.
const Vec3 kThalamusOffsetRas{0, -10, 0};  // posterior
const Vec3 kPutamenOffsetRas{-10, 0, 0};   // lateral (the patient's left)

// Stored like a DICOM series (LPS): i runs to the patient's left, j posterior, k superior; the
// volume's centre is RAS (0, 0, 0).
ImageGeometry lpsGeometry() {
  ImageGeometry g;
  g.size = {kVoxels, kVoxels, kVoxels};
  const double half = 0.5 * (kVoxels - 1) * kSpacingMm;
  g.rasFromIjk.m = {
      {{-kSpacingMm, 0, 0, half}, {0, -kSpacingMm, 0, half}, {0, 0, kSpacingMm, -half}, {0, 0, 0, 1}}};
  return g;
}

// Unit direction about `axis` rotated from `v` by `degrees` (right-handed), Rodrigues' formula.
Vec3 rotated(Vec3 v, Vec3 axis, double degrees) {
  const double a = degrees * std::acos(-1.0) / 180.0;
  return std::cos(a) * v + std::sin(a) * cross(axis, v) + ((1 - std::cos(a)) * dot(axis, v)) * axis;
}

// The scalp point along a ray from `from` (inside the head sphere centred at the origin).
Vec3 headExit(Vec3 from, Vec3 direction) {
  const Vec3 d = normalized(direction);
  const double b = dot(from, d), c = dot(from, from) - kHeadRadiusMm * kHeadRadiusMm;
  return from + (-b + std::sqrt(b * b - c)) * d;
}

// A lead along `directionRas` from the target to the scalp, with contact level `targetLevel` centred on
// the target; contacts, segment facings and metrics computed here from the catalogue.
PlannedTrajectory makeTrajectory(Side side, Vec3 targetRas, Vec3 directionRas, const std::string& electrodeId,
                                 int targetLevel = 0) {
  PlannedTrajectory p;
  Trajectory& t = p.trajectory;
  t.side = side;
  t.targetRas = targetRas;
  t.entryRas = headExit(targetRas, directionRas);
  t.electrodeId = electrodeId;
  const ElectrodeModel& model = ElectrodeCatalogue::standard().find(electrodeId);
  const Vec3 axis = normalized(t.entryRas - targetRas);  // distal -> proximal
  TrajectoryMetrics& m = p.metrics;
  m.lengthMm = norm(t.entryRas - targetRas);
  t.deepestContactBeyondTargetMm = model.levelCentreMm(targetLevel) - model.levelCentreMm(0);
  m.tipBeyondTargetMm = model.levelCentreMm(targetLevel);
  m.tipRas = targetRas - m.tipBeyondTargetMm * axis;
  const Vec3 anterior{0, 1, 0};
  const Vec3 marker = normalized(anterior - dot(anterior, axis) * axis);
  for (const ElectrodeContact& c : model.contacts) {
    PlacedContact placed;
    placed.label = c.label;
    placed.level = c.level;
    placed.centreRas = m.tipRas + c.centreMm() * axis;
    if (c.segment) placed.segmentDirectionRas = rotated(marker, axis, t.markerRollDeg + c.segment->centreDeg);
    placed.inGpi = norm(placed.centreRas - targetRas) < kBlobRadiusMm;
    placed.structure = placed.inGpi ? (sidedLabelName("GPi", side)) : "WhiteMatter";
    m.contactsInGpi += placed.inGpi;
    m.contacts.push_back(placed);
  }
  m.closest[0] = {RiskKind::Ventricles, true, 6.5, 31.0, targetRas + 31.0 * axis, 2.0, true};
  m.closest[1] = {RiskKind::Sulci, true, 0.6, 52.0, targetRas + 52.0 * axis, 1.0, false};
  m.closest[2] = {RiskKind::Vessels, false, 0, 0, {}, 2.0, true};
  m.passesThrough = {{"Scalp", m.lengthMm, m.lengthMm - 9},
                     {"WhiteMatter", m.lengthMm - 9, kBlobRadiusMm},
                     {sidedLabelName("GPi", side), kBlobRadiusMm, -m.tipBeyondTargetMm}};
  m.sagittalAngleDeg = 60;
  m.lateralAngleDeg = 15;
  m.safe = false;
  m.score = 0.71;
  return p;
}

template <class Image>
typename Image::Pointer imageOn(const ImageGeometry& geometry) {
  auto image = Image::New();
  image->SetRegions(typename Image::SizeType{{geometry.size[0], geometry.size[1], geometry.size[2]}});
  image->Allocate(true);
  applyGeometryToItk(geometry, *image, "synthetic");
  return image;
}

struct SyntheticPlan {
  PlanResult result;
  const PlannedTrajectory& left() const { return result.plan.trajectories[0]; }
  const PlannedTrajectory& right() const { return result.plan.trajectories[1]; }
};

const SyntheticPlan& syntheticPlan() {
  static const SyntheticPlan* plan = [] {
    auto* s = new SyntheticPlan;
    PlanResult& r = s->result;
    const ImageGeometry g = lpsGeometry();
    r.locate.patient.geometry = g;
    r.locate.patient.path = "synthetic_t1.nii.gz";
    r.locate.patient.image = imageOn<FloatImage>(g);
    r.locate.labels = makeLabelVolume(g);
    r.risks.geometry = g;
    r.risks.headMask = imageOn<MaskImage>(g);
    r.risks.brainMask = imageOn<MaskImage>(g);
    struct Blob {
      Vec3 centreRas;
      int label;
    };
    const Blob blobs[] = {{kLeftTargetRas, 1},
                          {kRightTargetRas, 2},
                          {kLeftTargetRas + kThalamusOffsetRas, 7},
                          {kLeftTargetRas + kPutamenOffsetRas, 5}};
    float* t1 = r.locate.patient.image->GetBufferPointer();
    unsigned short* labels = r.locate.labels.image->GetBufferPointer();
    unsigned char* head = r.risks.headMask->GetBufferPointer();
    unsigned char* brain = r.risks.brainMask->GetBufferPointer();
    std::size_t i = 0;
    for (int k = 0; k < kVoxels; ++k)
      for (int j = 0; j < kVoxels; ++j)
        for (int x = 0; x < kVoxels; ++x, ++i) {
          const Vec3 p = g.rasFromIndex({double(x), double(j), double(k)});
          head[i] = norm(p) <= kHeadRadiusMm;
          brain[i] = norm(p) <= kBrainRadiusMm;
          t1[i] = brain[i] ? 600.0f : (head[i] ? 300.0f : 0.0f);
          for (const Blob& b : blobs)
            if (norm(p - b.centreRas) <= kBlobRadiusMm) {
              labels[i] = static_cast<unsigned short>(b.label);
              t1[i] = 450.0f;
            }
        }
    for (int k = 0; k < kRiskKinds; ++k) r.risks.risks[k].kind = static_cast<RiskKind>(k);
    r.risks.risks[0].present = r.risks.risks[1].present = true;  // no vessel volume
    r.risks.risks[0].volumeMm3 = 21000;
    r.risks.risks[1].volumeMm3 = 5300;
    r.acpc = std::make_unique<AcpcFrame>(Vec3{0, 12, 0}, Vec3{0, -12, 0}, Vec3{0, 0, 40});
    PlanDocument& plan = r.plan;
    plan.programVersion = "test";
    plan.created = "2024-01-01T00:00:00Z";
    plan.image = {"/data/synthetic_t1.nii.gz", std::string(64, 'a'), g, std::nullopt};
    plan.acRas = {0, 12, 0};
    plan.pcRas = {0, -12, 0};
    plan.mcpRas = {0, 0, 0};
    plan.midlineRas = {0, 0, 40};
    plan.trajectories.push_back(
        makeTrajectory(Side::Left, kLeftTargetRas, {-0.3, 0.55, 0.8}, "medtronic_3389"));
    plan.trajectories.push_back(
        makeTrajectory(Side::Right, kRightTargetRas, {0.3, 0.55, 0.8}, "boston_scientific_db2202", 1));
    plan.alternatives.push_back(
        makeTrajectory(Side::Left, kLeftTargetRas, {-0.2, 0.4, 0.9}, "medtronic_3389"));
    for (PlannedTrajectory& t : plan.trajectories) {
      t.metrics.targetAcpc = r.acpc->acpcFromRas(t.trajectory.targetRas);
      t.metrics.entryAcpc = r.acpc->acpcFromRas(t.trajectory.entryRas);
      t.metrics.targetMni = t.trajectory.targetRas;
    }
    plan.search.candidates = 20000;
    plan.search.seconds = 0.12;
    plan.search.settings = {{"candidates_per_side", 10000}, {"step_mm", 1.0}};
    plan.notes = {"synthetic patient for the figure tests"};
    return s;
  }();
  return *plan;
}

// ---- pixel helpers -------------------------------------------------------------------------------

using PixelTest = std::function<bool(QColor)>;
bool isLead(QColor c) {
  return std::abs(c.red() - qRed(kLeadFigureColour)) < 30 &&
         std::abs(c.green() - qGreen(kLeadFigureColour)) < 30 && c.blue() < 90;
}
bool isContact(QColor c) {
  return std::abs(c.red() - qRed(kContactFigureColour)) < 30 &&
         std::abs(c.green() - qGreen(kContactFigureColour)) < 35 && c.blue() < 90;
}
// Label colours at the figures' 45 % overlay over grey.
bool isGpiGreen(QColor c) {
  return c.green() > c.red() + 50 && c.green() > c.blue() + 40;
}
bool isThalamusOrange(QColor c) {
  return c.red() > c.blue() + 60 && c.green() > c.blue() + 25 && c.red() > c.green() + 20;
}
bool isPutamenMagenta(QColor c) {
  return c.red() > c.green() + 50 && c.blue() > c.green() + 40;
}

int countInDisc(const QImage& image, QPointF centre, double radius, const PixelTest& test) {
  int n = 0;
  for (int y = int(centre.y() - radius); y <= int(centre.y() + radius); ++y)
    for (int x = int(centre.x() - radius); x <= int(centre.x() + radius); ++x)
      if (image.rect().contains(x, y) && std::hypot(x - centre.x(), y - centre.y()) <= radius &&
          test(image.pixelColor(x, y)))
        ++n;
  return n;
}

std::string colourName(const QImage& image, QPointF p) {
  return image.pixelColor(p.toPoint()).name().toStdString();
}

// ---- 2-D figures --------------------------------------------------------------------------------

TEST(PlanFigures, TargetSlicesShowTheTrajectoryThroughTheTargetPixel) {
  const SyntheticPlan& s = syntheticPlan();
  const QSize size(600, 600);
  for (const PlannedTrajectory* t : {&s.left(), &s.right()}) {
    for (int axis = 0; axis < 3; ++axis) {
      SCOPED_TRACE(std::string("side ") + sideLetter(t->trajectory.side) + ", axis " + std::to_string(axis));
      const QImage image = renderTargetSlice(s.result, *t, axis, size);
      ASSERT_EQ(image.size(), size);
      const FigurePlane plane = targetSlicePlane(*t, axis, size);
      // The target is the picture's centre pixel, and the lead is drawn on it (the deepest contact).
      const QPointF target = plane.pixelFromRas(t->trajectory.targetRas);
      EXPECT_NEAR(target.x(), size.width() / 2, 1e-9);
      EXPECT_NEAR(target.y(), size.height() / 2, 1e-9);
      EXPECT_TRUE(isContact(image.pixelColor(target.toPoint())) || isLead(image.pixelColor(target.toPoint())))
          << colourName(image, target);
      // Along the path's projection, the lead colour; a few mm beside it, not.
      const Vec3 up = normalized(t->trajectory.entryRas - t->trajectory.targetRas);
      const QPointF along = plane.pixelFromRas(t->trajectory.targetRas + 25.0 * up) - target;
      if (std::hypot(along.x(), along.y()) < 20) continue;  // seen end-on in this view: no line to follow
      for (double mm : {12.0, 25.0, 40.0}) {
        const QPointF p = plane.pixelFromRas(t->trajectory.targetRas + mm * up);
        if (!image.rect().adjusted(40, 40, -40, -40).contains(p.toPoint())) continue;
        EXPECT_TRUE(isLead(image.pixelColor(p.toPoint())))
            << mm << " mm up the path: " << colourName(image, p);
        const QPointF normal = QPointF(-along.y(), along.x()) / std::hypot(along.x(), along.y());
        const QPointF beside = p + normal * (4.0 / plane.mmPerPixel);
        EXPECT_FALSE(isLead(image.pixelColor(beside.toPoint()))) << "4 mm beside the path at " << mm << " mm";
      }
    }
  }
}

TEST(PlanFigures, TargetSlicesPlaceAnatomyOnTheLabelledSide) {
  // Radiological axial and coronal views: the patient's left (the putamen lateral to the left
  // target) on the screen's right; sagittal: posterior (the thalamus) on the screen's right; axial:
  // posterior at the bottom. Checked where the known structures are drawn, on an LPS-stored grid.
  const SyntheticPlan& s = syntheticPlan();
  const QSize size(600, 600);
  const double radius = 0.5 * kBlobRadiusMm;
  struct Expectation {
    int axis;
    Vec3 offsetRas;
    PixelTest colour;
    QPointF screenDirection;  // where on the screen, from the target (x right, y down)
  };
  const Expectation expectations[] = {{2, kPutamenOffsetRas, isPutamenMagenta, {1, 0}},
                                      {1, kPutamenOffsetRas, isPutamenMagenta, {1, 0}},
                                      {2, kThalamusOffsetRas, isThalamusOrange, {0, 1}},
                                      {0, kThalamusOffsetRas, isThalamusOrange, {1, 0}}};
  for (const Expectation& e : expectations) {
    SCOPED_TRACE("axis " + std::to_string(e.axis));
    const QImage image = renderTargetSlice(s.result, s.left(), e.axis, size);
    const FigurePlane plane = targetSlicePlane(s.left(), e.axis, size);
    const QPointF centre(size.width() / 2, size.height() / 2);
    const QPointF expected = centre + e.screenDirection * (norm(e.offsetRas) / plane.mmPerPixel);
    const QPointF mirrored = centre - e.screenDirection * (norm(e.offsetRas) / plane.mmPerPixel);
    const double discPx = radius / plane.mmPerPixel;
    const int found = countInDisc(image, expected, discPx, e.colour);
    EXPECT_GT(found, 0.5 * 3.14 * discPx * discPx) << "structure not drawn where expected";
    EXPECT_EQ(countInDisc(image, mirrored, discPx, e.colour), 0) << "structure drawn on the wrong side";
  }
}

TEST(PlanFigures, ProbesEyeViewHasTheLeadCrossSectionAtTheCentreAndAnatomyAround) {
  const SyntheticPlan& s = syntheticPlan();
  const QSize size(800, 800);
  for (const PlannedTrajectory* t : {&s.left(), &s.right()}) {
    SCOPED_TRACE(std::string("side ") + sideLetter(t->trajectory.side));
    const QImage image = renderProbesEyeView(s.result, *t, size);
    ASSERT_EQ(image.size(), size);
    const FigurePlane plane = probesEyePlane(*t, size);
    const double mmPerPixel = kProbesEyeFieldOfViewMm / 800.0;
    EXPECT_DOUBLE_EQ(plane.mmPerPixel, mmPerPixel);
    // The plane is perpendicular to the lead; up is anterior as it projects.
    const Vec3 view = normalized(t->trajectory.targetRas - t->trajectory.entryRas);
    EXPECT_NEAR(dot(plane.normalRas(), view), -1.0, 1e-9);
    EXPECT_GT(plane.upRas.y, 0.8);
    // Cross-section: the lead colour at the centre, out to its radius and not beyond.
    const QPointF centre(size.width() / 2, size.height() / 2);
    const ElectrodeModel& model = ElectrodeCatalogue::standard().find(t->trajectory.electrodeId);
    const double radiusPx = 0.5 * model.diameterMm / mmPerPixel;
    EXPECT_TRUE(isLead(image.pixelColor(centre.toPoint()))) << colourName(image, centre);
    EXPECT_GT(countInDisc(image, centre, 0.8 * radiusPx, isLead),
              0.9 * 3.14159 * std::pow(0.8 * radiusPx, 2));
    EXPECT_LT(countInDisc(image, centre, 10.0 / mmPerPixel, isLead), 1.3 * 3.14159 * radiusPx * radiusPx)
        << "lead colour outside the cross-section";
    // The deepest contact is centred on the target: the plane cuts it, drawn around the section.
    EXPECT_GT(countInDisc(image, centre, radiusPx + 12, isContact), 20);
    // Directional level on the target (the right lead): an arc where each segment faces, none in the
    // 30-degree gaps between them (segments of 90 degrees every 120).
    for (const PlacedContact& c : t->metrics.contacts) {
      if (!c.segmentDirectionRas || c.level != 1) continue;
      const Vec3 f = *c.segmentDirectionRas;
      const double facing = std::atan2(dot(f, plane.upRas), dot(f, plane.rightRas));
      const double r = radiusPx + 5;
      for (double offsetDeg : {-30.0, 0.0, 30.0}) {
        const double a = facing + offsetDeg * std::acos(-1.0) / 180.0;
        const QPointF p = centre + QPointF(r * std::cos(a), -r * std::sin(a));
        EXPECT_TRUE(isContact(image.pixelColor(p.toPoint()))) << c.label << " at " << offsetDeg;
      }
      const double gap = facing + 60.0 * std::acos(-1.0) / 180.0;
      const QPointF p = centre + QPointF(r * std::cos(gap), -r * std::sin(gap));
      EXPECT_FALSE(isContact(image.pixelColor(p.toPoint()))) << "gap after segment " << c.label;
    }
    // The GPi surrounds the lead in the plane.
    EXPECT_GT(countInDisc(image, centre + QPointF(0, 2.0 / mmPerPixel), 8, isGpiGreen), 100);
  }
  // The left putamen, lateral of the left target, shows on the side the letters call lateral (the
  // patient's left): the screen side where plane.rightRas points left or right.
  const FigurePlane plane = probesEyePlane(s.left(), size);
  const QImage image = renderProbesEyeView(s.result, s.left(), size);
  const double lateralOnScreen = dot(kPutamenOffsetRas, plane.rightRas);  // mm to the screen's right
  ASSERT_GT(std::abs(lateralOnScreen), 7.0);
  const Vec3 putamenInPlane =
      kPutamenOffsetRas - dot(kPutamenOffsetRas, plane.normalRas()) * plane.normalRas();
  ASSERT_LT(norm(putamenInPlane - kPutamenOffsetRas), kBlobRadiusMm)
      << "the test's blob must cross the plane";
  const QPointF putamen = plane.pixelFromRas(s.left().trajectory.targetRas + kPutamenOffsetRas);
  EXPECT_NEAR(putamen.x() - 400, lateralOnScreen / plane.mmPerPixel, 1e-6);
  EXPECT_GT(countInDisc(image, putamen, 10, isPutamenMagenta), 100) << "putamen not where expected";
  EXPECT_EQ(countInDisc(image, QPointF(800 - putamen.x(), putamen.y()), 10, isPutamenMagenta), 0);
}

// Issue 23, layout: the along-the-path figure's margin labels once sat on its scale bar. They are
// placed by placeLabelClear: the preferred place when it is free, the other side when that one is
// taken, moved up or down by whole steps when both are, never outside the figure, and nowhere when
// nothing fits.
TEST(PlanFigures, LabelsArePlacedClearOfTheScaleBarTheLettersAndEachOther) {
  const QRectF bounds(0, 0, 400, 300);
  const QRectF scaleBar(0, 260, 400, 40);
  const QRectF right(210, 250, 80, 14), left(110, 250, 80, 14);  // both reach into the scale bar
  // Free: the preferred place as it is.
  const auto free = placeLabelClear({right.translated(0, -100), left}, {scaleBar}, bounds, 6);
  ASSERT_TRUE(free.has_value());
  EXPECT_EQ(*free, right.translated(0, -100));
  // The preferred side taken by another label, the other side free: the other side, not moved.
  const auto otherSide = placeLabelClear({right.translated(0, -100), left.translated(0, -100)},
                                         {right.translated(0, -100)}, bounds, 6);
  ASSERT_TRUE(otherSide.has_value());
  EXPECT_EQ(*otherSide, left.translated(0, -100));
  // Both on the scale bar: moved up, the least that clears it, on the preferred side.
  const auto moved = placeLabelClear({right, left}, {scaleBar}, bounds, 6);
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(moved->intersects(scaleBar));
  EXPECT_EQ(*moved, right.translated(0, -6)) << "one step up (6 px) clears the bar (its top at 260)";
  EXPECT_TRUE(bounds.contains(*moved));
  // No room anywhere within the steps allowed: nowhere.
  EXPECT_FALSE(placeLabelClear({right}, {QRectF(0, 0, 400, 300)}, bounds, 6).has_value());
  EXPECT_FALSE(placeLabelClear({QRectF(390, 10, 80, 14)}, {}, bounds, 6).has_value()) << "outside the figure";
}

TEST(PlanFigures, BadInputIsRefusedWithAClearError) {
  const SyntheticPlan& s = syntheticPlan();
  EXPECT_THROW(renderTargetSlice(s.result, s.left(), 3, QSize(200, 200)), std::invalid_argument);
  EXPECT_THROW(renderTargetSlice(s.result, s.left(), 0, QSize(0, 200)), std::invalid_argument);
  PlanResult empty;
  EXPECT_THROW(renderProbesEyeView(empty, s.left(), QSize(200, 200)), std::invalid_argument);
  PlannedTrajectory unknown = s.left();
  unknown.trajectory.electrodeId = "no_such_lead";
  EXPECT_THROW(renderTargetSlice(s.result, unknown, 0, QSize(200, 200)), std::out_of_range);
}

// ---- 3-D scene ----------------------------------------------------------------------------------

// Centroid (x) of the pixels where two renders differ, and how many; the orientation cube's corner
// (bottom right) and the text bands are left out.
std::pair<double, int> differenceCentroidX(const QImage& a, const QImage& b) {
  double sum = 0;
  int n = 0;
  for (int y = a.height() / 8; y < a.height() * 3 / 4; ++y)
    for (int x = 0; x < a.width(); ++x) {
      const QColor p = a.pixelColor(x, y), q = b.pixelColor(x, y);
      if (std::abs(p.red() - q.red()) + std::abs(p.green() - q.green()) + std::abs(p.blue() - q.blue()) >
          60) {
        sum += x;
        ++n;
      }
    }
  return {n ? sum / n : -1.0, n};
}

PlanResult copyWithTrajectories(const PlanResult& from, std::vector<PlannedTrajectory> trajectories) {
  PlanResult r;
  r.locate.patient = from.locate.patient;
  r.locate.labels = from.locate.labels;
  r.risks = from.risks;
  r.plan = from.plan;
  r.plan.trajectories = std::move(trajectories);
  return r;
}

TEST(PlanFigures, SceneShowsEachLeadOnItsSideSeenFromTheFrontLeft) {
  const SyntheticPlan& s = syntheticPlan();
  const QSize size(640, 480);
  const QImage none = renderPlanScene(copyWithTrajectories(s.result, {}), size);
  const QImage leftOnly = renderPlanScene(copyWithTrajectories(s.result, {s.left()}), size);
  const QImage rightOnly = renderPlanScene(copyWithTrajectories(s.result, {s.right()}), size);
  ASSERT_EQ(none.size(), size);
  // Seen from the front, the patient's left is on the screen's right.
  const auto [leftX, leftPixels] = differenceCentroidX(leftOnly, none);
  const auto [rightX, rightPixels] = differenceCentroidX(rightOnly, none);
  EXPECT_GT(leftPixels, 300) << "left lead not visible";
  EXPECT_GT(rightPixels, 300) << "right lead not visible";
  EXPECT_GT(leftX, 0.5 * size.width());
  EXPECT_LT(rightX, 0.5 * size.width());
  // Both GPi are drawn opaque green.
  int green = 0;
  for (int y = 0; y < size.height(); ++y)
    for (int x = 0; x < size.width(); ++x) green += isGpiGreen(none.pixelColor(x, y));
  EXPECT_GT(green, 50);
  // The translucent head shows: the middle of the picture is not background.
  const QColor background = none.pixelColor(2, size.height() / 2);
  int head = 0;
  for (int y = size.height() / 4; y < size.height() * 3 / 4; ++y)
    for (int x = size.width() / 4; x < size.width() * 3 / 4; ++x) {
      const QColor c = none.pixelColor(x, y);
      head += std::abs(c.red() - background.red()) + std::abs(c.green() - background.green()) +
                  std::abs(c.blue() - background.blue()) >
              40;
    }
  EXPECT_GT(head, size.width() * size.height() / 5);
}

// Issue 23, defect 8: a drag rebuilt every actor of the 3-D view on every mouse move. The cache gives
// back the very actors of what did not change, and new ones for what did.
TEST(PlanActors, TheCacheRebuildsOnlyTheLeadThatMoved) {
  const SyntheticPlan& s = syntheticPlan();
  PlanDocument plan = s.result.plan;
  plan.trajectories = {s.left(), s.right()};
  PlanActorCache cache;
  const auto first = cache.actorsFor(plan, {});
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(cache.actorsFor(plan, {}), first) << "nothing changed, yet actors were rebuilt";

  const std::size_t leftCount = leadActors(leadShape(s.left())).size();
  PlanDocument moved = plan;
  moved.trajectories[0] = makeTrajectory(Side::Left, s.left().trajectory.targetRas + Vec3{0, 0, -1},
                                         {-0.3, 0.5, 0.8}, s.left().trajectory.electrodeId);
  const auto second = cache.actorsFor(moved, {});
  ASSERT_EQ(second.size(), first.size());
  for (std::size_t i = 0; i < second.size(); ++i)
    if (i < leftCount)
      EXPECT_NE(second[i], first[i]) << "the moved lead kept an old actor (" << i << ")";
    else
      EXPECT_EQ(second[i], first[i]) << "the lead that did not move was rebuilt (" << i << ")";
  // A reference target is a piece of its own: adding one keeps both leads' actors.
  const auto third = cache.actorsFor(moved, {{Side::Left, TargetSource::Atlas, {-20, -3, -4}, "atlas L"}});
  ASSERT_EQ(third.size(), second.size() + 2) << "the marker and its name";
  EXPECT_TRUE(std::equal(second.begin(), second.end(), third.begin()));
}

// Issue 23: View > Schematic is the report's scene to turn by hand. The scene's pieces, built once:
// both leads' actors, the anatomy, and the side letters and lead captions as labels in the scene;
// the camera is the picture's (in front of the head, to the patient's left, above it).
TEST(PlanFigures, TheSchematicSceneHasThePicturesActorsLabelsAndCamera) {
  const SyntheticPlan& s = syntheticPlan();
  const PlanResult result = copyWithTrajectories(s.result, {s.left(), s.right()});
  const BuiltScene scene = buildPlanScene(result);
  const std::size_t leadProps =
      leadActors(leadShape(s.left())).size() + leadActors(leadShape(s.right())).size();
  EXPECT_GT(scene.actors.size(), leadProps + 2) << "the leads and some anatomy";
  std::vector<std::string> labels;
  for (const auto& prop : scene.actors)
    if (auto* label = vtkBillboardTextActor3D::SafeDownCast(prop)) labels.emplace_back(label->GetInput());
  for (const char* text : {"R", "L"}) EXPECT_EQ(std::count(labels.begin(), labels.end(), text), 1) << text;
  EXPECT_EQ(std::count_if(labels.begin(), labels.end(),
                          [](const std::string& l) { return l.find(" lead: ") != std::string::npos; }),
            2)
      << "one caption per lead";
  const Vec3 look = scene.focalRas - scene.cameraRas;
  EXPECT_LT(look.y, 0) << "the camera is in front of the head, looking back";
  EXPECT_LT(look.z, 0) << "the camera is above, looking down";
  EXPECT_GT(look.x, 0) << "the camera is on the patient's left (front-left)";
  EXPECT_GT(scene.viewUpRas.z, 0.5);
}

std::string readAllText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PlanFigures, SceneImageIsWrittenAtomically) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const std::string png = dir.filePath("scene.png").toStdString();
  writeSceneImage(syntheticPlan().result, png);
  const QImage image(QString::fromStdString(png));
  EXPECT_EQ(image.size(), QSize(1600, 1200));
  EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files), QStringList{"scene.png"});
  EXPECT_THROW(writeSceneImage(syntheticPlan().result, dir.filePath("scene.png/inside.png").toStdString()),
               std::runtime_error);
}

// Issue 26: a full disk while writing a PNG (a file-size limit stands in for it: writes fail with
// EFBIG) is one line of dbsplan's naming the file; libpng's "libpng error: Write Error" never
// comes first, and the old file stays.
TEST(PlanFigures, APngThatCannotBeWrittenIsOneClearErrorAndNoLibraryChatter) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const std::string png = dir.filePath("scene.png").toStdString();
  { std::ofstream(png) << "the previous scene"; }
  QImage noisy(400, 300,
               QImage::Format_RGB32);  // noise: its PNG (about 360 kB) cannot compress below the limit
  std::mt19937 random(26);
  for (int y = 0; y < noisy.height(); ++y)
    for (int x = 0; x < noisy.width(); ++x) noisy.setPixel(x, y, static_cast<unsigned>(random()));
  std::string message, printed;
  {
    const test::FileSizeLimit fullDisk(64 * 1024);
    ASSERT_TRUE(fullDisk.applied());
    testing::internal::CaptureStderr();
    try {
      writePngAtomically(noisy, png);
    } catch (const std::exception& e) {
      message = e.what();
    }
    printed = testing::internal::GetCapturedStderr();
  }
  EXPECT_EQ(message.rfind(png + ": cannot write: ", 0), 0u) << message;
  EXPECT_EQ(printed, "");
  EXPECT_TRUE(readAllText(png) == "the previous scene") << "the previous file was replaced";
  EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"scene.png"});
}

// ---- report -------------------------------------------------------------------------------------

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int pdfPageCount(const std::string& pdf) {
  int pages = 0;
  for (std::size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1))
    pages += pdf.compare(at, 12, "/Type /Pages") != 0;
  return pages;
}

std::string commandOutput(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    pclose(pipe);
  }
  return out;
}

// The structures' surfaces (labelSurfaceActor, shared by the 3-D view and the report's scene) are
// light enough for software OpenGL and still where the structure is: a ball of 10 mm radius on a
// 0.5 mm grid, placed by an LPS rasFromIjk, keeps its volume within 3 % and every surface point within
// 0.3 mm of its sphere, with at most 1.2 triangles per mm2 of surface (smoothing alone left about 12).
TEST(LabelSurface, IsLightAndStaysOnTheStructure) {
  constexpr double kRadiusMm = 10, kGridMm = 0.5;
  constexpr int n = 50;
  vtkNew<vtkImageData> labels;
  labels->SetDimensions(n, n, n);
  labels->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
  const double centreIjk = 0.5 * (n - 1);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) {
        const double r =
            kGridMm * std::sqrt((i - centreIjk) * (i - centreIjk) + (j - centreIjk) * (j - centreIjk) +
                                (k - centreIjk) * (k - centreIjk));
        *static_cast<unsigned char*>(labels->GetScalarPointer(i, j, k)) = r <= kRadiusMm ? 7 : 0;
      }
  Affine rasFromIjk;  // LPS storage: i to the left, j posterior; the ball's centre at RAS (10, -20, 5)
  const Vec3 centreRas{10, -20, 5};
  rasFromIjk.m = {{{-kGridMm, 0, 0, centreRas.x + kGridMm * centreIjk},
                   {0, -kGridMm, 0, centreRas.y + kGridMm * centreIjk},
                   {0, 0, kGridMm, centreRas.z - kGridMm * centreIjk},
                   {0, 0, 0, 1}}};
  const auto actor = labelSurfaceActor(labels, 7, rasFromIjk, {0.2, 0.8, 0.2}, 1.0);
  ASSERT_TRUE(actor);
  EXPECT_FALSE(labelSurfaceActor(labels, 8, rasFromIjk, {0.2, 0.8, 0.2}, 1.0))
      << "an absent label has no surface";
  actor->GetMapper()->Update();
  vtkPolyData* surface = vtkPolyData::SafeDownCast(actor->GetMapper()->GetInputAsDataSet());
  ASSERT_NE(surface, nullptr);
  vtkMatrix4x4* placement = actor->GetUserMatrix();
  double worstMm = 0;
  for (vtkIdType p = 0; p < surface->GetNumberOfPoints(); ++p) {
    double ijk[4] = {0, 0, 0, 1}, ras[4];
    surface->GetPoint(p, ijk);
    placement->MultiplyPoint(ijk, ras);
    worstMm = std::max(worstMm, std::abs(norm(Vec3{ras[0], ras[1], ras[2]} - centreRas) - kRadiusMm));
  }
  EXPECT_LT(worstMm, 0.3) << "largest distance of a surface point from the sphere, mm";
  vtkNew<vtkMassProperties> mass;
  mass->SetInputData(surface);
  mass->Update();
  const double voxelMm3 = kGridMm * kGridMm * kGridMm;
  const double volumeMm3 = mass->GetVolume() * voxelMm3, areaMm2 = mass->GetSurfaceArea() * kGridMm * kGridMm;
  const double sphereMm3 = 4.0 / 3.0 * std::acos(-1.0) * std::pow(kRadiusMm, 3);
  EXPECT_NEAR(volumeMm3 / sphereMm3, 1.0, 0.03);
  EXPECT_LT(static_cast<double>(surface->GetNumberOfPolys()) / areaMm2, 1.2)
      << surface->GetNumberOfPolys() << " triangles on " << areaMm2 << " mm2";
}

TEST(PlanReport, HasASummaryPageAndFourPagesPerSide) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const std::string pdf = dir.filePath("report.pdf").toStdString();
  writePlanReport(syntheticPlan().result, pdf);
  const std::string bytes = readAll(pdf);
  ASSERT_EQ(bytes.substr(0, 5), "%PDF-");
  EXPECT_NE(bytes.find("%%EOF"), std::string::npos);
  // Per side: numbers, 3-D and probe's eye, slices, scalp risk map; then the implanted system.
  EXPECT_EQ(pdfPageCount(bytes), 1 + 4 * 2 + 1);
  EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files), QStringList{"report.pdf"})
      << "temporary files left behind";
  // The text, where poppler is installed to read it back.
  if (commandOutput("command -v pdftotext").empty()) return;
  const std::string text = commandOutput("pdftotext -layout '" + pdf + "' -");
  for (const char* expected :
       {"SHA-256", "Left GPi: trajectory", "Right GPi: trajectory", "Patient RAS (mm)",
        "AC-PC (mm, origin MCP)", "Colin27 template (mm)", "internal capsule", "not assessed", "UNSAFE",
        "Medtronic", "Vercise", "page 10 of 10", "Probe's eye", "slices through the target", "scalp risk map",
        "Not available", "The implanted system"})
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
}

// Once registered to a frame, each side gets a frame-settings page that the OR team reads aloud:
// X, Y, Z, arc and ring as the frame's conversion gives them, the error and the image. A side with a
// stimulation gets its section (issue 25): the settings, the activated volume, the model.
TEST(PlanReport, AFrameRegisteredStimulatedPlanHasAFrameSheetAndAStimulationSectionPerSide) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  // A copy as PlanSession::snapshot makes one (images and risk field shared, read only).
  const PlanResult& original = syntheticPlan().result;
  PlanResult result;
  result.locate = original.locate;
  result.risks = original.risks;
  result.field = original.field;
  result.plan = original.plan;
  result.acpc = std::make_unique<AcpcFrame>(*original.acpc);
  result.searchSettings = original.searchSettings;
  PlanFrameRegistration frame;
  frame.frameId = "leksell-g";
  frame.imagePath = "/scans/frame_ct.nii.gz";
  frame.imageSha256 = std::string(64, 'a');
  frame.created = "2026-12-04T10:00:00Z";
  // The frame square on the head, its centre 10 mm above the plan's origin: X = 100 - R,
  // Y = 100 + A, Z = 90 - S.
  frame.frameFromPlanRas.m = {{{-1, 0, 0, 100}, {0, 1, 0, 100}, {0, 0, -1, 90}, {0, 0, 0, 1}}};
  frame.frameFromImageRas = frame.frameFromPlanRas;
  frame.freMm = 0.21;
  frame.rods = {{"right posterior", 100, 0.2, 0.4}};
  frame.frameZMinMm = 40;
  frame.frameZMaxMm = 160;
  result.plan.frame = frame;
  const PlannedTrajectory& left = *chosenTrajectory(result.plan, Side::Left);
  StimulationSettings settings;
  settings.activeContacts = {left.metrics.contacts.at(1).label};
  settings.amplitude = 3.0;
  // The assessment as the session would store it (this synthetic plan has no risk field to assess on).
  StimulationAssessment assessment;
  const double radius = vtaRadiusMm(settings.model, 3.0, 3.0 / 1000, 60);
  assessment.spheres = {{settings.activeContacts[0], left.metrics.contacts.at(1).centreRas, radius}};
  assessment.volumeMm3 = 4.0 / 3.0 * 3.14159265358979 * radius * radius * radius;
  assessment.fractionGpi = 0.6;
  result.plan.stimulation.push_back({settings, assessment});
  const std::string pdf = dir.filePath("report.pdf").toStdString();
  writePlanReport(result, pdf);
  const int pages = pdfPageCount(readAll(pdf));
  EXPECT_GE(pages, 1 + 5 * 2 + 1);  // and the implanted system
  EXPECT_LE(pages, 1 + 5 * 2 + 2);  // the stimulation section may push a numbers page over
  if (commandOutput("command -v pdftotext").empty()) return;
  const std::string text = commandOutput("pdftotext -layout '" + pdf + "' -");
  EXPECT_NE(text.find("Left stimulation: what it would reach"), std::string::npos);
  EXPECT_EQ(text.find("Right stimulation"), std::string::npos) << "the right side has no stimulation";
  EXPECT_NE(text.find(describeSettings(settings).substr(0, 20)), std::string::npos)
      << describeSettings(settings);
  for (const FrameSettings& sheet : frameSettings(result.plan)) {
    const std::string title = std::string(sideTitle(sheet.side)) + " GPi: frame settings";
    EXPECT_NE(text.find(title), std::string::npos) << title;
    std::ostringstream x;
    x << std::fixed << std::setprecision(1) << sheet.targetFrame.x << " mm";
    EXPECT_NE(text.find(x.str()), std::string::npos) << x.str();
  }
  for (const char* expected :
       {"Arc (lateral-right)", "Ring (lateral-left)", "Length, entry to target", "0.21 mm RMS over 1 rods",
        "/scans/frame_ct.nii.gz", "Before trusting this sheet"})
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
}

TEST(PlanReport, FailureLeavesNoPartialFile) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  // A folder that cannot exist (its parent is a file): an error naming the file, and no file.
  QFile blocker(dir.filePath("not-a-folder"));
  ASSERT_TRUE(blocker.open(QIODevice::WriteOnly));
  blocker.close();
  const std::string impossible = dir.filePath("not-a-folder/report.pdf").toStdString();
  try {
    writePlanReport(syntheticPlan().result, impossible);
    ADD_FAILURE() << "no error for an unwritable folder";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(impossible), std::string::npos) << e.what();
  }
  // A plan that cannot be drawn: the existing report stays as it was, and no temporary file remains.
  const std::string existing = dir.filePath("report.pdf").toStdString();
  std::ofstream(existing) << "previous report";
  PlanResult broken = copyWithTrajectories(syntheticPlan().result, syntheticPlan().result.plan.trajectories);
  broken.locate.patient.image = nullptr;
  EXPECT_THROW(writePlanReport(broken, existing), std::invalid_argument);
  EXPECT_EQ(readAll(existing), "previous report");
  EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files), (QStringList{"not-a-folder", "report.pdf"}));
}

}  // namespace
}  // namespace dbs::app
