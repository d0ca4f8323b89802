// WindowSettings: what the window keeps between runs, in QSettings ("dbsplan", "dbsplan"): the
// recent files (absolute paths, newest first, at most kMaxRecentFiles), the folder of the last file
// opened or written (where the next file dialog starts), and the window's geometry and dock layout.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace dbs {
class PlanSession;
}

namespace dbs::app {

class WindowSettings {
 public:
  static constexpr int kMaxRecentFiles = 8;

  static QString lastFolder();
  // Remembers `path`'s folder (a folder itself when `path` is one).
  static void rememberFolder(const QString& path);
  // The open plan's folder (null: none), else the last folder: where its exports are offered.
  static QString planFolder(const PlanSession* session);

  static QStringList recentFiles();
  static void addRecentFile(const QString& path);

  static QByteArray windowGeometry();
  static QByteArray windowState();
  static void saveWindowLayout(const QByteArray& geometry, const QByteArray& state);

  // View > Text size (1 = the designed size), kept between runs (issue 23: a projector's size was
  // lost at every start).
  static double textScale();
  static void setTextScale(double scale);
};

}  // namespace dbs::app
