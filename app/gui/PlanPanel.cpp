#include "gui/PlanPanel.h"

#include "dbs/imaging/TemplateSpace.h"

#include <QAbstractTextDocumentLayout>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpression>
#include <QSlider>
#include <QStyle>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/TextFormat.h"
#include "dbs/planning/FrameRegistration.h"
#include "gui/ViewerModel.h"

namespace dbs::app {

namespace {

// A number or a point for a person to read: TextFormat.h's rules (fixed decimals, never "-0.0").
QString mm(double v, int decimals = 1) {
  return QString::fromStdString(fixedText(v, decimals));
}
QString triple(Vec3 v) {
  return QString::fromStdString(vecText(v));
}

// "9.9 mm at 27.5 mm above the target" (depths along the path from the target towards the entry).
QString marginText(const ClosestApproach& c) {
  if (!c.present) return "not assessed";
  return QString("%1 mm at %2 mm %3 the target%4")
      .arg(mm(c.distanceMm), mm(std::abs(c.depthMm)), c.depthMm >= 0 ? "above" : "below",
           c.safe ? "" : "  UNSAFE");
}

// The maker's model number ("3389"), short enough for a table cell; the id when it is unknown.
QString electrodeModelName(const std::string& id) {
  try {
    return QString::fromStdString(ElectrodeCatalogue::standard().find(id).model);
  } catch (const std::out_of_range&) {
    return QString::fromStdString(id);
  }
}

QIcon colourSwatch(const std::array<double, 3>& rgb) {
  QPixmap pixmap(14, 14);
  pixmap.fill(
      QColor::fromRgbF(static_cast<float>(rgb[0]), static_cast<float>(rgb[1]), static_cast<float>(rgb[2])));
  return QIcon(pixmap);
}

const char* kMarginTooltip =
    "Smallest distance from the lead's path (target to entry) to the structure's surface, in mm, and where "
    "along the path it occurs (mm from the target towards the entry). Negative = the path passes through it.";

// The selected trajectory's numbers: rich text whose spans carry their own tooltip (an HTML title:
// what the number is, its frame and unit), shown where the mouse rests; as tall as its text, so the
// panel's scroll area scrolls, not this.
class DetailsBrowser : public QTextBrowser {
 public:
  explicit DetailsBrowser(QWidget* parent) : QTextBrowser(parent) {
    setFrameShape(QFrame::NoFrame);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    viewport()->setAutoFillBackground(false);
    setStyleSheet("QTextBrowser { background: transparent; }");
    connect(document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, this,
            [this](const QSizeF& size) { setFixedHeight(static_cast<int>(std::ceil(size.height())) + 4); });
  }

