// The few raw OpenGL calls of the Qt/VTK bridge, kept in their own translation unit: VTK's GLEW
// header and Qt's OpenGL headers cannot be included together cleanly.
#pragma once

class vtkGenericOpenGLRenderWindow;

namespace dbs::app {

// Syncs VTK's OpenGL state cache with the context Qt made current (Qt changes state behind VTK).
void resetVtkStateCache(vtkGenericOpenGLRenderWindow* window);
// Resets and saves VTK's cached OpenGL state before rendering inside Qt's context.
void beginVtkRenderInQtContext(vtkGenericOpenGLRenderWindow* window);
// Blits VTK's display framebuffer (whole window size) into `targetFramebuffer` and restores state.
void endVtkRenderInQtContext(vtkGenericOpenGLRenderWindow* window, unsigned int targetFramebuffer);

}  // namespace dbs::app
