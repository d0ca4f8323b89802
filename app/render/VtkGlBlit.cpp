#include <vtk_glew.h>

#include "render/VtkGlBlit.h"

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>

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

void endVtkRenderInQtContext(vtkGenericOpenGLRenderWindow* window, unsigned int targetFramebuffer) {
  vtkOpenGLState* state = window->GetState();
  const int w = window->GetSize()[0], h = window->GetSize()[1];
  int* renderedSize = window->GetRenderFramebuffer()->GetLastSize();
  state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, targetFramebuffer);
  const GLenum drawBuffers[1] = {GL_COLOR_ATTACHMENT0};
  glDrawBuffers(1, drawBuffers);
  state->vtkglDisable(GL_SCISSOR_TEST);
  window->BlitDisplayFramebuffer(0, 0, 0, renderedSize[0], renderedSize[1], 0, 0, w, h, GL_COLOR_BUFFER_BIT,
                                 GL_LINEAR);
  // Opaque alpha: Mesa otherwise composes the widget with what lies behind it (ParaView #17159).
  state->vtkglColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  state->vtkglClearColor(0, 0, 0, 1);
  state->vtkglViewport(0, 0, w, h);
  state->vtkglClear(GL_COLOR_BUFFER_BIT);
  state->vtkglColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
  state->Pop();
}

}  // namespace dbs::app