 protected:
  bool viewportEvent(QEvent* e) override {
    if (e->type() == QEvent::ToolTip) {
      auto* help = static_cast<QHelpEvent*>(e);
      const QString tip = cursorForPosition(help->pos()).charFormat().toolTip();
      if (tip.isEmpty())
        QToolTip::hideText();
      else
        QToolTip::showText(help->globalPos(), tip, this);
      return true;
    }
    return QTextBrowser::viewportEvent(e);
  }
};

// An HTML span whose tooltip is `tip`.
QString explained(const QString& text, const QString& tip) {
  return "<span title=\"" + tip.toHtmlEscaped() + "\">" + text + "</span>";
}

const char* kRasTip =
    "Patient RAS, mm: x towards the patient's right, y anterior, z superior (the image's world frame)";
const char* kPatientWordsTip =
    "The same patient RAS point in a clinician's words, mm: L/R (left/right), A/P (anterior/posterior), S/I "
    "(superior/inferior) of the image's world origin";
const char* kAcpcTip =
    "AC-PC frame, mm: origin at the mid-commissural point (MCP), x towards the patient's right, y anterior "
    "along PC->AC, z superior in the midsagittal plane";

// A trajectory table row's cells and their tooltips.
QStringList trajectoryCells(const PlannedTrajectory& p, bool chosen) {
  const TrajectoryMetrics& m = p.metrics;
  return {QString::fromStdString(p.trajectory.id),
          chosen ? "chosen" : "alternative",  // the panel's words: tests read them
          electrodeModelName(p.trajectory.electrodeId),
          mm(m.lengthMm),
          m.closest[0].present ? mm(m.closest[0].distanceMm) : "n/a",
          m.closest[1].present ? mm(m.closest[1].distanceMm) : "n/a",
          m.closest[2].present ? mm(m.closest[2].distanceMm) : "n/a",
          QString("%1/%2").arg(m.contactsInGpi).arg(m.contacts.size()),  // "2 of 4" in the tooltip
          m.safe ? "yes" : "NO"};
}

QStringList trajectoryCellTips(const PlannedTrajectory& p, bool chosen) {
  const TrajectoryMetrics& m = p.metrics;
  QStringList failed;
  for (const ClosestApproach& c : m.closest)
    if (c.present && !c.safe) failed << riskName(c.kind);
  return {"Trajectory id, stable within the plan (L = left hemisphere, R = right)",
          chosen ? "The side's planned trajectory"
                 : "Another distinct path the search found; double-click to use it",
          "Electrode " + QString::fromStdString(p.trajectory.electrodeId) + " from the catalogue",
          "Straight length from the entry to the target, mm",
          "Ventricles: " + marginText(m.closest[0]) + ". " + kMarginTooltip,
          "Sulci: " + marginText(m.closest[1]) + ". " + kMarginTooltip,
          "Vessels: " + marginText(m.closest[2]) + ". " + kMarginTooltip,
          QString("%1 of the electrode's %2 contact levels have their centre in the target side's GPi")
              .arg(m.contactsInGpi)
              .arg(m.contacts.size()),
          m.safe ? "Every assessed structure keeps its required margin"
                 : "Required margin not kept: " + failed.join(", ")};
}

// The selected trajectory's details: a two-column HTML table, a row at a time.
struct DetailsTable {
  QString html;
  void row(const QString& a, const QString& b) { html += "<tr><td>" + a + "</td><td>" + b + "</td></tr>"; }
};

// The target in every frame, and how far it lies from the atlas and the indirect targets.
void addTargetRows(DetailsTable& table, const PlanDocument& plan, const Trajectory& t,
                   const TrajectoryMetrics& m) {
  table.row("Target",
            explained("RAS " + triple(t.targetRas) + " mm",
                      QString("The target (the deepest contact's aim). ") + kRasTip) +
                " = " +
                explained(QString::fromStdString(patientPositionText(t.targetRas)), kPatientWordsTip));
  table.row("", explained("AC-PC " + triple(m.targetAcpc) + " mm from the MCP",
                          QString("The target. ") + kAcpcTip));
  if (m.targetMni)
    table.row(
        "",
        explained(QString(kTemplateSpaceShortName) + " " + triple(*m.targetMni) + " mm",
                  "The target in the atlas template's space (Colin27 RAS, mm) through the registration; not "
                  "MNI ICBM 2009b, whose AC lies about 2 mm elsewhere"));
  if (const PlanTarget* atlas = planTarget(plan, t.side, TargetSource::Atlas))
    table.row("",
              explained(QString("%1 mm from the atlas target").arg(mm(norm(t.targetRas - atlas->ras))),
                        "Distance, mm, from this target to the atlas target (the template's posteroventral "
                        "GPi target carried into the patient). The proposed target is the sensorimotor GPi "
                        "point inside the published indirect range nearest it") +
                  " " +
                  explained("(AC-PC " + triple(atlas->acpc) + ")", QString("The atlas target. ") + kAcpcTip));
  for (const PlanTarget& indirect : plan.targets)
    if (indirect.side == t.side && indirect.source == TargetSource::Indirect)
      table.row("",
                explained(QString("%1 mm from the indirect target").arg(mm(norm(t.targetRas - indirect.ras))),
                          "Distance, mm, from this target to the indirect target (the published AC-PC rule); "
                          "more than 2 mm is flagged for review") +
                    " " +
                    explained("(AC-PC " + triple(indirect.acpc) + ")",
                              QString("The indirect target. ") + kAcpcTip));
  // Issue 22: when the two disagree, which one the trajectory aims at and why; the views draw both.
  if (const auto agreement = targetAgreement(plan, t.side); agreement && !agreement->agrees())
    table.row(
        "",
        "<span style='color:#ff8c00'><b>" +
            explained(QString("Atlas and indirect targets %1 mm apart").arg(mm(agreement->distanceMm)),
                      QString("More than %1 mm: the atlas, the registration or the landmarks disagree. "
                              "Both are drawn in every view as white diamonds (\"atlas\", \"AC-PC\").")
                          .arg(kTargetAgreementToleranceMm)) +
            "</b>: " +
            explained(QString::fromStdString(targetChoiceText(*agreement)).toHtmlEscaped(),
                      "Distances, mm, from the trajectory's target to the atlas and the indirect targets; "
                      "the reason is the same in plan-info and the report") +
            "</span>");
}

// The entry in every frame, the path's length and angles.
void addEntryAndPathRows(DetailsTable& table, const Trajectory& t, const TrajectoryMetrics& m) {
  table.row("Entry",
            explained("RAS " + triple(t.entryRas) + " mm", QString("The entry on the scalp. ") + kRasTip) +
                " = " + explained(QString::fromStdString(patientPositionText(t.entryRas)), kPatientWordsTip));
  table.row("", explained("AC-PC " + triple(m.entryAcpc) + " mm", QString("The entry. ") + kAcpcTip));
  table.row(
      "Path",
      explained(mm(m.lengthMm) + " mm long", "Straight length from the entry to the target, mm") + "; " +
          explained(mm(m.sagittalAngleDeg, 0) + "&deg; to the AC-PC line",
                    "Sagittal angle, degrees: between the path's projection on the midsagittal plane and "
                    "the AC-PC line, measured from anterior (90 = vertical)") +
          ", " +
          explained(mm(m.lateralAngleDeg, 0) + "&deg; lateral",
                    "Lateral angle, degrees: between the path and the midsagittal plane; positive = the "
                    "entry lies further from the midline than the target"));
}

// The margins to the risk structures and to the side-effect structures beside the GPi.
void addMarginRows(DetailsTable& table, const TrajectoryMetrics& m) {
  for (const ClosestApproach& c : m.closest)
    table.row(
        QString(riskName(c.kind)),
        explained(marginText(c), QString(riskName(c.kind)) + ": " + kMarginTooltip) +
            (c.present ? " " + explained(QString("(needs %1)").arg(mm(c.requiredMarginMm)),
                                         "The required clearance from this structure, mm: a path closer "
                                         "is unsafe")
                       : QString()));
  for (const SideEffectMargin& e : m.sideEffects) {
    const bool inside = e.assessed && e.distanceMm <= 0;
    const bool capsule = e.structure == SideEffectStructure::InternalCapsule;
    table.row(
        capsule ? "Capsule" : "Optic tract",
        explained(QString(inside         ? "<b style='color:#c00'>%1</b>"
                          : e.tooClose() ? "<b style='color:#c60'>%1</b>"
                                         : "%1")
                      .arg(QString::fromStdString(sideEffectMarginText(e)).toHtmlEscaped()),
                  QString(capsule ? "Internal capsule (capsular, i.e. motor, side effects)"
                                  : "Optic tract (phosphenes)") +
                      ": distance in mm from the nearest contact's surface (the lead's cylinder over the "
                      "contact) to the structure, and which contact; 0 or less = the contact is inside it; "
                      "under " +
                      mm(sideEffectWarningMm(e.structure)) +
                      " mm = side effects likely at ordinary settings (orange)"));
  }
}

// The contacts in the GPi and the verdict.
void addContactRows(DetailsTable& table, const TrajectoryMetrics& m) {
  QStringList inGpi;
  for (const PlacedContact& c : m.contacts)
    if (c.inGpi) inGpi << QString::fromStdString(c.label);
  table.row("Contacts in GPi",
            explained(QString("%1 of %2 levels%3")
                          .arg(m.contactsInGpi)
                          .arg(m.contacts.size())
                          .arg(inGpi.isEmpty() ? "" : " (" + inGpi.join(", ") + ")"),
                      "Contact levels whose centre lies in the target side's GPi label, of the electrode's "
                      "levels (the contacts' labels as the manufacturer numbers them)"));
  // Red for an unmet required margin, orange for a side-effect structure too close (a warning).
  const QString verdict = QString::fromStdString(marginVerdict(m)).toHtmlEscaped();
  table.row("Verdict", !m.safe                          ? "<b style='color:#c00'>" + verdict + "</b>"
                       : sideEffectsTooClose(m).empty() ? verdict
                                                        : "<b style='color:#c60'>" + verdict + "</b>");
}

// The stereotactic frame's settings for this trajectory, once the plan is registered to a frame:
// what the OR team sets, re-computed with every edit (a dragged target shows its new X, Y, Z live).
void addFrameRows(DetailsTable& table, const PlanDocument& plan, const Trajectory& t) {
  if (!plan.frame) {
    table.row("Frame", explained("not registered",
                                 "Tools > Register frame: find the frame's N-localizer in a "
                                 "stereotactic CT or MR and give X, Y, Z, arc and ring"));
    return;
  }
  const PlanFrameRegistration& r = *plan.frame;
  const FrameModel& model = frameModel(r.frameId);
  FrameSettings s;
  try {
    s = frameSettingsFor(r, t);
  } catch (const std::exception& e) {
    table.row("Frame", QString::fromStdString(e.what()).toHtmlEscaped());
    return;
  }
  const QString frameTip =
      QString::fromStdString(model.name) +
      " coordinates, mm: X towards the patient's left, Y anterior, Z inferior, centre (100, "
      "100, 100); from the frame registration of " +
      QString::fromStdString(r.imagePath);
  const QString flag = s.targetInFrameRange && s.targetWithinLocalizer ? QString() : " <b>CHECK</b>";
  table.row("Frame X, Y, Z",
            explained(QString("X %1 &nbsp;Y %2 &nbsp;Z %3 mm")
                          .arg(mm(s.targetFrame.x), mm(s.targetFrame.y), mm(s.targetFrame.z)),
                      "The target in " + frameTip) +
                flag);
  auto angles = [](const ArcRing& a, bool reachable) {
    return QString("arc %1&deg; ring %2&deg;").arg(mm(a.arcDeg), mm(a.ringDeg)) +
           (reachable ? QString() : QString(" <b>outside the scales</b>"));
  };
  table.row(
      "Arc, ring",
      explained("lateral-right " + angles(s.lateralRight, s.lateralRightReachable),
                "Arc and ring with the arc mounted lateral-right, deg (arc = ring = 90 is vertical; the "
                "target is the arc's centre)") +
          "<br>" +
          explained("lateral-left " + angles(s.lateralLeft, s.lateralLeftReachable),
                    "Arc and ring with the arc mounted lateral-left, deg"));
  table.row(
      "Frame registration",
      explained(QString("FRE %1 mm (%2 rods, %3)")
                    .arg(mm(r.freMm, 2))
                    .arg(r.rods.size())
                    .arg(QString::fromStdString(r.method)),
                "Fiducial registration error: RMS distance of the localizer's rod cross-sections to the "
                "frame model's rods after the fit, mm (refused above 1 mm)"));
}

// Why the search scored the path as it did: the score, then one row per term, each with a tooltip
// saying what the term measures and where its rule comes from (data/trajectory/SOURCES.md).
void addScoreRows(DetailsTable& table, const TrajectoryMetrics& m) {
  table.row("Score", explained(QString::number(m.score, 'f', 2),
                               "The search's objective, unitless, higher is better: the sum of the terms "
                               "below (weight x value). Safe paths always rank before unsafe ones."));
  const ScoringModel& model = scoringModel();
  for (std::size_t k = 0; k < kScoreTerms; ++k) {
    const auto term = static_cast<ScoreTerm>(k);
    const ScoringModel::Term& spec = model.terms[k];
    table.row(
        "",
        explained(
            QString::fromStdString(scoreTermText(term, m.scoreTerms[k])),
            QString::fromStdString(
                spec.explains +
                (term == ScoreTerm::Length ? ". The path's length in mm; in brackets its part of the score"
                                           : ". Value unitless, 0 (worst) to 1 (best); in brackets its "
                                             "part of the score, weight x value") +
                " (term " + kScoreTermNames.name(term) + "; source: data/trajectory/" + spec.source +
                "; dbsplan plan --score-weight " + kScoreTermNames.name(term) + "=W changes its weight)")));
  }
  table.row("Window",
            explained(QString::fromStdString(windowPlacementText(m)),
                      "How far inside the search's frontal window the path lies: its angles from the "
                      "window's angle limits (deg), its entry from the entry limits (AC-PC mm)"));
}

// The side's planned trajectory and an alternative side by side (issue 23: compare before using),
// one row per measure, the better value of each row in bold.
const char* const kTargetFieldTip =
    "The target, three numbers in mm (x, y, z) in the frame above: Enter moves it there; the entry stays "
    "and the path is re-scored";
const char* const kEntryFieldTip =
    "The entry, three numbers in mm (x, y, z) in the frame above: Enter moves it there; the target stays "
    "and the path is re-scored";

QString comparisonHtml(const PlannedTrajectory& chosen, const PlannedTrajectory& alternative) {
  struct Measure {
    QString name;
    double chosen, alternative;
    int decimals;
    QString unit;
    int better;  // +1 larger is better, -1 smaller is better, 0 neither
  };
  const TrajectoryMetrics &c = chosen.metrics, &a = alternative.metrics;
  std::vector<Measure> measures = {
      {"Score", c.score, a.score, 2, "", +1},
      {"Length", c.lengthMm, a.lengthMm, 1, " mm", -1},
      {"Sagittal angle", c.sagittalAngleDeg, a.sagittalAngleDeg, 1, " deg", 0},
      {"Lateral angle", c.lateralAngleDeg, a.lateralAngleDeg, 1, " deg", 0},
      {"Contacts in GPi", static_cast<double>(c.contactsInGpi), static_cast<double>(a.contactsInGpi), 0,
       QString(" of %1").arg(c.contacts.size()), +1}};
  for (std::size_t k = 0; k < c.closest.size() && k < a.closest.size(); ++k)
    if (c.closest[k].present && a.closest[k].present)
      measures.push_back({QString(riskName(c.closest[k].kind)) + " margin", c.closest[k].distanceMm,
                          a.closest[k].distanceMm, 1, " mm", +1});
  QString html = "<p><b>Compare</b>: the planned " + QString::fromStdString(chosen.trajectory.id) +
                 " and the alternative " + QString::fromStdString(alternative.trajectory.id) +
                 " (dashed white in every view). Double-click its row or press \"Use this alternative\" "
                 "to use it.</p><table border=\"1\" cellspacing=\"0\" cellpadding=\"2\"><tr><th></th><th>" +
                 QString::fromStdString(chosen.trajectory.id) + " (planned)</th><th>" +
                 QString::fromStdString(alternative.trajectory.id) + "</th></tr>";
  for (const Measure& m : measures) {
    const bool chosenBetter = m.better != 0 && (m.chosen - m.alternative) * m.better > 1e-9;
    const bool alternativeBetter = m.better != 0 && (m.alternative - m.chosen) * m.better > 1e-9;
    auto cell = [&](double v, bool bold) {
      const QString text = QString::number(v, 'f', m.decimals) + m.unit;
      return "<td>" + (bold ? "<b>" + text + "</b>" : text) + "</td>";
    };
    html += "<tr><td>" + m.name + "</td>" + cell(m.chosen, chosenBetter) +
            cell(m.alternative, alternativeBetter) + "</tr>";
  }
  html += QString("<tr><td>Keeps every margin</td><td>%1</td><td>%2</td></tr></table>")
              .arg(c.safe ? "yes" : "<b>NO</b>", a.safe ? "yes" : "<b>NO</b>");
  return html;
}

QString selectedTrajectoryHtml(const PlanDocument& plan, const PlannedTrajectory& selected) {
  const Trajectory& t = selected.trajectory;
  const TrajectoryMetrics& m = selected.metrics;
  DetailsTable table;
  table.html +=
      QString("<b>%1 %2</b> (%3), %4<br>")
          .arg(QString(sideTitle(t.side)),
               explained(QString::fromStdString(t.id), "The trajectory's id, stable within the plan"),
               t.origin == TrajectoryOrigin::Manual ? "set by hand" : "found by the search",
               explained(QString::fromStdString(t.electrodeId), "The electrode's id in the catalogue"));
  table.html += "<table cellspacing=2>";
  addTargetRows(table, plan, t, m);
  addEntryAndPathRows(table, t, m);
  addMarginRows(table, m);
  addContactRows(table, m);
  addScoreRows(table, m);
  addFrameRows(table, plan, t);
  table.html += "</table>";
  table.html +=
      "<p style='color:#555'>Drag a target (magenta) or an entry (cyan) in any slice view to move it; "
      "Ctrl+Z undoes, Ctrl+S saves.</p>";
  return table.html;
}

}  // namespace

PlanPanel::PlanPanel(ViewerModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(buildStructuresBox(), 2);
  layout->addWidget(buildTrajectoriesBox(), 3);
  layout->addWidget(buildSelectedBox(), 4);
  layout->addWidget(buildStimulationBox(), 0);
  connectWidgets();
  showPlan(nullptr, Side::Left, false);
}

QGroupBox* PlanPanel::buildStructuresBox() {
  auto* structuresBox = new QGroupBox(this);
  auto* structuresLayout = new QVBoxLayout(structuresBox);
  // A section that folds, as Slicer's do: open while an image is looked at, folded when a plan is
  // shown, so that the trajectories and the selected trajectory's editors are in view without
  // scrolling in a 1000-pixel window (issue 23: they were under the fold, the test that said so
  // passed or failed with the docks' timing). Once the user has opened or folded it, it stays so.
  structuresToggle_ = new QToolButton(structuresBox);
  structuresToggle_->setObjectName("structuresToggle");
  structuresToggle_->setText("Structures");
  structuresToggle_->setCheckable(true);
  structuresToggle_->setChecked(true);
  structuresToggle_->setArrowType(Qt::DownArrow);
  structuresToggle_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  structuresToggle_->setAutoRaise(true);
  structuresToggle_->setStyleSheet("QToolButton { border: none; }");  // a heading, not a pressed button
  structuresToggle_->setToolTip("Show or fold the structures table");
  QFont bold = structuresToggle_->font();
  bold.setBold(true);
  structuresToggle_->setFont(bold);
  structuresLayout->addWidget(structuresToggle_);
  structures_ = new QTableWidget(0, 3, structuresBox);
  structures_->setObjectName("structuresTable");
  structures_->setHorizontalHeaderLabels({"Structure", "Show", "Opacity"});
  structures_->verticalHeader()->hide();
  // The names keep what the check boxes and sliders leave, however narrow the panel was when the
  // window was last closed (issue 23: after a restart only the colour swatches showed), and the
  // table shows at least four rows (it showed one and a half).
  QHeaderView* header = structures_->horizontalHeader();
  header->setSectionResizeMode(0, QHeaderView::Stretch);
  header->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  header->setSectionResizeMode(2, QHeaderView::Fixed);
  header->resizeSection(2, 80);
  structures_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  structures_->setMinimumHeight(header->sizeHint().height() +
                                4 * structures_->verticalHeader()->defaultSectionSize() +
                                2 * structures_->frameWidth());
  structures_->setSelectionMode(QAbstractItemView::NoSelection);
  structures_->setToolTip("The structures of the label map: colour, visibility and opacity in every view");
  structuresLayout->addWidget(structures_);
  connect(structuresToggle_, &QToolButton::clicked, this, [this](bool open) {
    structuresFoldedByUser_ = true;
    setStructuresOpen(open);
  });
  return structuresBox;
}

void PlanPanel::setStructuresOpen(bool open) {
  structuresToggle_->setChecked(open);
  structuresToggle_->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
  const int count = structures_->rowCount();
  structuresToggle_->setText(open || count == 0 ? QString("Structures")
                                                : QString("Structures (%1)").arg(count));
  structures_->setVisible(open);
}

QGroupBox* PlanPanel::buildTrajectoriesBox() {
  auto* trajectoriesBox = new QGroupBox("Trajectories", this);
  auto* trajectoriesLayout = new QVBoxLayout(trajectoriesBox);
  trajectories_ = new QTableWidget(0, 9, trajectoriesBox);
  trajectories_->setObjectName("trajectoryTable");
  trajectories_->setHorizontalHeaderLabels(
      {"Id", "Role", "Lead", "Length\nmm", "Ventr.\nmm", "Sulci\nmm", "Vessels\nmm", "In GPi", "Safe"});
  const QStringList headerTips = {
      "Trajectory id, stable within the plan (L = left hemisphere, R = right)",
      "chosen = the side's planned trajectory; alternative = another distinct path the search found",
      "Electrode model from the catalogue (its id in the tooltip)",
      "Path length from the entry to the target, mm",
      QString("Ventricles: ") + kMarginTooltip,
      QString("Sulci: ") + kMarginTooltip,
      QString("Vessels: ") + kMarginTooltip,
      "Contact levels whose centre lies in the target side's GPi",
      "Whether every assessed structure keeps its required margin"};
  for (int c = 0; c < headerTips.size(); ++c)
    trajectories_->horizontalHeaderItem(c)->setToolTip(headerTips[c]);
  trajectories_->verticalHeader()->hide();
  trajectories_->setSelectionBehavior(QAbstractItemView::SelectRows);
  trajectories_->setSelectionMode(QAbstractItemView::SingleSelection);
  trajectories_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  // Every column in view, never a sideways scroll (issue 23: the margins and "Safe" were off to the
  // right): the numbers and the lead's short name as wide as they need, the role takes what is left
  // (elided in a narrow panel, whole in its tooltip); a wider panel widens it.
  QHeaderView* header = trajectories_->horizontalHeader();
  header->setMinimumSectionSize(24);
  header->setSectionResizeMode(QHeaderView::ResizeToContents);
  header->setSectionResizeMode(1, QHeaderView::Stretch);
  trajectories_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  trajectories_->setTextElideMode(Qt::ElideRight);
  trajectories_->setWordWrap(false);
  // And the panel at least as wide as every column's widest text, bold as chosen rows are (issue
  // 23: in a window 1100 px wide "In GPi" and "Safe" were cut off the dock's right edge). Known
  // before any plan opens (the widest id, role, lead of the catalogue, numbers to 100.0 mm), so the
  // dock, and the views' size with it, does not jump when a plan opens or a number grows.
  QString widestLead;
  for (const ElectrodeModel& m : ElectrodeCatalogue::standard().models())
    if (m.model.size() > static_cast<std::size_t>(widestLead.size()))
      widestLead = QString::fromStdString(m.model);
  const QStringList widest = {"L10",   "alternative", widestLead, "100.0", "100.0",
                              "100.0", "100.0",       "4/4",      "yes"};
  QFont bold = trajectories_->font();
  bold.setBold(true);
  const QFontMetrics metrics(bold);
  // The cell's text margins (the style's focus frame on each side) and the grid line.
  const int cellMargins =
      2 * (trajectories_->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, trajectories_) + 1) + 1;
  int tableWidth = 2 * trajectories_->frameWidth();
  for (int c = 0; c < widest.size(); ++c)
    tableWidth += std::max(header->sectionSizeHint(c), metrics.horizontalAdvance(widest[c]) + cellMargins);
  trajectories_->setMinimumWidth(tableWidth);
  trajectoriesLayout->addWidget(trajectories_);
  useAlternative_ = new QPushButton("Use this alternative", trajectoriesBox);
  useAlternative_->setObjectName("useAlternative");
  useAlternative_->setToolTip("Make the selected alternative its side's trajectory (Ctrl+Z undoes)");
  useAlternative_->setEnabled(false);
  trajectoriesLayout->addWidget(useAlternative_);
  return trajectoriesBox;
}

