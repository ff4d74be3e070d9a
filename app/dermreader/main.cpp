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
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/records/Schema.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/ui/PredictionService.h"
#include "dermreader/ui/SettingsDialog.h"

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

// The bundle activated in the model registry, or "" (no database yet, or nothing active).
QString activeRegisteredModel(const QString& database) {
    if (!QFileInfo::exists(database))
        return {};
    try {
        auto db = dermreader::records::openWorkstationDatabase(database.toStdString());
        const auto active =
            dermreader::records::ModelRegistry(db, dermreader::taxonomy::Taxonomy::builtin())
                .active();
        return active ? QString::fromStdString(active->bundle.string()) : QString();
    } catch (const std::exception&) {
        return {};  // the window reports database problems when it opens the library
    }
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("dermreader");
    QApplication::setApplicationName("dermreader");
    QCommandLineParser parser;
    parser.setApplicationDescription("dermreader skin-lesion reading workstation");
    parser.addHelpOption();
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
    parser.process(app);

    namespace eng = dermreader::engine;
    dermreader::ui::PredictionService service(dermreader::taxonomy::Taxonomy::builtin());
    QString database = parser.value("database");
    if (database.isEmpty()) {
        database = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                   "/workstation.sqlite";
    }
    // The model: --model, else the one a trainer activated in the registry, else the one
    // chosen in the settings, else the embedded default.
    QString bundle = parser.value("model");
    if (bundle.isEmpty())
        bundle = activeRegisteredModel(database);
    // The command line wins over the saved settings (File > Settings).
    dermreader::ui::WorkstationSettings saved = dermreader::ui::WorkstationSettings::load();
    if (parser.isSet("device"))
        saved.device = parser.value("device");
    if (parser.isSet("tta"))
        saved.testTimeAugmentation = true;
    if (bundle.isEmpty())
        bundle = saved.modelBundle;
    if (bundle.isEmpty()) {
        if (auto found = eng::defaultModelBundle())
            bundle = QString::fromStdString(found->string());
    }
    const eng::PredictorOptions options = saved.predictorOptions();
    QString error =
        bundle.isEmpty() ? QObject::tr("no model bundle found (give --model)") : QString();
    if (!bundle.isEmpty())
        service.loadModel(bundle, options, &error);

    dermreader::ui::MainWindow window(service, database);
    window.refreshStatus(error);
    QString folder = parser.positionalArguments().value(0);
    QString samplesLabels;
    if (auto resources = eng::resourceDirectory()) {
        const QString samples = QString::fromStdString((*resources / "samples").string());
        if (folder.isEmpty())
            folder = samples;
        if (QFileInfo(folder).canonicalFilePath() == QFileInfo(samples).canonicalFilePath())
            samplesLabels = samples + "/ISIC-2017-samples.csv";
    }
    window.show();
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
        window.importDataset(samplesLabels, "csv");
    if (parser.isSet("import-dataset"))
        window.importDataset(parser.value("import-dataset"), {});
    if (file.isEmpty() || !window.browser()->selectPath(file))
        window.selectRow(parser.value("select").toInt());
    return QApplication::exec();
}
