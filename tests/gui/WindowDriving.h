// Driving the workstation as a person does, for the GUI tests: menus clicked by mouse, dialogs
// answered when they appear, shortcuts pressed in the active window, waits in a running event loop.
// Shared by the workstation tests and the GUI smoke test (the one window test the sanitizer build
// compiles and runs, so it is a small executable of its own).
#pragma once

#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileDialog>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QTest>
#include <QTimer>

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "gui/MainWindow.h"

namespace dbs::app {

inline bool waitFor(const std::function<bool()>& done, int timeoutMs) {
  QElapsedTimer timer;
  timer.start();
  while (!done()) {
    if (timer.elapsed() > timeoutMs) return false;
    QTest::qWait(20);
  }
  return true;
}

inline QString plainText(QString text) {
  return text.remove('&');
}

inline QAction* findAction(const QList<QAction*>& actions, const QString& startsWith) {
  for (QAction* a : actions)
    if (plainText(a->text()).startsWith(startsWith)) return a;
  return nullptr;
}

// Clicks `at` (a point of `owner`, asked for afresh each time) until `menu` shows, as a person clicks
// again when a menu did not open. After View > Text size the menu bar is laid out again in the new
// font, and under load (the full suite on 2 cores) a click can land on the old geometry or before
// the bar takes it: 1 of 224 runs failed so with a single click. A click that opened another menu
// closes that menu before the next try.
inline bool clickUntilShown(QWidget* owner, const std::function<QPoint()>& at, QMenu* menu) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    QApplication::processEvents();
    const QPoint point = at();
    QTest::mouseMove(owner, point);
    QTest::mouseClick(owner, Qt::LeftButton, {}, point);
    if (waitFor([menu] { return menu->isVisible(); }, 3000)) return true;
    QWidget* popup = QApplication::activePopupWidget();
    if (popup && popup != owner) popup->close();
  }
  return false;
}

// Opens a menu path by mouse, as a user: the menu bar title, then each item in turn.
inline bool clickMenuPath(QMainWindow& window, const QStringList& path) {
  QMenuBar* bar = window.menuBar();
  QAction* top = findAction(bar->actions(), path.front());
  if (!top || !top->menu()) return false;
  QMenu* menu = top->menu();
  if (!clickUntilShown(
          bar, [bar, top] { return bar->actionGeometry(top).center(); }, menu))
    return false;
  for (int i = 1; i < path.size(); ++i) {
    QAction* item = findAction(menu->actions(), path[i]);
    if (!item || !item->isEnabled()) return false;
    const auto centre = [menu, item] { return menu->actionGeometry(item).center(); };
    if (item->menu()) {
      QMenu* parent = menu;
      menu = item->menu();
      if (!clickUntilShown(parent, centre, menu)) return false;
    } else {
      QTest::mouseMove(menu, centre());
      QTest::mouseClick(menu, Qt::LeftButton, {}, centre());
    }
  }
  return true;
}

// Answers the next dialog of type D when it appears (file dialogs, questions) with `answer`.
template <typename D>
inline void whenDialogAppears(std::function<void(D*)> answer) {
  auto* timer = new QTimer(qApp);
  timer->setInterval(50);
  QObject::connect(timer, &QTimer::timeout, [timer, answer] {
    for (QWidget* w : QApplication::topLevelWidgets()) {
      auto* dialog = qobject_cast<D*>(w);
      if (!dialog || !dialog->isVisible()) continue;
      timer->stop();
      timer->deleteLater();
      answer(dialog);
      return;
    }
  });
  timer->start();
}

inline void chooseInFileDialog(const std::string& path) {
  whenDialogAppears<QFileDialog>([path](QFileDialog* dialog) {
    // Typed into the dialog's name field as an absolute path, as a user may: it does not depend on
    // the folder the dialog happens to show.
    const QString p = QString::fromStdString(path);
    if (auto* name = dialog->findChild<QLineEdit*>("fileNameEdit"))
      name->setText(p);
    else
      dialog->selectFile(p);
    static_cast<QDialog*>(dialog)->accept();  // the dialog's Open button (QFileDialog::accept validates)
  });
}

inline void clickInMessageBox(QMessageBox::StandardButton which) {
  whenDialogAppears<QMessageBox>(
      [which](QMessageBox* box) { QTest::mouseClick(box->button(which), Qt::LeftButton); });
}

// A keyboard shortcut as a user presses it: in the active window (shortcuts act in their window).
// Activation goes through the X server and its answer can be slow on a loaded machine (the sanitizer
// suite on 2 cores): ask again, raising the window, for up to 20 s before calling it a failure.
inline void pressShortcut(QWidget& window, Qt::Key key, Qt::KeyboardModifiers modifiers) {
  bool active = window.isActiveWindow();
  for (int attempt = 0; attempt < 10 && !active; ++attempt) {
    window.raise();
    window.activateWindow();
    active = QTest::qWaitForWindowActive(&window, 2000);
  }
  if (!active) ADD_FAILURE() << "the window never became active";
  QTest::keyClick(&window, key, modifiers);
}

// Lets the window idle in a real event loop (QTest::qWait would wake every few milliseconds itself).
inline void idleFor(int ms) {
  QEventLoop loop;
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}

// Shows `window` at `size` and opens `planPath` in it by File > Open plan..., as a user does;
// false when the window or the plan did not come up.
inline bool openPlanInNewWindow(MainWindow& window, const std::string& planPath, QSize size) {
  window.resize(size);
  window.show();
  if (!QTest::qWaitForWindowExposed(&window)) return false;
  chooseInFileDialog(planPath);
  if (!clickMenuPath(window, {"File", "Open plan"})) return false;
  return waitFor([&] { return window.session() != nullptr && !window.busy(); }, 60000);
}

// Shows `window` at 1200 x 900 and opens the colin27 sample in it by File > Open sample; false when
// the window or the sample did not come up.
inline bool openColin27SampleIn(MainWindow& window) {
  window.resize(1200, 900);
  window.show();
  if (!QTest::qWaitForWindowExposed(&window)) return false;
  if (!clickMenuPath(window, {"File", "Open sample", "colin27"})) return false;
  return waitFor([&] { return window.model().labels() && !window.busy(); }, 60000);
}

}  // namespace dbs::app
