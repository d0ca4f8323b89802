// Bad input: every malformed file gets a specific one-line ImagingError naming the file, never a
// crash, and a header that lies about its size never causes a large allocation.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <sys/stat.h>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <optional>

#include "TestNifti.h"
#include "TestSupport.h"
#include "dbs/generators/SyntheticPatient.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using test::affineFromColumns;
using test::TestNifti;

std::string tempPath(const std::string& name) {
  return test::tempFilePath("dbs_imaging_tests/bad", name);
}

TestNifti validNifti() {
  TestNifti n;
  n.setSize(8, 8, 8);
  n.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  return n;
}

// Loads `path` and returns the error message; fails the test if loading succeeds.
std::string loadError(const std::string& path) {
  try {
    loadVolume(path);
  } catch (const ImagingError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "error messages are one line: " << message;
    EXPECT_NE(message.find(fs::path(path).filename().string()), std::string::npos)
        << "names the file: " << message;
    return message;
  }
  ADD_FAILURE() << "loading " << path << " should fail";
  return {};
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(BadInput, MissingEmptyAndNonImageFiles) {
  EXPECT_NE(loadError(tempPath("does_not_exist.nii")).find("no such file"), std::string::npos);
  writeBytes(tempPath("empty.nii"), "");
  EXPECT_NE(loadError(tempPath("empty.nii")).find("empty"), std::string::npos);
  writeBytes(tempPath("text.nii.gz"),
             "this is not an image, just some text that is long enough to have a header size");
  EXPECT_NE(loadError(tempPath("text.nii.gz")).find("not a NIfTI-1"), std::string::npos);
  writeBytes(tempPath("notes.txt"), "hello");
  EXPECT_NE(loadError(tempPath("notes.txt")).find("unrecognised image format"), std::string::npos);
  writeBytes(tempPath("broken.nrrd"), "NRRD0004\ntype: banana\n\n");
  EXPECT_NE(loadError(tempPath("broken.nrrd")).find("cannot read"), std::string::npos);
}

TEST(BadInput, TruncatedHeaderAndData) {
  auto n = validNifti();
  const auto bytes = n.bytes();
  writeBytes(tempPath("short_header.nii"), std::string(bytes.begin(), bytes.begin() + 200));
  EXPECT_NE(loadError(tempPath("short_header.nii")).find("truncated"), std::string::npos);
  n.truncateDataTo = 100;
  n.write(tempPath("short_data.nii"));
  EXPECT_NE(loadError(tempPath("short_data.nii")).find("truncated"), std::string::npos);
  n.gzip = true;
  n.write(tempPath("short_data.nii.gz"));
  EXPECT_NE(loadError(tempPath("short_data.nii.gz")).find("truncated"), std::string::npos);
}

// A .nii.gz cut short or with bytes altered keeps a plausible header and gzip trailer; ITK would
// fill what is missing with zeros. Every byte is inflated and the CRC-32 checked: refused.
TEST(BadInput, DamagedGzipIsRefusedNotFilledWithZeros) {
  auto n = validNifti();
  n.setSize(40, 40, 40);
  n.voxels.resize(40 * 40 * 40);
  for (std::size_t i = 0; i < n.voxels.size(); ++i) n.voxels[i] = static_cast<float>((i * 7919) % 1000);
  n.gzip = true;
  const std::string good = tempPath("intact.nii.gz");
  n.write(good);
  EXPECT_NO_THROW(loadVolume(good));
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 2000u);
  // Cut at 60 % of its length.
  writeBytes(tempPath("cut.nii.gz"), bytes.substr(0, bytes.size() * 6 / 10));
  EXPECT_NE(loadError(tempPath("cut.nii.gz")).find("truncated"), std::string::npos);
  // 200 bytes flipped in the middle (header and trailer intact).
  std::string flipped = bytes;
  for (std::size_t i = 0; i < 200; ++i)
    flipped[bytes.size() / 2 + i] = static_cast<char>(~flipped[bytes.size() / 2 + i]);
  writeBytes(tempPath("flipped.nii.gz"), flipped);
  const std::string e = loadError(tempPath("flipped.nii.gz"));
  EXPECT_TRUE(e.find("damaged compressed data") != std::string::npos ||
              e.find("truncated") != std::string::npos)
      << e;
  // One byte changed: only the CRC can tell.
  std::string oneByte = bytes;
  oneByte[bytes.size() - 12] = static_cast<char>(oneByte[bytes.size() - 12] ^ 0x01);
  writeBytes(tempPath("one_byte.nii.gz"), oneByte);
  const std::string crc = loadError(tempPath("one_byte.nii.gz"));
  EXPECT_TRUE(crc.find("damaged compressed data") != std::string::npos ||
              crc.find("truncated") != std::string::npos)
      << crc;
}

