// Registration: maps an MNI template (Colin27) onto a patient's T1 with ITK's v4 registration
// framework: initialisation on the head centres, a multi-resolution affine stage with Mattes mutual
// information, then a diffeomorphic demons stage confined to a box around the basal ganglia, where
// the GPi is and where accuracy matters. Demons rather than a B-spline: on this 2-core budget a
// B-spline stage with mutual information took 24 s for the same accuracy; demons on the histogram-
// matched template (T1 to T1) takes about 2 s and is more accurate (bench/locate_vs_elastix.sh). Also rigid
// co-registration of further volumes.
//
// Coordinate systems used: the API is RAS mm (WorldFrame.h). Inside, ITK works in LPS mm; the ITK
// transforms kept here map *patient* (fixed) points to *template* (moving) points, ITK's
// convention, which is also what resampling template labels onto the patient grid needs.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <itkCompositeTransform.h>
#include <itkImage.h>
#include <itkVector.h>

#include "dbs/imaging/Labels.h"
#include "dbs/imaging/Volume.h"

namespace dbs {

struct RegistrationParameters {
  // Affine stage: shrink factors and smoothing (mm) per level, iterations per level, sampling.
  std::vector<unsigned> affineShrink{6, 3};
  std::vector<double> affineSmoothingMm{3.0, 1.5};
  unsigned affineIterations = 80;
  double affineSamplingFraction = 0.2;
  // Deformable stage: on/off, template-space box (RAS mm, min then max) around the deep grey
  // matter that it is restricted to, control-point spacing at the finest level, levels.
  bool deformable = true;
  // The box reaches 10 mm beyond the structures the atlas carries; outside it the field is faded
  // to zero over at least demonsTaperMm (more where it is large, so that the fade cannot fold).
  std::array<Vec3, 2> deformableBoxTemplateRas{Vec3{-52, -60, -32}, Vec3{52, 46, 44}};
  // Diffeomorphic demons (Vercauteren 2009) on a grid of about demonsSpacingMm, iterations per
  // level (coarse to fine, each level halving the voxel size), field smoothing in voxels.
  // 1.5 mm, 40 + 20 iterations (was 2 mm, 60 + 40; the iterations had converged long before): on the
  // ten synthetic patients with 8 mm warps the worst pallidum Dice rose from 0.920 to 0.955 and the
  // mean from 0.958 to 0.973, at 2.9-5.5 s against elastix's 18-33 s (bench/locate_vs_elastix.sh).
  double demonsSpacingMm = 1.5;  // isotropic grid of the finest level (the coarser one at twice it)
  std::vector<unsigned> demonsIterations{40, 20};
  // Regularisation mostly fluid: each iteration's update is smoothed over demonsUpdateSigmaMm, the
  // accumulated field only over demonsFieldSigmaMm (both at the finest level; a coarser level's
  // voxels scale them, as ITK's voxel-unit sigmas do). In mm, not voxels, so that a coarser grid
  // (the sanitized tests' 2.5 mm) keeps the same regularisation: 6 voxels there was 15 mm, and the
  // phantom's located ventricles landed on tissue. The image noise (3 % in the synthetic patients)
  // then averages out of every step, while the field keeps
  // the detail the pallidum's edges ask for. The former elastic-only setting (field 2 voxels, no
  // update smoothing) sat at the equilibrium the noise shifted: without noise the same cases
  // reached 0.977, with it 0.953-0.963, and a wider field kernel only lost detail (0.94-0.96).
  // On the ten 8-mm synthetic patients the worst side rose from 0.955 to 0.976, every side now at
  // or above elastix's (it was 18 of 20; with the local contrast below); see the README.
  // 12 mm rather than 9: atrophied brains (ventricles 2.5x, caudate -40%) pulled the 9 mm fluid
  // off course, more with every iteration (60 + 40 iterations did worse than 40 + 20, 40 + 10
  // better), and one pallidum centroid ended 0.52 mm off; a wider update averages the enlarged
  // ventricle's strong edge with the pallidum's weak ones. Atrophy seeds 6 and 8's worst sides went
  // from 0.52 and 0.49 mm to 0.44 and 0.41; the 8 mm warps kept their Dice (seed 10's left 0.977 ->
  // 0.979). 15 mm was too wide: seed 10 fell to 0.965, under elastix's 0.972.
  double demonsFieldSigmaMm = 1.5;
  double demonsUpdateSigmaMm = 12.0;  // 0 = none (purely elastic demons)
  double demonsMaximumStepVoxels = 1.0;
  // Local-mean normalisation before matching intensities (0 = off). 5 mm rather than 8 raised the
  // worst pallidum Dice of the 10 synthetic benchmark patients (6 mm warps) from 0.915 to 0.934; 3 mm
  // with the 1.5 mm grid above does better still on 8 mm warps (worst 0.953, bench/locate_vs_elastix.sh):
  // the normalised image keeps only edges a few mm across, the pallidum's among them. 2 mm measured
  // the same on those warps but put synthetic seed 3's right target (3 mm warp) just outside its GPi.
  double demonsBiasSigmaMm = 3.0;
  // Local contrast (0 = off): after the local-mean division each image becomes a blend of itself
  // (1 - weight) and of 1 + gain * (v - local mean) / local SD over demonsContrastSigmaMm, clamped to
  // [0.05, 2] (weight), so the pallidum's faint edge against the putamen pulls harder against a
  // ventricle's wall. Measured with bench/locate_vs_elastix.sh (8 mm warps): without it seed 7's left
  // pallidum reached 0.973 and seed 10's 0.968 (elastix 0.977, 0.972), with it 0.980 and 0.977. The
  // contrast alone (weight 1) measured the same on those cases but lost the plain intensities: on the
  // geometric phantom, whose regions are flat, every region's inside became 1 and the located
  // ventricles landed on tissue (dbsplan refused it as not a head: contrast 0.3 SD against 9.4
  // before; 0.3 keeps 5.0). The gain sets the step size (0.1: 0.948, 0.3: 0.971, 0.5: 0.974).
  double demonsContrastSigmaMm = 3.0;
  double demonsContrastGain = 0.5;
  double demonsContrastWeight = 0.3;
  double demonsTaperMm = 10.0;  // shortest fade of the field to zero outside the box (mm)
  unsigned histogramBins = 32;
  int randomSeed = 1234;  // metric sampling: fixed, so a run is reproducible
};

struct RegistrationQuality {
  double affineMetric = 0;      // Mattes MI (negative: lower is better) at the end of the affine stage
  double deformableMetric = 0;  // mean squared difference at the end of the demons stage (0 when skipped)
  // Determinant of d(template)/d(patient) on every voxel of the displacement grid (box and fade).
  double jacobianMin = 1, jacobianMax = 1;
  double taperMm = 0;  // length over which the field fades to zero outside the box
  double affineSeconds = 0, deformableSeconds = 0;
};

using DisplacementFieldD = itk::Image<itk::Vector<double, 3>, 3>;
using DisplacementFieldF = itk::Image<itk::Vector<float, 3>, 3>;

class TemplateRegistration {
 public:
  using CompositeTransform = itk::CompositeTransform<double, 3>;

