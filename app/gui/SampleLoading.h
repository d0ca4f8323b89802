// Loading what the viewer shows, shared by the GUI and the CLI: an image, an image with labels, or
// a sample from the catalogue (generating it first when it is dbsplan's own phantom).
#pragma once

#include <memory>
#include <string>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"
#include "dbs/planning/SampleCatalogue.h"

namespace dbs::app {

struct LoadedScene {
  std::shared_ptr<const Volume> volume;
  std::shared_ptr<const LabelVolume> labels;  // may be empty
};

// Throws ImagingError (bad files), std::runtime_error (sample not available, with what to do) or
// Cancelled.
LoadedScene loadScene(const std::string& imagePath, const std::string& labelsPath,
                      const ProgressCallback& progress);
LoadedScene loadSampleScene(const Sample& sample, const ProgressCallback& progress);
// Generates a generated sample (the phantom) when its files are missing; no-op otherwise.
void ensureSampleReady(const Sample& sample, const ProgressCallback& progress);

// Where to put the crosshair first: the left GPi when labels have one, else the volume centre.
Vec3 initialCrosshairRas(const LoadedScene& scene);

}  // namespace dbs::app
