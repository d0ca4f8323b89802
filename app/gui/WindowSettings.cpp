#include "gui/WindowSettings.h"

#include <QFileInfo>
#include <QSettings>

#include "dbs/planning/PlanSession.h"

namespace dbs::app {

namespace {
const char* kRecentKey = "recentFiles";
const char* kLastFolderKey = "lastFolder";
const char* kGeometryKey = "window/geometry";
const char* kStateKey = "window/state";
const char* kTextScaleKey = "window/textScale";

QSettings settings() {
  return QSettings("dbsplan", "dbsplan");
}
}  // namespace

QString WindowSettings::lastFolder() {
  return settings().value(kLastFolderKey).toString();
}

void WindowSettings::rememberFolder(const QString& path) {
  const QFileInfo info(path);
  settings().setValue(kLastFolderKey, info.isDir() ? info.absoluteFilePath() : info.absolutePath());
}

QString WindowSettings::planFolder(const PlanSession* session) {
  return session ? QFileInfo(QString::fromStdString(session->planPath())).absolutePath() : lastFolder();
}

QStringList WindowSettings::recentFiles() {
  return settings().value(kRecentKey).toStringList();
}

void WindowSettings::addRecentFile(const QString& path) {
  QSettings s = settings();
  QStringList recent = s.value(kRecentKey).toStringList();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  s.setValue(kRecentKey, recent);
}

QByteArray WindowSettings::windowGeometry() {
  return settings().value(kGeometryKey).toByteArray();
}

QByteArray WindowSettings::windowState() {
  return settings().value(kStateKey).toByteArray();
}

double WindowSettings::textScale() {
  return settings().value(kTextScaleKey, 1.0).toDouble();
}

void WindowSettings::setTextScale(double scale) {
  settings().setValue(kTextScaleKey, scale);
}

void WindowSettings::saveWindowLayout(const QByteArray& geometry, const QByteArray& state) {
  settings().setValue(kGeometryKey, geometry);
  settings().setValue(kStateKey, state);
}

}  // namespace dbs::app
