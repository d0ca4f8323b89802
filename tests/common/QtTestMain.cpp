// Test main for the executables that open windows or render: creates the QApplication (with the
// OpenGL format VTK needs) only when tests actually run, so test discovery works without a display.
// They need X: ctest runs them under xvfb-run -a (labels gui and render).
#include "QtTestMain.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QSettings>
#include <QStandardPaths>

#include <cstdlib>
#include <map>
#include <string>

#include "TestSupport.h"
#include "dbs/imaging/ItkSetup.h"
#include "render/GlContext.h"

namespace dbs::test {
namespace {
std::map<std::string, int (*)(const std::string&)>& childEntries() {
  static std::map<std::string, int (*)(const std::string&)> entries;
  return entries;
}
}  // namespace

bool registerChildEntry(const char* variable, int (*entry)(const std::string& value)) {
  childEntries()[variable] = entry;
  return true;
}

}  // namespace dbs::test

int main(int argc, char** argv) {
  dbs::configureItk();
  testing::InitGoogleTest(&argc, argv);
  if (testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();
  dbs::app::setDefaultOpenGLSurfaceFormat();
  QApplication app(argc, argv);
  // Settings (recent files, window layout) go to a test location, never the user's own.
  QStandardPaths::setTestModeEnabled(true);
  // And each test process its own: ctest runs GUI tests in parallel, and one test's recent plans (and
  // their autosaves, offered at start-up) must never reach another test's window.
  const QString settings =
      QDir::tempPath() + "/dbs_qt_settings_" + QString::number(QCoreApplication::applicationPid());
  QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings);
  dbs::test::removeAtExit(settings.toStdString());  // one folder per GUI test process otherwise stays
  for (const auto& [variable, entry] : dbs::test::childEntries())
    if (const char* value = std::getenv(variable.c_str())) return entry(value);
  return RUN_ALL_TESTS();
}
