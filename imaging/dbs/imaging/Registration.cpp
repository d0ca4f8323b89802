#include "dbs/imaging/Registration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>

#include <itkAffineTransform.h>
#include <itkBinShrinkImageFilter.h>
#include <itkCastImageFilter.h>
#include <itkClampImageFilter.h>
#include <itkCommand.h>
#include <itkDiffeomorphicDemonsRegistrationFilter.h>
#include <itkDisplacementFieldTransform.h>
#include <itkHistogramMatchingImageFilter.h>
#include <itkImageFileReader.h>
#include <itkImageRegistrationMethodv4.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkMultiResolutionPDEDeformableRegistration.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkNiftiImageIO.h>
#include <itkRegionOfInterestImageFilter.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkResampleImageFilter.h>
#include <itkSmoothingRecursiveGaussianImageFilter.h>
#include <itkTransformFileReader.h>
#include <itkTransformFileWriter.h>
#include <itkTxtTransformIOFactory.h>
#include <itkVersorRigid3DTransform.h>
#include <vnl/algo/vnl_determinant.h>

#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"

namespace dbs {
namespace {

using AffineTransformType = itk::AffineTransform<double, 3>;
using DisplacementTransform = itk::DisplacementFieldTransform<double, 3>;
using RigidTransformType = itk::VersorRigid3DTransform<double>;
using MetricType = itk::MattesMutualInformationImageToImageMetricv4<FloatImage, FloatImage>;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

itk::Point<double, 3> itkPoint(Vec3 lps) {
  itk::Point<double, 3> p;
  p[0] = lps.x;
  p[1] = lps.y;
  p[2] = lps.z;
  return p;
}
Vec3 vec(const itk::Point<double, 3>& p) {
  return {p[0], p[1], p[2]};
}

// An ITK matrix-offset transform (LPS -> LPS) as a RAS -> RAS affine.
Affine rasAffineFromItk(const itk::MatrixOffsetTransformBase<double, 3, 3>& t) {
  Affine lps;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) lps.m[r][c] = t.GetMatrix()(r, c);
    lps.m[r][3] = t.GetOffset()[r];
  }
  // RAS = F * LPS with F = diag(-1, -1, 1): rasAffine = F * lps * F.
  Affine flip;
  flip.m[0][0] = -1;
  flip.m[1][1] = -1;
  return flip * lps * flip;
}

// Centre of mass (LPS mm) of the voxels brighter than a fraction of the robust maximum: the head,
// without the background noise that would pull a plain centre of mass towards the volume centre.
Vec3 headCentreLps(const FloatImage& image) {
  const IntensityRange range = intensityRange(image);
  const double threshold = range.robustLow + 0.15 * (range.robustHigh - range.robustLow);
  const auto region = image.GetLargestPossibleRegion();
  const float* data = image.GetBufferPointer();
  double si = 0, sj = 0, sk = 0, n = 0;
  const long nx = static_cast<long>(region.GetSize(0)), ny = static_cast<long>(region.GetSize(1)),
             nz = static_cast<long>(region.GetSize(2));
  for (long k = 0; k < nz; ++k)
    for (long j = 0; j < ny; ++j)
      for (long i = 0; i < nx; ++i)
        if (data[(k * ny + j) * nx + i] > threshold) {
          si += i;
          sj += j;
          sk += k;
          n += 1;
        }
  if (n == 0) throw ImagingError("the image is empty (no voxel above the background)");
  itk::ContinuousIndex<double, 3> c;
  c[0] = si / n;
  c[1] = sj / n;
  c[2] = sk / n;
  itk::Point<double, 3> p;
  image.TransformContinuousIndexToPhysicalPoint(c, p);
  return vec(p);
}

// Reports optimiser iterations as progress and stops the optimiser when the user cancels.
// Reports iterations as progress and asks the running algorithm to stop when the user cancels.
class IterationObserver : public itk::Command {
 public:
  using Self = IterationObserver;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self) void Setup(const ProgressCallback* progress, double from, double to, unsigned iterations,
                               std::string step, std::function<void()> stop) {
    progress_ = progress;
    from_ = from;
    to_ = to;
    iterations_ = std::max(1u, iterations);
    step_ = std::move(step);
    stop_ = std::move(stop);
  }
  bool cancelled() const { return cancelled_; }
  void Execute(itk::Object* caller, const itk::EventObject& event) override {
    Execute(static_cast<const itk::Object*>(caller), event);
  }
  void Execute(const itk::Object*, const itk::EventObject& event) override {
    if (!itk::IterationEvent().CheckEvent(&event) || !progress_ || !*progress_ || cancelled_) return;
    ++count_;
    const double fraction = from_ + (to_ - from_) * std::min(1.0, double(count_) / iterations_);
    if (!(*progress_)(fraction, step_)) {
      cancelled_ = true;
      stop_();
    }
  }

 private:
  const ProgressCallback* progress_ = nullptr;
  double from_ = 0, to_ = 1;
  unsigned iterations_ = 1, count_ = 0;
  std::string step_;
  std::function<void()> stop_;
  bool cancelled_ = false;
};

// Block-average downsampling: cheap, and a good first pyramid level for mutual information.
FloatImage::Pointer binShrink(const FloatImage::Pointer& image, unsigned factor) {
  if (factor <= 1) return image;
  auto shrink = itk::BinShrinkImageFilter<FloatImage, FloatImage>::New();
  shrink->SetInput(image);
  shrink->SetShrinkFactors(factor);
  shrink->Update();
  return shrink->GetOutput();
}