QGroupBox* PlanPanel::buildSelectedBox() {
  auto* selectedBox = new QGroupBox("Selected trajectory", this);
  auto* selectedLayout = new QVBoxLayout(selectedBox);
  previewBanner_ = new QLabel("Preview: release the mouse to apply (Ctrl+Z undoes)", selectedBox);
  previewBanner_->setWordWrap(true);
  previewBanner_->setStyleSheet("QLabel { background: #664400; color: white; padding: 2px; }");
  previewBanner_->hide();
  selectedLayout->addWidget(previewBanner_);
  auto* form = new QFormLayout();
  electrode_ = new QComboBox(selectedBox);
  electrode_->setObjectName("electrodeChoice");
  electrode_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  electrode_->setMinimumContentsLength(16);  // the full names are long; the list shows them whole
  for (const ElectrodeModel& m : ElectrodeCatalogue::standard().models())
    electrode_->addItem(QString::fromStdString(m.name), QString::fromStdString(m.id));
  electrode_->setToolTip(
      "Electrode model (data/electrodes/electrodes.json): its contacts are placed from the target");
  form->addRow("Electrode", electrode_);
  depth_ = new QDoubleSpinBox(selectedBox);
  depth_->setObjectName("depthSpin");
  depth_->setRange(-10, 10);
  depth_->setSingleStep(0.5);
  depth_->setDecimals(1);
  depth_->setSuffix(" mm");
  depth_->setToolTip(
      "Centre of the deepest contact beyond the target along the path, mm (negative = short of it)");
  form->addRow("Depth", depth_);
  roll_ = new QDoubleSpinBox(selectedBox);
  roll_->setObjectName("rollSpin");
  roll_->setRange(0, 359);
  roll_->setSingleStep(15);
  roll_->setDecimals(0);
  roll_->setWrapping(true);
  roll_->setSuffix(" deg");
  roll_->setToolTip(
      "Orientation marker of a directional lead: degrees about the lead axis from the patient's anterior, "
      "counter-clockwise seen from the proximal end");
  form->addRow("Roll", roll_);
  coordinateFrame_ = new QComboBox(selectedBox);
  coordinateFrame_->setObjectName("coordinateFrame");
  coordinateFrame_->addItem("RAS (patient, mm)");
  coordinateFrame_->addItem("AC-PC (mm from the MCP)");
  coordinateFrame_->setToolTip(
      "The frame of the target and entry fields: the image's patient RAS (R, A, S positive), or the "
      "plan's AC-PC frame (x right, y anterior along AC-PC, z superior; origin at the mid-commissural "
      "point)");
  form->addRow("Coordinates", coordinateFrame_);
  for (QLineEdit** field : {&targetField_, &entryField_}) {
    *field = new QLineEdit(selectedBox);
    (*field)->setPlaceholderText("x, y, z");
  }
  targetField_->setObjectName("targetCoordinates");
  entryField_->setObjectName("entryCoordinates");
  form->addRow("Target", targetField_);
  form->addRow("Entry", entryField_);
  // The editors first, the long details under them: right below the table, the editors stay in
  // view (issue 23: under the details they were scrolled out of it).
  selectedLayout->addLayout(form);
  details_ = new DetailsBrowser(selectedBox);
  details_->setObjectName("trajectoryDetails");
  details_->setText("No plan open: Tools > Plan bilateral trajectories, or File > Open plan.");
  selectedLayout->addWidget(details_);
  selectedLayout->addStretch(1);
  return selectedBox;
}

