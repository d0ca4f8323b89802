// Locating the GPi end to end: a synthetic patient made from Colin27 + AAL by a known pose, warp,
// bias, noise and another voxel order; dbsplan's labels must overlap the truth, sit on the input's
// own grid, keep to their side of the midline, and the outputs must be complete and readable.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <itkDisplacementFieldTransform.h>
#include <itkImageFileReader.h>
#include <itkNiftiImageIO.h>
#include <itkTransformFileReader.h>
#include <itkTxtTransformIOFactory.h>

#include "dbs/generators/SyntheticPatient.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/planning/AcpcFrame.h"
#include "dbs/planning/Locate.h"
#include "dbs/planning/SampleCatalogue.h"
#include "dbs/planning/ScoreTerms.h"
#include "dbs/planning/Trajectory.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// The default (proposed) target of a side, as the issue asks: inside the published indirect range
// for the motor GPi (Valsky et al. 2020, eLife 9:e57445, read from the atlas catalogue), strictly,
// below the AC-PC plane, and in the GPi's posteroventral part: carried back into the template it is
// on the atlas's GPi, in its posterior half, 1-2 mm above the GPi's ventral border in its column
// (found here by stepping down the atlas's own labels, not by the rule's code).
void expectProposedTargetInTheSensorimotorGpiAndTheRange(const LocateResult& result, const LocateSide& side) {
  SCOPED_TRACE(sideWord(side.side));
  const AcpcFrame frame(result.acRas, result.pcRas, result.midlineRas);
  const auto& gpi = result.atlasInfo.at("indirect_targets_acpc").at("GPi");
  const Vec3 acpc = frame.acpcFromRas(side.proposed.ras);
  EXPECT_LT(norm(acpc - side.proposed.acpc), 1e-6);
  const double sign = side.side == Side::Left ? -1.0 : 1.0;
  const double values[3] = {sign * acpc.x, acpc.y, -acpc.z};  // lateral, anterior, inferior (mm)
  const char* ranges[3] = {"range_lateral_mm", "range_anterior_mm", "range_inferior_mm"};
  for (int a = 0; a < 3; ++a) {
    SCOPED_TRACE(ranges[a]);
    EXPECT_GE(values[a], gpi.at(ranges[a])[0].get<double>() - 1e-9);
    EXPECT_LE(values[a], gpi.at(ranges[a])[1].get<double>() + 1e-9);
  }
  EXPECT_TRUE(side.proposed.insideRange);
  EXPECT_GT(values[2], 0.0) << "the dystonia target lies below the AC-PC plane";
  EXPECT_TRUE(side.proposed.onPatientGpi);
  EXPECT_LT(side.proposed.fromAtlasTargetMm, 2.0) << "the smallest correction of the atlas target";

  // Issue 22: a 3389 at the usual angles of GPi leads (the middle of scoring.json's ranges), its
  // deepest contact centred on the target, has its two deepest contacts (-0.75..0.75 and 1.25..2.75
  // mm along the lead) on the patient's GPi label: the search can then keep two contacts in the GPi.
  EXPECT_TRUE(side.proposed.holdsLeadAtUsualAngles);
  const ScoringModel& scoring = scoringModel();
  const Vec3 up = directionFromAngles(frame, side.side,
                                      0.5 * (scoring.sagittal.usualMinDeg + scoring.sagittal.usualMaxDeg),
                                      0.5 * (scoring.lateral.usualMinDeg + scoring.lateral.usualMaxDeg));
  const int patientGpi = labelValue(sidedLabelName("GPi", side.side));
  for (double along : {-0.75, -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75}) {
    const Vec3 q = result.labels.geometry.indexFromRas(side.proposed.ras + along * up);
    EXPECT_EQ(int(result.labels.image->GetPixel({{std::lround(q.x), std::lround(q.y), std::lround(q.z)}})),
              patientGpi)
        << along << " mm along the lead is off the patient's GPi";
  }

  const LabelVolume atlas = loadLabelVolume(SampleCatalogue::standard().find("colin27").labelsPath);
  const int gpiValue = labelValue(sidedLabelName("GPi", side.side));
  auto atlasLabelAt = [&](Vec3 ras) {
    const Vec3 q = atlas.geometry.indexFromRas(ras);
    return int(atlas.image->GetPixel({{std::lround(q.x), std::lround(q.y), std::lround(q.z)}}));
  };
  const Vec3 inTemplate = result.registration.templateRasFromPatientRas(side.proposed.ras);
  EXPECT_EQ(atlasLabelAt(inTemplate), gpiValue) << "not on the atlas's GPi";
  double heightAboveBorder = 0;
  while (heightAboveBorder < 10 &&
         atlasLabelAt(inTemplate - Vec3{0, 0, heightAboveBorder + 0.05}) == gpiValue)
    heightAboveBorder += 0.05;
  EXPECT_GE(heightAboveBorder, 0.95);
  EXPECT_LE(heightAboveBorder, 2.05);
  std::vector<double> ys;
  const ImageGeometry& g = atlas.geometry;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        if (atlas.image->GetPixel({{long(i), long(j), long(k)}}) == gpiValue)
          ys.push_back(g.rasFromIndex({double(i), double(j), double(k)}).y);
  std::nth_element(ys.begin(), ys.begin() + long(ys.size() / 2), ys.end());
  EXPECT_LE(inTemplate.y, ys[ys.size() / 2] + 1e-6) << "not in the GPi's posterior half";
}