// The part of `image` inside a RAS box (plus nothing else), as its own image with exact geometry.
// Range of det(I + grad u) over every voxel of a displacement field (u in LPS mm). Central
// differences inside, one-sided on the faces. ITK's DisplacementFieldJacobianDeterminantFilter
// differentiates along the index axes and ignores the grid's direction matrix, which is wrong for
// a field on an oblique or permuted patient grid, hence this loop. With M the derivative of u
// along each grid axis in mm (column a along direction column a), grad u = M D^T and
// det(I + M D^T) = det(D + M) det(D) for the orthonormal direction D.
std::pair<double, double> fieldJacobianRange(const DisplacementFieldD::Pointer& field) {
  const auto size = field->GetLargestPossibleRegion().GetSize();
  const auto spacing = field->GetSpacing();
  const auto& direction = field->GetDirection();
  const itk::Vector<double, 3>* u = field->GetBufferPointer();
  const long n[3] = {static_cast<long>(size[0]), static_cast<long>(size[1]), static_cast<long>(size[2])};
  const long stride[3] = {1, n[0], n[0] * n[1]};
  const double directionDeterminant = vnl_determinant(direction.GetVnlMatrix().as_matrix());
  double lowest = 1e30, highest = -1e30;
  for (long k = 0; k < n[2]; ++k)
    for (long j = 0; j < n[1]; ++j)
      for (long i = 0; i < n[0]; ++i) {
        const long index[3] = {i, j, k};
        const long idx = i + j * stride[1] + k * stride[2];
        double m[3][3];
        for (int a = 0; a < 3; ++a) {
          const long before = index[a] > 0 ? 1 : 0, after = index[a] + 1 < n[a] ? 1 : 0;
          const double run = (before + after) * spacing[a];
          for (int r = 0; r < 3; ++r)
            m[r][a] = run > 0 ? (u[idx + after * stride[a]][r] - u[idx - before * stride[a]][r]) / run : 0.0;
        }
        double j3[3][3];
        for (int r = 0; r < 3; ++r)
          for (int a = 0; a < 3; ++a) j3[r][a] = direction[r][a] + m[r][a];
        const double det = directionDeterminant * (j3[0][0] * (j3[1][1] * j3[2][2] - j3[1][2] * j3[2][1]) -
                                                   j3[0][1] * (j3[1][0] * j3[2][2] - j3[1][2] * j3[2][0]) +
                                                   j3[0][2] * (j3[1][0] * j3[2][1] - j3[1][1] * j3[2][0]));
        lowest = std::min(lowest, det);
        highest = std::max(highest, det);
      }
  return {lowest, highest};
}

struct TaperedField {
  DisplacementFieldD::Pointer field;
  double taperMm = 0;
  std::pair<double, double> jacobianRange;  // det(I + grad u) over the whole padded grid
};

// The demons field extended beyond its box by nearest-border values and faded to zero over taperMm
// outside it (smoothstep of the Euclidean distance to the box), the box itself unchanged. The fade
// length starts at max(minimumTaperMm, 3 x the largest border displacement) and doubles (up to
// 320 mm) until the padding's Jacobian stays above half the box's own minimum.
TaperedField padAndTaper(const DisplacementFieldD::Pointer& field, double minimumTaperMm) {
  const auto size = field->GetLargestPossibleRegion().GetSize();
  const auto spacing = field->GetSpacing();
  const itk::Vector<double, 3>* u = field->GetBufferPointer();
  const long n[3] = {static_cast<long>(size[0]), static_cast<long>(size[1]), static_cast<long>(size[2])};
  double borderMaximum = 0;
  for (long k = 0; k < n[2]; ++k)
    for (long j = 0; j < n[1]; ++j)
      for (long i = 0; i < n[0]; ++i)
        if (i == 0 || j == 0 || k == 0 || i == n[0] - 1 || j == n[1] - 1 || k == n[2] - 1)
          borderMaximum = std::max(borderMaximum, u[i + n[0] * (j + n[1] * k)].GetNorm());
  const double boxMinimum = fieldJacobianRange(field).first;
  const double wanted = std::min(0.5, 0.5 * boxMinimum);
  double taperMm = std::max({minimumTaperMm, 3.0 * borderMaximum, 2.0 * spacing[0]});
  for (;;) {
    long pad[3];
    DisplacementFieldD::SizeType paddedSize;
    itk::Vector<double, 3> shift;
    for (int a = 0; a < 3; ++a) {
      pad[a] = static_cast<long>(std::ceil(taperMm / spacing[a])) + 1;
      paddedSize[a] = static_cast<unsigned long>(n[a] + 2 * pad[a]);
      shift[a] = -pad[a] * spacing[a];
    }
    auto padded = DisplacementFieldD::New();
    padded->SetRegions(paddedSize);
    padded->SetSpacing(spacing);
    padded->SetDirection(field->GetDirection());
    padded->SetOrigin(field->GetOrigin() + field->GetDirection() * shift);
    padded->Allocate();
    itk::Vector<double, 3>* out = padded->GetBufferPointer();
    std::size_t idx = 0;
    for (long k = 0; k < static_cast<long>(paddedSize[2]); ++k)
      for (long j = 0; j < static_cast<long>(paddedSize[1]); ++j)
        for (long i = 0; i < static_cast<long>(paddedSize[0]); ++i, ++idx) {
          const long q[3] = {i - pad[0], j - pad[1], k - pad[2]};
          long c[3];
          double outside2 = 0;
          for (int a = 0; a < 3; ++a) {
            c[a] = std::clamp(q[a], 0L, n[a] - 1);
            outside2 += std::pow((q[a] - c[a]) * spacing[a], 2);
          }
          const double t = std::clamp(1.0 - std::sqrt(outside2) / taperMm, 0.0, 1.0);
          out[idx] = u[c[0] + n[0] * (c[1] + n[1] * c[2])] * (t * t * (3 - 2 * t));  // smoothstep
        }
    const std::pair<double, double> range = fieldJacobianRange(padded);
    if (!(boxMinimum > 0) || range.first >= wanted || taperMm >= 320.0) return {padded, taperMm, range};
    taperMm *= 2;
  }
}

