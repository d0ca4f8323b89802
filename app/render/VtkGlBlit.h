// The few raw OpenGL calls of the Qt/VTK bridge, kept in their own translation unit: VTK's GLEW
// header and Qt's OpenGL headers cannot be included together cleanly.
#pragma once

class vtkGenericOpenGLRenderWindow;

namespace dbs::app {

// Syncs VTK's OpenGL state cache with the context Qt made current (Qt changes state behind VTK).
void resetVtkStateCache(vtkGenericOpenGLRenderWindow* window);
// Resets and saves VTK's cached OpenGL state before rendering inside Qt's context.
void beginVtkRenderInQtContext(vtkGenericOpenGLRenderWindow* window);
// Reads the frame VTK just rendered (its display framebuffer, `width` x `height` device pixels from the
// bottom-left corner) into `bgraRows`: 4 bytes a pixel (B, G, R, 255: QImage::Format_RGB32 on a
// little-endian machine), bottom row first, rows packed. Restores the state saved by the begin call.
void endVtkRenderReadingFrame(vtkGenericOpenGLRenderWindow* window, int width, int height,
                              unsigned char* bgraRows);

}  // namespace dbs::app
