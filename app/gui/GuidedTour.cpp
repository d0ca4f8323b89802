#include "gui/GuidedTour.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <limits>
#include <stdexcept>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/TextFormat.h"
#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/FrameRegistration.h"

namespace dbs::app {

namespace {

// A number for a person to read: TextFormat.h's rules (fixed decimals, never "-0.0").
QString mm(double value, int decimals = 1) {
  return QString::fromStdString(fixedText(value, decimals));
}
QString acpcText(Vec3 p) {
  return QString("x %1, y %2, z %3 mm").arg(mm(p.x), mm(p.y), mm(p.z));
}
QString rasWithUnits(Vec3 p) {
  return QString::fromStdString(vecText(p)) + " mm RAS";
}

// The voxel of label `name` nearest `nearRas` (its centre, RAS mm), or nothing when the labels lack
// it: a point certainly inside the structure, beside the GPi the tour is looking at.
std::optional<Vec3> nearestVoxelOf(const LabelVolume& labels, const std::string& name, Vec3 nearRas) {
  if (!labels.image) return std::nullopt;
  const int value = labelValue(name);
  const unsigned short* l = labels.image->GetBufferPointer();
  const ImageGeometry& g = labels.geometry;
  std::optional<Vec3> best;
  double bestDistance = std::numeric_limits<double>::max();
  for (std::size_t k = 0, i = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t x = 0; x < g.size[0]; ++x, ++i) {
        if (l[i] != value) continue;
        const Vec3 p = g.rasFromIndex({double(x), double(j), double(k)});
        if (const double d = norm(p - nearRas); d < bestDistance) {
          bestDistance = d;
          best = p;
        }
      }
  return best;
}

// What every group of steps reads: the plan and its first trajectory, whose side the tour follows.
struct TourContext {
  const PlanResult& result;
  const PlanDocument& plan;
  const PlannedTrajectory& first;
  Side side;
  const PlannedTrajectory* other;  // the other side's chosen trajectory, if any
  std::string suffix;              // the side's label suffix ("_L", "_R")
  const TrajectoryMetrics& m;
  Vec3 target;
};

// The steps are a table of texts, each step one entry built from the plan's own numbers; they are
// grouped by what they teach, each group a function that appends its steps in the tour's order.

// Welcome, AC, PC, MCP and the AC-PC frame.
void addLandmarkSteps(const TourContext& c, std::vector<TourStep>& steps) {
  const PlanDocument& plan = c.plan;
  const TrajectoryMetrics& m = c.m;
  const double acpcLength = norm(plan.acRas - plan.pcRas);
  const QString image = QFileInfo(QString::fromStdString(plan.image.path)).fileName();

  steps.push_back(
      {"Welcome",
       QString("<h3>A DBS plan for dystonia, step by step</h3><p>This tour walks through the plan "
               "of <b>%1</b>: where the target of deep brain stimulation for dystonia lies, the "
               "internal globus pallidus (GPi), and how a safe path to it is chosen. Each step moves "
               "the slice views (axial, coronal, sagittal) and the 3-D view to what it explains; "
               "the crosshair marks the point.</p><p>The numbers are this plan's own. Coordinates "
               "are patient RAS in millimetres (x towards the patient's right, y anterior, z "
               "superior) or AC-PC millimetres, which the next steps build.</p><p>Use <b>Next</b> "
               "and <b>Back</b>, or pick a step from the list.</p>")
           .arg(image.toHtmlEscaped()),
       "", std::nullopt, std::nullopt});

  steps.push_back(
      {"AC: the anterior commissure",
       QString("<h3>AC, the anterior commissure</h3><p>A small bundle of white matter crossing the "
               "midline in front of the third ventricle, seen on the midsagittal slice as a bright "
               "dot. With the PC it is the reference every stereotactic atlas of the basal ganglia "
               "is drawn on, because both are easy to find on any T1.</p><p>Here: %1. Edit &gt; "
               "Place AC moves it; every AC-PC coordinate in the plan follows.</p>")
           .arg(rasWithUnits(plan.acRas)),
       "AC", plan.acRas, std::nullopt, TourStep::Figure::None, false, 2.5});
  steps.push_back(
      {"PC: the posterior commissure",
       QString("<h3>PC, the posterior commissure</h3><p>The commissure behind the third ventricle, "
               "under the pineal gland. Here: %1, %2 mm behind the AC (the AC-PC line is 23-28 mm "
               "long in adults).</p>")
           .arg(rasWithUnits(plan.pcRas), mm(acpcLength)),
       "PC", plan.pcRas, std::nullopt, TourStep::Figure::None, false, 2.5});
  steps.push_back(
      {"MCP and the AC-PC frame",
       QString(
           "<h3>The MCP and the AC-PC frame</h3><p>The mid-commissural point (MCP) halfway between AC and PC "
           "is the origin of the AC-PC frame: <b>y</b> runs along the AC-PC line towards the AC, <b>z</b> up "
           "in the midsagittal plane (fixed by a third, midline point above), <b>x</b> towards the patient's "
           "right. Surgeons give targets in this frame because it follows the patient's head, not the "
           "scanner.</p><p>MCP here: %1. The left target is at %2 in this frame.</p>")
           .arg(rasWithUnits(plan.mcpRas), acpcText(m.targetAcpc)),
       "MCP", plan.mcpRas, std::nullopt, TourStep::Figure::None, false, 2.0});
}

// The pallidum and its neighbours: GPe and GPi, putamen, internal capsule, optic tract.
void addAnatomySteps(const TourContext& c, std::vector<TourStep>& steps) {
  const PlanResult& result = c.result;
  const Side side = c.side;
  const std::string& suffix = c.suffix;
  const TrajectoryMetrics& m = c.m;
  const Vec3 target = c.target;
  const auto gpe = nearestVoxelOf(result.locate.labels, "GPe" + suffix, target);
  steps.push_back(
      {"GPi and GPe",
       QString(
           "<h3>The pallidum: GPi (green) and GPe (blue)</h3><p>The globus pallidus lies medial of the "
           "putamen. The internal medullary lamina divides it into the external part (GPe, lateral) and the "
           "internal part (GPi, medial and ventral). The GPi is the output nucleus of the basal ganglia "
           "motor loop; in dystonia its firing is abnormal, and stimulating it relieves the symptoms, "
           "often over weeks to months.</p><p>The crosshair is on the GPe voxel nearest the %1 target%2.</p>")
           .arg(sideWord(side), gpe ? " (" + mm(norm(*gpe - target)) + " mm from it)" : QString()),
       "GPe", gpe ? gpe : std::optional<Vec3>(target), side, TourStep::Figure::None, false, 2.5});
  const auto putamen = nearestVoxelOf(result.locate.labels, "Putamen" + suffix, target);
  if (putamen)
    steps.push_back(
        {"Putamen",
         "<h3>The putamen (magenta)</h3><p>Lateral of the pallidum: with the caudate it forms the "
         "striatum, the input of the basal ganglia. A lead that sits in the putamen stimulates "
         "nothing useful: the contacts must be in the GPi.</p>",
         "putamen", putamen, side, TourStep::Figure::None, false, 2.5});
  const auto capsule = nearestVoxelOf(result.locate.labels, "InternalCapsule" + suffix, target);
  const SideEffectMargin& capsuleMargin =
      m.sideEffects[static_cast<std::size_t>(SideEffectStructure::InternalCapsule)];
  steps.push_back(
      {"Internal capsule",
       QString("<h3>The internal capsule (light grey)</h3><p>Its posterior limb, medial and behind the GPi, "
               "carries the corticospinal tract. Current that spreads into it contracts muscles of the other "
               "side of the body (capsular side effects): it sets the upper limit of the stimulation "
               "amplitude.</p><p>This plan: %1.</p>")
           .arg(QString::fromStdString(sideEffectMarginText(capsuleMargin)).toHtmlEscaped()),
       "internal capsule", capsule ? capsule : std::optional<Vec3>(target), side, TourStep::Figure::None,
       false, 2.5});
  const auto tract = nearestVoxelOf(result.locate.labels, "OpticTract" + suffix, target);
  const SideEffectMargin& tractMargin =
      m.sideEffects[static_cast<std::size_t>(SideEffectStructure::OpticTract)];
  steps.push_back(
      {"Optic tract",
       QString(
           "<h3>The optic tract (violet)</h3><p>It runs just under the GPi's ventral surface from the chiasm "
           "towards the lateral geniculate body. Stimulating it makes the patient see flashes of light "
           "(phosphenes); surgeons check for them in the operating room. The deepest contact is placed 1-2 "
           "mm above the GPi's ventral border so the tract stays clear.</p><p>This plan: %1.</p>")
           .arg(QString::fromStdString(sideEffectMarginText(tractMargin)).toHtmlEscaped()),
       "optic tract", tract ? tract : std::optional<Vec3>(target), side, TourStep::Figure::None, false, 2.5});
}

// The target: why the posteroventral GPi, and the indirect target beside the atlas target.
void addTargetSteps(const TourContext& c, std::vector<TourStep>& steps) {
  const PlanDocument& plan = c.plan;
  const Side side = c.side;
  const TrajectoryMetrics& m = c.m;
  const Vec3 target = c.target;
  const PlanTarget* atlas = planTarget(plan, side, TargetSource::Atlas);
  const PlanTarget* indirect = planTarget(plan, side, TargetSource::Indirect);
  steps.push_back(
      {"Why the posteroventral GPi",
       QString(
           "<h3>The target: the posteroventral GPi</h3><p>The GPi's sensorimotor territory is its posterior, "
           "ventral and lateral part; that is where stimulation helps dystonia. Published indirect targets "
           "lie 19-22 mm lateral of the midline, 1-3.5 mm in front of the MCP and 1-4 mm below the AC-PC "
           "plane (Valsky et al. 2020). dbsplan proposes the target as surgeons choose it: a point of the "
           "atlas's posteroventral GPi, carried into this patient by registration, 1-2 mm above its "
           "ventral border, inside that published range where the two overlap, and of those the one "
           "nearest the atlas's own target. The crosshair is on it, at %1 in the AC-PC frame (%2)%3.</p>")
           .arg(acpcText(m.targetAcpc), rasWithUnits(target),
                atlas ? QString(", %1 mm from the atlas target").arg(mm(norm(atlas->ras - target)))
                      : QString()),
       QString("%1 target").arg(sideWord(side)), target, side, TourStep::Figure::None, false, 2.5});
  if (indirect && atlas) {
    const double apart = norm(atlas->ras - indirect->ras);
    steps.push_back(
        {"Indirect target beside the atlas target",
         QString(
             "<h3>The indirect target</h3><p>Before atlases were registered to each patient, the target was "
             "set by a rule in the AC-PC frame alone: the indirect target, here %1 (%2). It ignores the "
             "patient's own anatomy, but it needs nothing but the landmarks, so it is a check on the atlas "
             "target: they are <b>%3 mm</b> apart%4. More than 2 mm means the atlas, the registration or "
             "the landmarks disagree, and the plan says so.</p>")
             .arg(acpcText(indirect->acpc), rasWithUnits(indirect->ras), mm(apart),
                  apart > kTargetAgreementToleranceMm ? " (review)" : ""),
         QString("%1 indirect target").arg(sideWord(side)), indirect->ras, side, TourStep::Figure::None,
         false, 2.5});
  }
}

// The path and its margins, the electrode and its contacts.
void addPathSteps(const TourContext& c, std::vector<TourStep>& steps) {
  const PlanResult& result = c.result;
  const PlannedTrajectory& first = c.first;
  const Side side = c.side;
  const TrajectoryMetrics& m = c.m;
  const Vec3 target = c.target;
  const SearchSettings& s = result.searchSettings;
  const ClosestApproach& ventricles = m.closest[static_cast<std::size_t>(RiskKind::Ventricles)];
  const ClosestApproach& sulci = m.closest[static_cast<std::size_t>(RiskKind::Sulci)];
  const ClosestApproach& vessels = m.closest[static_cast<std::size_t>(RiskKind::Vessels)];
  auto marginLine = [](const char* what, const ClosestApproach& c, double required, const char* why) {
    return QString("<li><b>%1</b>: %2 (required %3 mm). %4</li>")
        .arg(what,
             c.present ? QString("%1 mm at %2 mm above the target").arg(mm(c.distanceMm), mm(c.depthMm))
                       : QString("not assessed"),
             mm(required, 0), why);
  };
  steps.push_back(
      {"The trajectory and its margins",
       QString(
           "<h3>The path and its margins</h3><p>The lead goes in straight from a burr hole in front of the "
           "coronal suture to the target, %1 mm. dbsplan scored %2 paths per side and kept the best safe one "
           "by what surgeons weigh (the GPi along the lead, an entry on a gyral crown, the usual angles; the "
           "panel lists every term of its score); the "
           "along-the-path view (right) shows this one whole, with a tick where each margin is smallest. "
           "The crosshair is where the path comes nearest the ventricles.</p><ul>%3%4%5</ul>")
           .arg(mm(m.lengthMm), QString::number(s.candidatesPerSide),
                marginLine("Ventricles", ventricles, s.requiredMarginMm[0],
                           "Crossing one deflects the lead and can bleed into the ventricle."),
                marginLine("Sulci", sulci, s.requiredMarginMm[1],
                           "The cortical veins run in the sulci; a lead through a sulcus bleeds ten times as "
                           "often."),
                marginLine("Vessels", vessels, s.requiredMarginMm[2],
                           "Seen only on a contrast T1 or an angiogram; without one, not assessed.")),
       "closest approach to the ventricles", ventricles.present ? ventricles.pointRas : target, side,
       TourStep::Figure::AlongPath, false, 1.5});

  const ElectrodeModel& model = ElectrodeCatalogue::standard().find(first.trajectory.electrodeId);
  QString contacts;
  for (const PlacedContact& c : m.contacts)
    contacts +=
        QString("<li>contact %1: %2</li>")
            .arg(QString::fromStdString(c.label), QString::fromStdString(c.structure).toHtmlEscaped());
  steps.push_back(
      {"The electrode and its contacts",
       QString(
           "<h3>The electrode: %1</h3><p>%2 mm across, %3 contact levels. The probe's eye view (right) looks "
           "down the lead: scroll it along the path to see which structure each contact sits in. The "
           "crosshair is on contact %4, the deepest, %5 mm beyond the target.</p><ul>%6</ul>")
           .arg(QString::fromStdString(model.manufacturer + " " + model.model).toHtmlEscaped(),
                mm(model.diameterMm, 2), QString::number(model.levels()),
                m.contacts.empty() ? QString("0") : QString::fromStdString(m.contacts.front().label),
                mm(first.trajectory.deepestContactBeyondTargetMm), contacts),
       "deepest contact", m.contacts.empty() ? target : m.contacts.front().centreRas, side,
       TourStep::Figure::ProbesEye, false, 2.5});
}

// The scalp risk map, and the other side.
void addClosingSteps(const TourContext& c, std::vector<TourStep>& steps) {
  const PlannedTrajectory& first = c.first;
  const Side side = c.side;
  const PlannedTrajectory* other = c.other;
  steps.push_back(
      {"Where else could it enter?",
       QString(
           "<h3>The scalp risk map</h3><p>Every point of the scalp above the target is the entry of a "
           "straight path to it, scored as the search scores its candidates: red where a required margin "
           "is not met, orange to green for the margin left, darker outside the search window (the "
           "frontal region surgeons use). Drag the target in a slice view and the map follows; click the "
           "scalp to move the entry there, then Edit &gt; Undo.</p><p>The crosshair is on the planned entry, "
           "%1.</p>")
           .arg(rasWithUnits(first.trajectory.entryRas)),
       QString("%1 entry").arg(sideWord(side)), first.trajectory.entryRas, side, TourStep::Figure::None, true,
       1.0});
  // Into the operating room: the frame settings, once the plan is registered to a frame.
  if (c.plan.frame) {
    const FrameSettings f = frameSettingsFor(*c.plan.frame, first.trajectory);
    steps.push_back(
        {"Into the operating room: the frame",
         QString(
             "<h3>The frame settings</h3><p>In the operating room the lead goes in through a stereotactic "
             "frame fixed to the skull. Its localizer (rods in an N on three sides, green where they cross "
             "a slice) was found in the frame CT and tied to this plan with an error of %1 mm. The %2 "
             "target is at frame <b>X %3, Y %4, Z %5 mm</b> (X grows to the left, Y to the front, Z "
             "downwards, the centre at 100); the arc mounted lateral-right reads <b>arc %6&deg;, ring "
             "%7&deg;</b> (lateral-left: arc %8&deg;, ring %9&deg;). The target sits at the arc's centre, "
             "so every path through it is set by these two angles alone.</p><p>The report's frame page is "
             "the sheet the team reads aloud.</p>")
             .arg(mm(c.plan.frame->freMm, 2), sideWord(side), mm(f.targetFrame.x), mm(f.targetFrame.y),
                  mm(f.targetFrame.z), mm(f.lateralRight.arcDeg), mm(f.lateralRight.ringDeg),
                  mm(f.lateralLeft.arcDeg), mm(f.lateralLeft.ringDeg)),
         QString("%1 target").arg(sideWord(side)), first.trajectory.targetRas, side, TourStep::Figure::None,
         false, 1.0});
  } else {
    steps.push_back(
        {"Into the operating room: the frame",
         QString(
             "<h3>From plan to frame</h3><p>In the operating room the lead goes in through a stereotactic "
             "frame fixed to the skull, set by five numbers per side: X, Y, Z of the target and the arc "
             "and ring angles of the path. They come from a CT taken with the frame on, whose localizer "
             "rods tie the image to the frame. This plan is not registered to a frame yet: Tools &gt; "
             "Register frame does it, and the panel and the report then show the settings.</p>"),
         QString("%1 target").arg(sideWord(side)), first.trajectory.targetRas, side, TourStep::Figure::None,
         false, 1.0});
  }
  // What stimulation would reach (issue 25): the side's setting if one is set, else how to set one.
  const PlanStimulation* st = planStimulation(c.plan, side);
  const Vec3 stimulationCentre = st && !st->assessment.spheres.empty()
                                     ? st->assessment.spheres.front().centreRas
                                 : c.m.contacts.size() > 1 ? c.m.contacts[1].centreRas
                                                           : first.trajectory.targetRas;
  steps.push_back(
      {"What stimulation would reach",
       QString(
           "<h3>The volume of tissue activated</h3><p>Whether a contact in the posteroventral GPi helps or "
           "gives capsular or visual side effects depends on how far its field reaches. A published "
           "closed-form model turns the amplitude into the radius of a sphere around the contact "
           "(Kuncel 2008, M&auml;dler 2012, Dembek 2017: the panel's Stimulation part, or "
           "<code>dbsplan stimulate</code>). It is drawn light blue in every view, orange when it "
           "reaches the internal capsule or the optic tract.</p><p>%1</p><p>A sphere is a teaching "
           "picture, not a field solution: it ignores the lead, the tissue and the fibres' "
           "direction.</p>")
           .arg(st ? "Now: " + QString::fromStdString(describeSettings(st->settings)).toHtmlEscaped() + ": " +
                         QString::fromStdString(describeAssessment(st->assessment)).toHtmlEscaped() + "."
                   : QString("No stimulation is set on this side yet: tick contact 1 in the panel's "
                             "Stimulation part and raise the amplitude with the arrows to watch it grow.")),
       st ? QString("%1 activated region").arg(sideWord(side)) : QString("%1 contact 1").arg(sideWord(side)),
       stimulationCentre, side, TourStep::Figure::ProbesEye, false, 2.5});
  steps.push_back(
      {"The implanted system",
       QString("<h3>What the patient carries</h3><p>The leads are the visible part of a system: each is "
               "fixed at its burr hole with a cap, an extension runs under the scalp behind the ear and down "
               "the neck, and a pulse generator sits in a pocket under the clavicle, where it is programmed "
               "through the skin. View &gt; Implanted system shows this plan's leads in that whole system "
               "(the report's last page too); the body and the cables' course are a schematic.</p><p>The "
               "crosshair is on the %1 entry, where the burr-hole cap sits.</p>")
           .arg(sideWord(side)),
       QString("%1 entry").arg(sideWord(side)), first.trajectory.entryRas, side, TourStep::Figure::None,
       false, 1.0});
  if (other)
    steps.push_back(
        {"The other side",
         QString(
             "<h3>Bilateral: the %1 GPi</h3><p>Dystonia is usually treated on both sides. The %1 target is "
             "at %2 in the AC-PC frame, with its own path (%3 mm, %4).</p><p>That is the plan. File &gt; "
             "Export report writes all of it as a PDF.</p>")
             .arg(sideWord(other->trajectory.side), acpcText(other->metrics.targetAcpc),
                  mm(other->metrics.lengthMm), other->metrics.safe ? "every margin met" : "a margin NOT met"),
         QString("%1 target").arg(sideWord(other->trajectory.side)), other->trajectory.targetRas,
         other->trajectory.side, TourStep::Figure::None, false, 2.5});
}

}  // namespace

std::vector<TourStep> guidedTourSteps(const PlanResult& result) {
  const PlanDocument& plan = result.plan;
  if (plan.trajectories.empty())
    throw std::invalid_argument("the guided tour needs a plan with a trajectory");
  const PlannedTrajectory& first = plan.trajectories.front();
  const Side side = first.trajectory.side;
  const TourContext context{result,
                            plan,
                            first,
                            side,
                            chosenTrajectory(plan, otherSide(side)),
                            std::string("_") + sideLetter(side),
                            first.metrics,
                            first.trajectory.targetRas};
  std::vector<TourStep> steps;
  addLandmarkSteps(context, steps);
  addAnatomySteps(context, steps);
  addTargetSteps(context, steps);
  addPathSteps(context, steps);
  addClosingSteps(context, steps);
  return steps;
}

TourPanel::TourPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  list_ = new QListWidget(this);
  list_->setObjectName("tourSteps");
  list_->setMaximumHeight(150);
  text_ = new QTextBrowser(this);
  text_->setObjectName("tourText");
  text_->setOpenExternalLinks(false);
  auto* buttons = new QHBoxLayout;
  back_ = new QPushButton("< Back", this);
  back_->setObjectName("tourBack");
  next_ = new QPushButton("Next >", this);
  next_->setObjectName("tourNext");
  counter_ = new QLabel(this);
  buttons->addWidget(back_);
  buttons->addStretch();
  buttons->addWidget(counter_);
  buttons->addStretch();
  buttons->addWidget(next_);
  layout->addWidget(list_);
  layout->addWidget(text_, 1);
  layout->addLayout(buttons);
  connect(back_, &QPushButton::clicked, this, [this] { showStep(current_ - 1); });
  connect(next_, &QPushButton::clicked, this, [this] { showStep(current_ + 1); });
  connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0 && row != current_) showStep(row);
  });
}

void TourPanel::setSteps(std::vector<TourStep> steps) {
  steps_ = std::move(steps);
  current_ = -1;
  list_->blockSignals(true);
  list_->clear();
  for (std::size_t i = 0; i < steps_.size(); ++i)
    list_->addItem(QString("%1. %2").arg(i + 1).arg(steps_[i].title));
  list_->blockSignals(false);
}

void TourPanel::showStep(int index) {
  if (steps_.empty()) return;
  current_ = std::clamp(index, 0, static_cast<int>(steps_.size()) - 1);
  const TourStep& step = steps_[static_cast<std::size_t>(current_)];
  text_->setHtml(step.html + (step.landmark.isEmpty()
                                  ? QString()
                                  : "<p><i>Crosshair: " + step.landmark.toHtmlEscaped() + "</i></p>"));
  counter_->setText(QString("%1 of %2").arg(current_ + 1).arg(steps_.size()));
  back_->setEnabled(current_ > 0);
  next_->setEnabled(current_ + 1 < static_cast<int>(steps_.size()));
  list_->blockSignals(true);
  list_->setCurrentRow(current_);
  list_->blockSignals(false);
  emit stepShown(current_);
}

}  // namespace dbs::app