FloatImage::Pointer cropToRasBox(const FloatImage::Pointer& image, const ImageGeometry& geometry, Vec3 lowRas,
                                 Vec3 highRas) {
  const Affine ijkFromRas = geometry.ijkFromRas();
  std::array<double, 3> mn{1e30, 1e30, 1e30}, mx{-1e30, -1e30, -1e30};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk =
        ijkFromRas.apply({(corner & 1) ? highRas.x : lowRas.x, (corner & 2) ? highRas.y : lowRas.y,
                          (corner & 4) ? highRas.z : lowRas.z});
    for (int a = 0; a < 3; ++a) {
      mn[a] = std::min(mn[a], ijk[a]);
      mx[a] = std::max(mx[a], ijk[a]);
    }
  }
  FloatImage::RegionType region;
  for (int a = 0; a < 3; ++a) {
    const long last = static_cast<long>(geometry.size[a]) - 1;
    const long lo = std::clamp(static_cast<long>(std::floor(mn[a])), 0L, last);
    const long hi = std::clamp(static_cast<long>(std::ceil(mx[a])), lo, last);
    region.SetIndex(a, lo);
    region.SetSize(a, static_cast<unsigned long>(hi - lo + 1));
  }
  auto extract = itk::RegionOfInterestImageFilter<FloatImage, FloatImage>::New();
  extract->SetInput(image);
  extract->SetRegionOfInterest(region);
  extract->Update();
  return extract->GetOutput();
}

// The Gaussian-weighted local mean over sigmaMm (recursive Gaussian: any sigma costs the same).
FloatImage::Pointer gaussianSmoothed(const FloatImage::Pointer& image, double sigmaMm) {
  auto smooth = itk::SmoothingRecursiveGaussianImageFilter<FloatImage, FloatImage>::New();
  smooth->SetInput(image);
  smooth->SetSigma(sigmaMm);
  smooth->Update();
  return smooth->GetOutput();
}

// An allocated image on the same grid as `like` (values unset).
FloatImage::Pointer allocatedLike(const FloatImage::Pointer& like) {
  auto out = FloatImage::New();
  out->CopyInformation(like);
  out->SetRegions(like->GetLargestPossibleRegion());
  out->Allocate();
  return out;
}

// Divides an image by its local mean (Gaussian, sigmaMm): removes smooth multiplicative intensity
// bias (coil inhomogeneity) that would otherwise push the demons forces one way on one side.
FloatImage::Pointer divideByLocalMean(const FloatImage::Pointer& image, double sigmaMm) {
  const FloatImage::Pointer mean = gaussianSmoothed(image, sigmaMm);
  const FloatImage::Pointer out = allocatedLike(image);
  const IntensityRange range = intensityRange(*image);
  const float floor = static_cast<float>(0.05 * range.robustHigh);  // no division by the dark background
  const std::size_t n = image->GetPixelContainer()->Size();
  const float* in = image->GetBufferPointer();
  const float* m = mean->GetBufferPointer();
  float* o = out->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i) o[i] = in[i] / std::max(m[i], floor);
  return out;
}

// Local contrast normalisation: 1 + gain * (v - m) / sd, with m and sd the Gaussian-weighted local
// mean and standard deviation over sigmaMm (gaussianSmoothed of v and of v squared), the
// result clamped to [0.05, 2] and the background (v <= 0) left at 0. sd has a floor of 0.02 (the
// input is already divided by its local mean, so 2 % of it) so that flat regions are not divided by
// nothing. Written out rather than composed from ITK filters: it is one pass over three buffers.
FloatImage::Pointer localContrast(const FloatImage::Pointer& image, double sigmaMm, double gain,
                                  double weight) {
  const std::size_t n = image->GetPixelContainer()->Size();
  const float* in = image->GetBufferPointer();
  const FloatImage::Pointer squares = allocatedLike(image);
  for (std::size_t i = 0; i < n; ++i) squares->GetBufferPointer()[i] = in[i] * in[i];
  const FloatImage::Pointer mean = gaussianSmoothed(image, sigmaMm),
                            meanOfSquares = gaussianSmoothed(squares, sigmaMm);
  const float* m = mean->GetBufferPointer();
  const float* m2 = meanOfSquares->GetBufferPointer();
  const FloatImage::Pointer out = allocatedLike(image);
  float* o = out->GetBufferPointer();
  constexpr float sdFloor = 0.02f;
  for (std::size_t i = 0; i < n; ++i) {
    const float sd = std::sqrt(std::max(0.0f, m2[i] - m[i] * m[i]));
    const double contrast = std::clamp(1.0 + gain * (in[i] - m[i]) / std::max(sd, sdFloor), 0.05, 2.0);
    o[i] = in[i] <= 0 ? 0.0f : static_cast<float>((1 - weight) * in[i] + weight * contrast);
  }
  return out;
}

template <typename Registration>
void setLevels(Registration& registration, const std::vector<unsigned>& shrink,
               const std::vector<double>& smoothing) {
  typename Registration::ShrinkFactorsArrayType shrinkArray(shrink.size());
  typename Registration::SmoothingSigmasArrayType sigmaArray(smoothing.size());
  for (std::size_t i = 0; i < shrink.size(); ++i) {
    shrinkArray[i] = shrink[i];
    sigmaArray[i] = smoothing[i];
  }
  registration.SetNumberOfLevels(static_cast<unsigned>(shrink.size()));
  registration.SetShrinkFactorsPerLevel(shrinkArray);
  registration.SetSmoothingSigmasPerLevel(sigmaArray);
  registration.SetSmoothingSigmasAreSpecifiedInPhysicalUnits(true);
}

}  // namespace

Vec3 TemplateRegistration::templateRasFromPatientRas(Vec3 patientRas) const {
  return rasFromLps(vec(full_->TransformPoint(itkPoint(lpsFromRas(patientRas)))));
}

Affine TemplateRegistration::affineTemplateRasFromPatientRas() const {
  return rasAffineFromItk(static_cast<const AffineTransformType&>(*affine_));
}

