// TemplateSpace: the one name of the space dbsplan's atlas, its targets and every "template"
// coordinate live in, and how it relates to the MNI space most papers use. The atlas derivation
// (data/tools), locate, the plan file, the CLI, the panel and the report all print these.
#pragma once

namespace dbs {

// The one name of the space the atlas, its targets and "template" coordinates live in. dbsplan's
// outputs used to call it "MNI"; it is Colin27's own space, which is not the ICBM 2009b space that
// Lead-DBS and most recent papers mean by MNI.
inline constexpr const char* kTemplateSpaceShortName = "Colin27 template";
inline constexpr const char* kTemplateSpaceName =
    "Colin27 template space (mricron-data ch2.nii.gz; single-subject, linearly aligned to MNI305), RAS mm";
inline constexpr const char* kTemplateSpaceNote =
    "Not MNI ICBM 2009b nonlinear asymmetric (Lead-DBS's default space, used by most recent papers): Colin27 "
    "is one "
    "brain matched linearly to MNI305, 2009b a nonlinear average of 152. Between the two the AC differs by "
    "about 3 mm "
    "in y and 1 mm in z, the MCP by about 2 mm in y (data/atlas/SOURCES.md 1c); a coordinate from a 2009b "
    "paper needs "
    "a registration between the templates, not a copy.";

}  // namespace dbs
