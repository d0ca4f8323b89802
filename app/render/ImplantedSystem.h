// ImplantedSystem: the rest of an implanted DBS system around the plan's leads, for the schematic of
// the implanted patient (issue 25): a burr-hole cap at each entry, the extension cables tunnelled
// under the scalp behind the ear and down the neck, a dual-channel pulse generator under the right
// clavicle, and a neutral body outline (neck, shoulders, chest) below the image's field of view.
// Everything is built from VTK sources and placed relative to the plan's head: nothing is
// downloaded, and nothing but the leads and the head comes from the patient.
//
// Coordinate systems used: patient RAS mm. The body is drawn in proportion to the head's width in
// the image (an adult's neck and chest); it is a schematic, not anatomy.
#pragma once

#include <vector>

#include <vtkProp3D.h>
#include <vtkSmartPointer.h>

#include "dbs/planning/PlanDocument.h"

namespace dbs::app {

struct ImplantedSystemLayout {
  std::vector<Vec3> capsRas;                       // burr-hole cap centres (the entries)
  std::vector<std::vector<Vec3>> extensionsRas;    // each extension's path, entry to generator
  Vec3 generatorRas;                               // the generator's centre, under the right clavicle
  Vec3 neckTopRas, neckBottomRas, chestCentreRas;  // the body outline's axis
  double headHalfWidthMm = 75;
};

// Where the parts go for `plan`, given the head's RAS bounds (xmin, xmax, ymin, ymax, zmin, zmax).
ImplantedSystemLayout implantedSystemLayout(const PlanDocument& plan, const double headBoundsRas[6]);

// The parts as actors: caps (grey), extensions (white tubes), generator (titanium grey), body
// outline (translucent skin).
std::vector<vtkSmartPointer<vtkProp3D>> implantedSystemActors(const ImplantedSystemLayout& layout);

}  // namespace dbs::app