TEST(BadInput, LyingSizeNeverAllocates) {
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  // 600^3 float voxels = 864 MB declared (within the voxel budget), a few bytes present, compressed.
  auto n = validNifti();
  n.dim = {3, 600, 600, 600, 1, 1, 1, 1};
  n.voxels.assign(16, 1.0f);
  n.gzip = true;
  n.write(tempPath("liar.nii.gz"));
  EXPECT_NE(loadError(tempPath("liar.nii.gz")).find("truncated"), std::string::npos);
  // 1024^3 (a 1 MB gzip inflates to that) and 2 x 23170^2 (two 2 KB DICOM files claimed it): over
  // the 2^28-voxel budget, refused from the header.
  n.dim = {3, 1024, 1024, 1024, 1, 1, 1, 1};
  n.gzip = false;
  n.write(tempPath("bomb.nii"));
  EXPECT_NE(loadError(tempPath("bomb.nii")).find("refusing"), std::string::npos);
  n.dim = {3, 23170, 23170, 2, 1, 1, 1, 1};
  n.write(tempPath("wide.nii"));
  EXPECT_NE(loadError(tempPath("wide.nii")).find("refusing"), std::string::npos);
  // 32767^3 voxels: beyond any real scan.
  n.dim = {3, 32767, 32767, 32767, 1, 1, 1, 1};
  n.gzip = false;
  n.write(tempPath("huge.nii"));
  EXPECT_NE(loadError(tempPath("huge.nii")).find("refusing"), std::string::npos);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 200 * 1024)
      << "peak memory grew by more than 200 MB (kB units)";
}

