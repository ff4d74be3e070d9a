#pragma once
// Yes/no questions before actions that cannot be taken back (closing a study, activating a
// model). One function, so tests can answer (and read) the questions without a modal box.

#include <QString>
#include <functional>

class QWidget;

namespace dermreader::ui {

// Asks with a QMessageBox (default: No) unless an answerer is set.
bool confirm(QWidget* parent, const QString& title, const QString& question);

using ConfirmationAnswerer = std::function<bool(const QString& title, const QString& question)>;
// For tests: answers every question instead of the message box; {} restores the box.
void setConfirmationAnswerer(ConfirmationAnswerer answerer);

}  // namespace dermreader::ui
