#include "figures/PlanReport.h"

#include <QAbstractTextDocumentLayout>
#include <QFileInfo>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

#include <cerrno>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Labels.h"
#include "dbs/imaging/StderrCapture.h"
#include "dbs/imaging/TextFormat.h"
#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/FrameRegistration.h"
#include "figures/PlanFigures.h"

namespace dbs::app {
namespace {

QString escaped(const std::string& text) {
  return QString::fromStdString(text).toHtmlEscaped();
}

// A number or a point for a person to read: TextFormat.h's rules (fixed decimals, never "-0.0").
QString number(double value, int decimals = 1) {
  return QString::fromStdString(fixedText(value, decimals));
}

QString vec(Vec3 v, int decimals = 1) {
  return QString::fromStdString(vecText(v, decimals));
}

// An HTML table: a header row and rows of already-escaped cells.
QString table(const QStringList& header, const std::vector<QStringList>& rows) {
  QString html = "<table width=\"100%\" border=\"1\" cellspacing=\"0\" cellpadding=\"2\">\n<tr>";
  for (const QString& h : header) html += "<th>" + h + "</th>";
  html += "</tr>\n";
  for (const QStringList& row : rows) {
    html += "<tr>";
    for (const QString& cell : row) html += "<td>" + cell + "</td>";
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

// Two columns: what, value.
QString keyValueTable(const std::vector<std::pair<QString, QString>>& rows) {
  QString html = "<table width=\"100%\" border=\"1\" cellspacing=\"0\" cellpadding=\"2\">\n";
  for (const auto& [key, value] : rows)
    html += "<tr><th width=\"34%\">" + key + "</th><td>" + value + "</td></tr>\n";
  return html + "</table>\n";
}

// A JSON object as "key: value; ..." text (arrays and nested objects compact).
QString jsonSummary(const nlohmann::json& json) {
  if (!json.is_object()) return escaped(json.dump());
  QStringList parts;
  for (const auto& [key, value] : json.items())
    parts << escaped(key) + ": " + escaped(value.is_string() ? value.get<std::string>() : value.dump());
  return parts.join("; ");
}

QString yesNo(bool value) {
  return value ? "yes" : "no";
}

std::vector<const PlannedTrajectory*> alternativesOf(const PlanDocument& plan, Side side) {
  std::vector<const PlannedTrajectory*> out;
  for (const PlannedTrajectory& t : plan.alternatives)
    if (t.trajectory.side == side) out.push_back(&t);
  return out;
}

QString marginStatus(const ClosestApproach& c) {
  if (!c.present) return "<i>not assessed</i>";
  if (c.safe) return "safe";
  if (c.distanceMm < 0) return "<b>UNSAFE: passes through</b>";
  return "<b>UNSAFE: closer than required</b>";
}

// The summary page's sections, in order.
// A red warning on every page of a plan whose image geometry the user stated (the file lacks it).
QString statedGeometryBanner(const PlanDocument& plan) {
  if (!plan.image.statedGeometry) return {};
  return "<p style=\"color: #c00000\"><b>GEOMETRY STATED BY THE USER, NOT IN THE IMAGE FILE: " +
         escaped(describeStatedGeometry(*plan.image.statedGeometry)) +
         ". Left and right, distances and every coordinate in this report depend on that "
         "statement.</b></p>\n";
}

QString imageSection(const PlanDocument& plan) {
  const ImageGeometry& g = plan.image.geometry;
  const Vec3 spacing = g.spacingMm();
  QString html;
  html += "<h3>Image</h3>\n";
  std::vector<std::pair<QString, QString>> image = {
      {"File", escaped(plan.image.path)},
      {"SHA-256", "<tt>" + escaped(plan.image.sha256) + "</tt>"},
      {"Grid", QString("%1 &#215; %2 &#215; %3 voxels, spacing %4 &#215; %5 &#215; %6 mm, orientation %7")
                   .arg(g.size[0])
                   .arg(g.size[1])
                   .arg(g.size[2])
                   .arg(number(spacing.x, 3), number(spacing.y, 3), number(spacing.z, 3),
                        QString::fromStdString(g.orientationCode()))},
      {"Voxel (0, 0, 0) centre", vec(g.rasFromIndex({0, 0, 0}), 2) + " mm RAS"}};
  if (!plan.labelsFile.empty()) image.push_back({"Label map", escaped(plan.labelsFile)});
  if (!plan.transforms.affineFile.empty())
    image.push_back({"Template transform", escaped(plan.transforms.affineFile) +
                                               (plan.transforms.displacementFile.empty()
                                                    ? ""
                                                    : " + " + escaped(plan.transforms.displacementFile)) +
                                               " (" + escaped(plan.transforms.direction) + ")"});
  html += keyValueTable(image);
  return html;
}

QString landmarksSection(const PlanResult& result) {
  const PlanDocument& plan = result.plan;
  QString html;
  html += "<h3>Landmarks</h3>\n";
  std::vector<QStringList> landmarks;
  const std::pair<const char*, Vec3> points[] = {{"AC (anterior commissure)", plan.acRas},
                                                 {"PC (posterior commissure)", plan.pcRas},
                                                 {"MCP (mid-commissural point)", plan.mcpRas},
                                                 {"Midline point", plan.midlineRas}};
  for (const auto& [name, ras] : points)
    landmarks.push_back(
        {name, vec(ras), result.acpc ? vec(result.acpc->acpcFromRas(ras)) : QString("&#8212;")});
  html += table({"Landmark", "Patient RAS (mm)", "AC-PC (mm, origin MCP)"}, landmarks);
  html += "<p>AC-PC distance: " + number(norm(plan.acRas - plan.pcRas)) + " mm.</p>\n";
  return html;
}

QString targetsSection(const PlanDocument& plan) {
  QString html;
  if (!plan.targets.empty()) {
    html +=
        "<h3>Targets</h3>\n<p><i>proposed</i>: the one the trajectories aim at, the point of the "
        "atlas's sensorimotor (posteroventral) GPi, 1-2 mm above its ventral border, inside the published "
        "indirect range where the two overlap, nearest the atlas target; <i>atlas</i>: the template's "
        "posteroventral GPi target carried in; <i>indirect</i>: the middle of the published AC-PC range "
        "(Valsky et al. 2020).</p>\n";
    std::vector<QStringList> rows;
    for (const PlanTarget& t : plan.targets)
      rows.push_back({QString(sideTitle(t.side)), escaped(kTargetSourceNames.name(t.source)), vec(t.ras),
                      vec(t.acpc), t.mni ? vec(*t.mni) : QString("&#8212;")});
    html += table({"Side", "Source", "Patient RAS (mm)", "AC-PC (mm, origin MCP)", "Colin27 template (mm)"},
                  rows);
    QStringList agreement;
    for (const TargetAgreement& a : targetAgreements(plan))
      agreement << QString("%1: atlas and indirect targets %2 mm apart%3")
                       .arg(QString(sideTitle(a.side)), number(a.distanceMm),
                            a.agrees() ? QString()
                                       : QString(" <b>(more than %1 mm: review)</b>; %2; the views draw both")
                                             .arg(kTargetAgreementToleranceMm)
                                             .arg(escaped(targetChoiceText(a))));
    if (!agreement.isEmpty()) html += "<p>" + agreement.join("; ") + ".</p>\n";
  }
  return html;
}

QString trajectoriesSection(const PlanDocument& plan) {
  QString html;
  html += "<h3>Planned trajectories</h3>\n";
  std::vector<QStringList> rows;
  for (const PlannedTrajectory& t : plan.trajectories) {
    const ElectrodeModel& model = ElectrodeCatalogue::standard().find(t.trajectory.electrodeId);
    rows.push_back({QString(sideTitle(t.trajectory.side)), escaped(model.name), vec(t.trajectory.targetRas),
                    vec(t.trajectory.entryRas), number(t.metrics.lengthMm),
                    QString("%1 of %2").arg(t.metrics.contactsInGpi).arg(t.metrics.contacts.size()),
                    t.metrics.safe ? "yes" : "<b>NO</b>", number(t.metrics.score, 3)});
  }
  html += table({"Side", "Electrode", "Target RAS (mm)", "Entry RAS (mm)", "Length (mm)", "Contacts in GPi",
                 "Safe", "Score"},
                rows);
  return html;
}

// The search, the risk structures and the notes.
QString searchRisksAndNotesSection(const PlanResult& result) {
  const PlanDocument& plan = result.plan;
  QString html;
  html += "<h3>Search</h3>\n";
  html += "<p>" + QString::number(plan.search.candidates) + " candidate paths scored (both sides) in " +
          number(plan.search.seconds, 3) + " s.</p>\n";
  if (!plan.search.settings.is_null())
    html += "<p class=\"small\">Settings: " + jsonSummary(plan.search.settings) + "</p>\n";

  html += "<h3>Risk structures</h3>\n";
  std::vector<QStringList> risks;
  for (const RiskMap& m : result.risks.risks)
    risks.push_back({riskName(m.kind), m.present ? "yes" : "<i>not assessed</i> (no data)",
                     m.present ? number(m.volumeMm3, 0) : QString("&#8212;")});
  html += table({"Structure", "Assessed", "Volume (mm&#179;)"}, risks);
  html += "<p>Head " + number(result.risks.headVolumeMm3 / 1000.0) + " cm&#179;, brain " +
          number(result.risks.brainVolumeMm3 / 1000.0) + " cm&#179;.</p>\n";

  if (!plan.notes.empty()) {
    html += "<h3>Notes</h3>\n<ul>\n";
    for (const std::string& note : plan.notes) html += "<li>" + escaped(note) + "</li>\n";
    html += "</ul>\n";
  }
  return html;
}

QString summaryPage(const PlanResult& result) {
  const PlanDocument& plan = result.plan;
  QString html;
  html += "<h1>DBS plan report: globus pallidus internus, both sides</h1>\n";
  html += statedGeometryBanner(plan);
  html +=
      "<p class=\"small\">Created " + escaped(plan.created.empty() ? "(not recorded)" : plan.created) +
      " by dbsplan " + escaped(plan.programVersion.empty() ? DBS_VERSION : plan.programVersion) +
      ". A planning aid: check every number against the images before use. Coordinates are millimetres; "
      "patient RAS = x to the patient's Right, y Anterior, z Superior; AC-PC = origin at the mid-commissural "
      "point (MCP), y along PC&#8594;AC, z up in the midsagittal plane; "
      "template = the Colin27 atlas template's RAS (not MNI ICBM 2009b: the AC differs by about 3 mm).</p>\n";

  html += imageSection(plan);
  html += landmarksSection(result);
  html += targetsSection(plan);
  html += trajectoriesSection(plan);
  html += searchRisksAndNotesSection(result);
  return html;
}

// The numbers page's sections, in order (`none` stands in a table for a value that does not apply).
QString coordinatesSection(const PlanResult& result, const Trajectory& t, const TrajectoryMetrics& m) {
  const QString none = "&#8212;";
  QString html;
  html += "<h3>Coordinates</h3>\n";
  html += table({"Point", "Patient RAS (mm)", "AC-PC (mm, origin MCP)", "Colin27 template (mm)"},
                {{"Target", vec(t.targetRas), vec(m.targetAcpc), m.targetMni ? vec(*m.targetMni) : none},
                 {"Entry", vec(t.entryRas), vec(m.entryAcpc), none},
                 {"Lead tip (distal end)", vec(m.tipRas),
                  result.acpc ? vec(result.acpc->acpcFromRas(m.tipRas)) : none, none}});
  html += table(
      {"Length, entry to target", "Tip beyond the target", "Sagittal angle to the AC-PC line",
       "Lateral angle to the midsagittal plane", "3-D angle to the AC-PC line", "Entry to scalp surface"},
      {{number(m.lengthMm) + " mm", number(m.tipBeyondTargetMm) + " mm",
        number(m.sagittalAngleDeg) + "&#176; (90&#176; = vertical)",
        number(m.lateralAngleDeg) + "&#176; (+: entry more lateral)", number(m.angleToAcpcLineDeg) + "&#176;",
        number(m.entryScalpDistanceMm) + " mm"}});
  return html;
}

// The margins to the risk structures and to the side-effect structures beside the GPi.
QString marginsSection(const TrajectoryMetrics& m) {
  const QString none = "&#8212;";
  QString html;
  html += "<h3>Margins to risk structures</h3>\n";
  std::vector<QStringList> margins;
  for (const ClosestApproach& c : m.closest) {
    if (!c.present) {
      margins.push_back({riskName(c.kind), "<i>not assessed</i>", none, none, number(c.requiredMarginMm),
                         c.kind == RiskKind::Vessels ? "<i>not assessed: no contrast T1 or angiogram</i>"
                                                     : "<i>not assessed: not segmented</i>"});
      continue;
    }
    margins.push_back({riskName(c.kind), number(c.distanceMm), number(c.depthMm), vec(c.pointRas),
                       number(c.requiredMarginMm), marginStatus(c)});
  }
  html += table({"Structure", "Minimum distance (mm)", "At depth (mm from target)", "Closest point RAS (mm)",
                 "Required (mm)", "Status"},
                margins);
  html +=
      "<p class=\"small\">Distances are signed (negative: inside the structure); depth is measured from the "
      "target towards the entry (negative: beyond the target).</p>\n";
  html += "<h3>Side-effect structures beside the GPi</h3>\n";
  std::vector<QStringList> sideEffects;
  for (const SideEffectMargin& e : m.sideEffects) {
    const QString name = e.structure == SideEffectStructure::InternalCapsule
                             ? "internal capsule (capsular effects)"
                             : "optic tract (phosphenes)";
    if (!e.assessed) {
      sideEffects.push_back({name, "<i>not assessed: not located in this patient</i>", none, none});
      continue;
    }
    sideEffects.push_back(
        {name,
         e.tooClose()
             ? "<b>" + number(e.distanceMm) +
                   QString(" (under %1: side effects likely)").arg(number(sideEffectWarningMm(e.structure))) +
                   "</b>"
             : number(e.distanceMm),
         QString::fromStdString(e.contact), vec(e.pointRas)});
  }
  html += table({"Structure", "From the nearest contact's surface (mm)", "Contact",
                 "Closest point on its axis, RAS (mm)"},
                sideEffects);
  return html;
}

QString passesThroughSection(const TrajectoryMetrics& m) {
  QString html;
  html += "<h3>Structures passed through, entry to tip</h3>\n<p>";
  QStringList sections;
  for (const PathSection& s : m.passesThrough)
    sections << "<b>" + escaped(s.structure) + "</b> " + number(s.fromDepthMm) + " &#8594; " +
                    number(s.toDepthMm) + " mm (" + number(s.fromDepthMm - s.toDepthMm) + " mm)";
  html += (sections.isEmpty() ? QString("&#8212;") : sections.join(" &#183; ")) +
          "<br><span class=\"small\">depths from the target towards the entry</span></p>\n";
  return html;
}

QString electrodeSection(const Trajectory& t, const TrajectoryMetrics& m, const ElectrodeModel& model) {
  const Vec3 axis = normalized(t.entryRas - t.targetRas);  // towards the entry: depth grows along it
  const QString none = "&#8212;";
  QString html;
  html += "<h3>Electrode and contacts</h3>\n";
  html +=
      "<p>" + escaped(model.name) + " (id <tt>" + escaped(model.id) + "</tt>): diameter " +
      number(model.diameterMm, 2) + " mm, " +
      QString("%1 contacts on %2 levels (%3), ")
          .arg(model.contacts.size())
          .arg(model.levels())
          .arg(model.directional() ? "directional" : "rings") +
      (model.tipIsContact ? QString("the distal tip is a contact")
                          : "distal tip " + number(model.tipLengthMm, 2) + " mm to the first contact") +
      "; deepest contact centre " + number(t.deepestContactBeyondTargetMm) + " mm beyond the target" +
      (model.directional() ? "; orientation marker " + number(t.markerRollDeg) +
                                 "&#176; about the lead axis from anterior (counter-clockwise seen from the "
                                 "proximal end)"
                           : QString()) +
      ".</p>\n";
  std::vector<QStringList> contacts;
  for (const PlacedContact& c : m.contacts) {
    QString facing = none;
    if (c.segmentDirectionRas)
      facing =
          vec(*c.segmentDirectionRas, 2) + " " + QString(QChar(anatomicalLetter(*c.segmentDirectionRas)));
    contacts.push_back({escaped(c.label), QString::number(c.level), vec(c.centreRas),
                        number(dot(c.centreRas - t.targetRas, axis)), escaped(c.structure),
                        c.inGpi ? "<b>yes</b>" : "no", facing});
  }
  html += table(
      {"Contact", "Level", "Centre RAS (mm)", "Depth (mm)", "Structure", "In GPi", "Segment faces (RAS)"},
      contacts);
  return html;
}

QString alternativesSection(const PlanResult& result, const Trajectory& t) {
  QString html;
  const auto alternatives = alternativesOf(result.plan, t.side);
  if (!alternatives.empty()) {
    html += "<h3>Alternatives found by the search</h3>\n";
    std::vector<QStringList> rows;
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
      const TrajectoryMetrics& a = alternatives[i]->metrics;
      QStringList row{QString::number(i + 2), vec(alternatives[i]->trajectory.entryRas), number(a.lengthMm)};
      for (const ClosestApproach& c : a.closest) row << (c.present ? number(c.distanceMm) : QString("n/a"));
      row << yesNo(a.safe) << number(a.score, 3);
      rows.push_back(row);
    }
    QStringList header{"Rank", "Entry RAS (mm)", "Length (mm)"};
    for (int k = 0; k < kRiskKinds; ++k)
      header << QString("To %1 (mm)").arg(riskName(static_cast<RiskKind>(k)));
    header << "Safe"
           << "Score";
    html += table(header, rows);
  }
  return html;
}

QString numbersPage(const PlanResult& result, const PlannedTrajectory& planned) {
  const Trajectory& t = planned.trajectory;
  const TrajectoryMetrics& m = planned.metrics;
  const ElectrodeModel& model = ElectrodeCatalogue::standard().find(t.electrodeId);
  QString html;
  html += "<h2 style=\"page-break-before: always\">" + QString(sideTitle(t.side)) + " GPi: trajectory</h2>\n";
  html += statedGeometryBanner(result.plan);
  QStringList status;
  status << (m.safe ? QString("Every assessed structure kept at its margin") : QString("<b>UNSAFE</b>"));
  if (const std::string close = sideEffectsTooClose(m); !close.empty())
    status << "<b>WARNING, side effects likely: " + escaped(close) + "</b>";
  status << (m.inWindow ? QString("entry inside the frontal window")
                        : QString("<b>entry outside the frontal window</b>"));
  if (!m.ownSide) status << "<b>crosses the midsagittal plane</b>";
  status << QString("%1 of %2 contacts in GPi").arg(m.contactsInGpi).arg(m.contacts.size());
  html += "<p>" + escaped(model.name) + ", " +
          (t.origin == TrajectoryOrigin::Manual ? "set by hand" : "found by the search") + ". " +
          status.join("; ") + ".</p>\n";
  // Why the search scored it so: every term, so that a reviewer can disagree with one of them.
  html += "<p class=\"small\">Why: " + escaped(scoreExplanation(m)) +
          ". Window: " + escaped(windowPlacementText(m)) +
          ". (Terms and sources: data/trajectory/SOURCES.md.)</p>\n";

  html += coordinatesSection(result, t, m);
  html += marginsSection(m);
  html += passesThroughSection(m);
  html += electrodeSection(t, m, model);
  html += alternativesSection(result, t);
  return html;
}

// The report's figures, in pixels as rendered.
const QSize kSceneFigure(1600, 1200), kSquareFigure(800, 800), kRiskMapFigure(1200, 1000);

// Both width and height, in CSS pixels: given the width alone, Qt derives the height from the image
// unscaled when the document is laid out off the GUI thread (the window writes its report on a
// worker), and the window's report came out with stretched figures over twice the pages (issue 23).
QString imageTag(const QString& name, double widthPx, QSize figure) {
  const double heightPx = widthPx * figure.height() / figure.width();
  return QString("<img src=\"%1\" width=\"%2\" height=\"%3\">")
      .arg(name)
      .arg(static_cast<int>(widthPx))
      .arg(static_cast<int>(heightPx));
}

// Lead colours on the 2-D figures, for the legends.
QString figureLegend() {
  auto swatch = [](QRgb colour) {
    return QString("<span style=\"background-color: %1\">&nbsp;&nbsp;&nbsp;&nbsp;</span>")
        .arg(QColor(colour).name());
  };
  return "<p class=\"small\">" + swatch(kLeadFigureColour) + " lead (projected; real diameter), " +
         swatch(kContactFigureColour) + " contacts, " + swatch(kTargetFigureColour) +
         " target ring. Labels: GPi green, GPe blue, putamen magenta, thalamus orange, caudate yellow, "
         "ventricles cyan, internal capsule light grey, optic tract violet. Axial and coronal slices are "
         "radiological (the "
         "patient's right on the left); every edge is "
         "lettered with the patient direction it faces.</p>";
}

// Every figure of the report as a resource of `document`, under the names the pages' HTML uses.
// Reports `fraction` of the whole report and what is being made; throws Cancelled when told to stop.
void reportProgress(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

// The figures take most of a report's time (the 3-D scenes, then a reslice per slice figure): they
// are reported as fractions 0..kFiguresShare of the whole, the pages after them.
constexpr double kFiguresShare = 0.8;

void addFigures(QTextDocument& document, const PlanResult& result, const QImage& renderedScene,
                const ProgressCallback& progress) {
  const PlanDocument& plan = result.plan;
  const bool withRiskMaps = result.field && result.risks.headDistanceMm;  // a plan's session has both
  // Each side: probe's eye, three slices, maybe a risk map; the two scenes count as one side each.
  const double figures = 2.0 + static_cast<double>(plan.trajectories.size()) * (withRiskMaps ? 5 : 4);
  double made = 0;
  const auto next = [&](const std::string& step) {
    reportProgress(progress, kFiguresShare * made++ / figures, step);
  };
  if (renderedScene.isNull())
    next("rendering the 3-D scene");
  else
    ++made;  // rendered by the caller
  const QImage scene = renderedScene.isNull() ? renderPlanScene(result, kSceneFigure) : renderedScene;
  document.addResource(QTextDocument::ImageResource, QUrl("scene.png"), scene);
  next("rendering the implanted system");
  document.addResource(QTextDocument::ImageResource, QUrl("implanted.png"),
                       renderImplantedSystemScene(result, kSceneFigure));
  const QSize square = kSquareFigure;
  for (const PlannedTrajectory& t : plan.trajectories) {
    const QString side{QChar(sideLetter(t.trajectory.side))};
    const std::string sideText = sideWord(t.trajectory.side);
    next("the " + sideText + " probe's eye view");
    document.addResource(QTextDocument::ImageResource, QUrl("probe-" + side + ".png"),
                         renderProbesEyeView(result, t, square));
    for (int axis = 0; axis < 3; ++axis) {
      next("the " + sideText + " target's " +
           std::string(axis == 0   ? "sagittal"
                       : axis == 1 ? "coronal"
                                   : "axial") +
           " slice");
      document.addResource(QTextDocument::ImageResource, QUrl(QString("slice-%1-%2.png").arg(side).arg(axis)),
                           renderTargetSlice(result, t, axis, square));
    }
    if (withRiskMaps) {
      next("the " + sideText + " scalp risk map");
      document.addResource(QTextDocument::ImageResource, QUrl("risk-" + side + ".png"),
                           renderRiskMapFigure(result, t, kRiskMapFigure));
    }
  }
}

// Per planned side, after its numbers page: the 3-D scene and probe's eye page, the slices page and
// the scalp risk map page. `cssPixelsAcross`: the page's width in CSS pixels.
QString figurePages(const PlanResult& result, const PlannedTrajectory& t, double cssPixelsAcross) {
  const double half = 0.5 * cssPixelsAcross - 8;
  const Side s = t.trajectory.side;
  const QString side{QChar(sideLetter(s))}, title = QString(sideTitle(s)) + " GPi";
  QString html;
  html += "<h2 style=\"page-break-before: always\">" + title + ": 3-D scene and probe's eye view</h2>\n";
  html += statedGeometryBanner(result.plan);
  html += "<p>" + imageTag("scene.png", cssPixelsAcross, kSceneFigure) + "</p>\n";
  html +=
      "<p class=\"small\">Both leads as planned, in the patient's head seen from the front-left, above; R "
      "and L "
      "mark the patient's sides; the cube shows the patient directions.</p>\n";
  html += "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"2\"><tr><td width=\"50%\">" +
          imageTag("probe-" + side + ".png", half, kSquareFigure) +
          "</td><td class=\"caption\">Probe's eye view at the target: the "
          "T1 resliced perpendicular to the lead through the target, seen from the entry, with the lead's "
          "cross-section (its real diameter) at the centre and the contacts the plane cuts (directional "
          "segments "
          "drawn where they face). Field of view " +
          number(kProbesEyeFieldOfViewMm, 0) + " mm.<br>" + figureLegend() + "</td></tr></table>\n";
  html += "<h2 style=\"page-break-before: always\">" + title + ": slices through the target</h2>\n";
  html += statedGeometryBanner(result.plan);
  html += "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"2\"><tr><td>" +
          imageTag("slice-" + side + "-0.png", half, kSquareFigure) + "</td><td>" +
          imageTag("slice-" + side + "-1.png", half, kSquareFigure) + "</td></tr><tr><td>" +
          imageTag("slice-" + side + "-2.png", half, kSquareFigure) +
          "</td><td class=\"caption\">Sagittal, coronal and axial slices through the " +
          QString(sideWord(s)) + " target (" + vec(t.trajectory.targetRas) +
          " mm RAS), with the trajectory's projection from the entry "
          "to the lead's tip.<br>" +
          figureLegend() + "</td></tr></table>\n";
  html += "<h2 style=\"page-break-before: always\">" + title + ": scalp risk map</h2>\n";
  html += statedGeometryBanner(result.plan);
  html += result.field && result.risks.headDistanceMm
              ? "<p>" + imageTag("risk-" + side + ".png", cssPixelsAcross, kRiskMapFigure) + "</p>\n"
              : QString("<p><b>Not available:</b> this plan carries no scalp distance map to score.</p>\n");
  html += "<p class=\"small\">Every scalp vertex above the " + QString(sideWord(s)) +
          " target is the entry of a straight path to it with this lead and depth, scored as the search "
          "scores its candidates: red where a required clearance (ventricles, sulci, vessels) is not met, "
          "orange to green for the smallest margin left beyond it, darker outside the search window. Seen "
          "down the planned path; the planned entry is ringed. The same map is written by <i>dbsplan "
          "risk-map</i> as VTK PolyData and shown in the window (View &gt; Scalp risk "
          "map).</td></tr></table>\n";
  return html;
}

// Lays `document` out on the PDF's pages (less a footer of `footerHeight` pixels) in the report's style.
void layOutOn(QTextDocument& document, QPdfWriter& writer, const QRectF& page, double footerHeight) {
  document.documentLayout()->setPaintDevice(&writer);
  document.setDocumentMargin(0);
  document.setDefaultFont(QFont("DejaVu Sans", 9));
  document.setDefaultStyleSheet(
      "h1 { font-size: 15pt; color: #1d3557; } h2 { font-size: 13pt; color: #1d3557; } "
      "h3 { font-size: 10pt; color: #1d3557; margin-top: 6px; margin-bottom: 2px; } td, th { font-size: 8pt; "
      "} "
      "th { background-color: #e4e8ef; text-align: left; "
      "font-weight: bold; } table { border-color: #8c96a5; border-style: solid; border-collapse: collapse; } "
      ".small { font-size: 7.5pt; color: #333333; } td.caption { font-size: 8pt; }");
  document.setPageSize(QSizeF(page.width(), page.height() - footerHeight));
}

// Paints `document` page by page, each with `footer` ("page %1 of %2" still to fill) at the bottom.
void paintPages(QPainter& painter, QPdfWriter& writer, QTextDocument& document, const QRectF& page,
                double footerHeight, const QString& footer, const ProgressCallback& progress) {
  const int pages = document.pageCount();
  const double contentHeight = document.pageSize().height();
  for (int p = 0; p < pages; ++p) {
    reportProgress(progress, kFiguresShare + (1 - kFiguresShare) * p / pages,
                   "writing page " + std::to_string(p + 1) + " of " + std::to_string(pages));
    if (p > 0) writer.newPage();
    painter.save();
    painter.translate(0, -p * contentHeight);
    document.drawContents(&painter, QRectF(0, p * contentHeight, page.width(), contentHeight));
    painter.restore();
    QFont font("DejaVu Sans");
    font.setPointSizeF(7);
    painter.setFont(font);
    painter.setPen(QPen(QColor(120, 120, 120), 2));
    painter.drawLine(QPointF(0, page.height() - footerHeight * 0.8),
                     QPointF(page.width(), page.height() - footerHeight * 0.8));
    painter.drawText(QRectF(0, page.height() - footerHeight * 0.7, page.width(), footerHeight * 0.7),
                     Qt::AlignRight | Qt::AlignVCenter, footer.arg(p + 1).arg(pages));
  }
}

}  // namespace

// The frame sheet of one side, laid out as the OR team reads it aloud and sets it: the target's
// X, Y, Z, then arc and ring for the mounting in use, in large type; the length; the registration
// that gives them and what to check before trusting them.
QString frameSheetPage(const PlanDocument& plan, const FrameSettings& s) {
  const PlanFrameRegistration& r = *plan.frame;
  const FrameModel& model = frameModel(r.frameId);
  QString html;
  html += "<h2 style=\"page-break-before: always\">" + QString(sideTitle(s.side)) + " GPi: frame settings (" +
          escaped(s.trajectoryId) + ")</h2>\n";
  html += statedGeometryBanner(plan);
  html += "<p>" + escaped(model.name) +
          ". Frame millimetres: X grows to the patient's left, Y anterior, Z "
          "inferior; centre (100, 100, 100). The target is the arc's centre.</p>\n";
  const auto big = [](const QString& label, const QString& value, bool flagged) {
    return "<tr><td style=\"padding: 4px 24px 4px 0; font-size: 14pt\">" + label +
           "</td><td align=\"right\" style=\"padding: 4px 0; font-size: 22pt; font-weight: bold\">" + value +
           "</td>" +
           (flagged ? "<td style=\"font-size: 14pt; font-weight: bold\">&nbsp;CHECK</td>" : "<td></td>") +
           "</tr>\n";
  };
  html += "<table cellspacing=\"0\">\n";
  html += big("X", number(s.targetFrame.x) + " mm", !s.targetInFrameRange);
  html += big("Y", number(s.targetFrame.y) + " mm", !s.targetInFrameRange);
  html += big("Z", number(s.targetFrame.z) + " mm", !s.targetInFrameRange || !s.targetWithinLocalizer);
  html += big("Arc (lateral-right)", number(s.lateralRight.arcDeg) + "&deg;", !s.lateralRightReachable);
  html += big("Ring (lateral-right)", number(s.lateralRight.ringDeg) + "&deg;", !s.lateralRightReachable);
  html += big("Arc (lateral-left)", number(s.lateralLeft.arcDeg) + "&deg;", !s.lateralLeftReachable);
  html += big("Ring (lateral-left)", number(s.lateralLeft.ringDeg) + "&deg;", !s.lateralLeftReachable);
  html += big("Length, entry to target", number(s.lengthMm) + " mm", false);
  html += "</table>\n";
  html += keyValueTable({
      {"Entry (frame mm)", vec(s.entryFrame)},
      {"Arc radius", number(model.arcRadiusMm, 0) + " mm (" + escaped(model.anglesSource) + ")"},
      {"Registration", escaped(r.method) + ", from " + escaped(r.imagePath) + " (SHA-256 " +
                           escaped(r.imageSha256.substr(0, 16)) + "...), " + escaped(r.created)},
      {"Fiducial registration error", number(r.freMm, 2) + " mm RMS over " + QString::number(r.rods.size()) +
                                          " rods; rods seen from Z " + number(r.frameZMinMm) + " to " +
                                          number(r.frameZMaxMm) + " mm"},
      {"Co-registration to the plan's image",
       "rigid, mutual information " + number(r.coRegistrationMetric, 3)},
  });
  QStringList warnings;
  if (!s.targetInFrameRange) warnings << "the target lies outside the frame's coordinate range";
  if (!s.targetWithinLocalizer) warnings << "the target lies outside the heights where the rods were seen";
  if (!s.lateralRightReachable || !s.lateralLeftReachable)
    warnings << "an angle lies outside the arc's scales";
  if (!warnings.isEmpty()) html += "<p><b>WARNING: " + warnings.join("; ") + ".</b></p>\n";
  html +=
      "<p class=\"small\"><b>Before trusting this sheet:</b> the frame registration error is below 1 mm "
      "and no rod stands out; the frame image is the one taken with this frame on this patient (its "
      "checksum above); the overlay of the frame image on the planning image shows no offset at the "
      "ventricles and the skull; the target's height lies between the rods' ends; the numbers match "
      "the vendor's planning station on the same images. Read X, Y, Z, arc and ring aloud and set "
      "them twice, independently.</p>\n";
  return html;
}

// What the side's stimulation would reach (issue 25): the settings, the activated volume and its
// overlaps, the margins to the side-effect structures, the model and its source, and what a sphere
// is not. Nothing when the side has no stimulation set.
QString stimulationSection(const PlanDocument& plan, Side side) {
  const PlanStimulation* st = planStimulation(plan, side);
  if (!st) return {};
  const StimulationAssessment& a = st->assessment;
  const VtaModelSpec& model = vtaModelSpec(st->settings.model);
  QString html =
      "<h3>" + QString(sideTitle(side)) + " stimulation: what it would reach (teaching grade)</h3>\n";
  std::vector<std::pair<QString, QString>> rows = {
      {"Settings", escaped(describeSettings(st->settings)) + ", monopolar (case positive)"},
      {"Activated volume",
       number(a.volumeMm3, 0) + " mm&sup3;" +
           (a.spheres.empty() ? QString()
                              : ", sphere radius " + number(a.spheres.front().radiusMm, 2) + " mm")},
      {"Inside the GPi", number(100 * a.fractionGpi, 0) + " % (sensorimotor part " +
                             number(100 * a.fractionSensorimotorGpi, 0) + " %)"},
      {"Inside the GPe", number(100 * a.fractionGpe, 0) + " %"}};
  for (const SideEffectReach& r : a.sideEffects) {
    QString name = sideEffectDisplayName(r.structure);
    name[0] = name[0].toUpper();
    rows.push_back({name, !r.assessed ? QString("not assessed (not in the labels)")
                          : r.reaches()
                              ? "<b>reached, " + number(-r.marginMm, 1) + " mm into it (contact " +
                                    escaped(r.contact) + ")</b>"
                              : number(r.marginMm, 1) + " mm away (contact " + escaped(r.contact) + ")"});
  }
  rows.push_back(
      {"Model", escaped(model.name) + ": " + escaped(model.formula) + ". " + escaped(model.citation)});
  html += keyValueTable(rows);
  if (const std::string warning = stimulationWarning(a); !warning.empty())
    html += "<p><b>" + escaped(warning) + ".</b></p>\n";
  for (const std::string& note : a.notes) html += "<p class=\"small\">Note: " + escaped(note) + ".</p>\n";
  html +=
      "<p class=\"small\">A sphere around each active contact from a closed-form model fitted to other "
      "patients, not a field solution: it ignores the lead, the tissue's conductivity and the fibres' "
      "direction. A finite-element model (data/stimulation/SOURCES.md section 3) replaces it.</p>\n";
  return html;
}

void writePlanReport(const PlanResult& result, const std::string& pdfPath, const QImage& renderedScene,
                     const ProgressCallback& progress) {
  const PlanDocument& plan = result.plan;
  // Every figure first: an error (or a cancel) here leaves no file behind at all.
  QTextDocument document;
  addFigures(document, result, renderedScene, progress);

  QSaveFile file(QString::fromStdString(pdfPath));
  if (!file.open(QIODevice::WriteOnly))
    throw std::runtime_error("cannot write " + pdfPath + ": " + file.errorString().toStdString());
  QPdfWriter writer(&file);
  writer.setPageSize(QPageSize(QPageSize::A4));
  writer.setPageMargins(QMarginsF(15, 12, 15, 10), QPageLayout::Millimeter);
  writer.setResolution(300);
  writer.setCreator(QString("dbsplan ") + DBS_VERSION);
  writer.setTitle("DBS plan report: " + QFileInfo(QString::fromStdString(plan.image.path)).fileName());

  // Lay the document out on the PDF's page: units are the writer's pixels (300 per inch); HTML sizes
  // (image widths, paddings) are in CSS pixels (96 per inch), which Qt scales to the device.
  const QRectF page = writer.pageLayout().paintRectPixels(writer.resolution());
  const double footerHeight = 0.025 * page.height();
  const double cssPixelsAcross = page.width() * 96.0 / writer.resolution() - 2;
  layOutOn(document, writer, page, footerHeight);

  QString html = summaryPage(result);
  const std::vector<FrameSettings> sheets = frameSettings(plan);
  for (const PlannedTrajectory& t : plan.trajectories) {
    html += numbersPage(result, t);
    html += stimulationSection(plan, t.trajectory.side);
    for (const FrameSettings& sheet : sheets)
      if (sheet.side == t.trajectory.side) html += frameSheetPage(plan, sheet);
    html += figurePages(result, t, cssPixelsAcross);
  }
  // The whole implanted system, last: what the patient will carry (issue 25).
  html += "<h2 style=\"page-break-before: always\">The implanted system</h2>\n";
  html += "<p>" + imageTag("implanted.png", cssPixelsAcross, kSceneFigure) + "</p>\n";
  html +=
      "<p class=\"small\">Both leads in the GPi (green) with their activated regions where a stimulation is "
      "set, burr-hole caps at the entries, the extensions tunnelled behind the right ear and down the neck "
      "to a dual-channel generator under the right clavicle. The head and the brain are the patient's; "
      "the body outline and the cables' course are a schematic, not imaged.</p>\n";
  document.setHtml(html);

  QPainter painter;
  if (!painter.begin(&writer))
    throw std::runtime_error("cannot write " + pdfPath + ": the PDF writer did not start");
  const QString footer =
      QString("dbsplan %1  ·  %2  ·  page %3 of %4")
          .arg(QString::fromStdString(plan.programVersion.empty() ? DBS_VERSION : plan.programVersion),
               QFileInfo(QString::fromStdString(plan.image.path)).fileName());
  paintPages(painter, writer, document, page, footerHeight, footer, progress);
  if (!painter.end() || !file.commit()) {
    const int why = errno;  // QSaveFile's own text for a full disk is "Unknown error"
    throw ImagingError(
        pdfPath + ": cannot write: " +
        whyWriteFailed(QFileInfo(QString::fromStdString(pdfPath)).absolutePath().toStdString(), why));
  }
}

}  // namespace dbs::app
