// PlanActors: the VTK actors of a plan, shared by the window's 3-D view and the off-screen figures:
// each planned lead as a tube of its real diameter with its contacts (ring or directional segment
// shells) and a target marker, and the smooth surface of a 0/1 mask (scalp, brain).
//
// Coordinate systems used: every actor is placed in patient RAS mm (lead geometry from the plan's
// metrics; masks in index space placed by their rasFromIjk).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <vtkActor.h>
#include <vtkProp3D.h>
#include <vtkSmartPointer.h>

#include "dbs/imaging/WorldFrame.h"
#include "dbs/planning/PlanDocument.h"

class vtkAlgorithmOutput;
class vtkImageData;
class vtkPolyData;

namespace dbs::app {

struct LeadContactShape {
  std::string label;
  int level = 0;
  Vec3 centreRas;
  double lengthMm = 0;            // along the axis
  std::optional<Vec3> facingRas;  // directional segments: the unit direction the segment faces
  double arcDeg = 360;            // angular extent about the axis (360 = ring)
};

// A planned lead in RAS: the catalogue's geometry placed on the trajectory, contact centres and
// segment facings as the plan's metrics give them (the numbers the report prints).
struct LeadShape {
  Side side = Side::Left;
  const ElectrodeModel* model = nullptr;
  Vec3 tipRas, entryRas, targetRas;
  Vec3 axisRas;  // unit, distal -> proximal (tip -> entry)
  std::vector<LeadContactShape> contacts;
};

// The lead of `planned` in RAS; throws std::invalid_argument when the trajectory has no length.
LeadShape leadShape(const PlannedTrajectory& planned);

// The lead body (tube of the lead's diameter, tip to entry), its contacts (one actor) and a target
// marker, RAS mm.
std::vector<vtkSmartPointer<vtkProp3D>> leadActors(const LeadShape& lead);
// leadActors of every trajectory, one after the other.
std::vector<vtkSmartPointer<vtkProp3D>> plannedLeadActors(const std::vector<PlannedTrajectory>& trajectories);

// An alternative previewed before it is used (issue 23): its lead as leadActors draws it, white and
// translucent (opacity 0.35), so the planned lead stays the one that reads as solid. RAS mm.
std::vector<vtkSmartPointer<vtkProp3D>> ghostLeadActors(const PlannedTrajectory& alternative);

// The reference targets of a plan whose atlas and indirect targets disagree (referenceTargetsToShow):
// each a white wireframe sphere of 1.5 mm radius with its name floating beside it, RAS mm.
std::vector<vtkSmartPointer<vtkProp3D>> referenceTargetActors(const std::vector<ReferenceTarget>& targets);

// The activated spheres of each side's stimulation (Stimulation.h), translucent: light blue, orange
// for a side whose activated region reaches a side-effect structure. RAS mm.
std::vector<vtkSmartPointer<vtkProp3D>> activatedRegionActors(
    const std::vector<PlanStimulation>& stimulation);

// The 3-D view's actors of a plan (plannedLeadActors, activatedRegionActors, referenceTargetActors),
// rebuilt only where the plan changed. A drag moves one lead: the other lead, the reference targets
// and the activated regions that did not move keep their actors, and with them the geometry already
// uploaded to OpenGL, instead of being rebuilt on every mouse move (issue 23, defect 8).
class PlanActorCache {
 public:
  std::vector<vtkSmartPointer<vtkProp3D>> actorsFor(const PlanDocument& plan,
                                                    const std::vector<ReferenceTarget>& references);
  void clear() { pieces_.clear(); }

 private:
  // What a piece's actors are made from, exactly (a changed digit rebuilds the piece).
  struct Key {
    std::string name;
    std::vector<double> numbers;
    bool operator==(const Key& other) const { return name == other.name && numbers == other.numbers; }
  };
  struct Piece {
    Key key;
    std::vector<vtkSmartPointer<vtkProp3D>> actors;
  };
  std::vector<Piece> pieces_;
};

// A mapper and actor of one colour over `port` (or over `data` when port is null).
vtkSmartPointer<vtkActor> polyActor(vtkAlgorithmOutput* port, vtkPolyData* data,
                                    const std::array<double, 3>& colour);

// The smooth boundary of a 0/1 mask (index space), placed in RAS by rasFromIjk; null when empty.
vtkSmartPointer<vtkActor> maskSurfaceActor(vtkImageData* indexSpaceMask, const Affine& rasFromIjk,
                                           const std::array<double, 3>& colour, double opacity);

}  // namespace dbs::app
