#include "dermreader/ui/LockScreen.h"

#include <QCloseEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

LockScreen::LockScreen(workstation::WorkstationSession& session, QWidget* parent)
    : QWidget(parent), session_(session) {
    setWindowTitle(tr("dermreader — locked"));
    auto* title = new QLabel(tr("Reader study: the workstation is locked"), this);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 1.5);
    big.setBold(true);
    title->setFont(big);
    auto* explanation = new QLabel(
        tr("Your decisions are saved. A study coordinator unlocks the workstation; the next "
           "reader session resumes at the first undecided case."),
        this);
    explanation->setWordWrap(true);
    name_ = new QLineEdit(this);
    password_ = new QLineEdit(this);
    password_->setEchoMode(QLineEdit::Password);
    message_ = new QLabel(this);
    message_->setStyleSheet(QStringLiteral("color:#b00"));
    auto* form = new QFormLayout;
    form->addRow(tr("Coordinator"), name_);
    form->addRow(tr("Password"), password_);
    auto* unlockButton = new QPushButton(tr("Unlock"), this);
    unlockButton->setDefault(true);
    auto* quitButton = new QPushButton(tr("Quit dermreader"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(quitButton);
    buttons->addWidget(unlockButton);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addLayout(form);
    layout->addWidget(message_);
    layout->addLayout(buttons);
    connect(unlockButton, &QPushButton::clicked, this,
            [this] { unlock(name_->text(), password_->text()); });
    connect(password_, &QLineEdit::returnPressed, this,
            [this] { unlock(name_->text(), password_->text()); });
    connect(quitButton, &QPushButton::clicked, this, &QWidget::close);
    resize(520, 260);
}

bool LockScreen::unlock(const QString& name, const QString& password) {
    QString error;
    password_->clear();
    if (!session_.unlock(name, password, &error)) {
        message_->setText(error);
        return false;
    }
    message_->clear();
    name_->clear();
    hide();
    return true;
}

QString LockScreen::message() const {
    return message_->text();
}

void LockScreen::closeEvent(QCloseEvent* event) {
    // Closing a locked workstation ends the program; it never reveals the main window.
    if (session_.locked())
        session_.shutdown();
    event->accept();
}

}  // namespace dermreader::ui
