#include "dbs/imaging/DicomWriting.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gdcmDataSet.h>
#include <gdcmFileMetaInformation.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmUIDGenerator.h>
#include <gdcmWriter.h>

#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/StderrCapture.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

const char* kMrImageStorage = "1.2.840.10008.5.1.4.1.1.4";
const char* kEncapsulatedPdfStorage = "1.2.840.10008.5.1.4.1.1.104.1";

// A value of VR `vr`, padded to even length as DICOM requires (UI with NUL, text with a space).
void put(gdcm::DataSet& ds, uint16_t group, uint16_t element, gdcm::VR::VRType vr, std::string value) {
  if (value.size() % 2 == 1) value += vr == gdcm::VR::UI ? '\0' : ' ';
  gdcm::DataElement e(gdcm::Tag(group, element));
  e.SetVR(vr);
  e.SetByteValue(value.data(), static_cast<uint32_t>(value.size()));
  ds.Replace(e);
}
void putUnsignedShort(gdcm::DataSet& ds, uint16_t group, uint16_t element, uint16_t value) {
  gdcm::DataElement e(gdcm::Tag(group, element));
  e.SetVR(gdcm::VR::US);
  const char bytes[2] = {static_cast<char>(value & 0xff), static_cast<char>(value >> 8)};
  e.SetByteValue(bytes, 2);
  ds.Replace(e);
}

// A decimal string of at most 16 characters (DICOM's DS limit), as precise as that allows.
std::string decimal(double v) {
  if (std::abs(v) < 1e-9) v = 0;
  char text[64];
  for (int digits = 15; digits > 1; --digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strlen(text) <= 16) return text;
  }
  return "0";
}
std::string decimals(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : "\\") + decimal(v);
  return out;
}

std::string nowDate() {
  const std::time_t t = std::time(nullptr);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d", std::gmtime(&t));
  return text;
}
std::string nowTime() {
  const std::time_t t = std::time(nullptr);
  char text[16];
  std::strftime(text, sizeof text, "%H%M%S", std::gmtime(&t));
  return text;
}

std::string newUid() {
  gdcm::UIDGenerator generator;
  return generator.Generate();
}

std::string stringOf(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return {};
  const gdcm::DataElement& e = ds.GetDataElement(tag);
  if (e.IsEmpty() || !e.GetByteValue()) return {};
  std::string value(e.GetByteValue()->GetPointer(), e.GetByteValue()->GetLength());
  while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
  return value;
}

// Patient, study, equipment and SOP common attributes shared by both IODs.
void putCommon(gdcm::DataSet& ds, const DicomIdentity& id, const std::string& sopClass,
               const std::string& sopInstance, const std::string& modality, const std::string& seriesUid,
               int seriesNumber, const std::string& seriesDescription) {
  put(ds, 0x0008, 0x0005, gdcm::VR::CS, "ISO_IR 192");  // UTF-8
  put(ds, 0x0008, 0x0016, gdcm::VR::UI, sopClass);
  put(ds, 0x0008, 0x0018, gdcm::VR::UI, sopInstance);
  put(ds, 0x0008, 0x0012, gdcm::VR::DA, nowDate());  // instance creation
  put(ds, 0x0008, 0x0013, gdcm::VR::TM, nowTime());
  put(ds, 0x0008, 0x0020, gdcm::VR::DA, id.studyDate);
  put(ds, 0x0008, 0x0030, gdcm::VR::TM, id.studyTime);
  put(ds, 0x0008, 0x0050, gdcm::VR::SH, id.accessionNumber);
  put(ds, 0x0008, 0x0060, gdcm::VR::CS, modality);
  put(ds, 0x0008, 0x0070, gdcm::VR::LO, "dbsplan");  // manufacturer of the equipment that made it
  put(ds, 0x0008, 0x0090, gdcm::VR::PN, id.referringPhysicianName);
  put(ds, 0x0008, 0x1030, gdcm::VR::LO, id.studyDescription);
  put(ds, 0x0008, 0x103e, gdcm::VR::LO, seriesDescription);
  put(ds, 0x0010, 0x0010, gdcm::VR::PN, id.patientName);
  put(ds, 0x0010, 0x0020, gdcm::VR::LO, id.patientId);
  put(ds, 0x0010, 0x0030, gdcm::VR::DA, id.patientBirthDate);
  put(ds, 0x0010, 0x0040, gdcm::VR::CS, id.patientSex);
  put(ds, 0x0018, 0x1020, gdcm::VR::LO, "dbsplan");  // software versions
  put(ds, 0x0020, 0x000d, gdcm::VR::UI, id.studyInstanceUid);
  put(ds, 0x0020, 0x000e, gdcm::VR::UI, seriesUid);
  put(ds, 0x0020, 0x0010, gdcm::VR::SH, id.studyId);
  put(ds, 0x0020, 0x0011, gdcm::VR::IS, std::to_string(seriesNumber));
}