// Values no scanner writes: an sform offset of 3e38 hung ITK's SVD; a vox_offset of 1e30 wrapped a
// float-to-integer conversion. Both are refused at once.
TEST(BadInput, PhysicallyImpossibleGeometryIsRefused) {
  auto n = validNifti();
  n.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {3e38, 0, 0}));
  n.write(tempPath("far_offset.nii"));
  EXPECT_NE(loadError(tempPath("far_offset.nii")).find("not a physical position"), std::string::npos);
  n = validNifti();
  n.setSform(affineFromColumns({1e-5, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  n.write(tempPath("tiny_voxel.nii"));
  EXPECT_NE(loadError(tempPath("tiny_voxel.nii")).find("length of"), std::string::npos);
  // vox_offset patched into a valid file (the test writer would allocate it).
  validNifti().write(tempPath("far_data.nii"));
  {
    std::fstream f(tempPath("far_data.nii"), std::ios::binary | std::ios::in | std::ios::out);
    const float huge = 1e30f;
    f.seekp(108);
    f.write(reinterpret_cast<const char*>(&huge), 4);
  }
  EXPECT_NE(loadError(tempPath("far_data.nii")).find("vox_offset"), std::string::npos);
}

TEST(BadInput, InvalidHeaderFields) {
  auto n = validNifti();
  n.dim[1] = 0;
  n.write(tempPath("zero_dim.nii"));
  EXPECT_NE(loadError(tempPath("zero_dim.nii")).find("dim[1]"), std::string::npos);

  n = validNifti();
  n.dim = {4, 8, 8, 8, 5, 1, 1, 1};
  n.voxels.resize(8 * 8 * 8 * 5);
  n.write(tempPath("four_d.nii"));
  EXPECT_NE(loadError(tempPath("four_d.nii")).find("5 volumes"), std::string::npos);

  n = validNifti();
  n.datatype = 32;  // complex64
  n.bitpix = 64;
  n.write(tempPath("complex.nii"));
  EXPECT_NE(loadError(tempPath("complex.nii")).find("not a scalar"), std::string::npos);

  n = validNifti();
  n.bitpix = 16;
  n.write(tempPath("bitpix.nii"));
  EXPECT_NE(loadError(tempPath("bitpix.nii")).find("bitpix"), std::string::npos);

  n = validNifti();
  n.sizeofHdr = 540;
  n.write(tempPath("nifti2.nii"));
  EXPECT_NE(loadError(tempPath("nifti2.nii")).find("NIfTI-2"), std::string::npos);

  n = validNifti();
  n.magic[1] = 'i';  // "ni1": header/image pair
  n.write(tempPath("pair.nii"));
  EXPECT_NE(loadError(tempPath("pair.nii")).find("separate"), std::string::npos);

  n = validNifti();
  n.voxOffset = 0;
  n.write(tempPath("offset.nii"));
  EXPECT_NE(loadError(tempPath("offset.nii")).find("vox_offset"), std::string::npos);

  n = validNifti();
  n.srow[0][0] = std::numeric_limits<float>::quiet_NaN();
  n.write(tempPath("nan_sform.nii"));
  EXPECT_NE(loadError(tempPath("nan_sform.nii")).find("non-finite"), std::string::npos);

  n = validNifti();
  n.srow[0] = {0, 0, 0, 0};
  n.write(tempPath("singular.nii"));
  EXPECT_NE(loadError(tempPath("singular.nii")).find("singular"), std::string::npos);

  n = validNifti();
  n.sformCode = 0;
  n.qformCode = 1;
  n.quatern = {1.0f, 1.0f, 0.0f};  // |q| > 1: not a rotation
  n.write(tempPath("bad_quaternion.nii"));
  EXPECT_NE(loadError(tempPath("bad_quaternion.nii")).find("quatern"), std::string::npos);
}

}  // namespace
}  // namespace dbs