  // patient point (RAS mm) -> template point (RAS mm)
  Vec3 templateRasFromPatientRas(Vec3 patientRas) const;
  // template point (RAS mm) -> patient point (RAS mm); inverts the B-spline part iteratively
  // (to 0.01 mm), the affine part exactly.
  Vec3 patientRasFromTemplateRas(Vec3 templateRas) const;
  // The affine stage alone, patient RAS -> template RAS.
  Affine affineTemplateRasFromPatientRas() const;

  // Template labels resampled (nearest neighbour) onto the patient's grid, exactly its geometry.
  LabelVolume warpLabelsToPatient(const LabelVolume& templateLabels,
                                  const ImageGeometry& patientGeometry) const;

  const RegistrationQuality& quality() const { return quality_; }
  // Writes the affine in ITK's text format (.tfm, itk::TransformFileReader) and, when there is a
  // deformable stage, its displacement field as an ITK displacement image (NIfTI vector image, LPS
  // mm; itk::DisplacementFieldTransform). template point = affine(x + u(x)) for patient point x.
  void writeTransforms(const std::string& affinePath, const std::string& displacementPath) const;
  bool hasDisplacement() const { return displacement_; }
  // The inverse of writeTransforms: the same mapping rebuilt from its files (the field as stored,
  // float32), so a saved plan maps to the template without registering again. `displacementPath`
  // may be empty (affine only). quality() is not stored in the files and is left at its defaults.
  // Throws ImagingError naming the file when one cannot be read or is not a 3-D affine /
  // displacement field.
  static TemplateRegistration readTransforms(const std::string& affinePath,
                                             const std::string& displacementPath);

 private:
  friend TemplateRegistration registerTemplateToPatient(const Volume&, const Volume&,
                                                        const RegistrationParameters&,
                                                        const ProgressCallback&);
  itk::Transform<double, 3, 3>::Pointer affine_;
  CompositeTransform::Pointer full_;
  DisplacementFieldD::Pointer displacement_;
  RegistrationQuality quality_;
};

// Registers the template (moving) to the patient (fixed). Throws ImagingError when it fails and
// Cancelled when `progress` returns false.
TemplateRegistration registerTemplateToPatient(const Volume& patient, const Volume& templateT1,
                                               const RegistrationParameters& parameters,
                                               const ProgressCallback& progress = {});

struct RigidRegistration {
  Affine fixedRasFromMovingRas;  // maps a point of the moving volume (RAS) to the fixed one (RAS)
  double metric = 0;
  double seconds = 0;
};
// Rigid (6 degrees of freedom) co-registration of another volume of the same patient (T2, FGATIR,
// contrast T1, CT) to the planning T1, with the same metric and optimiser family.
// `finestLevelMm`: the voxel size of the last level (2 mm is enough for a co-registered T2 viewed
// beside the T1; a frame CT, whose registration error adds to every frame coordinate, uses 1 mm).
RigidRegistration registerRigid(const Volume& fixed, const Volume& moving,
                                const ProgressCallback& progress = {}, double finestLevelMm = 2.0);

// `moving` resampled (linear) onto `fixedGeometry`'s grid through a rigid result: the co-registered
// volume voxel for voxel with the planning T1.
Volume resampleOntoGrid(const Volume& moving, const Affine& fixedRasFromMovingRas,
                        const ImageGeometry& fixedGeometry);

}  // namespace dbs