// The phantom is a head whose geometric anatomy Colin27 fits only to a few mm: its carried
// ventricles lie half on its own. Measured over the whole label, its ventricle contrast swung
// between 0.3 (refused as not a head) and 13.5 with demons settings a millimetre apart (the fluid
// update's width, the iterations); measured on the label's core it must stay a head's, with room to
// spare, under the default (mostly fluid) and the former elastic regularisation alike.
TEST(HeadLikenessPhantom, ThePhantomIsAHeadUnderFluidAndElasticDemons) {
  const Sample& phantom = SampleCatalogue::standard().find("phantom");
  ASSERT_EQ(phantom.missingReason(), "");
  for (const bool elastic : {false, true}) {
    SCOPED_TRACE(elastic ? "elastic demons" : "default demons");
    LocateInputs inputs;
    inputs.imagePath = phantom.t1Path;
    if (elastic) {
      inputs.registration.demonsUpdateSigmaMm = 0;
      inputs.registration.demonsFieldSigmaMm = 3.0;
      inputs.registration.demonsContrastWeight = 0;
    }
#ifdef DBS_SANITIZED_BUILD
    inputs.registration.demonsSpacingMm = 2.5;  // several times slower under ASan
    inputs.registration.demonsIterations = {20, 10};
#endif
    const LocateResult result = locateGpi(inputs);
    EXPECT_GE(result.headLikeness.ventricleContrast, 2 * kMinimumVentricleContrast);
  }
}

// A synthetic patient of a known pose and no warp: its anatomy is Colin27's, so its target's AC-PC
// coordinates must be Colin27's too, and inside the published range. (Under a warp the true AC-PC
// coordinates move with the warp, so the warped fixture above cannot be held to the range.)
// A synthetic patient made from Colin27 and dbsplan's own atlas (the truth its labels are scored
// against) by a known pose, a warp of `warpMm`, and another voxel size and order.
SyntheticPatient colin27Patient(std::uint64_t seed, double warpMm, Vec3 spacingMm,
                                const std::string& orientation) {
  SyntheticPatientParameters p;
  p.seed = seed;
  p.warpMm = warpMm;
  p.spacingMm = spacingMm;
  p.orientation = orientation;
  return makeSyntheticPatient(loadVolume(std::string(DBS_MRICRON_DIR) + "/ch2.nii.gz"),
                              loadLabelVolume(SampleCatalogue::standard().find("colin27").labelsPath), p);
}

