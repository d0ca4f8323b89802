// BackgroundJobs: how the window runs its long steps on a worker thread (Qt Concurrent) and takes
// their results back on the UI thread, so the window stays live and a result is installed whole or
// not at all.
//  - runWithProgress: a step whose result the user waits for (loading, locating, planning,
//    reopening a plan, rendering or writing figures), behind a cancellable progress dialog fed by
//    the step's ProgressCallback. A cancel, a failure (said in a message box) or a newer request
//    drops the result, so what is shown stays as it was; otherwise `onDone` gets it.
//  - runQuietly: a step the user does not wait for (the alternatives' search, the scalp risk map),
//    without a dialog; `onFinished` gets its future (whose result() rethrows what the step threw).
// busy() counts both kinds until their results have been handed over. The steps themselves never
// touch a widget.
#pragma once

#include <QFutureWatcher>
#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QProgressDialog>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "dbs/imaging/ImagingError.h"
#include "dbs/imaging/Volume.h"

class QWidget;

namespace dbs::app {

class BackgroundJobs : public QObject {
  Q_OBJECT
 public:
  // `window`: the parent of the progress dialogs and message boxes (and of this object).
  explicit BackgroundJobs(QWidget* window);

  // Runs `work` on a worker thread behind a cancellable progress dialog, then `onDone` with its
  // result on this thread; an exception becomes a message box titled `failureTitle`. A cancel or a
  // newer request drops the result, and what is shown stays as it was.
  // `modality`: window-modal for steps whose result replaces what is shown (loading, planning); not
  // modal for writing figures from a snapshot, while editing goes on.
  template <typename Result>
  void runWithProgress(const QString& what, const QString& failureTitle,
                       std::function<Result(const ProgressCallback&)> work,
                       std::function<void(Result)> onDone, Qt::WindowModality modality = Qt::WindowModal);

  // Runs `work` (no arguments) on a worker thread, then `onFinished(future)` on this thread.
  template <typename Work, typename Done>
  void runQuietly(Work work, Done onFinished);

  // Tells the step of runWithProgress in progress, if any, to stop at its next progress report.
  void cancelCurrent();
  // Whether a step of either kind is still running.
  bool busy() const { return running_ > 0; }

 signals:
  // A note for the status bar ("Cancelled: nothing was changed").
  void message(const QString& text, int timeoutMs);

 private:
  using CancelFlag = std::shared_ptr<std::atomic<bool>>;
  // The parts of runWithProgress that do not depend on the result's type.
  CancelFlag startStep(const QString& what, Qt::WindowModality modality, QProgressDialog** dialog);
  // Closes the step's dialog; true when the user cancelled (then says that nothing changed).
  bool endStep(QProgressDialog* dialog, const CancelFlag& cancel);
  // The step's progress reports, to its dialog (queued to this thread); false once cancelled.
  static ProgressCallback progressTo(QPointer<QProgressDialog> dialog, CancelFlag cancel);
  void fail(const QString& title, const QString& error);

  QWidget* window_;
  CancelFlag cancelCurrent_;  // of the step whose result would replace what is shown
  int running_ = 0;
};

template <typename Result>
void BackgroundJobs::runWithProgress(const QString& what, const QString& failureTitle,
                                     std::function<Result(const ProgressCallback&)> work,
                                     std::function<void(Result)> onDone, Qt::WindowModality modality) {
  QProgressDialog* dialog = nullptr;
  const CancelFlag cancel = startStep(what, modality, &dialog);
  struct Outcome {
    std::optional<Result> value;
    QString error;
  };
  ++running_;
  auto* watcher = new QFutureWatcher<Outcome>(this);
  connect(watcher, &QFutureWatcher<Outcome>::finished, this,
          [this, watcher, dialog, cancel, onDone, failureTitle] {
            --running_;
            Outcome outcome = watcher->result();
            watcher->deleteLater();
            if (endStep(dialog, cancel)) return;
            if (!outcome.value) return fail(failureTitle, outcome.error);
            try {
              onDone(std::move(*outcome.value));
            } catch (const std::exception& e) {  // never let an exception leave the event loop
              fail(failureTitle, QString::fromStdString(e.what()));
            }
          });
  const ProgressCallback progress = progressTo(dialog, cancel);
  watcher->setFuture(QtConcurrent::run([work, progress]() -> Outcome {
    try {
      return {work(progress), {}};
    } catch (const Cancelled&) {
      return {std::nullopt, "cancelled"};
    } catch (const std::bad_alloc&) {
      return {std::nullopt, "out of memory"};
    } catch (const std::exception& e) {
      return {std::nullopt, QString::fromStdString(e.what())};
    }
  }));
}

template <typename Work, typename Done>
void BackgroundJobs::runQuietly(Work work, Done onFinished) {
  using Result = std::invoke_result_t<Work>;
  ++running_;
  auto* watcher = new QFutureWatcher<Result>(this);
  connect(watcher, &QFutureWatcher<Result>::finished, this, [this, watcher, onFinished] {
    --running_;
    watcher->deleteLater();
    onFinished(watcher->future());
  });
  watcher->setFuture(QtConcurrent::run(std::move(work)));
}

}  // namespace dbs::app
