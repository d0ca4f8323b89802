// NRRD, MetaImage and DICOM series: the geometry each format declares must arrive as the same RAS
// affine (ITK reads these in LPS; dbsplan converts in WorldFrame.h only).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include <itkGDCMImageIO.h>
#include <itkImageFileWriter.h>
#include <itkImageSeriesWriter.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIO.h>

#include "TestNifti.h"
#include "dbs/imaging/DicomWriting.h"
#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using test::affineFromColumns;
using test::rotationAbout;

fs::path freshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "dbs_imaging_tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Formats, HandWrittenNrrdInRasSpace) {
  // A NRRD whose header says its space is RAS: the directions and origin are RAS as written.
  const fs::path dir = freshDir("nrrd");
  const fs::path path = dir / "ras.nrrd";
  std::ofstream out(path, std::ios::binary);
  out << "NRRD0004\ntype: float\ndimension: 3\nspace: right-anterior-superior\nsizes: 4 5 6\n"
      << "space directions: (0,1.5,0) (-2,0,0) (0,0,1)\nkinds: domain domain domain\nendian: little\n"
      << "encoding: raw\nspace origin: (10,20,30)\n\n";
  std::vector<float> voxels(4 * 5 * 6, 0.0f);
  voxels[(2 * 5 + 3) * 4 + 1] = 7.0f;  // index (1, 3, 2)
  out.write(reinterpret_cast<const char*>(voxels.data()), static_cast<long>(voxels.size() * 4));
  out.close();

  const Volume v = loadVolume(path.string());
  const Affine want = affineFromColumns({0, 1.5, 0}, {-2, 0, 0}, {0, 0, 1}, {10, 20, 30});
  EXPECT_LT(v.geometry.rasFromIjk.maxAbsDifference(want), 1e-9);
  EXPECT_EQ(v.geometry.orientationCode(), "ALS");
  EXPECT_EQ(v.image->GetPixel({{1, 3, 2}}), 7.0f);
  EXPECT_EQ(v.format, "NRRD");
}

TEST(Formats, MetaImageWrittenInLpsArrivesAsRas) {
  auto image = FloatImage::New();
  image->SetRegions(FloatImage::SizeType{{5, 4, 3}});
  image->Allocate(true);
  FloatImage::DirectionType direction;
  direction.Fill(0);
  direction(0, 0) = 1;   // i -> +x LPS = patient left
  direction(2, 1) = -1;  // j -> -z = inferior
  direction(1, 2) = 1;   // k -> +y LPS = posterior
  image->SetDirection(direction);
  image->SetSpacing(itk::Vector<double, 3>(std::array<double, 3>{0.5, 0.7, 3.0}.data()));
  FloatImage::PointType origin;
  origin[0] = 12;
  origin[1] = -34;
  origin[2] = 56;
  image->SetOrigin(origin);
  const fs::path path = freshDir("mha") / "lps.mha";
  auto writer = itk::ImageFileWriter<FloatImage>::New();
  writer->SetImageIO(itk::MetaImageIO::New());
  writer->SetInput(image);
  writer->SetFileName(path.string());
  writer->Update();

  const Volume v = loadVolume(path.string());
  // RAS = LPS with x and y negated (rows 0 and 1 of the LPS affine).
  const Affine want = affineFromColumns({-0.5, 0, 0}, {0, 0, -0.7}, {0, -3, 0}, {-12, 34, 56});
  EXPECT_LT(v.geometry.rasFromIjk.maxAbsDifference(want), 1e-9);
  EXPECT_EQ(v.geometry.orientationCode(), "LIP");
}