class Locate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string t = DBS_MRICRON_DIR;
    ASSERT_TRUE(fs::exists(t + "/ch2.nii.gz"))
        << "Debian package mricron-data is missing: run scripts/setup.sh";
    // ctest runs each test in its own process, in parallel: one folder per process.
    dir_ = (fs::temp_directory_path() / ("dbs_locate_test_" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const SyntheticPatient patient = colin27Patient(7, 5.0, {1.2, 1.2, 1.5}, "PIL");
    writeVolume(patient.t1, dir_ + "/patient.nii.gz");
    writeLabelVolume(patient.labels, dir_ + "/truth.nii.gz");
    LocateInputs inputs;
    inputs.imagePath = dir_ + "/patient.nii.gz";
    result_ = new LocateResult(locateGpi(inputs));
    json_ = new nlohmann::json(writeLocateOutputs(*result_, dir_ + "/out"));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete json_;
    fs::remove_all(dir_);
  }
  // The checks of one located patient. Locating takes seconds and ctest runs each test in its own
  // process, so they run as one test (below) instead of locating the same patient once per check.
  void AHeadIsMeasuredAsAHead();
  void LabelsOverlapTheTruth();
  void LabelsAreOnTheInputGridAndNamed();
  void TargetsAndLandmarksAreOnTheirSides();
  void OutputsAreCompleteAndReadable();
  static std::string dir_;
  static LocateResult* result_;
  static nlohmann::json* json_;
};
std::string Locate::dir_;
LocateResult* Locate::result_ = nullptr;
nlohmann::json* Locate::json_ = nullptr;

// The synthetic patient is a head: every measure inside its bound, and locate.json says so.
void Locate::AHeadIsMeasuredAsAHead() {
  const HeadLikeness& m = result_->headLikeness;
  EXPECT_TRUE(headLikenessProblems(m).empty());
  EXPECT_GT(m.ventricleContrast, 4.0);
  EXPECT_NEAR(m.headScale, 1.0, 0.1);
  EXPECT_EQ(json_->at("head_likeness").at("ventricle_contrast_sd").get<double>(),
            std::round(m.ventricleContrast * 100) / 100);
}