Vec3 TemplateRegistration::patientRasFromTemplateRas(Vec3 templateRas) const {
  // Fixed-point iteration p <- p - A^-1 (T(p) - q): A (the affine part) dominates T, so it converges
  // in a few steps for any invertible, smooth deformation.
  const Affine affine = affineTemplateRasFromPatientRas();
  const Affine inverse = affine.inverse();
  Vec3 p = inverse.apply(templateRas);
  for (int iteration = 0; iteration < 50; ++iteration) {
    const Vec3 residual = templateRasFromPatientRas(p) - templateRas;
    if (norm(residual) < 1e-3) break;
    p = p - inverse.applyLinear(residual);
  }
  return p;
}

LabelVolume TemplateRegistration::warpLabelsToPatient(const LabelVolume& templateLabels,
                                                      const ImageGeometry& patientGeometry) const {
  LabelVolume reference = makeLabelVolume(patientGeometry);
  using Resample = itk::ResampleImageFilter<LabelImage, LabelImage, double>;
  auto resample = Resample::New();
  resample->SetInput(templateLabels.image);
  resample->SetTransform(full_);
  resample->SetInterpolator(itk::NearestNeighborInterpolateImageFunction<LabelImage, double>::New());
  resample->SetDefaultPixelValue(0);
  resample->SetReferenceImage(reference.image);
  resample->UseReferenceImageOn();
  resample->Update();
  LabelVolume out;
  out.image = resample->GetOutput();
  out.geometry = patientGeometry;
  return out;
}

void TemplateRegistration::writeTransforms(const std::string& affinePath,
                                           const std::string& displacementPath) const {
  // ITK's transform IO is found through factories; register the text format (.tfm) explicitly.
  static const bool registered = [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    return true;
  }();
  (void)registered;
  auto writer = itk::TransformFileWriterTemplate<double>::New();
  try {
    writer->SetInput(affine_);
    writer->SetFileName(affinePath);
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError("cannot write " + affinePath + ": " + std::string(e.GetDescription()));
  }
  if (!displacement_) return;
  // The deformable part as ITK's displacement-field image (vectors in LPS mm on the patient grid of
  // the basal-ganglia box). Float32 and uncompressed: sub-micrometre precision, and gzip of a fine
  // field costs seconds.
  auto toFloat = itk::CastImageFilter<DisplacementFieldD, DisplacementFieldF>::New();
  toFloat->SetInput(displacement_);
  toFloat->Update();
  writeImageAtomically(toFloat->GetOutput(), displacementPath, /*compress=*/false);
}

TemplateRegistration TemplateRegistration::readTransforms(const std::string& affinePath,
                                                          const std::string& displacementPath) {
  static const bool registered = [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    return true;
  }();
  (void)registered;
  TemplateRegistration result;
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(affinePath);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(affinePath + ": cannot read the transform: " + std::string(e.GetDescription()));
  }
  const auto* list = reader->GetTransformList();
  auto* affine = list->size() == 1 ? dynamic_cast<AffineTransformType*>(list->front().GetPointer()) : nullptr;
  if (!affine) throw ImagingError(affinePath + ": not a single 3-D affine transform");
  result.affine_ = affine;
  auto full = CompositeTransform::New();
  full->AddTransform(affine);
  if (!displacementPath.empty()) {
    auto fieldReader = itk::ImageFileReader<DisplacementFieldD>::New();
    fieldReader->SetImageIO(itk::NiftiImageIO::New());
    fieldReader->SetFileName(displacementPath);
    try {
      fieldReader->Update();
    } catch (const itk::ExceptionObject& e) {
      throw ImagingError(displacementPath +
                         ": cannot read the displacement field: " + std::string(e.GetDescription()));
    }
    result.displacement_ = fieldReader->GetOutput();
    auto displacement = DisplacementTransform::New();
    displacement->SetDisplacementField(result.displacement_);
    full->AddTransform(displacement);  // applied first, as registerTemplateToPatient builds it
  }
  result.full_ = full;
  result.quality_ = {};
  return result;
}

namespace {

void reportOrCancel(const ProgressCallback& progress, double fraction, const std::string& step) {
  if (progress && !progress(fraction, step)) throw Cancelled();
}

// The affine stage's result: the transform (patient LPS -> template LPS, ITK's fixed -> moving)
// and the Mattes metric it ended at.
struct AffineStage {
  AffineTransformType::Pointer affine;
  double metric = 0;
};

// Multi-resolution affine registration with Mattes mutual information, from the head centres
// aligned, on both images block-averaged once by the finest shrink factor. Progress 0.02-0.4.
AffineStage affineStageMattes(const Volume& patient, const Volume& templateT1,
                              const RegistrationParameters& parameters, const ProgressCallback& progress) {
  AffineStage stage;
  auto affine = AffineTransformType::New();
  using Optimizer = itk::RegularStepGradientDescentOptimizerv4<double>;
  using Registration = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, AffineTransformType>;
  auto metric = MetricType::New();
  metric->SetNumberOfHistogramBins(parameters.histogramBins);
  // Gradients only at the sampled points, not as whole smoothed gradient images per level.
  metric->SetUseMovingImageGradientFilter(false);
  metric->SetUseFixedImageGradientFilter(false);
  auto scales = itk::RegistrationParameterScalesFromPhysicalShift<MetricType>::New();
  scales->SetMetric(metric);
  auto optimizer = Optimizer::New();
  optimizer->SetScalesEstimator(scales);
  optimizer->SetLearningRate(2.0);  // mm of the largest physical shift of the first step
  optimizer->SetMinimumStepLength(0.02);
  optimizer->SetRelaxationFactor(0.6);
  optimizer->SetNumberOfIterations(parameters.affineIterations);
  optimizer->SetReturnBestParametersAndValue(true);
  // The affine stage never needs full resolution: both images are block-averaged once by the
  // finest shrink factor, and the pyramid runs on those small images.
  const unsigned base = parameters.affineShrink.back();
  std::vector<unsigned> shrink;
  for (unsigned f : parameters.affineShrink) shrink.push_back(std::max(1u, f / base));
  const FloatImage::Pointer fixedSmall = binShrink(patient.image, base),
                            movingSmall = binShrink(templateT1.image, base);

  // Initialisation: head centres aligned (centres of mass of the thresholded heads).
  reportOrCancel(progress, 0.02, "registration: aligning head centres");
  const Vec3 patientCentre = headCentreLps(*fixedSmall), templateCentre = headCentreLps(*movingSmall);
  affine->SetCenter(itkPoint(patientCentre));
  AffineTransformType::OutputVectorType translation;
  for (int a = 0; a < 3; ++a) translation[a] = templateCentre[a] - patientCentre[a];
  affine->SetTranslation(translation);

  auto registration = Registration::New();
  registration->SetFixedImage(fixedSmall);
  registration->SetMovingImage(movingSmall);
  registration->SetMetric(metric);
  registration->SetOptimizer(optimizer);
  registration->SetInitialTransform(affine);
  registration->InPlaceOn();
  setLevels(*registration, shrink, parameters.affineSmoothingMm);
  registration->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::RANDOM);
  registration->SetMetricSamplingPercentage(parameters.affineSamplingFraction);
  registration->MetricSamplingReinitializeSeed(parameters.randomSeed);
  auto observer = IterationObserver::New();
  // A raw pointer: the optimizer owns the observer, so a SmartPointer would be a reference cycle.
  observer->Setup(&progress, 0.05, 0.4,
                  parameters.affineIterations * static_cast<unsigned>(parameters.affineShrink.size()),
                  "registration: affine", [stop = optimizer.GetPointer()] { stop->StopOptimization(); });
  optimizer->AddObserver(itk::IterationEvent(), observer);
  try {
    registration->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError("affine registration failed: " + std::string(e.GetDescription()));
  }
  if (observer->cancelled()) throw Cancelled();
  stage.metric = optimizer->GetValue();
  stage.affine = affine;
  return stage;
}

