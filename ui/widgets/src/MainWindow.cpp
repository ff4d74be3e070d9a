#include "dermreader/ui/MainWindow.h"

#include "CloseOnLock.h"

#include <QAction>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGraphicsScene>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QPdfWriter>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolBar>
#include <QVBoxLayout>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Lesions.h"
#include "dermreader/ui/AdminWindow.h"
#include "dermreader/ui/AnalysisPanel.h"
#include "dermreader/ui/CompareWindow.h"
#include "dermreader/ui/ErrorReporter.h"
#include "dermreader/ui/FollowUpWindow.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/LockScreen.h"
#include "dermreader/ui/ModelCardDialog.h"
#include "dermreader/ui/PacsDialog.h"
#include "dermreader/ui/ReadingWindow.h"
#include "dermreader/ui/SettingsDialog.h"
#include "dermreader/ui/StudyWindows.h"
#include "dermreader/workstation/CaseReport.h"
#include "dermreader/workstation/DicomText.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/ModelCard.h"
#include "dermreader/workstation/PacsTransfers.h"
#include "dermreader/workstation/PredictionService.h"
#include "dermreader/workstation/QtImage.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {
namespace eng = dermreader::engine;
namespace ws = dermreader::workstation;

MainWindow::MainWindow(ws::WorkstationSession& session, QWidget* parent)
    : QMainWindow(parent),
      session_(session),
      service_(session.predictions()),
      errors_(new ErrorReporter(session, this)),
      lockScreen_(new LockScreen(session)) {
    setWindowTitle(tr("dermreader"));

    // Left: the library browser and the current image's details.
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    browser_ = new LibraryBrowser(session, left);
    // Image details: format, size, modality and, for DICOM, patient and study attributes.
    details_ = new QTableWidget(0, 2, left);
    details_->setHorizontalHeaderLabels({tr("Attribute"), tr("Value")});
    details_->horizontalHeader()->setStretchLastSection(true);
    details_->verticalHeader()->hide();
    details_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    details_->setMaximumHeight(200);
    leftLayout->addWidget(browser_, 1);
    leftLayout->addWidget(details_);

    // Centre: the image and the overlay controls.
    auto* centre = new QWidget(this);
    auto* centreLayout = new QVBoxLayout(centre);
    viewer_ = new ImageViewer(centre);
    auto* controls = new QWidget(centre);
    auto* controlsLayout = new QHBoxLayout(controls);
    overlayToggle_ = new QCheckBox(tr("Saliency overlay (O)"), controls);
    methodBox_ = new QComboBox(controls);
    methodBox_->addItem(tr("Gradient (paper)"), static_cast<int>(eng::SaliencyMethod::Gradient));
    methodBox_->addItem(tr("Grad-CAM"), static_cast<int>(eng::SaliencyMethod::GradCam));
    colourBox_ = new QComboBox(controls);
    colourBox_->addItem(tr("Inferno"), static_cast<int>(eng::ColourMap::Inferno));
    colourBox_->addItem(tr("Jet"), static_cast<int>(eng::ColourMap::Jet));
    colourBox_->addItem(tr("Grey"), static_cast<int>(eng::ColourMap::Grey));
    opacity_ = new QSlider(Qt::Horizontal, controls);
    opacity_->setRange(0, 100);
    opacity_->setMinimumWidth(120);
    // The legend is the overlay's own colours blended over skin, as on the image.
    legendBar_ = new QLabel(controls);
    legendBar_->setObjectName(QStringLiteral("saliencyLegend"));
    legendBar_->setToolTip(
        tr("Saliency: transparent where the network paid little attention, "
           "opaque colour where it paid the most"));
    modalityBadge_ = new QLabel(controls);
    modalityBadge_->setObjectName(QStringLiteral("modalityBadge"));
    controlsLayout->addWidget(overlayToggle_);
    controlsLayout->addWidget(methodBox_);
    controlsLayout->addWidget(colourBox_);
    controlsLayout->addWidget(new QLabel(tr("Opacity"), controls));
    controlsLayout->addWidget(opacity_);
    controlsLayout->addWidget(new QLabel(tr("low"), controls));
    controlsLayout->addWidget(legendBar_);
    controlsLayout->addWidget(new QLabel(tr("high attention"), controls));
    controlsLayout->addStretch(1);
    controlsLayout->addWidget(modalityBadge_);
    saliencyNote_ = new QLabel(centre);
    saliencyNote_->setObjectName(QStringLiteral("saliencyNote"));
    saliencyNote_->setWordWrap(true);
    saliencyNote_->hide();
    // Display only: what the viewer shows, never what the model sees.
    auto* display = new QWidget(centre);
    auto* displayLayout = new QHBoxLayout(display);
    displayLayout->setContentsMargins(0, 0, 0, 0);
    brightness_ = new QSlider(Qt::Horizontal, display);
    contrast_ = new QSlider(Qt::Horizontal, display);
    for (QSlider* slider : {brightness_, contrast_}) {
        slider->setRange(-100, 100);
        slider->setMaximumWidth(140);
    }
    brightness_->setToolTip(tr("Brightness (display only): B brighter, Shift+B darker"));
    contrast_->setToolTip(tr("Contrast (display only): C more, Shift+C less"));
    auto* resetDisplay = new QPushButton(tr("Reset (0)"), display);
    auto* compare = new QPushButton(tr("Compare with… (Ctrl+D)"), display);
    displayLayout->addWidget(new QLabel(tr("Brightness"), display));
    displayLayout->addWidget(brightness_);
    displayLayout->addWidget(new QLabel(tr("Contrast"), display));
    displayLayout->addWidget(contrast_);
    displayLayout->addWidget(resetDisplay);
    displayLayout->addStretch(1);
    displayLayout->addWidget(compare);
    centreLayout->addWidget(display);
    centreLayout->addWidget(viewer_, 1);
    centreLayout->addWidget(controls);
    centreLayout->addWidget(saliencyNote_);
    auto applyDisplay = [this] {
        viewer_->setDisplayAdjustment(brightness_->value(), contrast_->value());
    };
    connect(brightness_, &QSlider::valueChanged, this, applyDisplay);
    connect(contrast_, &QSlider::valueChanged, this, applyDisplay);
    connect(viewer_, &ImageViewer::displayAdjustmentChanged, this, [this](int b, int c) {
        const QSignalBlocker blockBrightness(brightness_), blockContrast(contrast_);
        brightness_->setValue(b);
        contrast_->setValue(c);
    });
    connect(resetDisplay, &QPushButton::clicked, viewer_, &ImageViewer::resetDisplay);
    connect(compare, &QPushButton::clicked, this, [this] { chooseComparison(); });

    panel_ = new AnalysisPanel(session.taxonomy(), this);
    splitter_ = new QSplitter(this);
    auto* splitter = splitter_;
    splitter->addWidget(left);
    splitter->addWidget(centre);
    splitter->addWidget(panel_);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({300, 680, 360});
    setCentralWidget(splitter);

    modelLabel_ = new QLabel(this);
    userLabel_ = new QLabel(this);
    deviceLabel_ = new QLabel(this);
    timingLabel_ = new QLabel(this);
    statusBar()->addPermanentWidget(userLabel_);
    statusBar()->addPermanentWidget(modelLabel_);
    statusBar()->addPermanentWidget(deviceLabel_);
    statusBar()->addPermanentWidget(timingLabel_);

    QSettings settings;
    opacity_->setValue(settings.value("overlay/opacity", 60).toInt());
    overlayToggle_->setChecked(settings.value("overlay/visible", false).toBool());
    methodBox_->setCurrentIndex(settings.value("overlay/method", 0).toInt());
    colourBox_->setCurrentIndex(settings.value("overlay/colours", 0).toInt());
    panel_->setThresholds(session_.thresholds());
    viewer_->setOverlayOpacity(opacity_->value() / 100.0);
    viewer_->setOverlayVisible(overlayToggle_->isChecked());
    updateLegend();

    browser_->setThresholds(session_.thresholds());
    browser_->setRiskModel(service_.modelKey());
    auto showUsers = [this] {
        QStringList names;
        for (const records::User& user : session_.signedIn())
            names << QStringLiteral("%1 (%2)").arg(QString::fromStdString(user.name),
                                                   QString::fromUtf8(records::toString(user.role)));
        userLabel_->setText(names.isEmpty() ? tr("Not signed in")
                                            : tr("Signed in: %1").arg(names.join(", ")));
        userLabel_->setToolTip(browser_->labelsShown()
                                   ? tr("Known diagnoses are shown (File › Sign out hides them)")
                                   : tr("Known diagnoses are shown to a signed-in coordinator "
                                        "or trainer"));
    };
    connect(&session_, &ws::WorkstationSession::signedInChanged, this, showUsers);
    showUsers();
    connect(browser_, &LibraryBrowser::currentPathChanged, this, &MainWindow::onCurrentChanged);
    connect(browser_, &LibraryBrowser::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 15000); });
    connect(overlayToggle_, &QCheckBox::toggled, this, [this](bool on) {
        viewer_->setOverlayVisible(on);
        saliencyNote_->setVisible(on && shownSaliency_.has_value());
        QSettings().setValue("overlay/visible", on);
        requestOverlayIfNeeded();
    });
    connect(opacity_, &QSlider::valueChanged, this, [this](int value) {
        viewer_->setOverlayOpacity(value / 100.0);
        QSettings().setValue("overlay/opacity", value);
    });
    connect(methodBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        QSettings().setValue("overlay/method", index);
        shownSaliency_.reset();
        saliencyNote_->hide();
        viewer_->setOverlay({});
        requestOverlayIfNeeded();
    });
    connect(colourBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        QSettings().setValue("overlay/colours", index);
        updateLegend();
        if (shownSaliency_) {
            viewer_->setOverlay(ws::saliencyOverlayImage(
                *shownSaliency_, static_cast<eng::ColourMap>(colourBox_->currentData().toInt())));
        }
    });
    connect(&service_, &ws::PredictionService::imageReady, this, &MainWindow::onImageReady);
    connect(&service_, &ws::PredictionService::predictionReady, this, &MainWindow::onPrediction);
    connect(&service_, &ws::PredictionService::saliencyReady, this, &MainWindow::onSaliency);
    connect(&service_, &ws::PredictionService::imageFailed, this, &MainWindow::onImageFailed);
    connect(&session_, &ws::WorkstationSession::modelChanged, this, &MainWindow::onModelChanged);
    connect(&session_, &ws::WorkstationSession::thresholdsChanged, this,
            [this](const ws::RiskThresholds& thresholds) {
                panel_->setThresholds(thresholds);
                browser_->setThresholds(thresholds);
                if (shownPrediction_)
                    panel_->showPrediction(*shownPrediction_, shownModel_);
            });
    connect(&session_, &ws::WorkstationSession::lockChanged, this, &MainWindow::onLockChanged);
    connect(&session_, &ws::WorkstationSession::readingEnded, this, [this] {
        if (session_.locked()) {
            lockScreen_->show();
            lockScreen_->raise();
        }
    });
    connect(&session_, &ws::WorkstationSession::shuttingDown, this, [this] {
        shuttingDown_ = true;
        lockScreen_->hide();
        close();
    });
    connect(errors_, &ErrorReporter::shown, this,
            [this](const QString& text) { statusBar()->showMessage(text, 15000); });
    connect(&service_, &ws::PredictionService::failed, this,
            [this](quint64 request, const QString&, const QString& error) {
                if (request == service_.latestRequest())
                    statusBar()->showMessage(error, 10000);
            });
    buildActions();
    refreshStatus();
    resize(1360, 820);
}

