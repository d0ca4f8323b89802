// Test main for the app: creates the QApplication (with the OpenGL format VTK needs) only when tests
// actually run, so test discovery works without a display. GUI tests need X: run under xvfb-run -a.
#include <gtest/gtest.h>

#include <QApplication>
#include "dbs/app/VtkOpenGLWidget.h"
#include "dbs/imaging/ItkSetup.h"

int main(int argc, char** argv) {
  dbs::configureItk();
  testing::InitGoogleTest(&argc, argv);
  if (testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();
  dbs::app::setDefaultOpenGLSurfaceFormat();
  QApplication app(argc, argv);
  return RUN_ALL_TESTS();
}
