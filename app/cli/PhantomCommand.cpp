// `dbsplan phantom`: writes dbsplan's ground-truth head phantom (T1, label map, truth JSON) into a
// folder; see generators/dbs/generators/Phantom.h for the model, frames and file contents. The
// parameters' ranges are the generator's (validatePhantomParameters), reported as a usage error.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "dbs/generators/FramePhantom.h"
#include "dbs/generators/Phantom.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/FrameRegistration.h"

namespace dbs::app {

namespace {

struct PhantomOptions {
  PhantomParameters parameters;
  std::string out;
  bool frameCt = false;
  std::string frameId = "leksell-g";
  FramePhantomParameters frame;
};

// "1,1,1": a spacing as --spacing takes it (for the help's default).
std::string spacingText(Vec3 spacing) {
  std::ostringstream text;
  text << spacing.x << "," << spacing.y << "," << spacing.z;
  return text.str();
}

int runPhantom(const PhantomOptions& o) {
  try {
    validatePhantomParameters(o.parameters);
  } catch (const ImagingError& e) {
    throw CLI::ValidationError(e.what());  // a usage error, exit 2
  }

  const auto start = std::chrono::steady_clock::now();
  int lastPercent = -1;
  std::string lastStep;
  const PhantomResult phantom = generatePhantom(o.parameters, [&](double fraction, const std::string& step) {
    const int percent = static_cast<int>(std::floor(fraction * 100.0));
    if (step != lastStep || percent >= lastPercent + 10) {
      std::cerr << "dbsplan phantom: " << std::setw(3) << percent << "% " << step << "\n";
      lastPercent = percent;
      lastStep = step;
    }
    return true;
  });
  std::cerr << "dbsplan phantom: writing " << o.out << "\n";
  writePhantom(phantom, o.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const PhantomTruth& t = phantom.truth;
  const auto& g = t.grid;
  const std::filesystem::path dir(o.out);
  std::cout << "phantom written in " << std::fixed << std::setprecision(2) << seconds << " s (seed "
            << t.parameters.seed << ", " << g.size[0] << " x " << g.size[1] << " x " << g.size[2]
            << " voxels, " << g.orientationCode() << ", spacing " << triple(g.spacingMm(), 2) << " mm)\n"
            << "  " << (dir / kPhantomT1File).string() << "\n"
            << "  " << (dir / kPhantomLabelsFile).string() << "\n"
            << "  " << (dir / kPhantomTruthFile).string() << "\n";
  const char* sides[2] = {"left ", "right"};
  for (int s = 0; s < 2; ++s)
    std::cout << "GPi " << sides[s] << " centroid (RAS mm): " << triple(t.sides[s].gpiCentroidRas, 2)
              << ", GP " << std::setprecision(0) << t.sides[s].gpVolumeMm3 << " mm3, GPi "
              << t.sides[s].gpiVolumeMm3 << " mm3\n";
  for (const auto& l : t.landmarks) std::cout << l.name << " (RAS mm): " << triple(l.patientRas, 2) << "\n";
  if (o.frameCt) {
    // The head in a stereotactic frame, scanned in CT: the frame registration's test image.
    const FrameModel& model = frameModel(o.frameId);
    std::cerr << "dbsplan phantom: frame CT (" << model.name << ")\n";
    const FramePhantom framed = generateFramePhantom(phantom, model, o.frame);
    writeFramePhantom(framed, model, o.out);
    const auto& fg = framed.truth.grid;
    std::cout << (o.frame.magneticResonance ? "frame MR: " : "frame CT: ") << fg.size[0] << " x "
              << fg.size[1] << " x " << fg.size[2] << " voxels, " << fg.orientationCode() << ", spacing "
              << triple(fg.spacingMm(), 2) << " mm, frame tilted " << triple(framed.truth.frameTiltDeg, 1)
              << " deg\n"
              << "  "
              << (dir / (o.frame.magneticResonance ? kFramePhantomMrFile : kFramePhantomCtFile)).string()
              << "\n"
              << "  " << (dir / kFramePhantomTruthFile).string() << "\n";
  }
  return 0;
}

}  // namespace

Command phantomCommand() {
  return {
      "phantom", "Test data", "write the ground-truth phantom: T1, labels, truth JSON",
      [](CLI::App& cli, const CommandLine&) -> CommandRun {
        auto o = std::make_shared<PhantomOptions>();
        PhantomParameters& p = o->parameters;
        cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        cli.add_option("--out", o->out, "folder for the T1, the label map and the truth JSON")
            ->required()
            ->type_name("DIR");
        cli.add_option("--seed", p.seed, "draws the pose, warp, bias and noise; 0 = the identity pose")
            ->capture_default_str()
            ->transform(wholeNumberTransform("a non-negative integer"))
            ->type_name("N");
        // "1.5" (isotropic) or "1,1,1.2" (along voxel axes i, j, k).
        cli.add_option_function<std::string>(
               "--spacing",
               [o](const std::string& text) {
                 const std::optional<std::vector<double>> v = parseNumberList(text);
                 if (!v || (v->size() != 1 && v->size() != 3))
                   throw CLI::ValidationError("--spacing wants SX,SY,SZ or S in mm, got " + text);
                 o->parameters.spacingMm =
                     v->size() == 1 ? Vec3{(*v)[0], (*v)[0], (*v)[0]} : Vec3{(*v)[0], (*v)[1], (*v)[2]};
               },
               "voxel size along the voxel axes i, j, k in mm, or one size for all three")
            ->default_str(spacingText(p.spacingMm))
            ->type_name("SX,SY,SZ");
        cli.add_option("--orientation", p.orientation, "where voxel axes i, j, k point, in nibabel's letters")
            ->capture_default_str()
            ->type_name("CODE");
        cli.add_option("--noise", p.noiseFraction,
                       "Rician noise sigma as a fraction of the white-matter intensity")
            ->capture_default_str()
            ->check(numberValidator("a fraction"))
            ->type_name("F");
        cli.add_option("--warp-mm", p.warpMm, "largest displacement of the smooth warp, mm")
            ->capture_default_str()
            ->check(numberValidator("millimetres"))
            ->type_name("MM");
        cli.add_option("--bias", p.biasFraction, "peak deviation of the multiplicative bias field from 1")
            ->capture_default_str()
            ->check(numberValidator("a fraction"))
            ->type_name("F");
        cli.add_flag("--antialias", p.antialias, "T1 = mean of 2x2x2 sub-voxel samples");
        cli.add_flag("--frame-ct", o->frameCt,
                     "also write a stereotactic CT of the head in a frame's N-localizer, with its truth");
        cli.add_option("--frame", o->frameId, "the frame model for --frame-ct (data/frames)")
            ->capture_default_str()
            ->check(CLI::IsMember(frameModelIds()));
        cli.add_option("--frame-seed", o->frame.seed,
                       "draws the frame's tilt on the head and the head's pose in the CT scanner")
            ->capture_default_str()
            ->transform(wholeNumberTransform("a non-negative integer"))
            ->type_name("N");
        cli.add_option("--frame-noise", o->frame.noiseHu, "CT noise sigma in Hounsfield units")
            ->capture_default_str()
            ->check(CLI::Range(0.0, 200.0))
            ->type_name("HU");
        cli.add_flag("--frame-mr", o->frame.magneticResonance,
                     "the stereotactic image as an MR (T1 intensities, bright copper-sulphate rods) instead "
                     "of a CT; written as phantom_frame_mr.nii.gz");
        cli.add_flag("--frame-no-streaks{false}", o->frame.streaks,
                     "no metal streaks from the fixation pins");
        cli.add_option("--frame-remove-rod", o->frame.removedRods,
                       "leave this rod out of the CT (its name in the frame model, e.g. \"left diagonal\")")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->type_name("NAME");
        cli.add_option("--frame-crop-plate", o->frame.croppedPlate,
                       "leave this localizer plate out of the field of view (right, left, anterior)")
            ->type_name("PLATE");
        return [o] { return runPhantom(*o); };
      }};
}

}  // namespace dbs::app
