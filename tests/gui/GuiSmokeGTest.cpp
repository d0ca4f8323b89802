// The GUI smoke test: what the sanitizer build runs of the window (scripts/sanitize.sh, label smoke),
// and the Release suite too. Open the colin27 sample from the File menu, start Tools > Plan, cancel it
// by the progress dialog's button, and find the window as it was: no session, the same image, no
// plan written. Its own small executable, so the sanitizer build need not compile every window test.
#include <gtest/gtest.h>

#include <QProgressDialog>
#include <QPushButton>

#include <filesystem>
#include <string>

#include "TestSupport.h"
#include "WindowDriving.h"
#include "gui/MainWindow.h"

namespace dbs::app {
namespace {

namespace fs = std::filesystem;

class GuiSmoke : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::freshTestDir("dbs_gui_smoke"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(GuiSmoke, OpenSamplePlanAndCancelThroughTheMenus) {
  MainWindow window;
  ASSERT_TRUE(openColin27SampleIn(window));
  const Volume* shown = window.model().volume();
  chooseInFileDialog(dir_);
  bool cancelClicked = false;
  whenDialogAppears<QProgressDialog>([&cancelClicked](QProgressDialog* progress) {
    QTest::mouseClick(progress->findChild<QPushButton*>(), Qt::LeftButton);  // its only button: Cancel
    cancelClicked = true;
  });
  ASSERT_TRUE(clickMenuPath(window, {"Tools", "Plan bilateral"}));
  EXPECT_TRUE(window.busy()) << "Tools > Plan did not start";
  ASSERT_TRUE(waitFor([&] { return !window.busy(); }, 120000));
  EXPECT_TRUE(cancelClicked) << "no progress dialog with a Cancel button was shown";
  EXPECT_EQ(window.session(), nullptr);
  EXPECT_EQ(window.model().volume(), shown);
  EXPECT_FALSE(fs::exists(dir_ + "/plan.json"));
}

}  // namespace
}  // namespace dbs::app