namespace dbs {
namespace {

std::string metaHeader(const std::string& extraKey, const std::string& dims, const std::string& type,
                       const std::string& dataFile) {
  return "ObjectType = Image\nNDims = 3\n" + extraKey + "DimSize = " + dims + "\nElementType = " + type +
         "\nElementDataFile = " + dataFile + "\n";
}

// MetaIO copies keys into fixed stack buffers: a long key overflowed one inside ITK. It must be
// refused by dbsplan's own screening, before ITK reads the file.
TEST(BadInput, MetaImageLongKeysAreRefusedBeforeItkReadsThem) {
  for (std::size_t length : {65u, 255u, 999u}) {
    SCOPED_TRACE(length);
    const std::string path = tempPath("long_key_" + std::to_string(length) + ".mha");
    writeBytes(path, metaHeader(std::string(length, 'K') + " = 1\n", "2 2 2", "MET_UCHAR", "LOCAL") +
                         std::string(8, '\0'));
    const std::string message = loadError(path);
    EXPECT_NE(message.find("key of " + std::to_string(length) + " characters"), std::string::npos) << message;
  }
  // An ordinary small MetaImage still loads.
  const std::string ok = tempPath("small_ok.mha");
  writeBytes(ok, metaHeader("", "2 2 2", "MET_UCHAR", "LOCAL") + std::string(8, '\1'));
  EXPECT_NO_THROW(loadVolume(ok));
}

TEST(BadInput, MissingVoxelDataIsRefusedNotFilledWithZeros) {
  // MetaImage, data inside (.mha) and beside (.mhd + .raw): 8 x 8 x 8 shorts need 1024 bytes.
  writeBytes(tempPath("short_local.mha"),
             metaHeader("", "8 8 8", "MET_SHORT", "LOCAL") + std::string(600, '\0'));
  EXPECT_NE(loadError(tempPath("short_local.mha")).find("needs 1024 bytes"), std::string::npos);
  writeBytes(tempPath("short_detached.raw"), std::string(1000, '\0'));
  writeBytes(tempPath("short_detached.mhd"), metaHeader("", "8 8 8", "MET_SHORT", "short_detached.raw"));
  EXPECT_NE(loadError(tempPath("short_detached.mhd")).find("truncated"), std::string::npos);
  writeBytes(tempPath("missing_data.mhd"), metaHeader("", "8 8 8", "MET_SHORT", "no_such.raw"));
  EXPECT_NE(loadError(tempPath("missing_data.mhd")).find("no such file"), std::string::npos);
  // NRRD, attached and detached raw.
  const std::string nrrdHeader =
      "NRRD0004\ntype: short\ndimension: 3\nsizes: 8 8 8\nencoding: raw\nendian: little\n";
  writeBytes(tempPath("short_attached.nrrd"), nrrdHeader + "\n" + std::string(512, '\0'));
  EXPECT_NE(loadError(tempPath("short_attached.nrrd")).find("needs 1024 bytes"), std::string::npos);
  writeBytes(tempPath("short_nrrd.raw"), std::string(100, '\0'));
  writeBytes(tempPath("short_detached.nhdr"), nrrdHeader + "data file: short_nrrd.raw\n\n");
  EXPECT_NE(loadError(tempPath("short_detached.nhdr")).find("truncated"), std::string::npos);
  // Complete data load.
  writeBytes(tempPath("complete.nrrd"),
             nrrdHeader + "space: left-posterior-superior\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n\n" +
                 std::string(1024, '\0'));
  EXPECT_NO_THROW(loadVolume(tempPath("complete.nrrd")));
}

// A FIFO (or a device) read as an image or a data file never ends: refused at once, by name.
TEST(BadInput, FifosAndDevicesAreNotImagesOrDataFiles) {
  const std::string fifo = tempPath("pipe.nii");
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(loadError(fifo).find("not a regular file"), std::string::npos);
  const std::string dataFifo = tempPath("pipe.raw");
  fs::remove(dataFifo);
  ASSERT_EQ(mkfifo(dataFifo.c_str(), 0600), 0);
  writeBytes(tempPath("fifo_data.mhd"), metaHeader("", "8 8 8", "MET_SHORT", "pipe.raw"));
  EXPECT_NE(loadError(tempPath("fifo_data.mhd")).find("not a regular file"), std::string::npos);
  writeBytes(tempPath("fifo_data.nhdr"),
             "NRRD0004\ntype: short\ndimension: 3\nsizes: 8 8 8\nencoding: raw\ndata file: pipe.raw\n\n");
  EXPECT_NE(loadError(tempPath("fifo_data.nhdr")).find("not a regular file"), std::string::npos);
  writeBytes(tempPath("device_data.mhd"), metaHeader("", "8 8 8", "MET_SHORT", "/dev/zero"));
  EXPECT_NE(loadError(tempPath("device_data.mhd")).find("not a regular file"), std::string::npos);
  fs::remove(fifo);
  fs::remove(dataFifo);
}

// A folder of junk "DICOM" files: Debian's GDCM asserted (abort, exit 134) on a file with the DICM
// preamble and a damaged meta header. Screened first, it is a one-line error and this test lives on.
TEST(BadInput, DicomFolderOfJunkIsRefusedWithoutAborting) {
  const fs::path dir = fs::path(tempPath("junk_dicom"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string junk(700, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
  writeBytes((dir / "plain_junk.dcm").string(), junk);  // no preamble: GDCM refuses it itself
  std::string damaged = junk;
  damaged.replace(128, 4, "DICM");
  writeBytes((dir / "damaged_meta.dcm").string(), damaged);
  std::string longElement =
      std::string(128, '\0') + "DICM" + std::string("\x02\x00\x10\x00UI\xff\x7f", 8) + "1.2";
  writeBytes((dir / "long_element.dcm").string(), longElement);
  try {
    loadVolume(dir.string());
    ADD_FAILURE() << "a folder of junk must not load";
  } catch (const ImagingError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("damaged DICOM file"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  fs::remove(dir / "damaged_meta.dcm");
  try {
    loadVolume(dir.string());
    ADD_FAILURE() << "a folder of junk must not load";
  } catch (const ImagingError& e) {
    EXPECT_NE(std::string(e.what()).find("longer than the file"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// Issue 26: ITK's and teem's own words ("itk::ERROR: NrrdImageIO(0x55...): ... [nrrd] nrrdLoad:
// trouble ...") are reduced to the reason, after dbsplan's naming of the file and the step.
TEST(BadInput, AnNrrdHeaderProblemIsTheReasonNotTheLibrarysStackOfMessages) {
  const std::string path = tempPath("no_endian.nrrd");
  std::ofstream(path) << "NRRD0004\ntype: short\ndimension: 3\nsizes: 10 10 10\nspace: RAS\n"
                         "space directions: (1,0,0) (0,1,0) (0,0,1)\nencoding: gzip\n\nnot gzip data";
  try {
    loadVolume(path);
    ADD_FAILURE() << "an NRRD without endian information must not load";
  } catch (const ImagingError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message,
              path + ": cannot read the image header: type (short) and encoding (gzip) require endian info");
    EXPECT_EQ(message.find("itk::"), std::string::npos) << message;
    EXPECT_EQ(message.find("[nrrd]"), std::string::npos) << message;
  }
}

// A full disk, simulated by a file-size limit (RLIMIT_FSIZE; SIGXFSZ ignored, so writes fail with
// EFBIG): ITK's writer only printed the short write. Every write must fail, leave the previous file
// whole and leave no temporary behind.
TEST(BadInput, AFullDiskNeverReplacesTheOldFileWithAPartialOne) {
  const fs::path dir = fs::path(tempPath("full_disk"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto n = validNifti();
  n.write((dir / "source.nii").string());
  const Volume small = loadVolume((dir / "source.nii").string());
  // The "old generation": complete files written before the disk filled up.
  writeVolume(small, (dir / "image.nii").string());
  writeTextAtomically((dir / "notes.json").string(), "{\"old\": true}\n");
  const auto oldImage = fs::file_size(dir / "image.nii");
  // A 64^3 float volume needs 1 MB; the limit allows 64 kB.
  TestNifti big;
  big.setSize(64, 64, 64);
  big.setSform(affineFromColumns({1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}));
  for (std::size_t i = 0; i < big.voxels.size(); ++i) big.voxels[i] = static_cast<float>((i * 7919) % 1000);
  big.write((dir / "big_source.nii").string());
  const Volume large = loadVolume((dir / "big_source.nii").string());
  std::optional<test::FileSizeLimit> fullDisk(std::in_place, 64 * 1024);
  ASSERT_TRUE(fullDisk->applied());
  std::string imageError, textError;
  testing::internal::CaptureStderr();
  try {
    writeVolume(large, (dir / "image.nii").string());
  } catch (const ImagingError& e) {
    imageError = e.what();
  }
  // niftilib's own "** ERROR: NWAD: wrote only ..." never reaches the user ahead of ours (issue 26).
  const std::string printed = testing::internal::GetCapturedStderr();
  try {
    writeTextAtomically((dir / "notes.json").string(), std::string(200 * 1024, 'x'));
  } catch (const ImagingError& e) {
    textError = e.what();
  }
  fullDisk.reset();
  EXPECT_NE(imageError.find("disk full"), std::string::npos) << imageError;
  EXPECT_EQ(printed, "") << "a library printed ahead of dbsplan's message";
  EXPECT_NE(textError.find("cannot write"), std::string::npos) << textError;
  EXPECT_EQ(fs::file_size(dir / "image.nii"), oldImage) << "the old image was replaced";
  EXPECT_NO_THROW(loadVolume((dir / "image.nii").string()));
  std::ifstream notes(dir / "notes.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(notes), {}), "{\"old\": true}\n");
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename().string().rfind(".partial-", 0), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbs
