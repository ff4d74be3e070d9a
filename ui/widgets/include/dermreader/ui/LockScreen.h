#pragma once
// Shown after a reader's session (paused or finished): the workstation stays locked, so the
// reader cannot reach labels or CNN output, until a coordinator signs in here. Closing it
// quits the program.

#include <QWidget>

class QLabel;
class QLineEdit;

namespace dermreader::workstation {
class WorkstationSession;
}

namespace dermreader::ui {

class LockScreen : public QWidget {
    Q_OBJECT

  public:
    explicit LockScreen(workstation::WorkstationSession& session, QWidget* parent = nullptr);

    // What the Unlock button does, for tests.
    bool unlock(const QString& name, const QString& password);
    QString message() const;

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    workstation::WorkstationSession& session_;
    QLineEdit* name_;
    QLineEdit* password_;
    QLabel* message_;
};

}  // namespace dermreader::ui