QGroupBox* PlanPanel::buildStimulationBox() {
  stimulationBox_ = new QGroupBox("Stimulation (teaching grade)", this);
  stimulationBox_->setObjectName("stimulationBox");
  stimulationBox_->setToolTip(
      "What a monopolar setting would activate: a sphere around each active contact from a published "
      "closed-form model (data/stimulation/SOURCES.md), not a field solution");
  auto* form = new QFormLayout(stimulationBox_);
  stimulationContacts_ = new QWidget(stimulationBox_);
  auto* contactsLayout = new QHBoxLayout(stimulationContacts_);
  contactsLayout->setContentsMargins(0, 0, 0, 0);
  form->addRow("Active", stimulationContacts_);
  auto* amplitudeRow = new QWidget(stimulationBox_);
  auto* amplitudeLayout = new QHBoxLayout(amplitudeRow);
  amplitudeLayout->setContentsMargins(0, 0, 0, 0);
  stimAmplitude_ = new QDoubleSpinBox(amplitudeRow);
  stimAmplitude_->setObjectName("stimAmplitude");
  stimAmplitude_->setRange(0, kMaxAmplitudeVolt);
  stimAmplitude_->setSingleStep(0.1);
  stimAmplitude_->setDecimals(1);
  stimAmplitude_->setToolTip(
      "Amplitude of every active contact (V) or of the whole current (mA, split equally)");
  stimUnit_ = new QComboBox(amplitudeRow);
  stimUnit_->setObjectName("stimUnit");
  stimUnit_->addItem("V", static_cast<int>(AmplitudeUnit::Volt));
  stimUnit_->addItem("mA", static_cast<int>(AmplitudeUnit::MilliAmpere));
  stimUnit_->setToolTip("Voltage-controlled (V) or current-controlled (mA) stimulation");
  amplitudeLayout->addWidget(stimAmplitude_, 1);
  amplitudeLayout->addWidget(stimUnit_);
  form->addRow("Amplitude", amplitudeRow);
  stimPulseWidth_ = new QDoubleSpinBox(stimulationBox_);
  stimPulseWidth_->setObjectName("stimPulseWidth");
  stimPulseWidth_->setRange(kMinPulseWidthUs, kMaxPulseWidthUs);
  stimPulseWidth_->setSingleStep(10);
  stimPulseWidth_->setDecimals(0);
  stimPulseWidth_->setSuffix(" us");
  stimPulseWidth_->setToolTip("Pulse width, microseconds (only Dembek 2017 has a pulse-width term)");
  form->addRow("Pulse width", stimPulseWidth_);
  stimImpedance_ = new QDoubleSpinBox(stimulationBox_);
  stimImpedance_->setObjectName("stimImpedance");
  stimImpedance_->setRange(kMinImpedanceOhm, kMaxImpedanceOhm);
  stimImpedance_->setSingleStep(50);
  stimImpedance_->setDecimals(0);
  stimImpedance_->setSuffix(" ohm");
  stimImpedance_->setToolTip("The contact's impedance, ohm: converts a voltage into a current and back");
  form->addRow("Impedance", stimImpedance_);
  stimModel_ = new QComboBox(stimulationBox_);
  stimModel_->setObjectName("stimModel");
  for (const VtaModelSpec& m : vtaModels()) {
    stimModel_->addItem(QString::fromStdString(m.name), static_cast<int>(m.model));
    stimModel_->setItemData(stimModel_->count() - 1,
                            QString::fromStdString(m.formula + "\n" + m.citation + "\n" + m.implementation),
                            Qt::ToolTipRole);
  }
  stimModel_->setToolTip(
      "The closed-form model of the activated radius (hover an entry for its formula and source)");
  form->addRow("Model", stimModel_);
  stimResult_ = new QLabel(stimulationBox_);
  stimResult_->setObjectName("stimResult");
  stimResult_->setWordWrap(true);
  form->addRow(stimResult_);
  for (QDoubleSpinBox* field : {stimAmplitude_, stimPulseWidth_, stimImpedance_}) {
    field->setKeyboardTracking(false);  // typed values apply on Enter or focus-out (issue 23)
    connect(field, &QDoubleSpinBox::valueChanged, this, [this, field] { requestStimulation(field); });
    connect(field, &QAbstractSpinBox::editingFinished, this, [this] { lastFieldChanged_ = nullptr; });
  }
  for (QComboBox* field : {stimUnit_, stimModel_})
    connect(field, &QComboBox::currentIndexChanged, this, [this, field] { requestStimulation(field); });
  return stimulationBox_;
}

