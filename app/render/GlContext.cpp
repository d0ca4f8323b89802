#include "render/GlContext.h"

#include <QByteArray>
#include <QList>
#include <QSurfaceFormat>

#include <filesystem>

namespace dbs::app {

void setDefaultOpenGLSurfaceFormat() {
  QSurfaceFormat format;
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  QSurfaceFormat::setDefaultFormat(format);
}

std::string displayProblem() {
  const QByteArray display = qgetenv("DISPLAY");
  if (display.isEmpty()) return "no X display (DISPLAY is not set)";
  // ":N" or ":N.S" is a local server, listening on /tmp/.X11-unix/XN; a host name is not checked.
  if (display.startsWith(':')) {
    const QByteArray number = display.mid(1).split('.').front();
    bool ok = false;
    number.toInt(&ok);
    if (!ok) return "DISPLAY=" + display.toStdString() + " is not a display name";
    if (!std::filesystem::exists("/tmp/.X11-unix/X" + number.toStdString()))
      return "no X server is running at DISPLAY=" + display.toStdString();
  }
  return {};
}

}  // namespace dbs::app
