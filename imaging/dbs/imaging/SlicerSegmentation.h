// SlicerSegmentation: a label map as 3D Slicer's segmentation file (.seg.nrrd): the labels as one
// layer of a labelmap NRRD, and Slicer's Segment<N>_* fields naming each segment, its colour and its
// label value, so that Slicer opens it as a Segmentation with dbsplan's names and colours.
//
// Coordinate systems used: the NRRD holds ITK's LPS geometry (space left-posterior-superior), which
// Slicer reads exactly; dbsplan's RAS geometry is converted in WorldFrame.h only.
#pragma once

#include <string>
#include <vector>

#include "dbs/imaging/Labels.h"

namespace dbs {

// Writes every label of `labels` present in the volume (names and colours from standardLabels())
// as a segment, atomically. Returns the segments' names in label order. Throws ImagingError.
std::vector<std::string> writeSlicerSegmentation(const LabelVolume& labels, const std::string& path);

}  // namespace dbs
