// PlanAutosave: writes the open plan's autosave (PlanSession::writeAutosave, beside the plan file) a
// few seconds after the last change (a drag's commit, an undo...) rather than on every step, so an
// edit survives a crash or a kill and is offered back when the plan is opened again. Saving the plan
// or opening another one stops it; discarding the edits on purpose also deletes the autosave.
#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <string>

class QTimer;

namespace dbs {
class PlanSession;
}

namespace dbs::app {

class PlanAutosave : public QObject {
  Q_OBJECT
 public:
  static constexpr int kDelayMs = 3000;  // after the last change

  // `session`: the open plan when the delay is over (null: none, nothing is written).
  PlanAutosave(std::function<PlanSession*()> session, QObject* parent);
  // A change: the autosave is written kDelayMs after the last one.
  void restart();
  // The plan was saved, or another one opened: nothing to write.
  void stop();
  // The user discarded the edits to the plan at `planPath`: its autosave must not offer them back.
  void discard(const std::string& planPath);

 signals:
  // A note for the status bar (the autosave failed).
  void message(const QString& text, int timeoutMs);

 private:
  std::function<PlanSession*()> session_;
  QTimer* timer_;
};

}  // namespace dbs::app
