// The working grid (WorkingGrid.h): which bins an image too fine to plan on whole gets, that their
// geometry is ITK's BinShrinkImageFilter's, and that a NIfTI streamed into the bins holds exactly
// what reading it whole and binning it would, so the bound on memory changes no result.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <itkBinShrinkImageFilter.h>
#include <itkImageFileWriter.h>
#include <itkMetaImageIO.h>

#include "TestNifti.h"
#include "TestSupport.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"
#include "dbs/imaging/WorkingGrid.h"

namespace dbs {
namespace {

using test::affineFromColumns;

TEST(WorkingGrid, ImagesWithinTheBudgetKeepTheirOwnGrid) {
  // colin27 (181 x 217 x 181 at 1 mm) and a 0.5 mm head of 14 M voxels.
  EXPECT_EQ(workingBinFactors({181, 217, 181}, {1, 1, 1}), (BinFactors{1, 1, 1}));
  EXPECT_EQ(workingBinFactors({200, 280, 250}, {0.7, 0.7, 0.7}), (BinFactors{1, 1, 1}));
}

TEST(WorkingGrid, AFineHeadIsBinnedAlongItsFinestAxesUntilItFits) {
  // The 0.3 mm head: 263 M voxels, within the voxel budget, binned to at most 2^24.
  const BinFactors f = workingBinFactors({603, 723, 603}, {0.3, 0.3, 0.3});
  EXPECT_EQ(f, (BinFactors{3, 3, 2}));
  EXPECT_LE((603 / f[0]) * (723 / f[1]) * (603 / f[2]), kMaxWorkingVoxels);
  // One bin fewer along any axis would not fit: the bins are as small as the budget allows.
  EXPECT_GT((603 / 2) * (723 / 3) * (603 / 2), kMaxWorkingVoxels);
  // Thick slices (0.4 x 0.4 x 3 mm) are binned in plane only: slices are never averaged together
  // while their in-plane voxels are finer than the slice thickness.
  const BinFactors slices = workingBinFactors({640, 640, 60}, {0.4, 0.4, 3.0}, 1u << 22);
  EXPECT_EQ(slices[2], 1u);
  EXPECT_LE((640 / slices[0]) * (640 / slices[1]) * 60, std::size_t(1) << 22);
}

TEST(WorkingGrid, BinnedGeometryIsTheGeometryOfItkBinShrink) {
  // An oblique, flipped, anisotropic grid whose sizes do not divide by the bins.
  auto image = FloatImage::New();
  image->SetRegions(FloatImage::SizeType{{11, 8, 7}});
  image->Allocate(true);
  ImageGeometry file;
  file.size = {11, 8, 7};
  file.rasFromIjk = affineFromColumns(0.3 * Vec3{0.8, 0.6, 0}, 0.5 * Vec3{-0.6, 0.8, 0}, 1.2 * Vec3{0, 0, -1},
                                      {12.5, -40, 30});
  applyGeometryToItk(file, *image, "test");
  auto shrink = itk::BinShrinkImageFilter<FloatImage, FloatImage>::New();
  shrink->SetInput(image);
  shrink->SetShrinkFactors(itk::BinShrinkImageFilter<FloatImage, FloatImage>::ShrinkFactorsType{{3, 2, 2}});
  shrink->Update();
  const ImageGeometry itkBinned = geometryFromItk(*shrink->GetOutput());
  const ImageGeometry ours = binnedGeometry(file, {3, 2, 2});
  EXPECT_EQ(ours.size, (std::array<std::size_t, 3>{3, 4, 3}));
  EXPECT_EQ(ours.size, itkBinned.size);
  EXPECT_LT(ours.rasFromIjk.maxAbsDifference(itkBinned.rasFromIjk), 1e-9);
}

// A gzipped, big-endian, scaled, oblique float NIfTI with NaNs, as a stress of the streamed reader.
test::TestNifti awkwardNifti() {
  test::TestNifti n;
  n.setSize(13, 10, 9);
  n.setSform(affineFromColumns({0, 0.4, 0}, {-0.45, 0, 0}, {0, 0, 0.6}, {20, -30, 5}));
  n.sclSlope = 2.5f;
  n.sclInter = -7.0f;
  n.bigEndian = true;
  n.gzip = true;
  for (int k = 0; k < 9; ++k)
    for (int j = 0; j < 10; ++j)
      for (int i = 0; i < 13; ++i) n.at(i, j, k) = static_cast<float>(i * 1.5 + j * j - 3 * k + (i * j) % 7);
  n.at(2, 3, 4) = std::numeric_limits<float>::quiet_NaN();
  n.at(12, 9, 8) = std::numeric_limits<float>::infinity();  // in the dropped remainder of every bin
  return n;
}

TEST(WorkingGrid, AStreamedNiftiHoldsWhatReadingItWholeAndBinningWouldHold) {
  const std::string path = test::tempFilePath("dbs_working_grid", "awkward.nii.gz");
  awkwardNifti().write(path);
  const Volume whole = loadVolume(path);
  LoadOptions options;
  options.maxVoxels = 200;  // 1170 voxels: binned as a 0.3 mm head is
  const Volume binned = loadVolume(path, {}, options);

  const BinFactors f = binned.binFactors;
  ASSERT_TRUE(isBinned(f));
  EXPECT_LE(binned.geometry.voxelCount(), 200u);
  EXPECT_EQ(binned.fileSize, whole.geometry.size);
  EXPECT_EQ(binned.nonFiniteVoxelsInFile, 2u);  // counted while streaming, as the whole read counts
  EXPECT_EQ(whole.nonFiniteVoxelsInFile, 2u);

  auto shrink = itk::BinShrinkImageFilter<FloatImage, FloatImage>::New();
  shrink->SetInput(whole.image);  // the NaN reads as a stored 0 there too
  shrink->SetShrinkFactors(
      itk::BinShrinkImageFilter<FloatImage, FloatImage>::ShrinkFactorsType{{f[0], f[1], f[2]}});
  shrink->Update();
  const FloatImage& expected = *shrink->GetOutput();
  EXPECT_LT(binned.geometry.rasFromIjk.maxAbsDifference(geometryFromItk(expected).rasFromIjk), 1e-6);
  EXPECT_LT(binned.geometry.rasFromIjk.maxAbsDifference(binnedGeometry(whole.geometry, f).rasFromIjk), 1e-12);
  ASSERT_EQ(expected.GetLargestPossibleRegion().GetNumberOfPixels(), binned.geometry.voxelCount());
  for (std::size_t v = 0; v < binned.geometry.voxelCount(); ++v)
    ASSERT_NEAR(binned.image->GetBufferPointer()[v], expected.GetBufferPointer()[v], 1e-4) << "voxel " << v;
  // The ITK image agrees with the geometry (one conversion point: applyGeometryToItk).
  EXPECT_LT(geometryFromItk(*binned.image).rasFromIjk.maxAbsDifference(binned.geometry.rasFromIjk), 1e-6);
  ASSERT_FALSE(binned.notes.empty());
  EXPECT_NE(binned.notes.front().find("working grid: "), std::string::npos);
}

TEST(WorkingGrid, FormatsReadWholeAreBinnedToTheSameGridAndValues) {
  const std::string niftiPath = test::tempFilePath("dbs_working_grid", "plain.nii");
  test::TestNifti n = awkwardNifti();
  n.gzip = false;
  n.bigEndian = false;
  n.sclSlope = 1;
  n.sclInter = 0;
  n.at(2, 3, 4) = 1;
  n.at(12, 9, 8) = 1;
  n.write(niftiPath);
  Volume whole = loadVolume(niftiPath);
  whole.image->SetMetaDataDictionary({});  // NIfTI's own keys are not MetaImage's
  const std::string mhaPath = test::tempFilePath("dbs_working_grid", "plain.mha");
  auto writer = itk::ImageFileWriter<FloatImage>::New();
  writer->SetImageIO(itk::MetaImageIO::New());
  writer->SetInput(whole.image);
  writer->SetFileName(mhaPath);
  writer->Update();

  LoadOptions options;
  options.maxVoxels = 200;
  const Volume fromNifti = loadVolume(niftiPath, {}, options), fromMha = loadVolume(mhaPath, {}, options);
  EXPECT_EQ(fromMha.binFactors, fromNifti.binFactors);
  EXPECT_EQ(fromMha.geometry.size, fromNifti.geometry.size);
  EXPECT_LT(fromMha.geometry.rasFromIjk.maxAbsDifference(fromNifti.geometry.rasFromIjk), 1e-5);
  for (std::size_t v = 0; v < fromNifti.geometry.voxelCount(); ++v)
    ASSERT_NEAR(fromMha.image->GetBufferPointer()[v], fromNifti.image->GetBufferPointer()[v], 1e-4);
  // A plan reopens on the bins it recorded, whatever the budget would choose.
  options.binFactors = BinFactors{2, 1, 3};
  EXPECT_EQ(loadVolume(niftiPath, {}, options).geometry.size, (std::array<std::size_t, 3>{6, 10, 3}));
}

}  // namespace
}  // namespace dbs