// A box of patient voxel indices, first and last on each axis (inclusive).
struct PatientIndexBox {
  std::array<long, 3> lo, hi;
};

// The patient voxels (clamped to the grid) that the template's deep-grey box (RAS mm) maps to
// under the affine stage: the bounding box of its eight corners' patient indices.
PatientIndexBox patientIndexBoxOfTemplateBox(const TemplateRegistration& registration,
                                             const ImageGeometry& pg, const std::array<Vec3, 2>& box) {
  std::array<long, 3> lo{0, 0, 0}, hi{static_cast<long>(pg.size[0]) - 1, static_cast<long>(pg.size[1]) - 1,
                                      static_cast<long>(pg.size[2]) - 1};
  const Affine patientFromTemplate = registration.affineTemplateRasFromPatientRas().inverse();
  const Affine ijkFromRas = pg.ijkFromRas();
  std::array<double, 3> mn{1e30, 1e30, 1e30}, mx{-1e30, -1e30, -1e30};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 t{(corner & 1) ? box[1].x : box[0].x, (corner & 2) ? box[1].y : box[0].y,
                 (corner & 4) ? box[1].z : box[0].z};
    const Vec3 ijk = ijkFromRas.apply(patientFromTemplate.apply(t));
    for (int a = 0; a < 3; ++a) {
      mn[a] = std::min(mn[a], ijk[a]);
      mx[a] = std::max(mx[a], ijk[a]);
    }
  }
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::clamp(static_cast<long>(std::floor(mn[a])), 0L, hi[a]);
    hi[a] = std::clamp(static_cast<long>(std::ceil(mx[a])), lo[a], hi[a]);
  }
  return {lo, hi};
}

// The patient's box resampled (linear) onto an isotropic grid of demonsSpacingMm with the patient's
// axes. Isotropic, so the demons settings (voxels) mean the same millimetres for a 1 mm scan and
// for a 2 x 2 x 3 mm coronal one.
FloatImage::Pointer patientBoxOnIsotropicGrid(const Volume& patient, const PatientIndexBox& box,
                                              double demonsSpacingMm) {
  const auto& lo = box.lo;
  const auto& hi = box.hi;
  const Vec3 spacing = patient.geometry.spacingMm();
  FloatImage::SpacingType isotropic;
  isotropic.Fill(demonsSpacingMm);
  FloatImage::SizeType size;
  for (int a = 0; a < 3; ++a)
    size[a] = static_cast<unsigned long>(
        std::max(1.0, std::floor((hi[a] - lo[a]) * spacing[a] / demonsSpacingMm) + 1));
  FloatImage::IndexType start;
  start[0] = lo[0];
  start[1] = lo[1];
  start[2] = lo[2];
  itk::Point<double, 3> origin;
  patient.image->TransformIndexToPhysicalPoint(start, origin);
  auto resampleFixed = itk::ResampleImageFilter<FloatImage, FloatImage, double>::New();
  resampleFixed->SetInput(patient.image);
  resampleFixed->SetInterpolator(itk::LinearInterpolateImageFunction<FloatImage, double>::New());
  resampleFixed->SetOutputOrigin(origin);
  resampleFixed->SetOutputSpacing(isotropic);
  resampleFixed->SetOutputDirection(patient.image->GetDirection());
  resampleFixed->SetSize(size);
  resampleFixed->SetDefaultPixelValue(0);
  resampleFixed->Update();
  return resampleFixed->GetOutput();
}

// The two images demons compares, on the isotropic patient grid: the patient (fixed) and the
// template (moving) brought there by the affine stage and histogram-matched to it.
struct DemonsImages {
  FloatImage::Pointer fixedGrid;
  FloatImage::Pointer movingMatched;
};

