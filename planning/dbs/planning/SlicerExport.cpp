#include "dbs/planning/SlicerExport.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <itkImageFileWriter.h>
#include <itkNrrdImageIO.h>

#include "dbs/imaging/HeaderScreening.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/SlicerSegmentation.h"
#include "dbs/planning/PlanSession.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

const char* kMarkupsSchema =
    "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/"
    "markups-schema-v1.0.3.json#";

// The one conversion between a markups file's frame and dbsplan's RAS: LPS negates x and y.
Vec3 toMarkupsFrame(Vec3 ras, MarkupsCoordinates c) {
  return c == MarkupsCoordinates::Lps ? Vec3{-ras.x, -ras.y, ras.z} : ras;
}
Vec3 fromMarkupsFrame(Vec3 p, MarkupsCoordinates c) {
  return toMarkupsFrame(p, c);
}  // its own inverse

nlohmann::json controlPoint(int id, const std::string& label, Vec3 ras, MarkupsCoordinates c) {
  const Vec3 p = toMarkupsFrame(ras, c);
  return {{"id", std::to_string(id)},
          {"label", label},
          {"description", ""},
          {"associatedNodeID", ""},
          {"position", {p.x, p.y, p.z}},
          {"orientation", {-1.0, -0.0, -0.0, -0.0, -1.0, -0.0, 0.0, 0.0, 1.0}},
          {"selected", true},
          {"locked", false},
          {"visibility", true},
          {"positionStatus", "defined"}};
}

nlohmann::json markup(const std::string& type, const std::string& name, nlohmann::json points,
                      const std::array<double, 3>& colour, MarkupsCoordinates c) {
  const int count = static_cast<int>(points.size());
  return {{"@schema", kMarkupsSchema},
          {"markups",
           {{{"type", type},
             {"name", name},
             {"coordinateSystem", c == MarkupsCoordinates::Lps ? "LPS" : "RAS"},
             {"coordinateUnits", "mm"},
             {"locked", false},
             {"fixedNumberOfControlPoints", type == "Line"},
             {"labelFormat", "%N-%d"},
             {"lastUsedControlPointNumber", count},
             {"controlPoints", std::move(points)},
             {"display",
              {{"visibility", true},
               {"opacity", 1.0},
               {"color", {colour[0], colour[1], colour[2]}},
               {"selectedColor", {colour[0], colour[1], colour[2]}},
               {"propertiesLabelVisibility", true},
               {"pointLabelsVisibility", true},
               {"textScale", 3.0},
               {"glyphType", "Sphere3D"},
               {"glyphScale", 1.5}}}}}}};
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string xmlEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// File name of a markup: its name with anything but letters, digits, '-' and '_' as '_'.
std::string fileStem(const std::string& name) {
  std::string stem;
  for (char c : name) stem += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return stem;
}

// The T1 as Slicer reads it: the plan's own file, copied byte for byte, when it is one file of a
// format Slicer reads whole; otherwise (a DICOM folder, a detached NRRD or MetaImage header) as
// NRRD from what dbsplan read. Returns the file name written.
std::string writeT1(const std::string& imagePath, const fs::path& outDir) {
  const std::string lower = lowercase(imagePath);
  for (const char* extension : {".nii.gz", ".nii", ".nrrd", ".mha"}) {
    const std::string ext(extension);
    if (lower.size() > ext.size() && lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0 &&
        fs::is_regular_file(imagePath)) {
      copyFileAtomically(imagePath, (outDir / ("t1" + ext)).string());
      return "t1" + ext;
    }
  }
  const Volume volume = loadVolume(imagePath);
  const fs::path target = outDir / "t1.nrrd", temporary = temporarySibling(target);
  auto writer = itk::ImageFileWriter<FloatImage>::New();
  writer->SetImageIO(itk::NrrdImageIO::New());
  writer->SetInput(volume.image);
  writer->SetFileName(temporary.string());
  writer->SetUseCompression(true);
  std::error_code ec;
  try {
    StderrCapture libraryMessages;
    writer->Update();
  } catch (const itk::ExceptionObject&) {
    fs::remove(temporary, ec);
    throw std::runtime_error(target.string() + ": cannot write: " + whyWriteFailed(outDir.string(), 0));
  }
  fs::rename(temporary, target, ec);
  if (ec) throw std::runtime_error(target.string() + ": cannot write: " + ec.message());
  return target.filename().string();
}

}  // namespace