MainWindow::~MainWindow() {
    delete lockScreen_;
}

void MainWindow::buildActions() {
    // One entry per action; an action with two keys lists both.
    auto add = [this](QMenu* menu, const QString& text, const QList<QKeySequence>& keys,
                      auto slot) {
        auto* action = menu->addAction(text);
        action->setShortcuts(keys);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    using Keys = QList<QKeySequence>;
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, tr("Open folder…"), Keys{QKeySequence::Open}, [this] { chooseFolder(); });
    add(file, tr("Import labelled dataset…"), Keys{QKeySequence(tr("Ctrl+Shift+I"))},
        [this] { chooseDataset(); });
    add(file, tr("Open model bundle…"), Keys{QKeySequence(tr("Ctrl+M"))},
        [this] { chooseModel(); });
    add(file, tr("Export case report (PDF)…"), Keys{QKeySequence(tr("Ctrl+E"))},
        [this] { exportReport(); });
    add(file, tr("Export results as DICOM (SR, overlay, PDF)…"),
        Keys{QKeySequence(tr("Ctrl+Shift+E"))}, [this] {
            if (const auto decision = askDecision(tr("Decision to file with the exported results")))
                exportDicomResults({}, *decision);
        });
    add(file, tr("Send results to PACS…"), Keys{QKeySequence(tr("Ctrl+Shift+U"))}, [this] {
        if (const auto decision = askDecision(tr("Decision to file with the results in the PACS")))
            sendResultsToPacs({}, *decision);
    });
    add(file, tr("Query/Retrieve from PACS…"), Keys{QKeySequence(tr("Ctrl+Shift+P"))},
        [this] { openPacs(); });
    add(file, tr("Assign image to lesion…"), Keys{QKeySequence(tr("Ctrl+Shift+K"))},
        [this] { assignLesion(); });
    add(file, tr("Settings…"), Keys{QKeySequence(tr("Ctrl+,"))}, [this] { openSettings(); });
    file->addSeparator();
    add(file, tr("Sign in…"), Keys{QKeySequence(tr("Ctrl+Shift+L"))}, [this] { signIn(); });
    add(file, tr("Sign out everyone"), Keys{QKeySequence(tr("Ctrl+Shift+O"))},
        [this] { signOut(); });
    file->addSeparator();
    add(file, tr("Quit"), Keys{QKeySequence(tr("Ctrl+Q"))}, [this] { quit(); });
    QMenu* study = menuBar()->addMenu(tr("&Study"));
    add(study, tr("Reader study…"), Keys{QKeySequence(tr("Ctrl+Shift+S"))},
        [this] { openReaderStudy(); });
    add(study, tr("Admin panel (training, models)…"), Keys{QKeySequence(tr("Ctrl+Shift+A"))},
        [this] { openAdminPanel(); });
    QMenu* view = menuBar()->addMenu(tr("&View"));
    add(view, tr("Next image"), Keys{QKeySequence(Qt::Key_PageDown), QKeySequence(Qt::Key_J)},
        [this] { next(); });
    add(view, tr("Previous image"), Keys{QKeySequence(Qt::Key_PageUp), QKeySequence(Qt::Key_K)},
        [this] { previous(); });
    add(view, tr("Toggle saliency overlay"), Keys{QKeySequence(Qt::Key_O)},
        [this] { overlayToggle_->toggle(); });
    add(view, tr("Zoom in"), Keys{QKeySequence::ZoomIn}, [this] { viewer_->zoomIn(); });
    add(view, tr("Zoom out"), Keys{QKeySequence::ZoomOut}, [this] { viewer_->zoomOut(); });
    add(view, tr("Fit to window"), Keys{QKeySequence(Qt::Key_F)},
        [this] { viewer_->fitToWindow(); });
    add(view, tr("Actual size (1:1)"), Keys{QKeySequence(Qt::Key_1)},
        [this] { viewer_->actualSize(); });
    add(view, tr("Rotate"), Keys{QKeySequence(Qt::Key_R)}, [this] { viewer_->rotateClockwise(); });
    add(view, tr("Brighter"), Keys{QKeySequence(Qt::Key_B)}, [this] { adjustDisplay(10, 0); });
    add(view, tr("Darker"), Keys{QKeySequence(Qt::SHIFT | Qt::Key_B)},
        [this] { adjustDisplay(-10, 0); });
    add(view, tr("More contrast"), Keys{QKeySequence(Qt::Key_C)}, [this] { adjustDisplay(0, 10); });
    add(view, tr("Less contrast"), Keys{QKeySequence(Qt::SHIFT | Qt::Key_C)},
        [this] { adjustDisplay(0, -10); });
    add(view, tr("Reset brightness and contrast"), Keys{QKeySequence(Qt::Key_0)},
        [this] { viewer_->resetDisplay(); });
    add(view, tr("Compare with another image…"), Keys{QKeySequence(tr("Ctrl+D"))},
        [this] { chooseComparison(); });
    add(view, tr("Lesion follow-up…"), Keys{QKeySequence(tr("Ctrl+Shift+F"))},
        [this] { openFollowUp(); });
    add(view, tr("Search"), Keys{QKeySequence::Find}, [this] { browser_->focusSearch(); });
    add(view, tr("Grid or list"), Keys{QKeySequence(tr("Ctrl+L"))},
        [this] { browser_->setListMode(!browser_->listMode()); });
    add(view, tr("Model card"), Keys{QKeySequence(tr("Ctrl+I"))}, [this] { showModelCard(); });
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    add(help, tr("Keyboard shortcuts"), Keys{QKeySequence(Qt::Key_F1), QKeySequence(tr("?"))},
        [this] { showShortcuts(); });
}