// The template brought onto the fixed grid by the affine stage, then histogram-matched to the
// patient, so that the demons forces compare like with like (same-modality T1 to T1); both images
// divided by their local mean first when demonsBiasSigmaMm > 0, then brought to a local contrast
// when demonsContrastSigmaMm > 0.
DemonsImages templateMatchedOnFixedGrid(FloatImage::Pointer fixedGrid, const Volume& templateT1,
                                        const AffineTransformType::Pointer& affine,
                                        const RegistrationParameters& parameters) {
  const Vec3 margin{20, 20, 20};
  const FloatImage::Pointer movingCrop =
      cropToRasBox(templateT1.image, templateT1.geometry, parameters.deformableBoxTemplateRas[0] - margin,
                   parameters.deformableBoxTemplateRas[1] + margin);
  auto resample = itk::ResampleImageFilter<FloatImage, FloatImage, double>::New();
  resample->SetInput(movingCrop);
  resample->SetTransform(affine);
  resample->SetInterpolator(itk::LinearInterpolateImageFunction<FloatImage, double>::New());
  resample->SetReferenceImage(fixedGrid);
  resample->UseReferenceImageOn();
  resample->SetDefaultPixelValue(0);
  resample->Update();
  if (parameters.demonsBiasSigmaMm > 0)
    fixedGrid = divideByLocalMean(fixedGrid, parameters.demonsBiasSigmaMm);
  FloatImage::Pointer movingGrid =
      parameters.demonsBiasSigmaMm > 0
          ? divideByLocalMean(resample->GetOutput(), parameters.demonsBiasSigmaMm)
          : FloatImage::Pointer(resample->GetOutput());
  if (parameters.demonsContrastSigmaMm > 0) {
    fixedGrid = localContrast(fixedGrid, parameters.demonsContrastSigmaMm, parameters.demonsContrastGain,
                              parameters.demonsContrastWeight);
    movingGrid = localContrast(movingGrid, parameters.demonsContrastSigmaMm, parameters.demonsContrastGain,
                               parameters.demonsContrastWeight);
  }
  auto match = itk::HistogramMatchingImageFilter<FloatImage, FloatImage>::New();
  match->SetInput(movingGrid);
  match->SetReferenceImage(fixedGrid);
  match->SetNumberOfHistogramLevels(256);
  match->SetNumberOfMatchPoints(24);
  match->ThresholdAtMeanIntensityOn();
  match->Update();
  return {fixedGrid, match->GetOutput()};
}

// Diffeomorphic demons whose update field is smoothed by a recursive Gaussian. ITK's own
// SmoothUpdateField convolves with a GaussianOperator kernel about 6 sigma wide per axis, which at
// 6 voxels doubled the stage's time (3.3 to 6.8 s on synthetic seed 7); the recursive filter costs
// the same for any sigma (Dice the same to 0.002). Sigma in voxels, as the base class takes it.
class RecursiveUpdateSmoothingDemons
    : public itk::DiffeomorphicDemonsRegistrationFilter<FloatImage, FloatImage, DisplacementFieldF> {
 public:
  ITK_DISALLOW_COPY_AND_MOVE(RecursiveUpdateSmoothingDemons);
  using Self = RecursiveUpdateSmoothingDemons;
  using Superclass = itk::DiffeomorphicDemonsRegistrationFilter<FloatImage, FloatImage, DisplacementFieldF>;
  using Pointer = itk::SmartPointer<Self>;
  using ConstPointer = itk::SmartPointer<const Self>;
  // The ITK macros take no semicolon, which clang-format cannot tell.
  // clang-format off
  itkNewMacro(Self)
  itkTypeMacro(RecursiveUpdateSmoothingDemons, DiffeomorphicDemonsRegistrationFilter)

 protected:
  RecursiveUpdateSmoothingDemons() = default;
  // clang-format on
  ~RecursiveUpdateSmoothingDemons() override = default;

  void SmoothUpdateField() override {
    const DisplacementFieldF::Pointer update = this->GetUpdateBuffer();
    using Smoother = itk::SmoothingRecursiveGaussianImageFilter<DisplacementFieldF, DisplacementFieldF>;
    auto smooth = Smoother::New();
    smooth->SetInput(update);
    Smoother::SigmaArrayType sigmaMm;
    for (unsigned axis = 0; axis < 3; ++axis)
      sigmaMm[axis] = this->GetUpdateFieldStandardDeviations()[axis] * update->GetSpacing()[axis];
    smooth->SetSigmaArray(sigmaMm);
    smooth->Update();
    update->SetPixelContainer(smooth->GetOutput()->GetPixelContainer());  // same grid, new values
  }
};

// The demons stage's result: the tapered field (patient LPS mm on the padded grid) and its checks.
struct DemonsStage {
  TaperedField tapered;
  double metric = 0;  // mean squared intensity difference at the end
};

