// DicomWriting: DICOM for navigation and robot systems. A volume written as a derived MR image
// series (MR Image Storage, Image Type DERIVED\SECONDARY, a new Series Instance UID, the source's
// patient, study and frame of reference kept, exact geometry per slice), and a PDF as an
// Encapsulated PDF instance of the same study. Written with GDCM (the DICOM library ITK reads with),
// element by element, so every attribute of the IODs is dbsplan's choice and checked by dciodvfy.
//
// Coordinate systems used: dbsplan's RAS geometry in, DICOM's patient LPS out (Image Position and
// Image Orientation (Patient)); the conversion is WorldFrame.h's.
#pragma once

#include <string>
#include <vector>

#include <itkImage.h>

#include "dbs/imaging/ImageGeometry.h"

namespace dbs {

// Who and which study a derived series belongs to. From a DICOM source: its first file's patient,
// study and frame of reference. From any other source: those are empty (type 2 attributes) and the
// UIDs new; `emptyBecause` says which fields are empty and why, for the user.
struct DicomIdentity {
  std::string patientName, patientId, patientBirthDate, patientSex;
  std::string studyInstanceUid, studyDate, studyTime, studyId, accessionNumber, referringPhysicianName,
      studyDescription;
  std::string frameOfReferenceUid;
  std::string patientPosition;  // HFS...: the scanner's; empty from other sources
  bool fromDicomSource = false;
  std::vector<std::string> emptyBecause;
};
DicomIdentity dicomIdentityOf(const std::string& imagePath);

using DicomPixelImage = itk::Image<unsigned short, 3>;

struct DerivedSeriesSettings {
  std::string seriesDescription = "dbsplan plan";
  int seriesNumber = 901;
  double windowCenter = 1500, windowWidth = 3000;  // for the stored values
  int bitsStored = 12;                             // stored values lie in [0, 2^bitsStored)
};

// Writes one file per slice (along k) into `outDir` as IM0001.dcm, ...; returns the file names.
// `image`'s grid is `geometry` (RAS); its values must fit bitsStored. Throws ImagingError.
std::vector<std::string> writeDerivedMrSeries(const DicomPixelImage& image, const ImageGeometry& geometry,
                                              const DicomIdentity& identity,
                                              const DerivedSeriesSettings& settings,
                                              const std::string& outDir);

// Writes `pdfPath`'s bytes as an Encapsulated PDF instance (DOC modality) of the identity's study.
void writeEncapsulatedPdf(const std::string& pdfPath, const DicomIdentity& identity, const std::string& title,
                          const std::string& outFile);

}  // namespace dbs