void PlanPanel::requestStimulation(const QObject* field) {
  if (updating_) return;
  StimulationSettings s;
  s.side = selectedSide_;
  for (QCheckBox* box : stimulationContacts_->findChildren<QCheckBox*>())
    if (box->isChecked()) s.activeContacts.push_back(box->property("contactLabel").toString().toStdString());
  s.amplitude = stimAmplitude_->value();
  s.unit = static_cast<AmplitudeUnit>(stimUnit_->currentData().toInt());
  s.pulseWidthUs = stimPulseWidth_->value();
  s.impedanceOhm = stimImpedance_->value();
  s.model = static_cast<VtaModel>(stimModel_->currentData().toInt());
  emit editRequested(PlanEdit::setStimulation(s), burstOf(field));
}

void PlanPanel::showStimulation(const PlanDocument& plan, const Trajectory& t) {
  if (t.electrodeId != stimulationElectrode_) {
    // The lead's own contact labels ("0".."3", or "1", "2A", "2B"...), one box each.
    for (QCheckBox* box : stimulationContacts_->findChildren<QCheckBox*>()) delete box;
    stimulationElectrode_ = t.electrodeId;
    try {
      for (const ElectrodeContact& c : ElectrodeCatalogue::standard().find(t.electrodeId).contacts) {
        auto* box = new QCheckBox(QString::fromStdString(c.label), stimulationContacts_);
        box->setObjectName("stimContact_" + QString::fromStdString(c.label));
        box->setProperty("contactLabel", QString::fromStdString(c.label));
        box->setToolTip(QString("Contact %1 active (level %2, %3-%4 mm from the tip)")
                            .arg(QString::fromStdString(c.label))
                            .arg(c.level)
                            .arg(c.startMm, 0, 'f', 1)
                            .arg(c.endMm, 0, 'f', 1));
        stimulationContacts_->layout()->addWidget(box);
        connect(box, &QCheckBox::toggled, this, [this, box] { requestStimulation(box); });
      }
    } catch (const std::out_of_range&) {
    }
  }
  const PlanStimulation* st = planStimulation(plan, t.side);
  // Without a stimulation the fields keep a usual starting point: ticking a contact applies it.
  const StimulationSettings shown = st ? st->settings : [&] {
    StimulationSettings d;
    d.amplitude = stimAmplitude_->value() > 0 ? stimAmplitude_->value() : 2.5;
    d.model = defaultVtaModel();
    return d;
  }();
  for (QCheckBox* box : stimulationContacts_->findChildren<QCheckBox*>()) {
    const std::string label = box->property("contactLabel").toString().toStdString();
    box->setChecked(std::find(shown.activeContacts.begin(), shown.activeContacts.end(), label) !=
                    shown.activeContacts.end());
  }
  stimUnit_->setCurrentIndex(stimUnit_->findData(static_cast<int>(shown.unit)));
  stimAmplitude_->setMaximum(shown.unit == AmplitudeUnit::Volt ? kMaxAmplitudeVolt
                                                               : kMaxAmplitudeMilliAmpere);
  stimAmplitude_->setSuffix(shown.unit == AmplitudeUnit::Volt ? " V" : " mA");
  stimAmplitude_->setValue(shown.amplitude);
  stimPulseWidth_->setValue(shown.pulseWidthUs);
  stimImpedance_->setValue(shown.impedanceOhm);
  stimModel_->setCurrentIndex(stimModel_->findData(static_cast<int>(shown.model)));
  if (!st) {
    stimResult_->setText("Off: tick an active contact to see what it would reach.");
    stimResult_->setStyleSheet({});
    return;
  }
  QString text = QString::fromStdString(describeAssessment(st->assessment));
  for (const std::string& note : st->assessment.notes)
    text += "\nNote: " + QString::fromStdString(note) + ".";
  stimResult_->setText(text);
  stimResult_->setStyleSheet(st->assessment.reachesSideEffectStructure() ? "QLabel { color: #ff8c00; }" : "");
  stimResult_->setToolTip(QString::fromStdString(vtaModelSpec(st->settings.model).citation));
}