// Multi-resolution diffeomorphic demons of the matched template onto the patient grid (progress
// 0.42-0.95), the field then extended and faded to zero outside the box (padAndTaper).
DemonsStage diffeomorphicDemonsStage(const DemonsImages& images, const RegistrationParameters& parameters,
                                     const ProgressCallback& progress) {
  DemonsStage stage;
  using Demons = RecursiveUpdateSmoothingDemons;
  auto demons = Demons::New();
  // ITK takes the sigmas in voxels of each level; ours are mm at the finest level.
  demons->SetStandardDeviations(parameters.demonsFieldSigmaMm / parameters.demonsSpacingMm);
  demons->SmoothDisplacementFieldOn();
  if (parameters.demonsUpdateSigmaMm > 0) {  // fluid part of the regularisation (see the header)
    demons->SmoothUpdateFieldOn();
    demons->SetUpdateFieldStandardDeviations(parameters.demonsUpdateSigmaMm / parameters.demonsSpacingMm);
  } else {
    demons->SmoothUpdateFieldOff();
  }
  demons->SetUseFirstOrderExp(true);  // updates are small per iteration: exp(u) ~ id + u, much cheaper
  demons->SetMaximumUpdateStepLength(parameters.demonsMaximumStepVoxels);  // voxels per iteration
  demons->SetUseGradientType(itk::ESMDemonsRegistrationFunctionEnums::Gradient::Symmetric);
  using MultiResolution =
      itk::MultiResolutionPDEDeformableRegistration<FloatImage, FloatImage, DisplacementFieldF, float>;
  auto multiResolution = MultiResolution::New();
  multiResolution->SetRegistrationFilter(demons);
  multiResolution->SetFixedImage(images.fixedGrid);
  multiResolution->SetMovingImage(images.movingMatched);
  const unsigned levels = static_cast<unsigned>(parameters.demonsIterations.size());
  multiResolution->SetNumberOfLevels(levels);
  std::vector<unsigned> iterations = parameters.demonsIterations;
  multiResolution->SetNumberOfIterations(iterations.data());
  unsigned totalIterations = 0;
  for (unsigned n : iterations) totalIterations += n;
  auto observer = IterationObserver::New();
  observer->Setup(&progress, 0.42, 0.95, totalIterations,
                  "registration: deformable (diffeomorphic demons) around the basal ganglia", [&] {
                    demons->StopRegistration();
                    multiResolution->StopRegistration();
                  });
  demons->AddObserver(itk::IterationEvent(), observer);
  try {
    multiResolution->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError("deformable registration failed: " + std::string(e.GetDescription()));
  }
  if (observer->cancelled()) throw Cancelled();
  stage.metric = demons->GetMetric();  // mean squared intensity difference

  // Demons field u: patient x -> template A(x + u(x)); as an ITK transform applied before the affine.
  auto cast = itk::CastImageFilter<DisplacementFieldF, DisplacementFieldD>::New();
  cast->SetInput(multiResolution->GetOutput());
  cast->Update();
  // Outside its grid a displacement-field transform does not displace, so the field must reach
  // zero continuously. The registered box is kept exactly as demons left it; the field is
  // extended outwards (each padding voxel takes its nearest border value) and faded to zero
  // across that padding. Fading over L mm adds a term of about |u| * 1.5 / L to the Jacobian, so
  // L is chosen from the largest border displacement and doubled until every determinant,
  // padding included, is positive: a fold there would map two patient points to one template
  // point (the old in-box 10 mm taper folded, Jacobian -1.11, where |u| reached 20 mm).
  stage.tapered = padAndTaper(cast->GetOutput(), parameters.demonsTaperMm);
  return stage;
}

}  // namespace

TemplateRegistration registerTemplateToPatient(const Volume& patient, const Volume& templateT1,
                                               const RegistrationParameters& parameters,
                                               const ProgressCallback& progress) {
  if (patient.geometry.shear() > 1e-4 || templateT1.geometry.shear() > 1e-4)
    throw ImagingError("registration needs images with orthogonal voxel axes");
  TemplateRegistration result;

  // ---- Affine stage.
  const auto affineStart = Clock::now();
  const AffineStage affineStage = affineStageMattes(patient, templateT1, parameters, progress);
  const AffineTransformType::Pointer affine = affineStage.affine;
  result.quality_.affineMetric = affineStage.metric;
  result.affine_ = affine;
  result.quality_.affineSeconds = secondsSince(affineStart);

  auto full = TemplateRegistration::CompositeTransform::New();
  full->AddTransform(affine);
  result.full_ = full;

  // ---- Deformable stage, on the patient region that the template's deep-grey box maps to.
  const PatientIndexBox box =
      patientIndexBoxOfTemplateBox(result, patient.geometry, parameters.deformableBoxTemplateRas);
  std::pair<double, double> fieldJacobian{1.0, 1.0};  // det(I + grad u); the identity without a field
  if (parameters.deformable) {
    const auto deformableStart = Clock::now();
    reportOrCancel(progress, 0.42,
                   "registration: deformable (diffeomorphic demons) around the basal ganglia");
    // Fixed: the patient's box on an isotropic grid; moving: the template matched to it.
    const DemonsImages images = templateMatchedOnFixedGrid(
        patientBoxOnIsotropicGrid(patient, box, parameters.demonsSpacingMm), templateT1, affine, parameters);
    const DemonsStage demonsStage = diffeomorphicDemonsStage(images, parameters, progress);
    result.quality_.deformableMetric = demonsStage.metric;
    const TaperedField& tapered = demonsStage.tapered;
    auto displacement = DisplacementTransform::New();
    displacement->SetDisplacementField(tapered.field);
    result.displacement_ = tapered.field;
    full->AddTransform(displacement);  // applied first: patient -> displacement -> affine -> template
    result.quality_.deformableSeconds = secondsSince(deformableStart);
    result.quality_.taperMm = tapered.taperMm;
    fieldJacobian = tapered.jacobianRange;
  }

  // ---- Quality: Jacobian determinant of patient -> template, det(A) * det(I + grad u), on every
  // voxel of the displacement field's grid (the registered box and its tapered padding); outside
  // that grid the map is the affine alone.
  reportOrCancel(progress, 0.97, "registration: checking the deformation");
  const double affineDeterminant = result.affineTemplateRasFromPatientRas().determinant3x3();
  const double jmin = affineDeterminant * fieldJacobian.first,
               jmax = affineDeterminant * fieldJacobian.second;
  if (!(jmin > 0))
    throw ImagingError("deformable registration folded (Jacobian determinant " + std::to_string(jmin) +
                       "): the template cannot be mapped one-to-one onto this image");
  result.quality_.jacobianMin = jmin;
  result.quality_.jacobianMax = jmax;
  reportOrCancel(progress, 1.0, "registration: done");
  return result;
}

// A CT in Hounsfield units (air near -1000) windowed to [-50, 150] HU for the metric: the head's
// soft-tissue contrast lies there, and Mattes' histogram bins spread over -1000 to 3000 HU would put
// the whole brain in one or two of them (on frame CTs: 0.6 deg of rotation error, against 0.05 deg
// windowed). Metal and bone saturate, which keeps the skull's edges and drops the frame's rods.
// Any other image is used as it is.
FloatImage::Pointer windowedIfCt(const FloatImage::Pointer& image) {
  const float* data = image->GetBufferPointer();
  const std::size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  std::size_t below = 0, sampled = 0;
  for (std::size_t i = 0; i < n; i += 97, ++sampled)
    if (data[i] < -500) ++below;
  if (below * 10 < sampled) return image;  // less than 10 % air: not a CT of a head in air
  auto window = itk::ClampImageFilter<FloatImage, FloatImage>::New();
  window->SetInput(image);
  window->SetBounds(-50.0f, 150.0f);
  window->Update();
  return window->GetOutput();
}

