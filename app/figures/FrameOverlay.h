// FrameOverlay: the picture a user looks at before trusting a frame registration. Three slices of
// the plan's T1 through a point (the MCP), axial, coronal and sagittal, 190 mm across, with
// the stereotactic image laid over them through the co-registration: its bone (300 to 1800 HU on a
// CT) in orange and its metal (above 1800 HU: the localizer's rods, the pins) in green. When the
// co-registration is right the orange skull lies on the T1's skull and the ventricles' outline
// agrees; an offset shows at once. For an MR frame image the top 2 % of its intensities are drawn.
//
// Coordinate systems used: RAS mm of the plan's image; both volumes are on its grid.
#pragma once

#include <QImage>

#include "dbs/imaging/Volume.h"

namespace dbs::app {

// `stereotacticOnPlanGrid`: the stereotactic image resampled onto `planImage`'s grid
// (FrameRegistrationCheck). `centreRas`: where the three slices cross. Needs no display.
QImage frameOverlayFigure(const Volume& planImage, const Volume& stereotacticOnPlanGrid, Vec3 centreRas);

// The overlay's colours, for tests: bone and metal of the stereotactic image.
bool isFrameOverlayBone(QRgb pixel);
bool isFrameOverlayMetal(QRgb pixel);

}  // namespace dbs::app
