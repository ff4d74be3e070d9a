#pragma once
// Shows the session's error channel: one non-modal dialog that lists what went wrong (newest
// first), so no error is lost and none blocks the window it came from.

#include <QObject>
#include <QString>
#include <QStringList>

class QMessageBox;
class QWidget;

namespace dermreader::workstation {
class WorkstationSession;
}

namespace dermreader::ui {

class ErrorReporter : public QObject {
    Q_OBJECT

  public:
    ErrorReporter(workstation::WorkstationSession& session, QWidget* parentWindow);

    void show(const QString& what, const QString& message);
    // Every error shown, oldest first ("what: message"), for tests and the status bar.
    const QStringList& history() const { return history_; }
    bool dialogVisible() const;
    void hideDialog();

  Q_SIGNALS:
    void shown(const QString& text);

  private:
    QWidget* parentWindow_;
    QMessageBox* dialog_ = nullptr;
    QStringList history_;
};

}  // namespace dermreader::ui