QString PlanPanel::stimulationText() const {
  return stimResult_->text();
}

void PlanPanel::connectWidgets() {
  connect(model_, &ViewerModel::labelsChanged, this, &PlanPanel::rebuildStructures);
  connect(trajectories_, &QTableWidget::currentCellChanged, this, [this](int row, int, int, int) {
    if (updating_ || row < 0 || row >= static_cast<int>(rows_.size())) return;
    const Row r = rows_[static_cast<std::size_t>(row)];
    useAlternative_->setEnabled(!r.chosen);
    highlightedAlternative_ = r.chosen ? std::string() : r.id;
    if (r.side != selectedSide_) {
      selectedSide_ = r.side;
      emit sideSelected(selectedSide_);  // the window shows the plan again, this panel with it
    } else if (plan_) {
      showDetails(*plan_);
    }
    emit alternativeHighlighted(QString::fromStdString(highlightedAlternative()));
  });
  connect(trajectories_, &QTableWidget::cellDoubleClicked, this,
          [this](int row, int) { onTrajectoryRowActivated(row); });
  connect(useAlternative_, &QPushButton::clicked, this,
          [this] { onTrajectoryRowActivated(trajectories_->currentRow()); });
  connect(electrode_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!updating_ && index >= 0)
      emit editRequested(
          PlanEdit::setElectrode(selectedSide_, electrode_->itemData(index).toString().toStdString()),
          EditMerge::Separate);
  });
  // Typed values apply on Enter or when the field loses focus, not at every keystroke: applying
  // "1" of "1.5" re-formatted the field mid-typing to "1.0 mm" and the depth ended at 1.0 (issue 23).
  // Arrows and the wheel still apply at once, a burst of them as one undo step.
  depth_->setKeyboardTracking(false);
  roll_->setKeyboardTracking(false);
  connect(depth_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    if (!updating_) emit editRequested(PlanEdit::setDepth(selectedSide_, v), burstOf(depth_));
  });
  connect(roll_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    if (!updating_) emit editRequested(PlanEdit::setRoll(selectedSide_, v), burstOf(roll_));
  });
  // A value typed and confirmed (Enter, or leaving the field) is a step of its own: what follows
  // starts a new burst.
  connect(coordinateFrame_, &QComboBox::currentIndexChanged, this, [this] { showCoordinates(); });
  connect(targetField_, &QLineEdit::returnPressed, this, [this] { applyTypedPoint(targetField_, false); });
  connect(entryField_, &QLineEdit::returnPressed, this, [this] { applyTypedPoint(entryField_, true); });
  for (QDoubleSpinBox* field : {depth_, roll_})
    connect(field, &QAbstractSpinBox::editingFinished, this, [this] { lastFieldChanged_ = nullptr; });
}