// Writes a DICOM series (one file per slice) with explicit patient position/orientation tags;
// `tamper` may change each slice's tags (slice index, dictionary) before it is written.
void writeDicomSeries(const fs::path& dir, const std::string& seriesUid, const std::string& description,
                      int slices, const Affine& lpsFromIjk, int firstFile,
                      const std::function<void(int, itk::MetaDataDictionary&)>& tamper = {}) {
  using ShortImage = itk::Image<short, 3>;
  using SliceImage = itk::Image<short, 2>;
  auto image = ShortImage::New();
  image->SetRegions(ShortImage::SizeType{{6, 5, static_cast<unsigned long>(slices)}});
  image->Allocate(true);
  image->SetPixel({{4, 1, static_cast<long>(slices) - 2}}, 900);
  // GDCM takes the in-plane spacing from the image itself, so give it the full geometry too.
  ShortImage::SpacingType spacing;
  ShortImage::DirectionType direction;
  ShortImage::PointType origin;
  for (int c = 0; c < 3; ++c) {
    spacing[c] = norm(lpsFromIjk.column(c));
    for (int r = 0; r < 3; ++r) direction(r, c) = lpsFromIjk.m[r][c] / spacing[c];
    origin[c] = lpsFromIjk.m[c][3];
  }
  image->SetSpacing(spacing);
  image->SetDirection(direction);
  image->SetOrigin(origin);
  const Vec3 row = lpsFromIjk.column(0), column = lpsFromIjk.column(1), sliceStep = lpsFromIjk.column(2);
  auto io = itk::GDCMImageIO::New();
  io->KeepOriginalUIDOn();
  std::vector<itk::MetaDataDictionary> dictionaries(static_cast<std::size_t>(slices));
  std::vector<std::string> names;
  char text[256];
  for (int k = 0; k < slices; ++k) {
    auto& d = dictionaries[static_cast<std::size_t>(k)];
    const Vec3 position = lpsFromIjk.apply({0, 0, static_cast<double>(k)});
    itk::EncapsulateMetaData<std::string>(d, "0008|0060", "MR");
    itk::EncapsulateMetaData<std::string>(d, "0008|103e", description);
    itk::EncapsulateMetaData<std::string>(d, "0020|000d", "1.2.826.0.1.3680043.2.1125.77.1");
    itk::EncapsulateMetaData<std::string>(d, "0020|000e", seriesUid);
    itk::EncapsulateMetaData<std::string>(d, "0008|0018", seriesUid + "." + std::to_string(k + 1));
    itk::EncapsulateMetaData<std::string>(d, "0020|0013", std::to_string(k + 1));
    std::snprintf(text, sizeof text, "%.6f\\%.6f\\%.6f", position.x, position.y, position.z);
    itk::EncapsulateMetaData<std::string>(d, "0020|0032", text);
    const Vec3 r = normalized(row), c = normalized(column);
    std::snprintf(text, sizeof text, "%.6f\\%.6f\\%.6f\\%.6f\\%.6f\\%.6f", r.x, r.y, r.z, c.x, c.y, c.z);
    itk::EncapsulateMetaData<std::string>(d, "0020|0037", text);
    std::snprintf(text, sizeof text, "%.6f\\%.6f", norm(column), norm(row));  // row spacing, column spacing
    itk::EncapsulateMetaData<std::string>(d, "0028|0030", text);
    std::snprintf(text, sizeof text, "%.6f", norm(sliceStep));
    itk::EncapsulateMetaData<std::string>(d, "0018|0050", text);
    if (tamper) tamper(k, d);
    names.push_back((dir / ("IM" + std::to_string(firstFile + k) + ".dcm")).string());
  }
  auto writer = itk::ImageSeriesWriter<ShortImage, SliceImage>::New();
  writer->SetInput(image);
  writer->SetImageIO(io);
  writer->SetFileNames(names);
  std::vector<itk::MetaDataDictionary*> dictionaryPointers;
  for (auto& d : dictionaries) dictionaryPointers.push_back(&d);
  writer->SetMetaDataDictionaryArray(&dictionaryPointers);
  writer->Update();
}

