#pragma once
// Review screenshots from the GUI tests: with DERMREADER_SCREENSHOT_DIR set (by
// packaging/review-screenshots.sh), a test saves what it drew there; otherwise nothing.

#include <QDir>
#include <QString>
#include <QWidget>

namespace testdata {

inline QString screenshotFolder() {
    return qEnvironmentVariable("DERMREADER_SCREENSHOT_DIR");
}

inline void saveScreenshot(QWidget* widget, const QString& name) {
    const QString folder = screenshotFolder();
    if (folder.isEmpty() || !widget)
        return;
    QDir().mkpath(folder);
    widget->grab().save(QDir(folder).filePath(name));
}

}  // namespace testdata