RigidRegistration registerRigid(const Volume& fixed, const Volume& moving, const ProgressCallback& progress,
                                double finestLevelMm) {
  const auto start = Clock::now();
  auto rigid = RigidTransformType::New();
  const FloatImage::Pointer movingForMetric = windowedIfCt(moving.image);
  const Vec3 fixedCentre = headCentreLps(*fixed.image), movingCentre = headCentreLps(*movingForMetric);
  rigid->SetCenter(itkPoint(fixedCentre));
  RigidTransformType::OutputVectorType translation;
  for (int a = 0; a < 3; ++a) translation[a] = movingCentre[a] - fixedCentre[a];
  rigid->SetTranslation(translation);

  using Optimizer = itk::RegularStepGradientDescentOptimizerv4<double>;
  using Registration = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, RigidTransformType>;
  auto metric = MetricType::New();
  metric->SetNumberOfHistogramBins(32);
  auto scales = itk::RegistrationParameterScalesFromPhysicalShift<MetricType>::New();
  scales->SetMetric(metric);
  auto optimizer = Optimizer::New();
  optimizer->SetScalesEstimator(scales);
  optimizer->SetLearningRate(1.0);
  optimizer->SetMinimumStepLength(0.002);
  optimizer->SetRelaxationFactor(0.7);
  optimizer->SetNumberOfIterations(200);
  optimizer->SetReturnBestParametersAndValue(true);
  auto registration = Registration::New();
  registration->SetFixedImage(fixed.image);
  registration->SetMovingImage(movingForMetric);
  registration->SetMetric(metric);
  registration->SetOptimizer(optimizer);
  registration->SetInitialTransform(rigid);
  registration->InPlaceOn();
  // Finest level at about 2 mm whatever the voxel size: enough for six parameters, and a full
  // 1 mm level made co-registration take 20 s.
  const Vec3 spacing = fixed.geometry.spacingMm();
  const unsigned base = std::max(
      1u, static_cast<unsigned>(std::lround(finestLevelMm / std::min({spacing.x, spacing.y, spacing.z}))));
  setLevels(*registration, {4 * base, 2 * base, base},
            {2.0 * finestLevelMm, finestLevelMm, 0.5 * finestLevelMm});
  // Regular sampling: with six parameters, the noise of random sampling limits the final accuracy.
  registration->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::REGULAR);
  if (finestLevelMm < 2.0) {
    // The finer levels hold 8 and 64 times the voxels of the coarsest: a smaller share of them
    // keeps every level's sample count alike (six parameters need tens of thousands, not millions).
    Registration::MetricSamplingPercentageArrayType percentages(3);
    percentages[0] = 0.2;
    percentages[1] = 0.08;
    percentages[2] = 0.03;
    registration->SetMetricSamplingPercentagePerLevel(percentages);
  } else {
    registration->SetMetricSamplingPercentage(0.2);
  }
  registration->MetricSamplingReinitializeSeed(1234);
  auto observer = IterationObserver::New();
  // A raw pointer: the optimizer owns the observer, so a SmartPointer here would be a reference
  // cycle (LeakSanitizer found each registration's images kept alive by it).
  observer->Setup(&progress, 0.0, 1.0, 600, "rigid co-registration",
                  [stop = optimizer.GetPointer()] { stop->StopOptimization(); });
  optimizer->AddObserver(itk::IterationEvent(), observer);
  try {
    registration->Update();
  } catch (const itk::ExceptionObject& e) {
    throw ImagingError(moving.path + ": rigid co-registration failed: " + std::string(e.GetDescription()));
  }
  if (observer->cancelled()) throw Cancelled();
  RigidRegistration out;
  out.fixedRasFromMovingRas = rasAffineFromItk(*rigid).inverse();  // ITK maps fixed -> moving
  out.metric = optimizer->GetValue();
  out.seconds = secondsSince(start);
  return out;
}

Volume resampleOntoGrid(const Volume& moving, const Affine& fixedRasFromMovingRas,
                        const ImageGeometry& fixedGeometry) {
  // ITK resamples by mapping each output (fixed) point to the input (moving): moving <- fixed, in LPS.
  const Affine movingRasFromFixedRas = fixedRasFromMovingRas.inverse();
  Affine flip;
  flip.m[0][0] = -1;
  flip.m[1][1] = -1;
  const Affine lps = flip * movingRasFromFixedRas * flip;
  auto transform = AffineTransformType::New();
  AffineTransformType::MatrixType matrix;
  AffineTransformType::OutputVectorType offset;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) matrix(r, c) = lps.m[r][c];
    offset[r] = lps.m[r][3];
  }
  transform->SetMatrix(matrix);
  transform->SetOffset(offset);
  Volume out;
  out.geometry = fixedGeometry;
  auto reference = FloatImage::New();
  reference->SetRegions(
      FloatImage::SizeType{{fixedGeometry.size[0], fixedGeometry.size[1], fixedGeometry.size[2]}});
  applyGeometryToItk(fixedGeometry, *reference, "co-registration grid");
  auto resample = itk::ResampleImageFilter<FloatImage, FloatImage, double>::New();
  resample->SetInput(moving.image);
  resample->SetTransform(transform);
  resample->SetInterpolator(itk::LinearInterpolateImageFunction<FloatImage, double>::New());
  resample->SetReferenceImage(reference);
  resample->UseReferenceImageOn();
  resample->SetDefaultPixelValue(0);
  resample->Update();
  out.image = resample->GetOutput();
  out.path = moving.path;
  out.format = moving.format;
  out.geometrySource = "resampled onto the planning T1's grid";
  return out;
}

}  // namespace dbs
