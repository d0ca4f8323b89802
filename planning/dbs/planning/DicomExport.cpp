#include "dbs/planning/DicomExport.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "dbs/planning/ElectrodeCatalogue.h"
#include "dbs/planning/PlanSession.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// Marks every voxel whose centre lies within `radiusMm` of the segment a-b (RAS mm) with `value`,
// keeping a brighter mark already there.
void burnSegment(DicomPixelImage& image, const ImageGeometry& g, Vec3 a, Vec3 b, double radiusMm,
                 unsigned short value) {
  const Affine ijkFromRas = g.ijkFromRas();
  Vec3 lo{1e9, 1e9, 1e9}, hi{-1e9, -1e9, -1e9};
  for (Vec3 p : {a, b})
    for (int corner = 0; corner < 8; ++corner) {
      const Vec3 q =
          ijkFromRas.apply(p + Vec3{corner & 1 ? radiusMm : -radiusMm, corner & 2 ? radiusMm : -radiusMm,
                                    corner & 4 ? radiusMm : -radiusMm});
      for (int d = 0; d < 3; ++d) lo[d] = std::min(lo[d], q[d]), hi[d] = std::max(hi[d], q[d]);
    }
  long from[3], to[3];
  for (int d = 0; d < 3; ++d) {
    from[d] = std::max(0L, static_cast<long>(std::floor(lo[d])));
    to[d] = std::min(static_cast<long>(g.size[static_cast<std::size_t>(d)]) - 1,
                     static_cast<long>(std::ceil(hi[d])));
  }
  const Vec3 axis = b - a;
  const double length2 = dot(axis, axis);
  unsigned short* voxels = image.GetBufferPointer();
  for (long k = from[2]; k <= to[2]; ++k)
    for (long j = from[1]; j <= to[1]; ++j)
      for (long i = from[0]; i <= to[0]; ++i) {
        const Vec3 p = g.rasFromIndex({double(i), double(j), double(k)});
        const double t = length2 > 0 ? std::clamp(dot(p - a, axis) / length2, 0.0, 1.0) : 0.0;
        if (norm(p - (a + t * axis)) > radiusMm) continue;
        unsigned short& v =
            voxels[(static_cast<std::size_t>(k) * g.size[1] + static_cast<std::size_t>(j)) * g.size[0] +
                   static_cast<std::size_t>(i)];
        v = std::max(v, value);
      }
}

}  // namespace

DicomPixelImage::Pointer burnedInT1(const PlanSession& session) {
  const Volume& t1 = session.result().locate.patient;
  const ImageGeometry& g = t1.geometry;
  auto image = DicomPixelImage::New();
  DicomPixelImage::SizeType size;
  for (unsigned a = 0; a < 3; ++a) size[a] = g.size[a];
  image->SetRegions(size);
  image->Allocate();
  const IntensityRange range = intensityRange(*t1.image);
  const double scale = range.robustHigh > 0 ? kT1Brightest / range.robustHigh : 1.0;
  const float* in = t1.image->GetBufferPointer();
  unsigned short* out = image->GetBufferPointer();
  for (std::size_t n = 0; n < g.voxelCount(); ++n)
    out[n] = static_cast<unsigned short>(std::clamp(std::lround(in[n] * scale), 0L, long(kLeadValue) - 1));

  // Marks at least a voxel wide, so that a lead thinner than a voxel stays one unbroken line.
  const Vec3 spacing = g.spacingMm();
  const double minimumRadius = 0.75 * std::min({spacing.x, spacing.y, spacing.z});
  for (const PlannedTrajectory& p : session.plan().trajectories) {
    const Trajectory& t = p.trajectory;
    const ElectrodeModel& model = ElectrodeCatalogue::standard().find(t.electrodeId);
    const double radius = std::max(0.5 * model.diameterMm, minimumRadius);
    const Vec3 tip = p.metrics.tipRas, up = (1.0 / norm(t.entryRas - tip)) * (t.entryRas - tip);
    burnSegment(*image, g, tip, t.entryRas, radius, kLeadValue);
    for (const ElectrodeContact& c : model.contacts)
      burnSegment(*image, g, tip + c.startMm * up, tip + c.endMm * up, radius + 0.25, kContactValue);
    burnSegment(*image, g, t.targetRas, t.targetRas, std::max(1.0, minimumRadius), kContactValue);
  }
  return image;
}

DicomExportResult exportPlanToDicom(const PlanSession& session, const std::string& outDir,
                                    const std::string& reportPdf) {
  const PlanDocument& plan = session.plan();
  DicomExportResult result;
  const DicomIdentity identity = dicomIdentityOf(plan.image.path);
  result.notes = identity.emptyBecause;
  DerivedSeriesSettings settings;
  settings.seriesDescription = "dbsplan plan: leads and targets burned in";
  settings.windowCenter = kT1Brightest / 2.0;
  settings.windowWidth = kT1Brightest;
  const DicomPixelImage::Pointer image = burnedInT1(session);
  for (const std::string& f : writeDerivedMrSeries(*image, session.result().locate.patient.geometry, identity,
                                                   settings, (fs::path(outDir) / "series").string()))
    result.files.push_back("series/" + f);
  if (!reportPdf.empty()) {
    writeEncapsulatedPdf(reportPdf, identity, "dbsplan plan report",
                         (fs::path(outDir) / "report.dcm").string());
    result.files.push_back("report.dcm");
  }
  return result;
}

}  // namespace dbs