EditMerge PlanPanel::burstOf(const QObject* field) {
  const bool continues = field == lastFieldChanged_ && sinceLastFieldChange_.isValid() &&
                         sinceLastFieldChange_.elapsed() < kBurstMs;
  lastFieldChanged_ = field;
  sinceLastFieldChange_.start();
  return continues ? EditMerge::WithPreviousOfTheSameKind : EditMerge::Separate;
}

void PlanPanel::onTrajectoryRowActivated(int row) {
  if (row < 0 || row >= static_cast<int>(rows_.size())) return;
  const Row& r = rows_[static_cast<std::size_t>(row)];
  if (!r.chosen) emit editRequested(PlanEdit::chooseAlternative(r.side, r.id), EditMerge::Separate);
}

void PlanPanel::rebuildStructures() {
  structures_->setRowCount(0);
  if (!model_->labels()) {
    setStructuresOpen(structuresToggle_->isChecked());
    return;
  }
  for (int value : model_->presentLabelValues()) {
    const std::string name = labelName(value);
    const auto& labels = standardLabels();
    const auto info =
        std::find_if(labels.begin(), labels.end(), [value](const LabelInfo& l) { return l.value == value; });
    const int row = structures_->rowCount();
    structures_->insertRow(row);
    auto* item = new QTableWidgetItem(QString::fromStdString(name));
    if (info != labels.end()) item->setIcon(colourSwatch(info->colour));
    item->setFlags(Qt::ItemIsEnabled);
    structures_->setItem(row, 0, item);
    const ViewerModel::LabelAppearance appearance = model_->labelAppearance(value);
    auto* show = new QCheckBox(structures_);
    show->setChecked(appearance.visible);
    show->setToolTip("Show " + QString::fromStdString(name) + " in every view");
    auto* opacity = new QSlider(Qt::Horizontal, structures_);
    opacity->setRange(0, 100);
    opacity->setValue(static_cast<int>(std::lround(appearance.opacity * 100)));
    opacity->setToolTip("Opacity of " + QString::fromStdString(name) + ", % of its usual");
    structures_->setCellWidget(row, 1, show);
    structures_->setCellWidget(row, 2, opacity);
    auto apply = [this, value, show, opacity] {
      model_->setLabelAppearance(value, {show->isChecked(), opacity->value() / 100.0});
    };
    connect(show, &QCheckBox::toggled, this, apply);
    connect(opacity, &QSlider::valueChanged, this, apply);
  }
  setStructuresOpen(structuresToggle_->isChecked());  // the folded title counts them
}

void PlanPanel::showPlan(const PlanDocument* plan, Side selectedSide, bool preview) {
  updating_ = true;
  plan_ = plan;
  selectedSide_ = selectedSide;
  if (!structuresFoldedByUser_) setStructuresOpen(!plan);
  previewBanner_->setVisible(preview && plan);
  trajectories_->setRowCount(0);
  rows_.clear();
  const PlannedTrajectory* selected = plan ? chosenTrajectory(*plan, selectedSide) : nullptr;
  electrode_->setEnabled(selected);
  depth_->setEnabled(selected);
  for (QWidget* w : std::initializer_list<QWidget*>{coordinateFrame_, targetField_, entryField_})
    w->setEnabled(selected && !preview);
  acpc_.reset();
  if (plan) {
    try {
      acpc_.emplace(planAcpcFrame(*plan));
    } catch (const std::invalid_argument&) {  // AC, PC and midline in a line: RAS only
    }
  }
  if (!selected)
    for (QLineEdit* field : {targetField_, entryField_}) field->clear();
  roll_->setEnabled(false);
  stimulationBox_->setEnabled(selected && !preview);
  useAlternative_->setEnabled(false);
  if (!plan) {
    details_->setText("No plan open: Tools > Plan bilateral trajectories, or File > Open plan.");
    updating_ = false;
    return;
  }
  fillTrajectoryTable(*plan, selectedSide);
  useAlternative_->setEnabled(!preview && !highlightedAlternative().empty());
  if (!selected) {
    details_->setText("The plan has no " + QString(sideWord(selectedSide)) + " trajectory.");
    updating_ = false;
    return;
  }
  showDetails(*plan);
  showEditors(selected->trajectory);
  showStimulation(*plan, selected->trajectory);
  updating_ = false;
}

