#include "gui/SampleLoading.h"

#include <filesystem>
#include <stdexcept>

#include "dbs/generators/Phantom.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs::app {

LoadedScene loadScene(const std::string& imagePath, const std::string& labelsPath,
                      const ProgressCallback& progress) {
  LoadedScene scene;
  // The grid planning works on (the file's own unless it is finer than the working grid allows), so
  // that what the window shows is what the plan is made on, and memory stays bounded.
  scene.volume = std::make_shared<Volume>(loadVolumeForPlanning(imagePath, progress));
  if (!labelsPath.empty()) {
    if (progress && !progress(0.8, "reading labels " + labelsPath)) throw Cancelled();
    scene.labels = std::make_shared<LabelVolume>(loadLabelVolume(labelsPath));
  }
  return scene;
}

void ensureSampleReady(const Sample& sample, const ProgressCallback& progress) {
  if (sample.ready()) return;
  if (sample.generated) {
    // dbsplan's own phantom: generated once into the build's data folder, then reused.
    PhantomParameters parameters;
    parameters.seed = static_cast<std::uint64_t>(sample.generatorSeed);
    const PhantomResult phantom = generatePhantom(parameters, progress);
    writePhantom(phantom, std::filesystem::path(sample.t1Path).parent_path().string());
  }
  const std::string reason = sample.missingReason();
  if (!reason.empty()) throw std::runtime_error("sample " + sample.name + ": " + reason);
}

LoadedScene loadSampleScene(const Sample& sample, const ProgressCallback& progress) {
  ensureSampleReady(sample, progress);
  return loadScene(sample.t1Path, sample.labelsPath, progress);
}

Vec3 initialCrosshairRas(const LoadedScene& scene) {
  const ImageGeometry& g = scene.volume->geometry;
  const Vec3 centre = g.rasFromIndex({(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0});
  if (!scene.labels) return centre;
  for (const auto& s : labelStatistics(*scene.labels))
    if (s.value == labelValue("GPi_L")) return s.centroidRas;
  return centre;
}

}  // namespace dbs::app