void writeDataSet(gdcm::Writer& writer, const std::string& path) {
  const fs::path target(path), temporary = temporarySibling(target);
  writer.GetFile().GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  writer.SetFileName(temporary.string().c_str());
  bool written = false;
  {
    StderrCapture libraryMessages;
    written = writer.Write();
  }
  std::error_code ec;
  if (!written) {
    fs::remove(temporary, ec);
    throw ImagingError(path + ": cannot write: " + whyWriteFailed(target.parent_path().string(), 0));
  }
  fs::rename(temporary, target, ec);
  if (ec) throw ImagingError(path + ": cannot write: " + ec.message());
}

}  // namespace

DicomIdentity dicomIdentityOf(const std::string& imagePath) {
  DicomIdentity id;
  std::string file;
  std::error_code ec;
  if (fs::is_directory(imagePath, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(imagePath, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      gdcm::Reader probe;
      probe.SetFileName(f.string().c_str());
      StderrCapture libraryMessages;
      if (probe.CanRead()) {
        file = f.string();
        break;
      }
    }
  } else {
    gdcm::Reader probe;
    probe.SetFileName(imagePath.c_str());
    StderrCapture libraryMessages;
    if (probe.CanRead()) file = imagePath;
  }
  if (!file.empty()) {
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    bool read = false;
    {
      StderrCapture libraryMessages;
      read = reader.Read();
    }
    if (!read) throw ImagingError(file + ": cannot read its DICOM attributes");
    const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
    id.fromDicomSource = true;
    id.patientName = stringOf(ds, 0x0010, 0x0010);
    id.patientId = stringOf(ds, 0x0010, 0x0020);
    id.patientBirthDate = stringOf(ds, 0x0010, 0x0030);
    id.patientSex = stringOf(ds, 0x0010, 0x0040);
    id.studyInstanceUid = stringOf(ds, 0x0020, 0x000d);
    id.studyDate = stringOf(ds, 0x0008, 0x0020);
    id.studyTime = stringOf(ds, 0x0008, 0x0030);
    id.studyId = stringOf(ds, 0x0020, 0x0010);
    id.accessionNumber = stringOf(ds, 0x0008, 0x0050);
    id.referringPhysicianName = stringOf(ds, 0x0008, 0x0090);
    id.studyDescription = stringOf(ds, 0x0008, 0x1030);
    id.frameOfReferenceUid = stringOf(ds, 0x0020, 0x0052);
    id.patientPosition = stringOf(ds, 0x0018, 0x5100);
  } else {
    id.emptyBecause.push_back(
        "the plan's image is not DICOM (" + fs::path(imagePath).filename().string() +
        "): Patient's Name, Patient ID, Birth Date, Sex, Study Date and Time, Study ID and Accession Number "
        "are "
        "left empty, as such files carry no patient or study identity; enter them on the receiving system");
  }
  if (id.studyInstanceUid.empty()) {
    id.studyInstanceUid = newUid();
    id.emptyBecause.push_back("a new Study Instance UID was made: the source gives none");
  }
  if (id.frameOfReferenceUid.empty()) {
    id.frameOfReferenceUid = newUid();
    id.emptyBecause.push_back(
        "a new Frame of Reference UID was made: the source gives none, so a navigation system must register "
        "this series to the patient itself (it shares no frame with the scanner's images)");
  }
  return id;
}

std::vector<std::string> writeDerivedMrSeries(const DicomPixelImage& image, const ImageGeometry& geometry,
                                              const DicomIdentity& identity,
                                              const DerivedSeriesSettings& settings,
                                              const std::string& outDir) {
  fs::create_directories(outDir);
  const std::size_t nx = geometry.size[0], ny = geometry.size[1], nz = geometry.size[2];
  if (nx > 65535 || ny > 65535)
    throw ImagingError(outDir + ": slices larger than DICOM's 65535 rows or columns");
  const Vec3 spacing = geometry.spacingMm();
  // DICOM patient LPS: RAS with x and y negated (WorldFrame.h's one conversion).
  const Affine lpsFromIjk = lpsFromRasOutput(geometry.rasFromIjk);
  const Vec3 rowDirection = (1.0 / spacing.x) * lpsFromIjk.column(0),
             columnDirection = (1.0 / spacing.y) * lpsFromIjk.column(1);
  const std::string seriesUid = newUid();
  const unsigned short* voxels = image.GetBufferPointer();
  std::vector<std::string> files;
  for (std::size_t k = 0; k < nz; ++k) {
    gdcm::Writer writer;
    gdcm::DataSet& ds = writer.GetFile().GetDataSet();
    const std::string instance = newUid();
    putCommon(ds, identity, kMrImageStorage, instance, "MR", seriesUid, settings.seriesNumber,
              settings.seriesDescription);
    put(ds, 0x0008, 0x0008, gdcm::VR::CS, "DERIVED\\SECONDARY\\OTHER");  // MR needs a third value
    put(ds, 0x0008, 0x0023, gdcm::VR::DA, nowDate());                    // content date and time
    put(ds, 0x0008, 0x0033, gdcm::VR::TM, nowTime());
    put(ds, 0x0008, 0x2111, gdcm::VR::ST,
        "dbsplan: the planning T1 with the planned leads, their contacts and the targets burned in");
    // MR Image module: a derived image has no acquisition of its own: research mode, no variant.
    put(ds, 0x0018, 0x0020, gdcm::VR::CS, "RM");
    put(ds, 0x0018, 0x0021, gdcm::VR::CS, "NONE");
    put(ds, 0x0018, 0x0022, gdcm::VR::CS, "");
    put(ds, 0x0018, 0x0023, gdcm::VR::CS, "3D");
    put(ds, 0x0018, 0x0050, gdcm::VR::DS, decimal(spacing.z));  // slice thickness
    put(ds, 0x0018, 0x0080, gdcm::VR::DS, "");                  // repetition time (2C)
    put(ds, 0x0018, 0x0081, gdcm::VR::DS, "");                  // echo time
    put(ds, 0x0018, 0x5100, gdcm::VR::CS, identity.patientPosition);
    put(ds, 0x0018, 0x0015, gdcm::VR::CS, "HEAD");  // body part: unpaired, so no Laterality
    put(ds, 0x0018, 0x0091, gdcm::VR::IS, "");      // echo train length
    put(ds, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(k + 1));
    put(ds, 0x0020, 0x0020, gdcm::VR::CS, "");  // patient orientation (not needed with IOP/IPP)
    const Vec3 position = lpsFromIjk.apply({0, 0, static_cast<double>(k)});
    put(ds, 0x0020, 0x0032, gdcm::VR::DS, decimals({position.x, position.y, position.z}));
    put(ds, 0x0020, 0x0037, gdcm::VR::DS,
        decimals({rowDirection.x, rowDirection.y, rowDirection.z, columnDirection.x, columnDirection.y,
                  columnDirection.z}));
    put(ds, 0x0020, 0x0052, gdcm::VR::UI, identity.frameOfReferenceUid);
    put(ds, 0x0020, 0x1040, gdcm::VR::LO, "");  // position reference indicator
    put(ds, 0x0020, 0x1041, gdcm::VR::DS, decimal(position.z));
    putUnsignedShort(ds, 0x0028, 0x0002, 1);
    put(ds, 0x0028, 0x0004, gdcm::VR::CS, "MONOCHROME2");
    putUnsignedShort(ds, 0x0028, 0x0010, static_cast<uint16_t>(ny));  // rows: along j
    putUnsignedShort(ds, 0x0028, 0x0011, static_cast<uint16_t>(nx));  // columns: along i
    // Pixel Spacing: between rows (j), then between columns (i).
    put(ds, 0x0028, 0x0030, gdcm::VR::DS, decimals({spacing.y, spacing.x}));
    putUnsignedShort(ds, 0x0028, 0x0100, 16);
    putUnsignedShort(ds, 0x0028, 0x0101, static_cast<uint16_t>(settings.bitsStored));
    putUnsignedShort(ds, 0x0028, 0x0102, static_cast<uint16_t>(settings.bitsStored - 1));
    putUnsignedShort(ds, 0x0028, 0x0103, 0);
    put(ds, 0x0028, 0x1050, gdcm::VR::DS, decimal(settings.windowCenter));
    put(ds, 0x0028, 0x1051, gdcm::VR::DS, decimal(settings.windowWidth));
    gdcm::DataElement pixels(gdcm::Tag(0x7fe0, 0x0010));
    pixels.SetVR(gdcm::VR::OW);
    std::vector<char> bytes(nx * ny * 2);
    for (std::size_t n = 0; n < nx * ny; ++n) {
      const unsigned short v = voxels[k * nx * ny + n];
      bytes[2 * n] = static_cast<char>(v & 0xff);
      bytes[2 * n + 1] = static_cast<char>(v >> 8);
    }
    pixels.SetByteValue(bytes.data(), static_cast<uint32_t>(bytes.size()));
    ds.Replace(pixels);
    char name[32];
    std::snprintf(name, sizeof name, "IM%04zu.dcm", k + 1);
    writeDataSet(writer, (fs::path(outDir) / name).string());
    files.push_back(name);
  }
  return files;
}

void writeEncapsulatedPdf(const std::string& pdfPath, const DicomIdentity& identity, const std::string& title,
                          const std::string& outFile) {
  std::ifstream in(pdfPath, std::ios::binary);
  std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw ImagingError(pdfPath + ": cannot read");
  if (pdf.rfind("%PDF", 0) != 0) throw ImagingError(pdfPath + ": not a PDF");
  if (pdf.size() % 2 == 1) pdf += '\0';  // OB is padded to even length
  gdcm::Writer writer;
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  putCommon(ds, identity, kEncapsulatedPdfStorage, newUid(), "DOC", newUid(), 902, title);
  put(ds, 0x0008, 0x0023, gdcm::VR::DA, nowDate());
  put(ds, 0x0008, 0x0033, gdcm::VR::TM, nowTime());
  put(ds, 0x0008, 0x002a, gdcm::VR::DT, nowDate() + nowTime());  // acquisition date time
  put(ds, 0x0008, 0x0064, gdcm::VR::CS, "WSD");                  // conversion type: workstation
  put(ds, 0x0020, 0x0013, gdcm::VR::IS, "1");
  put(ds, 0x0028, 0x0301, gdcm::VR::CS, "NO");  // burned-in annotation (identifying text)
  put(ds, 0x0042, 0x0010, gdcm::VR::ST, title);
  {  // Concept Name Code Sequence: type 2, present and empty
    gdcm::DataElement sequence(gdcm::Tag(0x0040, 0xa043));
    sequence.SetVR(gdcm::VR::SQ);
    gdcm::SmartPointer<gdcm::SequenceOfItems> items = new gdcm::SequenceOfItems;
    items->SetLengthToUndefined();
    sequence.SetValue(*items);
    sequence.SetVLToUndefined();
    ds.Replace(sequence);
  }
  put(ds, 0x0042, 0x0012, gdcm::VR::LO, "application/pdf");
  gdcm::DataElement document(gdcm::Tag(0x0042, 0x0011));
  document.SetVR(gdcm::VR::OB);
  document.SetByteValue(pdf.data(), static_cast<uint32_t>(pdf.size()));
  ds.Replace(document);
  writeDataSet(writer, outFile);
}

}  // namespace dbs
