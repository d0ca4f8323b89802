// Test main for the app: creates the QApplication (with the OpenGL format VTK needs) only when tests
// actually run, so test discovery works without a display. GUI tests need X: run under xvfb-run -a.
#include <gtest/gtest.h>

#include <QApplication>
#include <QStandardPaths>

#include <cstdlib>
#include <string>

#include "dbs/imaging/ItkSetup.h"
#include "render/GlContext.h"

namespace dbs::app {
// WorkstationGTest.cpp: the child process of the kill-and-recover test.
int runWorkstationChild(const std::string& planPath);
}  // namespace dbs::app

int main(int argc, char** argv) {
  dbs::configureItk();
  testing::InitGoogleTest(&argc, argv);
  if (testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();
  dbs::app::setDefaultOpenGLSurfaceFormat();
  QApplication app(argc, argv);
  // Settings (recent files, window layout) go to a test location, never the user's own.
  QStandardPaths::setTestModeEnabled(true);
  if (const char* plan = std::getenv("DBS_WORKSTATION_CHILD_PLAN"))
    return dbs::app::runWorkstationChild(plan);
  return RUN_ALL_TESTS();
}