void PlanPanel::fillTrajectoryTable(const PlanDocument& plan, Side selectedSide) {
  // Rows: each side's chosen trajectory, then its alternatives.
  int selectedRow = -1;
  for (Side side : kBothSides) {
    std::vector<std::pair<const PlannedTrajectory*, bool>> list;
    if (const PlannedTrajectory* c = chosenTrajectory(plan, side)) list.push_back({c, true});
    for (const PlannedTrajectory& a : plan.alternatives)
      if (a.trajectory.side == side) list.push_back({&a, false});
    for (const auto& [p, chosen] : list) {
      const int row = trajectories_->rowCount();
      trajectories_->insertRow(row);
      const QStringList cells = trajectoryCells(*p, chosen);
      const QStringList cellTips = trajectoryCellTips(*p, chosen);
      for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        item->setToolTip(cellTips[c]);
        if (chosen) {
          QFont bold = item->font();
          bold.setBold(true);
          item->setFont(bold);
        }
        if (!p->metrics.safe) item->setForeground(QColor(200, 30, 30));
        trajectories_->setItem(row, c, item);
      }
      rows_.push_back({side, p->trajectory.id, chosen});
      if (chosen && side == selectedSide && selectedRow < 0) selectedRow = row;
      if (!chosen && p->trajectory.id == highlightedAlternative_) selectedRow = row;  // still previewed
    }
  }
  if (selectedRow >= 0) trajectories_->setCurrentCell(selectedRow, 0);
  // As tall as its rows (at least four, at most eight before it scrolls), so the selected
  // trajectory's editors below stay in view rather than under empty table (issue 23).
  const int rows = std::clamp(trajectories_->rowCount(), 4, 8);
  const int height = trajectories_->horizontalHeader()->sizeHint().height() +
                     rows * trajectories_->verticalHeader()->defaultSectionSize() +
                     2 * trajectories_->frameWidth() + 2;
  trajectories_->setFixedHeight(height);
}

const PlannedTrajectory* PlanPanel::highlightedAlternativeIn(const PlanDocument& plan) const {
  if (highlightedAlternative_.empty()) return nullptr;
  for (const PlannedTrajectory& a : plan.alternatives)
    if (a.trajectory.id == highlightedAlternative_) return &a;
  return nullptr;
}

std::string PlanPanel::highlightedAlternative() const {
  return plan_ && highlightedAlternativeIn(*plan_) ? highlightedAlternative_ : std::string();
}

void PlanPanel::showDetails(const PlanDocument& plan) {
  const PlannedTrajectory* chosen = chosenTrajectory(plan, selectedSide_);
  if (!chosen) return;
  const PlannedTrajectory* alternative = highlightedAlternativeIn(plan);
  if (alternative && alternative->trajectory.side == selectedSide_)
    details_->setHtml(comparisonHtml(*chosen, *alternative));
  else
    details_->setHtml(selectedTrajectoryHtml(plan, *chosen));
}

void PlanPanel::showCoordinates() {
  const bool acpc = coordinateFrame_->currentIndex() == 1 && acpc_;
  for (auto [field, ras] :
       {std::pair{targetField_, shownTargetRas_}, std::pair{entryField_, shownEntryRas_}}) {
    const Vec3 p = acpc ? acpc_->acpcFromRas(ras) : ras;
    field->setText(QString("%1, %2, %3").arg(p.x, 0, 'f', 1).arg(p.y, 0, 'f', 1).arg(p.z, 0, 'f', 1));
    field->setStyleSheet({});
    field->setToolTip(field == targetField_ ? kTargetFieldTip : kEntryFieldTip);
  }
}

void PlanPanel::applyTypedPoint(QLineEdit* field, bool entry) {
  if (updating_) return;
  // Three numbers separated by commas, semicolons or spaces ("-19.5, -6, -5" or "-19.5 -6 -5").
  const QStringList parts = field->text().split(QRegularExpression("[,;\\s]+"), Qt::SkipEmptyParts);
  Vec3 typed;
  bool ok = parts.size() == 3;
  for (int i = 0; ok && i < 3; ++i) typed[i] = parts[i].toDouble(&ok);
  if (!ok || !std::isfinite(typed.x) || !std::isfinite(typed.y) || !std::isfinite(typed.z)) {
    field->setStyleSheet("QLineEdit { background: #ffd8d8; }");
    field->setToolTip("Three numbers in mm are needed (x, y, z), e.g. -19.5, -6.0, -5.0");
    return;
  }
  const bool acpc = coordinateFrame_->currentIndex() == 1 && acpc_;
  const Vec3 ras = acpc ? acpc_->rasFromAcpc(typed) : typed;
  field->setStyleSheet({});
  emit editRequested(
      entry ? PlanEdit::moveEntry(selectedSide_, ras) : PlanEdit::moveTarget(selectedSide_, ras),
      EditMerge::Separate);
}

void PlanPanel::showEditors(const Trajectory& t) {
  shownTargetRas_ = t.targetRas;
  shownEntryRas_ = t.entryRas;
  showCoordinates();
  electrode_->setCurrentIndex(electrode_->findData(QString::fromStdString(t.electrodeId)));
  depth_->setValue(t.deepestContactBeyondTargetMm);
  bool directional = false;
  try {
    directional = ElectrodeCatalogue::standard().find(t.electrodeId).directional();
  } catch (const std::out_of_range&) {
  }
  roll_->setEnabled(directional);
  roll_->setValue(t.markerRollDeg);
}

QString PlanPanel::detailsText() const {
  return details_->toPlainText();
}

QString PlanPanel::detailsToolTipAt(int position) const {
  QTextCursor cursor(details_->document());
  cursor.setPosition(std::clamp(position, 0, details_->document()->characterCount() - 1) + 1);
  return cursor.charFormat().toolTip();
}

QString PlanPanel::trajectoryCellToolTip(int row, int column) const {
  const QTableWidgetItem* item = trajectories_->item(row, column);
  return item ? item->toolTip() : QString();
}

QString PlanPanel::trajectoryTableText() const {
  QStringList lines;
  for (int r = 0; r < trajectories_->rowCount(); ++r) {
    QStringList cells;
    for (int c = 0; c < trajectories_->columnCount(); ++c) cells << trajectories_->item(r, c)->text();
    lines << cells.join(" | ");
  }
  return lines.join("\n");
}

}  // namespace dbs::app
