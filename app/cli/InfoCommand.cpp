// `dbsplan info`: an image's geometry (RAS mm), orientation and intensities, in words or as JSON.
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"

namespace dbs::app {

namespace {

struct InfoOptions {
  std::string path;
  bool json = false;
};

int runInfo(const InfoOptions& o) {
  LoadOptions options;
  options.allowShearedGeometry = true;  // info reports the file's exact affine, sheared or not
  const Volume volume = loadVolume(o.path, {}, options);
  const nlohmann::json j = volumeInfoJson(volume);
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const ImageGeometry& g = volume.geometry;
  const auto bounds = g.rasBoundsMm();
  std::cout << "file:         " << volume.path << "\n"
            << "format:       " << volume.format << " (" << volume.storedPixelType << ")\n"
            << "dimensions:   " << g.size[0] << " x " << g.size[1] << " x " << g.size[2] << " voxels\n"
            << "spacing:      " << triple(g.spacingMm(), 4) << " mm\n"
            << "orientation:  " << g.orientationCode() << " (voxel axes point to the patient's "
            << g.orientationCode() << ")\n"
            << "geometry:     " << volume.geometrySource << "\n";
  for (const std::string& missing : volume.geometryNotInFile)
    std::cout << "NOT IN FILE:  " << missing << " (locate and plan refuse this image)\n";
  const std::size_t nonFinite = j["intensity"]["non_finite_voxels"].get<std::size_t>();
  std::cout << "bounds (RAS): " << triple(bounds[0], 1) << " to " << triple(bounds[1], 1) << " mm\n"
            << "intensity:    ";
  if (j["intensity"]["finite_voxels"].get<std::size_t>() == 0)
    std::cout << "no finite voxel: every voxel is NaN or infinite\n";
  else
    std::cout << j["intensity"]["min"].get<double>() << " to " << j["intensity"]["max"].get<double>()
              << " (0.5-99.5 percentile " << j["intensity"]["p0_5"].get<double>() << " to "
              << j["intensity"]["p99_5"].get<double>() << ")"
              << (nonFinite > 0 ? "; " + std::to_string(nonFinite) + " voxels are NaN or infinite" : "")
              << "\n";
  std::cout << "ras_from_ijk: voxel index -> RAS mm\n";
  for (int r = 0; r < 4; ++r) {
    std::cout << "   ";
    for (int c = 0; c < 4; ++c)
      std::cout << std::setw(12) << std::fixed << std::setprecision(4) << g.rasFromIjk.m[r][c];
    std::cout << "\n";
  }
  for (const auto& note : volume.notes) std::cout << "note:         " << note << "\n";
  return 0;
}

}  // namespace

Command infoCommand() {
  return {"info", "Images", "geometry (RAS mm), orientation and intensities of an image",
          [](CLI::App& cli, const CommandLine&) -> CommandRun {
            auto o = std::make_shared<InfoOptions>();
            cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            cli.add_option("IMAGE", o->path,
                           "the image (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM folder)")
                ->required()
                ->type_name("");
            cli.add_flag("--json", o->json,
                         "print the description as JSON (ras_from_ijk: voxel index to RAS mm)");
            return [o] { return runInfo(*o); };
          }};
}

}  // namespace dbs::app
