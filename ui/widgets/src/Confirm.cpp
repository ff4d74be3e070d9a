#include "dermreader/ui/Confirm.h"

#include <QMessageBox>

namespace dermreader::ui {
namespace {

ConfirmationAnswerer& answerer() {
    static ConfirmationAnswerer instance;
    return instance;
}

}  // namespace

bool confirm(QWidget* parent, const QString& title, const QString& question) {
    if (answerer())
        return answerer()(title, question);
    return QMessageBox::question(parent, title, question, QMessageBox::Yes | QMessageBox::No,
                                 QMessageBox::No) == QMessageBox::Yes;
}

void setConfirmationAnswerer(ConfirmationAnswerer answerer_) {
    answerer() = std::move(answerer_);
}

}  // namespace dermreader::ui