// Each measure out of bounds is named with its value and the range; the blob's measures (a smooth
// random ellipsoid: the core of its located ventricles no darker than its putamen) give one line, a
// bad registration more.
TEST(HeadLikenessBounds, EveryMeasureOutOfBoundsIsNamedWithItsValue) {
  HeadLikeness blob;
  blob.ventricleContrast = 0.21;
  blob.affineMattesMi = -0.45;
  blob.headScale = 0.85;
  blob.acPcDistanceMm = 26.7;
  blob.gpiVolumeMm3 = {1080, 584};
  const auto blobProblems = headLikenessProblems(blob);
  ASSERT_EQ(blobProblems.size(), 1u);
  EXPECT_NE(blobProblems[0].find("not darker than the putamen as in a T1 of a head (contrast 0.2 robust SDs"),
            std::string::npos)
      << blobProblems[0];
  HeadLikeness nothing = blob;
  nothing.ventricleContrast = 6;
  nothing.affineMattesMi = -0.02;
  nothing.headScale = 2.0;
  nothing.acPcDistanceMm = 52;
  nothing.gpiVolumeMm3 = {90, 4000};
  const auto problems = headLikenessProblems(nothing);
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_NE(problems[0].find("Mattes MI -0.02"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("2.00 times the template's size"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("AC-PC distance is 52.0 mm"), std::string::npos) << problems[2];
  EXPECT_NE(problems[3].find("left GPi is 90 mm3"), std::string::npos) << problems[3];
  EXPECT_NE(problems[4].find("right GPi is 4000 mm3"), std::string::npos) << problems[4];
}

void Locate::LabelsOverlapTheTruth() {
  const LabelVolume ours = loadLabelVolume(dir_ + "/out/labels.nii.gz");
  const LabelVolume truth = loadLabelVolume(dir_ + "/truth.nii.gz");
  // The benchmark (bench/locate_vs_elastix.sh) holds the 0.92 / 0.5 mm bar on 1 mm cases; this
  // coarser 1.2 x 1.2 x 1.5 mm case in PIL order must still land clearly on the GP. The truth is
  // dbsplan's own atlas carried by the known transform (its pallidum reaches below AAL's).
  const OverlapScore left = scoreOverlap(ours, {1, 3}, truth, {1, 3});
  const OverlapScore right = scoreOverlap(ours, {2, 4}, truth, {2, 4});
  EXPECT_GT(left.dice, 0.85);
  EXPECT_GT(right.dice, 0.85);
  EXPECT_LT(left.centroidErrorMm, 1.0);
  EXPECT_LT(right.centroidErrorMm, 1.0);
}

void Locate::LabelsAreOnTheInputGridAndNamed() {
  const Volume input = loadVolume(dir_ + "/patient.nii.gz");
  const LabelVolume labels = loadLabelVolume(dir_ + "/out/labels.nii.gz");
  EXPECT_EQ(labels.geometry.size, input.geometry.size);
  EXPECT_LT(labels.geometry.rasFromIjk.maxAbsDifference(input.geometry.rasFromIjk), 1e-4);
  std::ifstream in(dir_ + "/out/labels.json");
  const auto table = nlohmann::json::parse(in).at("labels");
  for (const char* name : {"GPi_L", "GPi_R", "GPe_L", "GPe_R"})
    EXPECT_EQ(table.at(name).get<int>(), labelValue(name));
}

TEST(LocateKnownPose, DefaultTargetsLieInTheSensorimotorGpiInsideThePublishedRange) {
  const std::string dir =
      (fs::temp_directory_path() / ("dbs_locate_pose_" + std::to_string(getpid()))).string();
  fs::create_directories(dir);
  const SyntheticPatient patient = colin27Patient(11, 0.0, {1.1, 1.1, 1.3}, "RAI");
  writeVolume(patient.t1, dir + "/patient.nii.gz");
  LocateInputs inputs;
  inputs.imagePath = dir + "/patient.nii.gz";
  const LocateResult result = locateGpi(inputs);
  for (const LocateSide& side : result.sides) {
    expectProposedTargetInTheSensorimotorGpiAndTheRange(result, side);
    // The atlas target is where the pose puts the atlas's own target (registration error only).
    EXPECT_LT(norm(side.atlasTargetRas - patient.patientRasFromTemplateRas.apply(side.atlasTargetMni)), 1.0);
  }
  fs::remove_all(dir);
}

TEST(LocateColin27, DefaultTargetsLieInTheSensorimotorGpiInsideThePublishedRange) {
  LocateInputs inputs;
  inputs.imagePath = std::string(DBS_MRICRON_DIR) + "/ch2.nii.gz";
  const LocateResult result = locateGpi(inputs);
  for (const LocateSide& side : result.sides) {
    expectProposedTargetInTheSensorimotorGpiAndTheRange(result, side);
    // Registering the template onto itself moves nothing: the target is the atlas's own.
    EXPECT_LT(norm(side.atlasTargetRas - side.atlasTargetMni), 0.5);
  }
}

void Locate::TargetsAndLandmarksAreOnTheirSides() {
  const AcpcFrame frame(result_->acRas, result_->pcRas, result_->midlineRas);
  EXPECT_GT(frame.acPcDistanceMm(), 20.0);
  EXPECT_LT(frame.acPcDistanceMm(), 35.0);
  for (const LocateSide& side : result_->sides) {
    SCOPED_TRACE(sideWord(side.side));
    const double sign = side.side == Side::Left ? -1.0 : 1.0;
    EXPECT_GT(sign * frame.acpcFromRas(side.atlasTargetRas).x, 10.0);
    EXPECT_GT(sign * frame.acpcFromRas(side.indirectTargetRas).x, 10.0);
    EXPECT_LT(side.targetDistanceMm, 10.0) << "atlas and textbook targets should be neighbours";
    // The atlas target lies in (or at the edge of) this side's GPi.
    const Vec3 ijk = result_->labels.geometry.indexFromRas(side.atlasTargetRas);
    int gpiVoxelsNear = 0;
    for (int dk = -1; dk <= 1; ++dk)
      for (int dj = -1; dj <= 1; ++dj)
        for (int di = -1; di <= 1; ++di) {
          const LabelImage::IndexType idx{
              {std::lround(ijk.x) + di, std::lround(ijk.y) + dj, std::lround(ijk.z) + dk}};
          if (result_->labels.image->GetPixel(idx) == labelValue(sidedLabelName("GPi", side.side)))
            ++gpiVoxelsNear;
        }
    EXPECT_GT(gpiVoxelsNear, 0);
  }
  // No sided label on the wrong side of the midsagittal plane.
  const auto& g = result_->labels.geometry;
  const unsigned short* labels = result_->labels.image->GetBufferPointer();
  std::size_t wrongSide = 0;
  for (std::size_t k = 0, idx = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++idx) {
        const int v = labels[idx];
        if (!isSidedLabel(v)) continue;
        const double x = frame.acpcFromRas(g.rasFromIndex({double(i), double(j), double(k)})).x;
        if ((v % 2 == 1 && x > 0) || (v % 2 == 0 && x < 0)) ++wrongSide;
      }
  EXPECT_EQ(wrongSide, 0u);
}

void Locate::OutputsAreCompleteAndReadable() {
  for (const char* f :
       {"labels.nii.gz", "labels.json", "locate.json", "transform_affine.tfm", "transform_displacement.nii"})
    EXPECT_TRUE(fs::exists(dir_ + "/out/" + f)) << f;
  const auto& j = *json_;
  for (const char* key : {"targets", "landmarks", "transforms", "quality", "timings_s"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_GT(j["quality"]["jacobian_determinant_min"].get<double>(), 0.2) << "the deformation folded";
  EXPECT_LT(j["quality"]["jacobian_determinant_max"].get<double>(), 5.0);
  itk::TxtTransformIOFactory::RegisterOneFactory();
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(dir_ + "/out/transform_affine.tfm");
  EXPECT_NO_THROW(reader->Update());
  ASSERT_EQ(reader->GetTransformList()->size(), 1u);
  // The files rebuild the transform: affine(x + u(x)) maps a patient point to where the atlas went.
  auto fieldReader = itk::ImageFileReader<DisplacementFieldD>::New();
  fieldReader->SetImageIO(itk::NiftiImageIO::New());
  fieldReader->SetFileName(dir_ + "/out/transform_displacement.nii");
  ASSERT_NO_THROW(fieldReader->Update());
  auto displacement = itk::DisplacementFieldTransform<double, 3>::New();
  displacement->SetDisplacementField(fieldReader->GetOutput());
  auto affine = dynamic_cast<itk::Transform<double, 3, 3>*>(reader->GetTransformList()->front().GetPointer());
  ASSERT_NE(affine, nullptr);
  const Vec3 patientRas = result_->sides[0].gpiCentroidRas;
  const Vec3 lps = lpsFromRas(patientRas);
  itk::Point<double, 3> p;
  for (int a = 0; a < 3; ++a) p[a] = lps[a];
  const auto q = affine->TransformPoint(displacement->TransformPoint(p));
  const Vec3 fromFiles = rasFromLps({q[0], q[1], q[2]});
  EXPECT_LT(norm(fromFiles - result_->registration.templateRasFromPatientRas(patientRas)), 0.01);
}

// The real coronal scan (2 x 2 x 3 mm, a head other than Colin27) needs displacements of up to
// 20 mm at the deformable box's border; the old in-box taper folded there (Jacobian -1.11). The
// check here is independent of the one locate reports: central differences of the whole
// patient -> template map on a 2.5 mm lattice over the entire image, box, fade and beyond.
TEST(LocateRealScan, PatientCoronalDeformationNeverFolds) {
  const Sample& scan = SampleCatalogue::standard().find("patient-coronal");
  ASSERT_EQ(scan.missingReason(), "") << "run scripts/setup.sh";
  LocateInputs inputs;
  inputs.imagePath = scan.t1Path;
  const LocateResult result = locateGpi(inputs);
  EXPECT_GT(result.registration.quality().jacobianMin, 0.0);
  // Its targets, in the sensorimotor GPi and the published range (with atlas v1 they were 1.2 and
  // 2.3 mm above the AC-PC plane; the atlas targets of atlas v2 alone are 1.2 and 0.3 mm below it).
  for (const LocateSide& side : result.sides)
    expectProposedTargetInTheSensorimotorGpiAndTheRange(result, side);
  const ImageGeometry& g = result.patient.geometry;
  const Vec3 spacing = g.spacingMm();
  const double h = 0.5, step = 2.5;  // mm
  double lowest = 1e30;
  Vec3 where;
  std::size_t samples = 0;
  for (double k = 0; k < g.size[2]; k += step / spacing.z)
    for (double j = 0; j < g.size[1]; j += step / spacing.y)
      for (double i = 0; i < g.size[0]; i += step / spacing.x) {
        const Vec3 p = g.rasFromIndex({i, j, k});
        Vec3 columns[3];
        for (int a = 0; a < 3; ++a) {
          Vec3 d;
          d[a] = h;
          columns[a] = (1.0 / (2 * h)) * (result.registration.templateRasFromPatientRas(p + d) -
                                          result.registration.templateRasFromPatientRas(p - d));
        }
        const double det = dot(columns[0], cross(columns[1], columns[2]));
        ++samples;
        if (det < lowest) {
          lowest = det;
          where = p;
        }
      }
  EXPECT_GT(samples, 100000u);
  EXPECT_GT(lowest, 0.0) << "the patient -> template map folds at RAS (" << where.x << ", " << where.y << ", "
                         << where.z << ")";
}

TEST(LocateInput, MissingImageIsAClearErrorAndCancelStops) {
  LocateInputs inputs;
  inputs.imagePath = "/no/such/patient.nii.gz";
  EXPECT_THROW(locateGpi(inputs), ImagingError);
  inputs.imagePath = std::string(DBS_MRICRON_DIR) + "/ch2.nii.gz";
  EXPECT_THROW(locateGpi(inputs, [](double, const std::string&) { return false; }), Cancelled);
}

// One synthetic patient (pose, 5 mm warp, bias, noise, PIL order at 1.2 x 1.2 x 1.5 mm) located once
// and checked every way above.
TEST_F(Locate, ASyntheticPatientIsLocatedOnItsGridOnItsSidesWithCompleteOutputs) {
  {
    SCOPED_TRACE("AHeadIsMeasuredAsAHead");
    AHeadIsMeasuredAsAHead();
  }
  {
    SCOPED_TRACE("LabelsOverlapTheTruth");
    LabelsOverlapTheTruth();
  }
  {
    SCOPED_TRACE("LabelsAreOnTheInputGridAndNamed");
    LabelsAreOnTheInputGridAndNamed();
  }
  {
    SCOPED_TRACE("TargetsAndLandmarksAreOnTheirSides");
    TargetsAndLandmarksAreOnTheirSides();
  }
  {
    SCOPED_TRACE("OutputsAreCompleteAndReadable");
    OutputsAreCompleteAndReadable();
  }
}

}  // namespace
}  // namespace dbs
