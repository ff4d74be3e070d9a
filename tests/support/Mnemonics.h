#pragma once
// The Alt+letter mnemonics a window offers at once (labels with buddies, buttons, group boxes,
// tabs; hidden widgets such as other tab pages do not count), and the letters offered twice:
// with a clash, Alt+letter reaches only one of the two fields.

#include <QAbstractButton>
#include <QGroupBox>
#include <QKeySequence>
#include <QLabel>
#include <QMap>
#include <QStringList>
#include <QTabBar>
#include <QWidget>

namespace testdata {

inline QStringList clashingMnemonics(QWidget* window) {
    QMap<QKeySequence, QStringList> owners;
    const auto note = [&](QWidget* widget, const QString& text) {
        if (!widget->isVisibleTo(window))
            return;
        const QKeySequence key = QKeySequence::mnemonic(text);
        if (!key.isEmpty())
            owners[key] << text;
    };
    for (QLabel* label : window->findChildren<QLabel*>())
        if (label->buddy())
            note(label, label->text());
    for (QAbstractButton* button : window->findChildren<QAbstractButton*>())
        note(button, button->text());
    for (QGroupBox* group : window->findChildren<QGroupBox*>())
        note(group, group->title());
    for (QTabBar* tabs : window->findChildren<QTabBar*>())
        for (int i = 0; i < tabs->count(); ++i)
            note(tabs, tabs->tabText(i));
    QStringList clashes;
    for (auto it = owners.cbegin(); it != owners.cend(); ++it)
        if (it.value().size() > 1)
            clashes << it.key().toString() + ": " + it.value().join(", ");
    return clashes;
}

}  // namespace testdata
