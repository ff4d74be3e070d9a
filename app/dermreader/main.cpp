// dermreader: the reading workstation. With no arguments it opens the embedded sample images
// with the embedded default model.
//   dermreader [FOLDER] [--model BUNDLE] [--device auto|cpu|cuda] [--tta] [--database FILE]
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>

#include "dermreader/engine/Resources.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace {

// For review: the window once the prediction is shown, then again with the saliency overlay.
void takeScreenshots(dermreader::ui::MainWindow& window, const QString& folder) {
    QDir().mkpath(folder);
    window.setOverlayEnabled(false);  // first without, then with the overlay
    auto save = [&window, folder](const QString& name) {
        window.grab().save(QDir(folder).filePath(name));
    };
    QObject::connect(&window, &dermreader::ui::MainWindow::predictionShown, &window,
                     [&window, save] {
                         if (window.overlayShown())
                             return;
                         QTimer::singleShot(300, &window, [&window, save] {
                             save("main-window.png");
                             window.setOverlayEnabled(true);
                         });
                     });
    QObject::connect(&window, &dermreader::ui::MainWindow::saliencyShown, &window, [save] {
        QTimer::singleShot(300, [save] {
            save("main-window-overlay.png");
            QApplication::quit();
        });
    });
    QObject::connect(&window, &dermreader::ui::MainWindow::errorShown, &window, [save] {
        save("main-window-error.png");
        QApplication::quit();
    });
    QTimer::singleShot(120000, [] { QApplication::exit(1); });  // never hang a script
}

// The command line, declared once for --help (which needs no display) and for the run.
void declareOptions(QCommandLineParser& parser) {
    parser.setApplicationDescription("dermreader skin-lesion reading workstation");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        "folder", "Image folder to open, or an image file (default: the sample images)");
    parser.addOption(
        {"model", "Model bundle folder (default: the embedded default model)", "bundle"});
    parser.addOption({"device", "auto, cpu or cuda", "device", "auto"});
    parser.addOption({"tta", "Test-time augmentation (8 rotations/flips)"});
    parser.addOption({"screenshots",
                      "Save screenshots (without and with overlay) into this folder, then quit",
                      "folder"});
    parser.addOption(
        {"select", "Select the image with this row after opening (default 0)", "row", "0"});
    parser.addOption({"database",
                      "The workstation database (image library); default: in the user's data "
                      "folder",
                      "file"});
    parser.addOption({"import-dataset",
                      "Import a labelled dataset (metadata CSV or folder) into the library",
                      "source"});
}

// --help and --version are answered without a display (no QApplication, no platform plugin).
bool asksForHelp(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "-?" || arg == "-v" ||
            arg == "--version")
            return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (asksForHelp(argc, argv)) {
        QCoreApplication core(argc, argv);
        QCoreApplication::setApplicationName("dermreader");
        QCoreApplication::setApplicationVersion(DERMREADER_VERSION);
        QCommandLineParser parser;
        declareOptions(parser);
        parser.process(core);  // prints and exits
        return 0;
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName("dermreader");
    QApplication::setApplicationName("dermreader");
    QApplication::setApplicationVersion(DERMREADER_VERSION);
    QCommandLineParser parser;
    declareOptions(parser);
    parser.process(app);

    namespace eng = dermreader::engine;
    namespace ws = dermreader::workstation;
    ws::SessionOptions options;
    options.databasePath = parser.value("database");
    if (options.databasePath.isEmpty()) {
        options.databasePath = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                               "/workstation.sqlite";
    }
    options.sessionModel = parser.value("model");
    if (parser.isSet("device"))
        options.commandLineDevice = parser.value("device");
    options.commandLineTta = parser.isSet("tta");
    // One session for every window: database, users, the model policy, jobs, errors.
    ws::WorkstationSession session(dermreader::taxonomy::Taxonomy::builtin(), options);
    dermreader::ui::MainWindow window(session);
    // The session decides when the program ends (Quit, closing the main or lock window): a
    // locked workstation has no visible window between a reader's session and the lock screen.
    QApplication::setQuitOnLastWindowClosed(false);
    QObject::connect(&session, &ws::WorkstationSession::shuttingDown, &app, &QApplication::quit,
                     Qt::QueuedConnection);
    session.reloadModel();
    QString folder = parser.positionalArguments().value(0);
    QString samplesLabels;
    if (auto resources = eng::resourceDirectory()) {
        const QString samples = QString::fromStdString((*resources / "samples").string());
        if (folder.isEmpty())
            folder = samples;
        if (QFileInfo(folder).canonicalFilePath() == QFileInfo(samples).canonicalFilePath())
            samplesLabels = samples + "/ISIC-2017-samples.csv";
    }
    window.showInitially();
    const QString screenshots = parser.value("screenshots");
    if (!screenshots.isEmpty())
        takeScreenshots(window, screenshots);
    // An image file (from a file manager's "open with") opens its folder, selected on it.
    QString file;
    if (QFileInfo(folder).isFile()) {
        file = QFileInfo(folder).absoluteFilePath();
        folder = QFileInfo(folder).absolutePath();
    }
    if (!folder.isEmpty())
        window.openFolder(folder);
    // The samples' known diagnoses and modality go into the library with them.
    if (QFileInfo::exists(samplesLabels))
        window.importSampleLabels(samplesLabels);
    if (parser.isSet("import-dataset"))
        window.importDataset(parser.value("import-dataset"), {});
    if (file.isEmpty() || !window.browser()->selectPath(file))
        window.selectRow(parser.value("select").toInt());
    return QApplication::exec();
}
