// DicomExport: a plan for navigation and robot systems, which import DICOM. The plan's T1 as a
// derived MR series with every chosen lead (its body and its contacts, at the electrode's real
// geometry) and each target burned in, in the source's patient, study and frame of reference
// (DicomWriting.h), and the report as an Encapsulated PDF of the same study.
#pragma once

#include <string>
#include <vector>

#include "dbs/imaging/DicomWriting.h"

namespace dbs {

class PlanSession;

// Stored values of the burned-in series: the T1 scaled so that its 99.5th percentile is
// kT1Brightest, the lead bodies kLeadValue, contacts and targets kContactValue (12 bits).
constexpr unsigned short kT1Brightest = 3000, kLeadValue = 3600, kContactValue = 4095;

// The plan's T1 (on the plan's grid) as 12-bit values with the chosen leads and targets burned in.
DicomPixelImage::Pointer burnedInT1(const PlanSession& session);

struct DicomExportResult {
  std::vector<std::string> files;  // relative to the export folder
  std::vector<std::string> notes;  // for the user: identity fields left empty and why, a PDF not written
};

// Writes DIR/series/IM0001.dcm... and, when `reportPdf` is not empty, DIR/report.dcm.
DicomExportResult exportPlanToDicom(const PlanSession& session, const std::string& outDir,
                                    const std::string& reportPdf);

}  // namespace dbs
