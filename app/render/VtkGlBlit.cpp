#include <vtk_glew.h>

#include "render/VtkGlBlit.h"

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>

#include <algorithm>
#include <cstddef>

namespace dbs::app {

void resetVtkStateCache(vtkGenericOpenGLRenderWindow* window) {
  vtkOpenGLState* state = window->GetState();
  state->Reset();
  state->vtkglDepthFunc(GL_LEQUAL);  // Qt leaves GL_LESS; VTK expects GL_LEQUAL
}

void beginVtkRenderInQtContext(vtkGenericOpenGLRenderWindow* window) {
  vtkOpenGLState* state = window->GetState();
  state->Reset();
  state->Push();
  state->vtkglDepthFunc(GL_LEQUAL);
}

void endVtkRenderReadingFrame(vtkGenericOpenGLRenderWindow* window, int width, int height,
                              unsigned char* bgraRows) {
  vtkOpenGLState* state = window->GetState();
  vtkOpenGLFramebufferObject* display = window->GetDisplayFramebuffer();
  int* renderedSize = display->GetLastSize();
  const int w = std::min(width, renderedSize[0]), h = std::min(height, renderedSize[1]);
  // Opaque alpha: the image is painted as RGB32, which requires 255 there, and VTK leaves the
  // background's alpha as it is (translucent surfaces, depth peeling).
  display->Bind(GL_DRAW_FRAMEBUFFER);
  const GLenum drawBuffers[1] = {GL_COLOR_ATTACHMENT0};
  glDrawBuffers(1, drawBuffers);
  state->vtkglDisable(GL_SCISSOR_TEST);
  state->vtkglColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  state->vtkglClearColor(0, 0, 0, 1);
  state->vtkglViewport(0, 0, w, h);
  state->vtkglClear(GL_COLOR_BUFFER_BIT);
  state->vtkglColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
  display->Bind(GL_READ_FRAMEBUFFER);
  glReadBuffer(GL_COLOR_ATTACHMENT0);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glPixelStorei(GL_PACK_ROW_LENGTH, width);
  if (w < width || h < height)
    std::fill(bgraRows, bgraRows + 4 * static_cast<std::size_t>(width) * height, 0);
  glReadPixels(0, 0, w, h, GL_BGRA, GL_UNSIGNED_BYTE, bgraRows);
  glPixelStorei(GL_PACK_ROW_LENGTH, 0);
  display->UnBind(GL_READ_FRAMEBUFFER);
  display->UnBind(GL_DRAW_FRAMEBUFFER);
  state->Pop();
}

}  // namespace dbs::app
