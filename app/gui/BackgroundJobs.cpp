#include "gui/BackgroundJobs.h"

#include <QMessageBox>
#include <QProgressBar>
#include <QShortcut>
#include <QWidget>

namespace dbs::app {
namespace {
// Set on a step's progress dialog when the step has ended (endStep).
constexpr const char* kStepEnded = "dbsplanStepEnded";
}  // namespace

BackgroundJobs::BackgroundJobs(QWidget* window) : QObject(window), window_(window) {}

void BackgroundJobs::cancelCurrent() {
  if (cancelCurrent_) *cancelCurrent_ = true;
}

BackgroundJobs::CancelFlag BackgroundJobs::startStep(const QString& what, Qt::WindowModality modality,
                                                     QProgressDialog** dialog) {
  cancelCurrent();  // a newer request supersedes a step in progress
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  cancelCurrent_ = cancel;
  auto* progress = new QProgressDialog(what, "Cancel", 0, 100, window_);
  progress->setWindowTitle("dbsplan");
  progress->setWindowModality(modality);
  progress->setMinimumDuration(300);
  progress->setAutoClose(false);
  progress->setAutoReset(false);
  connect(progress, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });
  if (modality != Qt::NonModal) {
    // Escape cancels the step wherever the focus is: the dialog's own Escape reached it only while it
    // had the focus, and one click on the (blocked) main window took that away (issue 23). An
    // application-wide shortcut on the modal dialog is not shadowed by it; non-modal steps (writing
    // figures while editing goes on) keep Escape for the window.
    // QProgressDialog has an Escape shortcut of its own (window context): while the dialog itself is
    // the active window both would match, and Qt then activates neither (activatedAmbiguously), so
    // Escape did nothing exactly when the dialog had the focus. Its own is disabled: ours does the same.
    for (QShortcut* own : progress->findChildren<QShortcut*>())
      if (own->key() == QKeySequence(Qt::Key_Escape)) own->setEnabled(false);
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), progress);
    escape->setContext(Qt::ApplicationShortcut);
    connect(escape, &QShortcut::activated, progress, [progress] { emit progress->canceled(); });
  }
  *dialog = progress;
  return cancel;
}

bool BackgroundJobs::endStep(QProgressDialog* dialog, const CancelFlag& cancel) {
  // Read the user's answer before closing the dialog: closing a QProgressDialog emits canceled()
  // (QProgressDialog::closeEvent), which must not count as the user cancelling a finished step.
  const bool cancelled = *cancel;
  disconnect(dialog, &QProgressDialog::canceled, nullptr, nullptr);
  // A QProgressDialog shows itself once its minimum duration has passed (from its own timer, or from
  // a late setValue), and deleteLater() waits for the event loop that called it: a failure's message
  // box (a nested loop) once had the "0 %" dialog come up over it, window-modal, and nothing could
  // be clicked (issue 23). So: progress reports still queued are ignored from now on, reset() stops
  // the timer, and it is hidden before any message. Not deleted here: a modal dialog's setValue
  // processes events, so this may run inside it.
  dialog->setProperty(kStepEnded, true);
  dialog->reset();
  dialog->hide();
  dialog->deleteLater();
  if (cancelled) emit message("Cancelled: nothing was changed", 5000);
  return cancelled;
}

ProgressCallback BackgroundJobs::progressTo(QPointer<QProgressDialog> dialog, CancelFlag cancel) {
  return [cancel, dialog](double fraction, const std::string& step) {
    QMetaObject::invokeMethod(
        dialog,
        [dialog, fraction, step] {
          if (!dialog || dialog->property(kStepEnded).toBool()) return;
          dialog->setLabelText(QString::fromStdString(step));
          // The bar, not QProgressDialog::setValue: on a modal dialog that runs the event loop, where
          // the step may end and the dialog be deleted under it (Escape after a click on the window
          // crashed 1 run in 3). The work runs on a worker thread; this thread's loop is running anyway.
          if (auto* bar = dialog->findChild<QProgressBar*>()) bar->setValue(static_cast<int>(fraction * 99));
        },
        Qt::QueuedConnection);
    return !*cancel;
  };
}

void BackgroundJobs::fail(const QString& title, const QString& error) {
  QMessageBox::critical(window_, title, error);
}

}  // namespace dbs::app