nlohmann::json markupsLineJson(const std::string& name, Vec3 targetRas, Vec3 entryRas,
                               const std::array<double, 3>& colour, MarkupsCoordinates coordinates) {
  return markup(
      "Line", name,
      {controlPoint(1, "target", targetRas, coordinates), controlPoint(2, "entry", entryRas, coordinates)},
      colour, coordinates);
}

nlohmann::json markupsFiducialsJson(const std::string& name,
                                    const std::vector<std::pair<std::string, Vec3>>& pointsRas,
                                    const std::array<double, 3>& colour, MarkupsCoordinates coordinates) {
  nlohmann::json points = nlohmann::json::array();
  int id = 0;
  for (const auto& [label, ras] : pointsRas) points.push_back(controlPoint(++id, label, ras, coordinates));
  return markup("Fiducial", name, std::move(points), colour, coordinates);
}

MarkupsLine readMarkupsLine(const std::string& path) {
  requireRegularFile(path, "markups file");
  if (fs::file_size(path) > (16u << 20))
    throw std::runtime_error(path + ": larger than 16 MB: not a markups file of one line");
  std::ifstream in(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(path + ": not JSON: not a Slicer markups file (.mrk.json)");
  }
  auto fail = [&](const std::string& field, const std::string& why) {
    throw std::runtime_error(path + ": " + field + ": " + why);
  };
  if (!doc.is_object() || !doc.contains("markups") || !doc["markups"].is_array())
    fail("markups", "missing: not a Slicer markups file");
  if (doc["markups"].size() != 1)
    fail("markups", "holds " + std::to_string(doc["markups"].size()) + " markups; one Line is needed");
  const nlohmann::json& m = doc["markups"][0];
  if (!m.is_object() || m.value("type", std::string()) != "Line")
    fail("markups[0].type", "is not \"Line\" (a trajectory is a Markups Line of two points)");
  MarkupsCoordinates coordinates = MarkupsCoordinates::Lps;  // Slicer's reading of a file that says nothing
  if (m.contains("coordinateSystem")) {
    const auto& c = m["coordinateSystem"];
    if (c == "RAS")
      coordinates = MarkupsCoordinates::Ras;
    else if (c != "LPS")
      fail("markups[0].coordinateSystem", "must be \"LPS\" or \"RAS\"");
  }
  if (m.contains("coordinateUnits") &&
      !(m["coordinateUnits"] == "mm" || (m["coordinateUnits"].is_array() && !m["coordinateUnits"].empty() &&
                                         m["coordinateUnits"][0] == "mm")))
    fail("markups[0].coordinateUnits", "must be mm");
  if (!m.contains("controlPoints") || !m["controlPoints"].is_array() || m["controlPoints"].size() != 2)
    fail("markups[0].controlPoints", "a trajectory needs exactly two control points");
  std::array<Vec3, 2> points;
  std::array<std::string, 2> labels;
  for (std::size_t n = 0; n < 2; ++n) {
    const auto& p = m["controlPoints"][n];
    const std::string field = "markups[0].controlPoints[" + std::to_string(n) + "]";
    if (!p.is_object() || !p.contains("position") || !p["position"].is_array() || p["position"].size() != 3)
      fail(field + ".position", "must be three numbers");
    if (p.value("positionStatus", std::string("defined")) != "defined")
      fail(field + ".positionStatus", "the point is not placed");
    Vec3 v;
    for (int a = 0; a < 3; ++a) {
      const auto& x = p["position"][static_cast<std::size_t>(a)];
      if (!x.is_number() || !std::isfinite(x.get<double>()) || std::abs(x.get<double>()) > 1e4)
        fail(field + ".position", "must be finite numbers within 10 m");
      v[a] = x.get<double>();
    }
    points[n] = fromMarkupsFrame(v, coordinates);
    labels[n] = lowercase(p.value("label", std::string()));
  }
  MarkupsLine line;
  line.name = m.value("name", std::string());
  std::size_t target = 0;
  if ((labels[0] == "target" && labels[1] == "entry") || (labels[0] == "entry" && labels[1] == "target")) {
    target = labels[0] == "target" ? 0 : 1;
    line.targetRule = "the control point labelled \"target\"";
  } else {
    target = points[0].z <= points[1].z ? 0 : 1;
    line.targetRule = "the lower control point (the points are not labelled \"target\" and \"entry\")";
  }
  line.targetRas = points[target];
  line.entryRas = points[1 - target];
  if (norm(line.targetRas - line.entryRas) < 1.0)
    fail("markups[0].controlPoints", "the two points are less than 1 mm apart");
  return line;
}

