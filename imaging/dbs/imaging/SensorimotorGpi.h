// SensorimotorGpi: the sensorimotor (dystonia) part of a GPi on an atlas label volume, the one rule
// behind both the atlas's posteroventral target (data/tools AtlasDerivation, at build time) and the
// target a plan proposes (planning Locate, at run time): the GPi's columns in its posterior half,
// which, the GPi's long axis running anteromedial to posterolateral, are also its lateral part.
// Sources: data/atlas/SOURCES.md 6c.
//
// Coordinate systems used: RAS mm of the label volume (the Colin27 template's space in practice).
#pragma once

#include <vector>

#include "dbs/imaging/Labels.h"

namespace dbs {

// The sensorimotor (dystonia) part of one side's GPi on an atlas label volume (the grid must be
// axis-aligned with its third axis superior, as the Colin27 grid is): the GPi's columns in its
// posterior half (y <= the GPi's median y), which are also its lateral part (see the rules above).
// One definition for the atlas target (deriveAtlas) and for the target a plan proposes (Locate).
struct GpiColumn {
  double x = 0, y = 0;        // the column's voxel centres, RAS mm
  double ventralBorderZ = 0;  // the lowest GPi voxel's lower face, RAS z mm
  double topZ = 0;            // the highest GPi voxel's upper face, RAS z mm
};
struct SensorimotorGpi {
  double medianY = 0;  // RAS y mm dividing the GPi's posterior half from its anterior half
  Vec3 cellMm;         // the label grid's voxel size along x, y, z (mm)
  std::vector<GpiColumn> columns;
  // Where a deepest contact may go: in each column, from `minAboveMm` to `maxAboveMm` above the
  // ventral border (the clinical aim is 1-2 mm), every `stepMm`, while still inside the GPi, and
  // across the column's voxel cell on a `stepMm` grid. RAS mm.
  std::vector<Vec3> pointsAboveVentralBorder(double minAboveMm, double maxAboveMm, double stepMm) const;
};
SensorimotorGpi sensorimotorGpi(const LabelVolume& labels, Side side);

}  // namespace dbs
