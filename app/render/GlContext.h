// GlContext: what every OpenGL user of dbsplan asks before it renders, the window's views and the
// off-screen figures alike: the surface format VTK needs, and whether a display can be had at all.
#pragma once

#include <string>

namespace dbs::app {

// The OpenGL format VTK needs (3.2 core, 24-bit depth); call before creating the QApplication.
void setDefaultOpenGLSurfaceFormat();

// Why no window or off-screen OpenGL can be had here, or "" when an X display is at hand: DISPLAY
// unset, or a local display (":N") with no X server listening. Asked before Qt's xcb plugin is
// loaded, which otherwise aborts the process.
std::string displayProblem();

}  // namespace dbs::app