std::vector<std::string> exportPlanToSlicer(const PlanSession& session, const std::string& outDir,
                                            MarkupsCoordinates coordinates) {
  const PlanDocument& plan = session.plan();
  const fs::path out(outDir);
  fs::create_directories(out);
  std::vector<std::string> written;
  struct SceneNode {
    std::string kind, name, file;  // kind: MarkupsLine, MarkupsFiducial
  };
  std::vector<SceneNode> markups;
  auto writeMarkups = [&](const std::string& kind, const std::string& name, const nlohmann::json& doc) {
    const std::string file = fileStem(name) + ".mrk.json";
    writeTextAtomically((out / file).string(), doc.dump(2) + "\n");
    written.push_back(file);
    markups.push_back({kind, name, file});
  };

  // Chosen trajectories in the colour dbsplan draws leads in; alternatives grey.
  const std::array<double, 3> chosenColour{1.0, 0.85, 0.0}, alternativeColour{0.6, 0.6, 0.6};
  for (const auto* list : {&plan.trajectories, &plan.alternatives})
    for (const PlannedTrajectory& p : *list) {
      const bool chosen = list == &plan.trajectories;
      const std::string name = p.trajectory.id + (chosen ? " chosen" : " alternative");
      writeMarkups("MarkupsLine", name,
                   markupsLineJson(name, p.trajectory.targetRas, p.trajectory.entryRas,
                                   chosen ? chosenColour : alternativeColour, coordinates));
    }
  writeMarkups(
      "MarkupsFiducial", "AC-PC landmarks",
      markupsFiducialsJson("AC-PC landmarks", {{"AC", plan.acRas}, {"PC", plan.pcRas}, {"MCP", plan.mcpRas}},
                           {0.2, 0.8, 1.0}, coordinates));
  for (Side side : {Side::Left, Side::Right}) {
    std::vector<std::pair<std::string, Vec3>> targets;
    for (const PlanTarget& t : plan.targets)
      if (t.side == side) targets.push_back({std::string(kTargetSourceNames.name(t.source)), t.ras});
    if (targets.empty()) continue;
    const std::string name = std::string(1, sideLetter(side)) + " targets";
    writeMarkups("MarkupsFiducial", name, markupsFiducialsJson(name, targets, {1.0, 0.2, 0.8}, coordinates));
  }

  const std::string segmentationFile = "labels.seg.nrrd";
  writeSlicerSegmentation(session.result().locate.labels, (out / segmentationFile).string());
  written.push_back(segmentationFile);
  const std::string t1File = writeT1(plan.image.path, out);
  written.push_back(t1File);

  // The scene: each node with its storage node; Slicer makes the display nodes it lacks on loading.
  std::ostringstream mrml;
  mrml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MRML version=\"Slicer4.4.0\" userTags=\"\">\n";
  mrml
      << " <VolumeArchetypeStorage id=\"vtkMRMLVolumeArchetypeStorageNode1\" name=\"VolumeArchetypeStorage\" "
         "fileName=\""
      << xmlEscaped(t1File) << "\" useCompression=\"1\" singleFile=\"1\" />\n";
  mrml << " <Volume id=\"vtkMRMLScalarVolumeNode1\" name=\"T1\" "
          "references=\"storage:vtkMRMLVolumeArchetypeStorageNode1;\" "
          "/>\n";
  mrml << " <SegmentationStorage id=\"vtkMRMLSegmentationStorageNode1\" name=\"SegmentationStorage\" "
          "fileName=\""
       << segmentationFile << "\" useCompression=\"1\" />\n";
  mrml << " <Segmentation id=\"vtkMRMLSegmentationNode1\" name=\"dbsplan labels\" "
          "references=\"storage:vtkMRMLSegmentationStorageNode1;\" />\n";
  int n = 0;
  for (const SceneNode& node : markups) {
    ++n;
    const std::string storage = "vtkMRMLMarkupsJsonStorageNode" + std::to_string(n);
    mrml << " <MarkupsJsonStorage id=\"" << storage << "\" name=\"MarkupsJsonStorage\" fileName=\""
         << xmlEscaped(node.file) << "\" />\n";
    mrml << " <" << node.kind << " id=\"vtkMRML" << node.kind << "Node" << n << "\" name=\""
         << xmlEscaped(node.name) << "\" references=\"storage:" << storage << ";\" />\n";
  }
  mrml << "</MRML>\n";
  writeTextAtomically((out / "plan.mrml").string(), mrml.str());
  written.push_back("plan.mrml");
  return written;
}

}  // namespace dbs
