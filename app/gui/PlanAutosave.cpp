#include "gui/PlanAutosave.h"

#include <QTimer>

#include <filesystem>

#include "dbs/planning/PlanSession.h"

namespace dbs::app {

PlanAutosave::PlanAutosave(std::function<PlanSession*()> session, QObject* parent)
    : QObject(parent), session_(std::move(session)), timer_(new QTimer(this)) {
  timer_->setSingleShot(true);
  timer_->setInterval(kDelayMs);
  connect(timer_, &QTimer::timeout, this, [this] {
    PlanSession* session = session_();
    if (!session) return;
    try {
      session->writeAutosave();
    } catch (const std::exception& e) {
      emit message(QString("Autosave failed: ") + e.what(), 10000);
    }
  });
}

void PlanAutosave::restart() {
  timer_->start();
}

void PlanAutosave::stop() {
  timer_->stop();
}

void PlanAutosave::discard(const std::string& planPath) {
  std::error_code ec;
  std::filesystem::remove(PlanSession::autosavePathFor(planPath), ec);
  timer_->stop();
}

}  // namespace dbs::app
