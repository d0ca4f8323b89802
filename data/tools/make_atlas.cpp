// dbs_make_atlas: derives dbsplan's basal-ganglia atlas on the Colin27 template (GPi, GPe, putamen,
// caudate, thalamus, lateral ventricles, internal capsule) from Debian's mricron-data (AAL, Colin27
// at 1 and 0.5 mm, JHU white-matter labels), and writes the label map and its JSON (label table,
// volumes, centroids, derived targets, landmarks with sources). Run by the build.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "dbs/atlas/AtlasDerivation.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/ItkSetup.h"

namespace {

constexpr int kAtlasVersion = 2;

nlohmann::json vecJson(dbs::Vec3 v) {
  auto round3 = [](double x) { return std::round(x * 1000.0) / 1000.0; };
  return {round3(v.x), round3(v.y), round3(v.z)};
}

}  // namespace

int main(int argc, char** argv) {
  dbs::configureItk();
  std::string t1Path, aalPath, highResolutionPath, whiteMatterPath, landmarksPath, outDir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--t1")
      t1Path = value;
    else if (key == "--aal")
      aalPath = value;
    else if (key == "--t1-high-resolution")
      highResolutionPath = value;
    else if (key == "--white-matter")
      whiteMatterPath = value;
    else if (key == "--landmarks")
      landmarksPath = value;
    else if (key == "--out")
      outDir = value;
  }
  if (t1Path.empty() || aalPath.empty() || highResolutionPath.empty() || whiteMatterPath.empty() ||
      landmarksPath.empty() || outDir.empty()) {
    std::cerr
        << "usage: dbs_make_atlas --t1 ch2.nii.gz --aal aal.nii.gz --t1-high-resolution ch2better.nii.gz "
           "--white-matter JHU-WhiteMatter-labels-1mm.nii.gz --landmarks landmarks_mni.json --out DIR\n";
    return 2;
  }
  try {
    const dbs::Volume t1 = dbs::loadVolume(t1Path);
    const dbs::LabelVolume aal = dbs::loadLabelVolume(aalPath);
    const dbs::Volume highResolution = dbs::loadVolume(highResolutionPath);
    const dbs::LabelVolume whiteMatter = dbs::loadLabelVolume(whiteMatterPath);
    const dbs::DerivedAtlas atlas =
        dbs::deriveAtlas({t1, aal, highResolution, whiteMatter}, dbs::AtlasDerivationParameters{});
    std::filesystem::create_directories(outDir);
    const std::string labelsPath = outDir + "/dbs_atlas_mni.nii.gz";
    dbs::writeLabelVolume(atlas.labels, labelsPath);

    nlohmann::json j;
    j["schema"] = "dbsplan.atlas/1";
    j["atlas_version"] = kAtlasVersion;
    j["space"] = dbs::kTemplateSpaceName;
    j["space_note"] = dbs::kTemplateSpaceNote;
    j["labels_file"] = "dbs_atlas_mni.nii.gz";
    j["derived_from"] = {{"t1", t1Path},
                         {"t1_high_resolution", highResolutionPath},
                         {"aal", aalPath},
                         {"white_matter", whiteMatterPath},
                         {"package", "mricron-data (Debian)"}};
    const auto& p = atlas.parameters;
    j["rules"] = {
        {"Pallidum",
         "AAL Pallidum, each column extended downwards while the 0.5 mm T1 is at least as bright as the "
         "mean putamen, by at most " +
             std::to_string(p.ventralExtensionMaxMm) + " mm"},
        {"GPi_GPe", "split by a plane parallel to the pallidum's axial long axis, tilted " +
                        std::to_string(p.laminaTiltDegrees) +
                        " deg from the vertical (normal medial and down); the medial " +
                        std::to_string(p.gpiFractionOfPallidum) + " of the volume is GPi"},
        {"Ventricles",
         "T1 below " + std::to_string(p.csfFractionOfDeepGrey) +
             " x thalamus mean, grown from the darkest voxel near each ventricle body, per side"},
        {"InternalCapsule",
         "JHU posterior limb of the internal capsule (19, 20) moved onto the Colin27 midline, where "
         "no grey nucleus is; side from position, not from the JHU name"},
        {"Caudate_Putamen_Thalamus", "AAL 71-74 and 77-78 unchanged"}};
    j["not_located"] = atlas.notLocated;
    j["log"] = atlas.log;
    nlohmann::json labels = nlohmann::json::object(), table = nlohmann::json::array();
    for (const auto& s : dbs::labelStatistics(atlas.labels)) {
      const std::string name = dbs::labelName(s.value);
      labels[name] = s.value;
      table.push_back({{"name", name},
                       {"value", s.value},
                       {"volume_mm3", std::round(s.volumeMm3)},
                       {"centroid_ras_mm", vecJson(s.centroidRas)}});
    }
    j["labels"] = labels;
    j["label_table"] = table;
    nlohmann::json targets = nlohmann::json::object();
    for (const auto& t : atlas.targets)
      targets[t.name] = {{"ras_mm", vecJson(t.pointRas)},
                         {"gpi_ventral_border_z_mm", std::round(t.ventralBorderZ * 100) / 100},
                         {"source", "derived from this atlas: " + t.rule}};
    j["targets"] = targets;
    // Landmarks with their literature sources, carried over from the hand-curated catalogue.
    std::ifstream landmarksFile(landmarksPath);
    const nlohmann::json catalogue = nlohmann::json::parse(landmarksFile);
    j["landmarks"] = catalogue.at("landmarks");  // on the Colin27 template this atlas lives on
    j["landmarks_mni2009b"] = catalogue.at("landmarks_mni2009b");
    j["indirect_targets_acpc"] = catalogue.at("indirect_targets_acpc");
    j["volumes_mm3_published"] = catalogue.at("volumes_mm3");

    dbs::writeTextAtomically(outDir + "/dbs_atlas_mni.json", j.dump(2) + "\n");
    std::cout << "atlas v" << kAtlasVersion << " written to " << outDir << "\n";
    for (const auto& line : atlas.log) std::cout << "  " << line << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dbs_make_atlas: " << e.what() << "\n";
    return 1;
  }
}
