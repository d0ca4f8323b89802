// dbs_bench: helpers for the locate benchmark (bench/locate_vs_elastix.sh).
//   dbs_bench synth TEMPLATE_T1 TEMPLATE_LABELS OUTDIR [--seed N] [--warp-mm MM] [--spacing X,Y,Z]
//   [--orientation LPI] [--ventricle-scale 2.0] [--caudate-loss 0.3]
//       writes OUTDIR/patient_t1.nii.gz and OUTDIR/patient_labels.nii.gz (ground truth)
//   dbs_bench phantom-atlas PHANTOM_TRUTH.json OUT.json
//       an atlas description (landmarks, targets) of a phantom, so a phantom can serve as template
//   dbs_bench resample T1 OUT SPACING_MM [int16|float32]
//       T1 resampled (linear) to isotropic SPACING_MM over the same field of view, stored as int16
//       (default) or float32, as NIfTI (.nii, .nii.gz) or NRRD (.nrrd): how the memory benchmark
//       (bench/memory_bench.sh) makes fine heads from Colin27
//   dbs_bench score LABELS TRUTH --left A,B --right C,D --truth-left E --truth-right F
//       prints GP Dice and centroid error per side: "L dice centroid_mm R dice centroid_mm"
#include <cmath>
#include <filesystem>
#include <fstream>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <itkCastImageFilter.h>
#include <itkImageFileWriter.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkNrrdImageIO.h>
#include <itkResampleImageFilter.h>

#include "dbs/generators/SyntheticPatient.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ItkSetup.h"

