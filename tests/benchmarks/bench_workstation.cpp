// Workstation benchmark (prints numbers; not a test): time from selecting an image to its
// probability being shown and to its saliency overlay being shown, for 1024x768 JPEGs on this
// machine, and resident memory after browsing a large folder (thumbnails for every image and a
// prediction for every 25th).
//   QT_QPA_PLATFORM=offscreen bench_workstation --model BUNDLE [--browse FOLDER] [--repeats N]
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>
#include <algorithm>

#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/LibraryModel.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/workstation/PredictionService.h"
#include "dermreader/workstation/WorkstationSession.h"

using namespace dermreader::ui;

namespace {

long residentKilobytes() {
    QFile status("/proc/self/status");
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const auto& line : QString::fromLatin1(status.readAll()).split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.section(' ', 1, -1, QString::SectionSkipEmpty).section(' ', 0, 0).toLong();
    }
    return -1;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

bool waitFor(QSignalSpy& spy, int timeoutMs) {
    return !spy.isEmpty() || spy.wait(timeoutMs);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("dermreader-bench");
    QCommandLineParser parser;
    parser.addOption({"model", "Model bundle", "bundle"});
    parser.addOption({"browse", "Folder to browse for the memory measurement", "folder"});
    parser.addOption({"repeats", "Images timed", "n", "7"});
    parser.addOption({"sample", "A photograph to enlarge to 1024x768", "image",
                      QStringLiteral(DERMREADER_SOURCE_DIR "/resources/samples/ISIC_0012099.jpg")});
    parser.process(app);

    // 1024x768 JPEGs, each a little different so that no result comes from the cache.
    QTemporaryDir dir;
    dermreader::workstation::SessionOptions options;
    options.databasePath = dir.filePath("bench-library.sqlite");
    options.sessionModel = parser.value("model");
    dermreader::workstation::WorkstationSession session(dermreader::taxonomy::Taxonomy::builtin(),
                                                        options);
    if (!session.reloadModel()) {
        QTextStream(stderr) << "model: " << session.modelError() << "\n";
        return 1;
    }
    MainWindow window(session);
    window.show();
    const int repeats = parser.value("repeats").toInt();
    const QImage base =
        QImage(parser.value("sample")).scaled(1024, 768).convertToFormat(QImage::Format_RGB888);
    for (int i = 0; i < repeats + 1; ++i) {
        QImage copy = base;
        copy.setPixelColor(i, 0, QColor(i, 255 - i, 7 * i % 256));
        copy.save(dir.filePath(QStringLiteral("image%1.jpg").arg(i, 3, 10, QChar('0'))), "JPG", 92);
    }
    window.setOverlayEnabled(true);
    window.openFolder(dir.path());
    QSignalSpy warm(&window, &MainWindow::saliencyShown);
    waitFor(warm, 60000);  // the first image warms caches and threads up

    std::vector<double> toProbability, toOverlay;
    for (int i = 1; i <= repeats; ++i) {
        QSignalSpy prediction(&window, &MainWindow::predictionShown);
        QSignalSpy overlay(&window, &MainWindow::saliencyShown);
        QElapsedTimer timer;
        timer.start();
        window.selectRow(i);
        if (!waitFor(prediction, 60000))
            return 2;
        toProbability.push_back(timer.nsecsElapsed() / 1e6);
        if (!waitFor(overlay, 60000))
            return 2;
        toOverlay.push_back(timer.nsecsElapsed() / 1e6);
    }
    QTextStream out(stdout);
    out << "device: " << session.predictions().deviceDescription() << "\n";
    out << "select -> probability shown (1024x768 JPEG), median of " << repeats << ": "
        << QString::number(median(toProbability), 'f', 1) << " ms\n";
    out << "select -> saliency overlay shown (gradient), median of " << repeats << ": "
        << QString::number(median(toOverlay), 'f', 1) << " ms\n";

    const QString browse = parser.value("browse");
    if (!browse.isEmpty()) {
        window.setOverlayEnabled(false);
        const long before = residentKilobytes();
        QSignalSpy imported(window.browser(), &LibraryBrowser::importFinished);
        QElapsedTimer timer;
        timer.start();
        window.openFolder(browse);
        auto* model = window.browser()->model();
        const int rows = model->rowCount();
        for (int row = 0; row < rows; ++row) {
            model->data(model->index(row, 0), Qt::DecorationRole);  // what scrolling past it does
            if (row % 25 == 0) {
                QSignalSpy prediction(&window, &MainWindow::predictionShown);
                QSignalSpy failed(&window, &MainWindow::errorShown);
                window.selectRow(row);
                while (prediction.isEmpty() && failed.isEmpty())
                    QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
            }
            if (row % 200 == 0)
                QCoreApplication::processEvents();
        }
        QTest::qWait(3000);  // let the last thumbnails land
        const double browsed = timer.elapsed() / 1000.0;
        waitFor(imported, 3600000);
        out << "library: the folder's " << rows << " images recorded (hashes, headers) after "
            << QString::number(timer.elapsed() / 1000.0, 'f', 0) << " s in the background\n";
        out << "browsed " << rows << " images (" << rows / 25 + 1 << " predictions) in "
            << QString::number(browsed, 'f', 0) << " s; resident memory " << before / 1024
            << " MB before, " << residentKilobytes() / 1024 << " MB after\n";
    }
    return 0;
}
