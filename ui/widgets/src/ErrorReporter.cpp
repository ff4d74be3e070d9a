#include "dermreader/ui/ErrorReporter.h"

#include <QMessageBox>

#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

ErrorReporter::ErrorReporter(workstation::WorkstationSession& session, QWidget* parentWindow)
    : QObject(parentWindow), parentWindow_(parentWindow) {
    connect(&session, &workstation::WorkstationSession::errorOccurred, this, &ErrorReporter::show);
}

void ErrorReporter::show(const QString& what, const QString& message) {
    const QString text = what.isEmpty() ? message : what + ": " + message;
    history_.append(text);
    if (!dialog_) {
        dialog_ = new QMessageBox(QMessageBox::Warning, tr("dermreader"), {}, QMessageBox::Close,
                                  parentWindow_);
        dialog_->setWindowModality(Qt::NonModal);
    }
    // The newest error on top, with the few before it for context.
    QStringList recent = history_.mid(std::max<qsizetype>(0, history_.size() - 5));
    std::reverse(recent.begin(), recent.end());
    dialog_->setText(recent.front());
    dialog_->setDetailedText(recent.join("\n"));
    dialog_->show();
    Q_EMIT shown(text);
}

void ErrorReporter::hideDialog() {
    if (dialog_)
        dialog_->hide();
}

bool ErrorReporter::dialogVisible() const {
    return dialog_ && dialog_->isVisible();
}

}  // namespace dermreader::ui