QList<QPair<QString, QString>> MainWindow::shortcutSheet() const {
    QList<QPair<QString, QString>> rows;
    for (QAction* menuAction : menuBar()->actions()) {
        const QString menu = menuAction->text().remove('&');
        for (QAction* action : menuAction->menu()->actions()) {
            if (action->isSeparator() || action->shortcuts().isEmpty())
                continue;
            QStringList keys;
            for (const QKeySequence& key : action->shortcuts())
                keys << key.toString(QKeySequence::NativeText);
            rows.append({menu + " › " + action->text(), keys.join(tr("  or  "))});
        }
    }
    return rows;
}

QDialog* MainWindow::showShortcuts() {
    auto* dialog = new QDialog(this);
    dialog->setWindowTitle(tr("Keyboard shortcuts"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const auto rows = shortcutSheet();
    auto* table = new QTableWidget(static_cast<int>(rows.size()), 2, dialog);
    table->setObjectName(QStringLiteral("shortcutTable"));
    table->setHorizontalHeaderLabels({tr("Action"), tr("Keys")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int r = 0; r < rows.size(); ++r) {
        table->setItem(r, 0, new QTableWidgetItem(rows[r].first));
        table->setItem(r, 1, new QTableWidgetItem(rows[r].second));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(new QLabel(tr("In a reader study: B biopsy/treat, R reassure, M/N "
                                    "malignant/benign, 0–9 confidence, Esc pause."),
                                 dialog));
    layout->addWidget(table);
    dialog->resize(560, 620);
    dialog->show();
    return dialog;
}

void MainWindow::showInitially() {
    // Maximised on first run; afterwards where the user left it.
    const QByteArray geometry = QSettings().value("window/geometry").toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) {
        // Maximising is the window manager's job; without one (Xvfb, kiosks) fill the screen.
        if (QScreen* screen = this->screen())
            setGeometry(screen->availableGeometry());
        showMaximized();
    } else {
        show();
    }
    // Panels in proportion to the screen: on full HD the library shows four thumbnail
    // columns and the taxonomy panel its whole class names.
    const int width = std::max(this->width(), 1200);
    splitter_->setSizes({width * 29 / 100, width * 43 / 100, width * 28 / 100});
}

ModelCardDialog* MainWindow::showModelCard() {
    const auto identity = service_.modelIdentity();
    if (!identity) {
        statusBar()->showMessage(tr("No model loaded"), 5000);
        return nullptr;
    }
    ModelCardDialog* dialog = nullptr;
    session_.perform(tr("Model card"), [&] {
        dialog = new ModelCardDialog(
            ws::loadModelCard(QString::fromStdString(identity->bundle.string())), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    return dialog;
}

void MainWindow::refreshStatus() {
    if (service_.hasModel()) {
        modelLabel_->setText(tr("Model: %1").arg(service_.modelName()));
        modelLabel_->setToolTip(service_.modelCard() + "\n" +
                                describe(session_.loadedChoice().source));
        deviceLabel_->setText(service_.deviceDescription());
    } else {
        const QString loadError = session_.modelError();
        modelLabel_->setText(tr("No model: viewing only"));
        modelLabel_->setToolTip(loadError);
        deviceLabel_->clear();
        panel_->showUnavailable(loadError.isEmpty() ? tr("No model loaded")
                                                    : tr("Model not loaded: %1").arg(loadError));
    }
}

void MainWindow::openFolder(const QString& folder) {
    browser_->openFolder(folder);
    setWindowTitle(tr("dermreader — %1").arg(folder));
}

void MainWindow::chooseFolder() {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Open image folder"), browser_->folder());
    if (!folder.isEmpty())
        openFolder(folder);
}

void MainWindow::importDataset(const QString& source, const QString& format) {
    std::optional<training::DatasetFormat> parsed =
        format.isEmpty() ? training::detectDatasetFormat(source.toStdString())
                         : training::parseDatasetFormat(format.toStdString());
    if (!parsed) {
        QMessageBox::warning(this, tr("Dataset not imported"),
                             tr("'%1': the dataset format cannot be recognised; expected a "
                                "folder per class, HAM10000, ISIC 2017, PAD-UFES-20 or a CSV "
                                "with path and label columns.")
                                 .arg(source));
        return;
    }
    if (!session_.labelViewer()) {
        const auto user = logIn(tr("Import labelled dataset"));
        if (!user)
            return;
        if (!records::maySeeLabels(user->role)) {
            QMessageBox::warning(this, tr("Dataset not imported"),
                                 tr("Labelled images are imported by a coordinator or trainer."));
            return;
        }
    }
    browser_->importDataset(source, *parsed);
}

void MainWindow::importSampleLabels(const QString& csv) {
    browser_->importDataset(csv, training::DatasetFormat::GenericCsv,
                            records::LabelSource::ShippedSamples);
}

void MainWindow::signIn() {
    logIn(tr("Sign in"));
}

void MainWindow::signOut() {
    session_.signOutEveryone();
    statusBar()->showMessage(tr("Signed out: known diagnoses are hidden"), 10000);
}

void MainWindow::chooseDataset() {
    const QString source =
        QFileDialog::getOpenFileName(this, tr("Import labelled dataset: its metadata CSV"),
                                     browser_->folder(), tr("Metadata (*.csv);;All files (*)"));
    if (!source.isEmpty())
        importDataset(source, {});
}

std::optional<records::User> MainWindow::logIn(const QString& title) {
    if (!session_.hasDatabase()) {
        QMessageBox::warning(this, title,
                             tr("No workstation database: %1").arg(session_.databaseError()));
        return std::nullopt;
    }
    LoginDialog login(session_, this);
    if (login.exec() != QDialog::Accepted)
        return std::nullopt;
    return login.user();
}

void MainWindow::openReaderStudy() {
    const auto loggedIn = logIn(tr("Reader study"));
    if (!loggedIn)
        return;
    const records::User user = *loggedIn;
    if (user.role == records::Role::Coordinator) {
        session_.perform(tr("Reader study"), [&] {
            auto* window = new StudyCoordinatorWindow(session_, user);
            window->setAttribute(Qt::WA_DeleteOnClose);
            window->show();
        });
        return;
    }
    std::vector<records::StudyInfo> open;
    if (!session_.perform(tr("Reader study"), [&] {
            open =
                records::ReaderStudies(session_.database(), session_.taxonomy()).studiesFor(user);
        }))
        return;
    if (open.empty()) {
        QMessageBox::information(this, tr("Reader study"), tr("No open study is assigned to you."));
        return;
    }
    QStringList names;
    for (const auto& s : open)
        names << QString::fromStdString(s.spec.name);
    bool ok = true;
    const QString chosen =
        names.size() == 1
            ? names.front()
            : QInputDialog::getItem(this, tr("Reader study"), tr("Study"), names, 0, false, &ok);
    if (!ok)
        return;
    const std::int64_t study = open[static_cast<std::size_t>(names.indexOf(chosen))].id;
    session_.perform(tr("Reader study"), [&] { startReading(user, study); });
}

ReadingWindow* MainWindow::startReading(const records::User& reader, std::int64_t study) {
    auto session = std::make_unique<records::ReaderSession>(session_.database(), reader, study);
    auto* reading = new ReadingWindow(session_, std::move(session));
    reading->setAttribute(Qt::WA_DeleteOnClose);
    session_.beginBlindedReading(reader, study);
    connect(reading, &QObject::destroyed, &session_, &ws::WorkstationSession::endBlindedReading);
    reading->showFullScreen();
    return reading;
}

void MainWindow::onLockChanged(bool locked) {
    if (locked) {
        hide();
        errors_->hideDialog();
    } else {
        lockScreen_->hide();
        show();
    }
}

void MainWindow::quit() {
    session_.shutdown();  // closes this window too
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings().setValue("window/geometry", saveGeometry());
    // Closing the main window ends the program: every window closes, everyone signs out.
    QMainWindow::closeEvent(event);
    if (!shuttingDown_) {
        shuttingDown_ = true;
        session_.shutdown();
    }
}

void MainWindow::openAdminPanel() {
    const auto user = logIn(tr("Admin panel"));
    if (!user)
        return;
    session_.perform(tr("Admin panel"), [&] {
        auto* admin = new AdminWindow(session_, *user);
        admin->setAttribute(Qt::WA_DeleteOnClose);
        connect(admin, &AdminWindow::imageRequested, this, &MainWindow::openImage);
        admin->show();
    });
}

void MainWindow::onModelChanged() {
    browser_->setRiskModel(service_.modelKey());
    refreshStatus();
    onCurrentChanged();
    if (service_.hasModel())
        statusBar()->showMessage(tr("Now using %1").arg(service_.modelName()), 10000);
}

void MainWindow::openImage(const QString& path) {
    if (browser_->selectPath(path))
        return;
    openFolder(QFileInfo(path).absolutePath());
    browser_->selectPath(path);
}

void MainWindow::openSettings() {
    SettingsDialog dialog(session_.settings(), &session_, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ws::WorkstationSettings settings = dialog.settings();
    if (!(settings.pacs == session_.settings().pacs)) {
        QStringList nodes;
        for (const auto& node : settings.pacs.nodes)
            nodes << QString::fromStdString(node.describe());
        session_.audit(std::nullopt, QStringLiteral("PACS settings changed"),
                       tr("nodes: %1; we are %2, C-STORE port %3")
                           .arg(nodes.join(QStringLiteral("; ")),
                                QString::fromStdString(settings.pacs.local.aeTitle))
                           .arg(settings.pacs.local.storePort));
    }
    applySettings(settings);
}

void MainWindow::applySettings(const ws::WorkstationSettings& settings) {
    session_.applySettings(settings);
}

void MainWindow::chooseModel() {
    const QString bundle = QFileDialog::getExistingDirectory(this, tr("Open model bundle"));
    if (!bundle.isEmpty())
        session_.openModelBundle(bundle);
}

void MainWindow::selectRow(int row) {
    browser_->selectRow(row);
}

int MainWindow::currentRow() const {
    return browser_->currentRow();
}

void MainWindow::next() {
    selectRow(currentRow() + 1);
}
void MainWindow::previous() {
    selectRow(currentRow() - 1);
}

bool MainWindow::overlayShown() const {
    return overlayToggle_->isChecked();
}
void MainWindow::setOverlayEnabled(bool on) {
    overlayToggle_->setChecked(on);
}
void MainWindow::setSaliencyMethod(int index) {
    methodBox_->setCurrentIndex(index);
}

void MainWindow::setOverlayOpacity(int percent) {
    opacity_->setValue(percent);
}

eng::SaliencyMethod MainWindow::saliencyMethod() const {
    return static_cast<eng::SaliencyMethod>(methodBox_->currentData().toInt());
}

void MainWindow::onCurrentChanged() {
    const QString path = browser_->currentPath();
    if (path.isEmpty())
        return;
    currentPath_ = path;
    currentHash_.clear();
    shownPrediction_.reset();
    shownModel_.clear();
    shownTags_.clear();
    shownSaliency_.reset();
    saliencyNote_->hide();
    shownImage_ = {};
    // Nothing of the previous image stays on screen while this one loads.
    viewer_->clear();
    showDetails({{tr("File"), QFileInfo(path).fileName()}});
    modalityBadge_->clear();
    modalityBadge_->setStyleSheet({});
    if (service_.hasModel())
        panel_->showPending();
    else
        refreshStatus();  // says why there is no model
    timingLabel_->clear();
    service_.analyse(path, overlayToggle_->isChecked() && service_.hasModel(), saliencyMethod());
}

void MainWindow::onImageReady(quint64 request, const ws::ImageResult& result) {
    if (request != service_.latestRequest() || result.path != currentPath_)
        return;
    shownImage_ = result.image;
    currentHash_ = result.hash;
    viewer_->setImage(result.image);
    viewer_->setDicomAttributes(result.info.tags);
    // The file says (DICOM) or the library knows (a labelled dataset, set by hand).
    eng::ImageModality known = result.info.modality;
    const records::LibraryImage* record = browser_->currentRecord();
    if (known == eng::ImageModality::Unknown && record && record->path == result.path.toStdString())
        known = record->modality;
    const QString modality = QString::fromStdString(eng::toString(known));
    modalityBadge_->setText(known == eng::ImageModality::Unknown ? tr("modality unknown")
                                                                 : modality.toUpper());
    modalityBadge_->setStyleSheet(
        known == eng::ImageModality::Dermoscopic
            ? QStringLiteral("background:#2d5f8a; color:white; padding:2px 6px; border-radius:3px")
        : known == eng::ImageModality::Clinical
            ? QStringLiteral("background:#3f7f4f; color:white; padding:2px 6px; border-radius:3px")
            : QStringLiteral("color:gray"));
    QList<QPair<QString, QString>> rows = {
        {tr("File"), QFileInfo(result.path).fileName()},
        {tr("Format"), QString::fromStdString(result.info.format)},
        {tr("Size"),
         QStringLiteral("%1 × %2").arg(result.image.width()).arg(result.image.height())},
        {tr("Modality"), modality},
        {tr("Bit depth"), QString::number(result.info.sourceBitDepth)}};
    rows.append(ws::readableTags(result.info.tags));  // readable names, dates and person names
    shownTags_ = result.info.tags;
    showDetails(rows);
    const QString details = QStringLiteral("%1 · %2×%3 · %4")
                                .arg(QFileInfo(result.path).fileName())
                                .arg(result.image.width())
                                .arg(result.image.height())
                                .arg(QString::fromStdString(result.info.format));
    statusBar()->showMessage(details);
}

void MainWindow::showDetails(const QList<QPair<QString, QString>>& rows) {
    details_->setRowCount(static_cast<int>(rows.size()));
    for (int r = 0; r < rows.size(); ++r) {
        details_->setItem(r, 0, new QTableWidgetItem(rows[r].first));
        details_->setItem(r, 1, new QTableWidgetItem(rows[r].second));
    }
}

void MainWindow::onPrediction(quint64 request, const QString& path,
                              const eng::Prediction& prediction, double ms, bool cached,
                              const QString& modelKey) {
    // A result of a model that was replaced meanwhile is never shown (the new model's follows).
    if (request != service_.latestRequest() || path != currentPath_ ||
        modelKey != service_.modelKey())
        return;
    shownPrediction_ = prediction;
    shownModel_ = service_.modelLabel();
    panel_->showPrediction(prediction, shownModel_);
    // Cached results were recorded when first computed.
    if (!cached && session_.recordRisk(currentHash_, prediction))
        browser_->showRisk(path, prediction.malignant);
    timingLabel_->setText(cached ? tr("cached result") : tr("inference %1 ms").arg(ms, 0, 'f', 0));
    Q_EMIT predictionShown(path);
}

void MainWindow::onSaliency(quint64 request, const QString& path, const eng::SaliencyMap& map,
                            double ms) {
    if (request != service_.latestRequest() || path != currentPath_)
        return;
    shownSaliency_ = map;
    viewer_->setOverlay(ws::saliencyOverlayImage(
        map, static_cast<eng::ColourMap>(colourBox_->currentData().toInt())));
    saliencyNote_->setText(ws::describeSaliency(map));
    saliencyNote_->setVisible(overlayToggle_->isChecked());
    if (ms > 0)
        timingLabel_->setText(timingLabel_->text() + tr(", saliency %1 ms").arg(ms, 0, 'f', 0));
    Q_EMIT saliencyShown(path);
}

void MainWindow::onImageFailed(quint64 request, const QString& path, const QString& error) {
    if (request != service_.latestRequest() || path != currentPath_)
        return;
    viewer_->showError(error);
    showDetails({{tr("File"), QFileInfo(path).fileName()}, {tr("Problem"), error}});
    panel_->showUnavailable(tr("This file cannot be analysed."));
    statusBar()->showMessage(error);
    Q_EMIT errorShown(path);
}

void MainWindow::adjustDisplay(int brightnessStep, int contrastStep) {
    viewer_->setDisplayAdjustment(viewer_->brightness() + brightnessStep,
                                  viewer_->contrast() + contrastStep);
}

void MainWindow::chooseComparison() {
    if (currentPath_.isEmpty())
        return;
    // Other images of this patient or lesion first; any file otherwise.
    std::vector<records::LibraryImage> related;
    if (const records::LibraryImage* record = browser_->currentRecord();
        record && record->path == currentPath_.toStdString() && browser_->hasLibrary())
        session_.perform(tr("Compare"), [&] {
            related =
                records::ImageLibrary(session_.database(), session_.labelViewer()).related(*record);
        });
    QString other;
    if (!related.empty()) {
        QStringList items;
        for (const auto& image : related) {
            // Numbered: two files of one name in different folders stay two choices.
            items << QStringLiteral("%1. %2 — %3 %4")
                         .arg(items.size() + 1)
                         .arg(QString::fromStdString(image.path.filename().string()),
                              ws::formatDicomDate(QString::fromStdString(image.studyDate)),
                              QString::fromStdString(eng::toString(image.modality)));
        }
        items << tr("Another file…");
        bool ok = false;
        const QString chosen = QInputDialog::getItem(this, tr("Compare with"),
                                                     tr("Other images of this patient or lesion:"),
                                                     items, 0, false, &ok);
        if (!ok)
            return;
        const int index = static_cast<int>(items.indexOf(chosen));
        if (index >= 0 && index < static_cast<int>(related.size()))
            other = QString::fromStdString(related[static_cast<std::size_t>(index)].path.string());
    }
    if (other.isEmpty())
        other = QFileDialog::getOpenFileName(this, tr("Compare with"),
                                             QFileInfo(currentPath_).absolutePath());
    if (!other.isEmpty())
        openComparison(other);
}

CompareWindow* MainWindow::openComparison(const QString& otherPath) {
    if (shownImage_.isNull())
        return nullptr;
    eng::LoadedImage other;
    try {
        other = eng::loadImage(otherPath.toStdString());
    } catch (const std::exception& e) {
        session_.reportError(tr("Compare"), QString::fromUtf8(e.what()));
        return nullptr;
    }
    auto* window = new CompareWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setLeft(shownImage_, QFileInfo(currentPath_).fileName());
    window->left()->setDicomAttributes(shownTags_);
    window->setRight(ws::toQImage(other.image), QFileInfo(otherPath).fileName());
    window->right()->setDicomAttributes(other.info.tags);
    closeOnLockOrQuit(session_, window);  // images of a patient
    window->show();
    return window;
}

void MainWindow::updateLegend() {
    legendBar_->setPixmap(QPixmap::fromImage(ws::saliencyLegendBar(
        static_cast<eng::ColourMap>(colourBox_->currentData().toInt()), 120, 12)));
}

QString MainWindow::saliencyNote() const {
    return saliencyNote_->isVisible() ? saliencyNote_->text() : QString();
}

void MainWindow::requestOverlayIfNeeded() {
    if (!overlayToggle_->isChecked() || shownSaliency_ || currentPath_.isEmpty() ||
        !service_.hasModel())
        return;
    if (!shownPrediction_) {  // still analysing: restart with the overlay included
        service_.analyse(currentPath_, true, saliencyMethod());
        return;
    }
    service_.requestSaliency(currentPath_, saliencyMethod());
}

void MainWindow::exportReport(const QString& pdfPath) {
    if (shownImage_.isNull()) {
        statusBar()->showMessage(tr("No image to report on"), 5000);
        return;
    }
    QString path = pdfPath;
    if (path.isEmpty()) {
        path = QFileDialog::getSaveFileName(
            this, tr("Export case report"),
            QDir(ws::reportFolder()).filePath(QFileInfo(currentPath_).completeBaseName() + ".pdf"),
            tr("PDF (*.pdf)"));
    }
    if (path.isEmpty())
        return;
    QString error;
    if (!ws::writeCaseReportPdf(caseReport(), session_.taxonomy(), path, &error)) {
        session_.reportError(tr("Case report"), error);
        return;
    }
    ws::rememberReportFolder(path);
    statusBar()->showMessage(tr("Report written to %1").arg(path), 5000);
}

std::optional<QString> MainWindow::askDecision(const QString& prompt) {
    if (!shownPrediction_)
        return QString();  // nothing to file; the action says so itself
    const QStringList choices = {tr("No decision recorded"), tr("Biopsy / excision"),
                                 tr("Reassure")};
    bool ok = false;
    const QString chosen =
        QInputDialog::getItem(this, tr("Your decision"), prompt, choices, 0, false, &ok);
    if (!ok)
        return std::nullopt;
    const int index = static_cast<int>(choices.indexOf(chosen));
    return index == 1   ? QStringLiteral("biopsy")
           : index == 2 ? QStringLiteral("reassure")
                        : QString();
}

void MainWindow::exportDicomResults(const QString& folder, const QString& decision) {
    if (!shownPrediction_ || shownImage_.isNull()) {
        statusBar()->showMessage(tr("No result to export"), 5000);
        return;
    }
    const QString target = folder.isEmpty()
                               ? QFileDialog::getExistingDirectory(
                                     this, tr("Export results as DICOM"), ws::reportFolder())
                               : folder;
    if (target.isEmpty())
        return;
    QStringList written;
    if (!writeDicomResults(target, decision, &written))
        return;
    session_.audit(std::nullopt, QStringLiteral("results exported as DICOM"), written.join("; "));
    statusBar()->showMessage(tr("%1 DICOM objects written to %2").arg(written.size()).arg(target),
                             10000);
}

bool MainWindow::writeDicomResults(const QString& folder, const QString& decision,
                                   QStringList* written) {
    const auto identity = service_.modelIdentity();
    ws::CaseReport report = caseReport();
    report.readerDecision = decision;
    if (!decision.isEmpty() && !session_.signedIn().empty())
        report.readerName = QString::fromStdString(session_.signedIn().front().name);
    QString error;
    if (!ws::writeCaseReportDicom(report, currentPath_,
                                  identity ? QString::fromStdString(identity->key()) : QString(),
                                  session_.taxonomy(), folder, written, &error)) {
        session_.reportError(tr("DICOM results"), error);
        return false;
    }
    return true;
}

ws::Job* MainWindow::sendResultsToPacs(const QString& nodeName, const QString& decision) {
    const ws::PacsSettings pacs = session_.settings().pacs;
    if (!shownPrediction_ || shownImage_.isNull()) {
        statusBar()->showMessage(tr("No result to send"), 5000);
        return nullptr;
    }
    if (pacs.nodes.empty()) {
        session_.reportError(tr("Send results to PACS"),
                             tr("No PACS node is configured: add one in File > Settings > PACS."));
        return nullptr;
    }
    QString chosen = nodeName;
    if (chosen.isEmpty() && pacs.nodes.size() == 1)
        chosen = QString::fromStdString(pacs.nodes.front().name);
    if (chosen.isEmpty()) {
        QStringList names;
        for (const auto& node : pacs.nodes)
            names << QString::fromStdString(node.name);
        bool ok = false;
        chosen = QInputDialog::getItem(this, tr("Send results to PACS"), tr("Node"), names, 0,
                                       false, &ok);
        if (!ok)
            return nullptr;
    }
    const std::optional<pacs::DicomNode> node = pacs.find(chosen);
    if (!node) {
        session_.reportError(tr("Send results to PACS"), tr("No PACS node '%1'").arg(chosen));
        return nullptr;
    }
    // Written here (the PDF needs the UI thread's fonts), sent on the pool; the folder lives
    // until the job is done.
    auto folder = std::make_shared<QTemporaryDir>();
    QStringList written;
    if (!folder->isValid() || !writeDicomResults(folder->path(), decision, &written))
        return nullptr;
    const pacs::PacsClient client = ws::pacsClient(pacs, *node);
    const QString where = QString::fromStdString(node->describe());
    const QString image = currentPath_;
    // Read when the job ends, cancelled or not: a send cancelled midway still reports (and
    // audits) the objects already in the PACS.
    auto outcome = std::make_shared<std::optional<pacs::StoreReport>>();
    ws::Job* job =
        session_.jobs().start(tr("Sending results to %1").arg(where),
                              [client, written, folder, outcome](ws::JobContext& context) {
                                  *outcome = ws::sendFiles(client, written, context);
                              });
    statusBar()->showMessage(tr("Sending results to %1…").arg(where));
    connect(job, &ws::Job::finished, this, [this, job, where, image, written, outcome] {
        if (!*outcome) {  // a failure is on the error channel (and the status bar) already
            if (job->isCancelled())
                statusBar()->showMessage(tr("Sending cancelled"), 10000);
            return;
        }
        const pacs::StoreReport& report = **outcome;
        session_.audit(std::nullopt, QStringLiteral("results sent to PACS"),
                       tr("%1: %2 of %3 object(s) for %4")
                           .arg(where)
                           .arg(report.stored.size())
                           .arg(written.size())
                           .arg(image));
        statusBar()->showMessage(tr("%1 of %2 result object(s) sent to %3")
                                     .arg(report.stored.size())
                                     .arg(written.size())
                                     .arg(where),
                                 10000);
        QStringList problems;
        for (const std::string& problem : report.problems)
            problems << QString::fromStdString(problem);
        if (!problems.isEmpty())
            session_.reportError(tr("Send results to PACS"), problems.join('\n'));
    });
    return job;
}

FollowUpWindow* MainWindow::openFollowUp() {
    if (!followUp_) {
        followUp_ = new FollowUpWindow(session_);
        followUp_->setAttribute(Qt::WA_DeleteOnClose);
        closeOnLockOrQuit(session_, followUp_);  // images and CNN output of a patient
    }
    followUp_->showLesionOf(currentPath_);  // the image on screen's lesion, if it has one
    followUp_->show();
    followUp_->raise();
    followUp_->activateWindow();
    return followUp_;
}

bool MainWindow::assignLesion(const QString& patientId, const QString& label) {
    if (currentPath_.isEmpty() || !session_.hasDatabase()) {
        statusBar()->showMessage(tr("No image in the library to assign"), 5000);
        return false;
    }
    QString patient = patientId;
    if (patient.isEmpty()) {
        const auto it = shownTags_.find("PatientID");
        bool ok = false;
        patient = QInputDialog::getText(
            this, tr("Assign image to lesion"), tr("Patient ID"), QLineEdit::Normal,
            it == shownTags_.end() ? QString() : QString::fromStdString(it->second), &ok);
        if (!ok)
            return false;
    }
    patient = patient.trimmed();
    QString chosen = label;
    if (chosen.isEmpty()) {
        QStringList existing;
        session_.perform(tr("Assign image to lesion"), [&] {
            for (const auto& lesion :
                 records::Lesions(session_.database()).ofPatient(patient.toStdString()))
                existing << QString::fromStdString(lesion.label);
        });
        bool ok = false;
        chosen = QInputDialog::getItem(this, tr("Assign image to lesion"),
                                       tr("Lesion (pick one, or type a new label)"), existing, 0,
                                       true, &ok);
        if (!ok)
            return false;
    }
    const auto signedIn = session_.signedIn();
    const std::optional<records::User> by =
        signedIn.empty() ? std::nullopt : std::optional<records::User>(signedIn.front());
    return session_.perform(tr("Assign image to lesion"), [&] {
        const auto lesion = records::Lesions(session_.database())
                                .assign(currentPath_.toStdString(), patient.toStdString(),
                                        chosen.trimmed().toStdString(), by);
        statusBar()->showMessage(
            tr("Image linked to %1, patient %2 (%3 images)")
                .arg(QString::fromStdString(lesion.label), QString::fromStdString(lesion.patientId))
                .arg(lesion.images),
            10000);
    });
}

PacsDialog* MainWindow::openPacs() {
    if (!pacsDialog_) {
        pacsDialog_ = new PacsDialog(session_, this);
        pacsDialog_->setAttribute(Qt::WA_DeleteOnClose);
        closeOnLockOrQuit(session_, pacsDialog_);
        connect(pacsDialog_, &PacsDialog::retrieved, this,
                [this](const QString& folder, int images) {
                    if (images > 0)
                        openFolder(folder);
                });
    }
    pacsDialog_->show();
    pacsDialog_->raise();
    pacsDialog_->activateWindow();
    return pacsDialog_;
}

ws::CaseReport MainWindow::caseReport() const {
    ws::CaseReport report;
    report.imageName = QFileInfo(currentPath_).fileName();
    report.image = shownImage_;
    if (shownSaliency_) {
        QImage overlaid = shownImage_.convertToFormat(QImage::Format_ARGB32);
        QPainter overlay(&overlaid);
        overlay.setOpacity(std::max(0.6, opacity_->value() / 100.0));
        overlay.drawImage(
            0, 0,
            ws::saliencyOverlayImage(
                *shownSaliency_, static_cast<eng::ColourMap>(colourBox_->currentData().toInt())));
        overlay.end();
        report.withOverlay = overlaid;
        report.overlayMethod = methodBox_->currentText();
    }
    report.prediction = shownPrediction_;
    report.thresholds = session_.thresholds();
    report.model = shownModel_.isEmpty() ? service_.modelLabel() : shownModel_;
    if (const auto identity = service_.modelIdentity()) {
        try {
            for (const auto& curve :
                 ws::loadModelCard(QString::fromStdString(identity->bundle.string())).curves) {
                report.modelValidation +=
                    (report.modelValidation.isEmpty() ? QString() : QStringLiteral("; ")) +
                    tr("%1: AUC %2 (95% CI %3–%4) on %5 images")
                        .arg(curve.task == "melanocytic" ? tr("melanoma vs nevus")
                                                         : tr("carcinoma vs seborrheic keratosis"))
                        .arg(curve.auc, 0, 'f', 3)
                        .arg(curve.aucLow, 0, 'f', 3)
                        .arg(curve.aucHigh, 0, 'f', 3)
                        .arg(curve.positives + curve.negatives);
            }
        } catch (const std::exception&) {
            // A bundle without readable metrics: the report says nothing about validation.
        }
    }
    report.patient = ws::patientAndStudy(shownTags_);
    return report;
}

}  // namespace dermreader::ui