// Issue 11: a DICOM slice whose pixel data were cut short (a copy interrupted, a full disk) is
// refused naming the file; GDCM would read the missing pixels as zeros.
TEST(Formats, DicomSliceWithTruncatedPixelDataIsRefused) {
  const fs::path dir = freshDir("dicom_truncated");
  const Affine lpsFromIjk = affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1.5}, {-20, -20, -10});
  writeDicomSeries(dir, "1.2.826.0.1.3680043.2.1125.77.9", "T1", 6, lpsFromIjk, 0);
  EXPECT_NO_THROW(loadVolume(dir.string())) << "the whole series loads";
  std::vector<fs::path> slices;
  for (const auto& e : fs::directory_iterator(dir)) slices.push_back(e.path());
  std::sort(slices.begin(), slices.end());
  const fs::path cut = slices[slices.size() / 2];
  fs::resize_file(cut, fs::file_size(cut) - 20);  // the last 10 pixels of its 30
  try {
    loadVolume(dir.string());
    ADD_FAILURE() << "a truncated slice was loaded";
  } catch (const ImagingError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(cut.filename().string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// Issue 26: DICOM geometry the files do not give (a position shared by every slice, orientation
// vectors of zeros or NaN, a zero pixel spacing) is never filled with 1 mm and identity for planning.
TEST(Formats, DicomSeriesWhoseFilesLackTheirGeometryIsNotPlanned) {
  // Axial, turned 0.1 rad about the slice normal: the orientation text is long enough to patch.
  const double c = 0.9 * std::cos(0.1), sn = 0.9 * std::sin(0.1);
  const Affine lpsFromIjk = affineFromColumns({c, sn, 0}, {-sn, c, 0}, {0, 0, 2.5}, {-20, -30, 40});
  // GDCM writes Image Orientation (Patient) and Pixel Spacing from the image, whatever the
  // dictionary says; a damaged one is put into the written files byte by byte, padded to the same
  // length. `tag`: group and element, little endian.
  auto patchValue = [](const std::string& tag, const std::string& text) {
    return [tag, text](const fs::path& file) {
      std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(io)), std::istreambuf_iterator<char>());
      const std::size_t at = bytes.find(tag);
      ASSERT_NE(at, std::string::npos) << file;
      // Explicit VR: "DS" and a 2-byte length; implicit VR: a 4-byte length (both little endian).
      const bool explicitVr = bytes.compare(at + 4, 2, "DS") == 0;
      const std::size_t length =
          explicitVr
              ? (static_cast<unsigned char>(bytes[at + 6]) | (static_cast<unsigned char>(bytes[at + 7]) << 8))
              : (static_cast<unsigned char>(bytes[at + 4]) |
                 (static_cast<unsigned char>(bytes[at + 5]) << 8));
      ASSERT_LE(text.size(), length);
      io.seekp(static_cast<std::streamoff>(at + 8));
      io << text << std::string(length - text.size(), ' ');
    };
  };
  const std::string kOrientationTag("\x20\x00\x37\x00", 4), kSpacingTag("\x28\x00\x30\x00", 4);
  struct Case {
    const char* name;
    std::function<void(int, itk::MetaDataDictionary&)> tamper;
    std::function<void(const fs::path&)> patch;
    const char* missing;
  };
  const Case cases[] = {
      {"same_position",
       [](int, itk::MetaDataDictionary& d) {
         itk::EncapsulateMetaData<std::string>(d, "0020|0032", "-20.000000\\-30.000000\\40.000000");
       },
       {},
       "share one Image Position (Patient)"},
      {"zero_orientation",
       {},
       patchValue(kOrientationTag, "0\\0\\0\\0\\0\\0"),
       "Image Orientation (Patient)"},
      {"nan_orientation",
       {},
       patchValue(kOrientationTag, "nan\\0\\0\\0\\1\\0"),
       "Image Orientation (Patient)"},
      {"zero_spacing", {}, patchValue(kSpacingTag, "0\\0"), "Pixel Spacing"},
      {"uneven_slices",
       [](int k, itk::MetaDataDictionary& d) {
         char text[128];
         std::snprintf(text, sizeof text, "-20\\-30\\%.3f", 40.0 + 2.5 * k + (k == 3 ? 1.0 : 0.0));
         itk::EncapsulateMetaData<std::string>(d, "0020|0032", text);
       },
       {},
       "not evenly spaced"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path dir = freshDir(std::string("dicom_") + c.name);
    writeDicomSeries(dir, "1.2.826.0.1.3680043.2.1125.77.20", "T1", 6, lpsFromIjk, 0, c.tamper);
    if (c.patch)
      for (const auto& entry : fs::directory_iterator(dir)) c.patch(entry.path());
    Volume v;
    try {
      v = loadVolume(dir.string());
    } catch (const ImagingError& e) {
      // Refusing at load is as safe as refusing at planning; say which.
      EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
      continue;
    }
    ASSERT_FALSE(v.geometryNotInFile.empty());
    bool named = false;
    for (const std::string& m : v.geometryNotInFile) named = named || m.find(c.missing) != std::string::npos;
    EXPECT_TRUE(named) << v.geometryNotInFile[0];
    EXPECT_THROW(requireGeometryFromFile(v, "plan"), ImagingError);
  }
  // The untampered series gives all of its geometry.
  const fs::path dir = freshDir("dicom_complete");
  writeDicomSeries(dir, "1.2.826.0.1.3680043.2.1125.77.21", "T1", 6, lpsFromIjk, 0);
  EXPECT_TRUE(loadVolume(dir.string()).geometryNotInFile.empty());
}

TEST(Formats, DicomSeriesGeometryAndLargestSeriesChoice) {
  const fs::path dir = freshDir("dicom");
  // Oblique axial series, 0.8 x 0.9 mm in-plane, 2.5 mm slices (LPS as DICOM stores it).
  const Affine rotation = rotationAbout(0, 15.0);
  const Affine lpsFromIjk = [&] {
    Affine a = rotation * affineFromColumns({0.8, 0, 0}, {0, 0.9, 0}, {0, 0, 2.5}, {0, 0, 0});
    a.m[0][3] = -20;
    a.m[1][3] = -30;
    a.m[2][3] = 15;
    return a;
  }();
  writeDicomSeries(dir, "1.2.826.0.1.3680043.2.1125.77.2", "T1 oblique", 7, lpsFromIjk, 0);
  writeDicomSeries(dir, "1.2.826.0.1.3680043.2.1125.77.3", "localizer", 3,
                   affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 5}, {0, 0, 0}), 100);

  const Volume v = loadVolume(dir.string());
  EXPECT_EQ(v.format, "DICOM");
  EXPECT_EQ(v.geometry.size[2], 7u) << "the series with the most slices is chosen";
  const Affine want = rasFromLpsOutput(lpsFromIjk);
  EXPECT_LT(v.geometry.rasFromIjk.maxAbsDifference(want), 1e-3)
      << "got column 2 " << v.geometry.rasFromIjk.column(2).x << " " << v.geometry.rasFromIjk.column(2).y
      << " " << v.geometry.rasFromIjk.column(2).z << " origin " << v.geometry.rasFromIjk.translation().x
      << " " << v.geometry.rasFromIjk.translation().y << " " << v.geometry.rasFromIjk.translation().z;
  ASSERT_FALSE(v.notes.empty());
  EXPECT_NE(v.notes[0].find("2 DICOM series"), std::string::npos) << v.notes[0];
  EXPECT_NE(v.notes[0].find("T1 oblique"), std::string::npos) << v.notes[0];
  EXPECT_EQ(v.image->GetPixel({{4, 1, 5}}), 900.0f);

  // Naming one file of the small series loads that series instead.
  const Volume localizer = loadVolume((dir / "IM100.dcm").string());
  EXPECT_EQ(localizer.geometry.size[2], 3u);
}