namespace {

std::vector<int> parseList(const std::string& text) {
  std::vector<int> values;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) values.push_back(std::stoi(item));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  dbs::configureItk();
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() >= 4 && a[0] == "synth") {
      dbs::SyntheticPatientParameters p;
      for (std::size_t i = 4; i + 1 < a.size(); i += 2) {
        if (a[i] == "--seed")
          p.seed = std::stoull(a[i + 1]);
        else if (a[i] == "--warp-mm")
          p.warpMm = std::stod(a[i + 1]);
        else if (a[i] == "--ventricle-scale")
          p.ventricleScale = std::stod(a[i + 1]);
        else if (a[i] == "--caudate-loss")
          p.caudateLoss = std::stod(a[i + 1]);
        else if (a[i] == "--orientation")
          p.orientation = a[i + 1];
        else if (a[i] == "--noise")  // Gaussian noise sigma, fraction of the robust maximum
          p.noiseFraction = std::stod(a[i + 1]);
        else if (a[i] == "--bias")  // left-right bias amplitude (fraction)
          p.biasFraction = std::stod(a[i + 1]);
        else if (a[i] == "--gamma")  // contrast change: intensity^gamma
          p.gamma = std::stod(a[i + 1]);
        else if (a[i] == "--spacing") {
          const auto v = a[i + 1];
          std::sscanf(v.c_str(), "%lf,%lf,%lf", &p.spacingMm.x, &p.spacingMm.y, &p.spacingMm.z);
        }
      }
      const dbs::Volume t1 = dbs::loadVolume(a[1]);
      const dbs::LabelVolume labels = dbs::loadLabelVolume(a[2]);
      const dbs::SyntheticPatient patient = dbs::makeSyntheticPatient(t1, labels, p);
      std::filesystem::create_directories(a[3]);
      dbs::writeVolume(patient.t1, a[3] + "/patient_t1.nii.gz");
      dbs::writeLabelVolume(patient.labels, a[3] + "/patient_labels.nii.gz");
      if (p.ventricleScale > 1 || p.caudateLoss > 0)
        std::cout << "atrophy: ventricles " << std::fixed << std::setprecision(2)
                  << patient.ventricleScaleReached << "x the template's, caudate " << std::setprecision(0)
                  << 100 * patient.caudateLossReached << "% smaller\n";
      return 0;
    }
    if ((a.size() == 4 || a.size() == 5) && a[0] == "resample") {
      const dbs::Volume t1 = dbs::loadVolume(a[1]);
      const double spacing = std::stod(a[3]);
      // The same physical extent (voxel edges to voxel edges) on the finer grid.
      const auto& in = *t1.image;
      itk::Size<3> size;
      itk::Vector<double, 3> outSpacing;
      itk::Point<double, 3> origin;
      for (unsigned d = 0; d < 3; ++d) {
        const double extent = in.GetLargestPossibleRegion().GetSize()[d] * in.GetSpacing()[d];
        size[d] = static_cast<itk::SizeValueType>(std::floor(extent / spacing));
        outSpacing[d] = spacing;
      }
      // Voxel centres half a new voxel in from the old grid's first voxel edge, along the direction.
      itk::Vector<double, 3> shift;
      for (unsigned d = 0; d < 3; ++d) shift[d] = -0.5 * in.GetSpacing()[d] + 0.5 * spacing;
      origin = in.GetOrigin() + in.GetDirection() * shift;
      using Resample = itk::ResampleImageFilter<dbs::FloatImage, dbs::FloatImage, double>;
      auto resample = Resample::New();
      resample->SetInput(t1.image);
      resample->SetInterpolator(itk::LinearInterpolateImageFunction<dbs::FloatImage, double>::New());
      resample->SetSize(size);
      resample->SetOutputSpacing(outSpacing);
      resample->SetOutputOrigin(origin);
      resample->SetOutputDirection(in.GetDirection());
      auto write = [&](auto* image) {
        if (a[2].size() > 5 && a[2].substr(a[2].size() - 5) == ".nrrd") {
          using Image = std::remove_pointer_t<decltype(image)>;
          auto writer = itk::ImageFileWriter<Image>::New();
          writer->SetImageIO(itk::NrrdImageIO::New());
          writer->SetInput(image);
          writer->SetFileName(a[2]);
          writer->SetUseCompression(true);
          writer->Update();
        } else
          dbs::writeImageAtomically(image, a[2], /*compress=*/a[2].back() == 'z');
      };
      if (a.size() == 5 && a[4] == "float32") {
        resample->Update();
        write(resample->GetOutput());
      } else {
        auto cast = itk::CastImageFilter<dbs::FloatImage, itk::Image<short, 3>>::New();
        cast->SetInput(resample->GetOutput());
        cast->Update();
        write(cast->GetOutput());
      }
      std::cout << size[0] << " x " << size[1] << " x " << size[2] << " voxels at " << spacing << " mm\n";
      return 0;
    }
    if (a.size() == 3 && a[0] == "phantom-atlas") {
      std::ifstream in(a[1]);
      const nlohmann::json truth = nlohmann::json::parse(in);
      nlohmann::json atlas;
      const auto& landmarks = truth.at("landmarks_ras");
      for (const char* name : {"AC", "PC", "midline"})
        atlas["landmarks"][name] = {{"ras_mm", landmarks.at(name)}, {"source", "phantom ground truth"}};
      // The phantom's GPi centroids stand in for the targets (only the labels are scored here).
      atlas["targets"]["GPi_posteroventral_L"] = {{"ras_mm", truth.at("gpi_centroid_ras").at("left")}};
      atlas["targets"]["GPi_posteroventral_R"] = {{"ras_mm", truth.at("gpi_centroid_ras").at("right")}};
      atlas["indirect_targets_acpc"]["GPi"] = {
          {"lateral_mm", 21.0}, {"anterior_mm", 2.5}, {"inferior_mm", 4.5}};
      std::ofstream(a[2]) << atlas.dump(2) << "\n";
      return 0;
    }
    if (a.size() >= 3 && a[0] == "score") {
      std::vector<int> left, right, truthLeft, truthRight;
      for (std::size_t i = 3; i + 1 < a.size(); i += 2) {
        if (a[i] == "--left")
          left = parseList(a[i + 1]);
        else if (a[i] == "--right")
          right = parseList(a[i + 1]);
        else if (a[i] == "--truth-left")
          truthLeft = parseList(a[i + 1]);
        else if (a[i] == "--truth-right")
          truthRight = parseList(a[i + 1]);
      }
      const dbs::LabelVolume ours = dbs::loadLabelVolume(a[1]), truth = dbs::loadLabelVolume(a[2]);
      const auto l = dbs::scoreOverlap(ours, left, truth, truthLeft),
                 r = dbs::scoreOverlap(ours, right, truth, truthRight);
      std::cout << std::fixed << std::setprecision(3) << "L " << l.dice << " " << l.centroidErrorMm << " R "
                << r.dice << " " << r.centroidErrorMm << "\n";
      return 0;
    }
    std::cerr << "usage: dbs_bench synth T1 LABELS OUTDIR [options] | dbs_bench score LABELS TRUTH --left "
                 "... --right ...\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dbs_bench: " << e.what() << "\n";
    return 1;
  }
}