TEST(Formats, EmptyFolderIsAClearError) {
  const fs::path dir = freshDir("empty_dicom");
  try {
    loadVolume(dir.string());
    FAIL() << "expected an error";
  } catch (const ImagingError& e) {
    EXPECT_NE(std::string(e.what()).find("no DICOM"), std::string::npos) << e.what();
  }
}

// Issue 24: a derived series dbsplan writes for a navigation system reads back with the same oblique,
// flipped, anisotropic geometry (within 1e-3 mm) and values, and keeps its source's patient, study
// and frame of reference: a second export from it is in the same study and frame.
TEST(Formats, ADerivedDicomSeriesKeepsItsGeometryValuesAndIdentity) {
  ImageGeometry g;
  g.size = {12, 10, 5};
  g.rasFromIjk = affineFromColumns(0.9 * Vec3{std::cos(0.3), std::sin(0.3), 0},
                                   0.7 * Vec3{-std::sin(0.3), std::cos(0.3), 0}, 2.5 * Vec3{0, 0, -1},
                                   {-40.25, 12.5, 33.125});
  auto image = DicomPixelImage::New();
  image->SetRegions(DicomPixelImage::SizeType{{12, 10, 5}});
  image->Allocate();
  for (std::size_t n = 0; n < g.voxelCount(); ++n)
    image->GetBufferPointer()[n] = static_cast<unsigned short>(n % 4000);
  DicomIdentity identity;
  identity.patientName = "Test^Patient";
  identity.patientId = "P0001";
  identity.studyInstanceUid = "1.2.826.0.1.3680043.2.1125.1.1";
  identity.frameOfReferenceUid = "1.2.826.0.1.3680043.2.1125.1.2";
  identity.patientPosition = "HFS";
  const fs::path dir = freshDir("derived_dicom");
  ASSERT_EQ(writeDerivedMrSeries(*image, g, identity, {}, dir.string()).size(), 5u);

  // Read back, the slices are ordered along the slice normal (here against k): every voxel is at the
  // same place (within 1e-3 mm) with the same value.
  const Volume back = loadVolume(dir.string());
  ASSERT_EQ(back.geometry.size, g.size);
  const Affine ijkFromRas = g.ijkFromRas();
  double worst = 0;
  for (std::size_t k = 0, n = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i, ++n) {
        const Vec3 q = ijkFromRas.apply(back.geometry.rasFromIndex({double(i), double(j), double(k)}));
        const Vec3 nearest{std::round(q.x), std::round(q.y), std::round(q.z)};
        worst = std::max(worst, norm(g.rasFromIndex(q) - g.rasFromIndex(nearest)));
        const std::size_t original =
            (std::size_t(nearest.z) * g.size[1] + std::size_t(nearest.y)) * g.size[0] +
            std::size_t(nearest.x);
        ASSERT_EQ(back.image->GetBufferPointer()[n], static_cast<float>(original % 4000)) << n;
      }
  EXPECT_LT(worst, 1e-3);
  const DicomIdentity kept = dicomIdentityOf(dir.string());
  EXPECT_TRUE(kept.fromDicomSource);
  EXPECT_EQ(kept.patientName, "Test^Patient");
  EXPECT_EQ(kept.patientId, "P0001");
  EXPECT_EQ(kept.studyInstanceUid, identity.studyInstanceUid);
  EXPECT_EQ(kept.frameOfReferenceUid, identity.frameOfReferenceUid);
  EXPECT_EQ(kept.patientPosition, "HFS");
  EXPECT_TRUE(kept.emptyBecause.empty());
}

}  // namespace
}  // namespace dbs
