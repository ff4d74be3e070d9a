#include "dermreader/ui/LibraryBrowser.h"

#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProgressBar>
#include <QPromise>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "JobProgress.h"
#include "dermreader/records/Schema.h"
#include "dermreader/ui/LibraryModel.h"

namespace dermreader::ui {
namespace rec = dermreader::records;
namespace ws = dermreader::workstation;

namespace {

QString cleanAbsolute(const QString& path) {
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

}  // namespace

LibraryBrowser::LibraryBrowser(ws::WorkstationSession& session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      taxonomy_(session.taxonomy()),
      importClock_(std::make_unique<QElapsedTimer>()) {
    if (session_.hasDatabase())
        imageLibrary_ =
            std::make_unique<rec::ImageLibrary>(session_.database(), session_.labelViewer());
    else
        libraryError_ = session_.databaseError();
    model_ = new LibraryModel(taxonomy_, session_.jobs(), this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(LibraryModel::SortRole);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    grid_ = new QListView(this);
    grid_->setModel(proxy_);
    grid_->setViewMode(QListView::IconMode);
    grid_->setIconSize(QSize(LibraryModel::kThumbnailSize, LibraryModel::kThumbnailSize));
    grid_->setGridSize(QSize(LibraryModel::kThumbnailSize + 16, LibraryModel::kThumbnailSize + 28));
    grid_->setResizeMode(QListView::Adjust);
    grid_->setUniformItemSizes(true);
    grid_->setMovement(QListView::Static);
    list_ = new QTreeView(this);
    list_->setModel(proxy_);
    list_->setSelectionModel(grid_->selectionModel());  // one current image in both views
    list_->setRootIsDecorated(false);
    list_->setUniformRowHeights(true);
    list_->setIconSize(QSize(28, 28));
    list_->setAlternatingRowColors(true);
    list_->header()->setSortIndicator(-1, Qt::AscendingOrder);  // library order until sorted
    list_->setSortingEnabled(true);
    // File names keep their distinguishing ends ("…_0012.jpg"); headers stay readable.
    list_->setTextElideMode(Qt::ElideMiddle);
    list_->header()->setMinimumSectionSize(90);
    list_->header()->resizeSection(LibraryModel::NameColumn, 240);
    list_->header()->resizeSection(LibraryModel::DiagnosisColumn, 150);
    views_ = new QStackedWidget(this);
    views_->addWidget(grid_);
    views_->addWidget(list_);

    buildFilters();
    if (hasLibrary())
        refreshCollections();
    progress_ = new QProgressBar(this);
    progressLabel_ = new QLabel(this);
    cancel_ = new QToolButton(this);
    cancel_->setText(tr("Cancel"));
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(progress_, 1);
    progressRow->addWidget(cancel_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* filters = new QGridLayout;
    filters->addWidget(collectionBox_, 0, 0, 1, 2);
    filters->addWidget(viewToggle_, 0, 2);
    filters->addWidget(modalityBox_, 1, 0);
    filters->addWidget(diagnosisBox_, 1, 1);
    filters->addWidget(riskBox_, 1, 2);
    filters->addWidget(search_, 2, 0, 1, 3);
    layout->addLayout(filters);
    layout->addWidget(views_, 1);
    layout->addLayout(progressRow);
    layout->addWidget(progressLabel_);
    progress_->hide();
    cancel_->hide();
    progressLabel_->hide();

    connect(grid_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this] { Q_EMIT currentPathChanged(currentPath()); });
    connect(cancel_, &QToolButton::clicked, this, &LibraryBrowser::cancelImport);
    connect(&session_, &ws::WorkstationSession::signedInChanged, this,
            &LibraryBrowser::followSignIn);
    showLabelControls();
}

void LibraryBrowser::followSignIn() {
    if (!hasLibrary())
        return;
    imageLibrary_ =
        std::make_unique<rec::ImageLibrary>(session_.database(), session_.labelViewer());
    showLabelControls();
    refresh();
}

bool LibraryBrowser::labelsShown() const {
    return hasLibrary() && session_.labelViewer().has_value();
}

void LibraryBrowser::showLabelControls() {
    const bool shown = labelsShown();
    list_->setColumnHidden(LibraryModel::DiagnosisColumn, !shown);
    diagnosisBox_->setEnabled(shown);
    if (!shown)
        diagnosisBox_->setCurrentIndex(0);
    diagnosisBox_->setToolTip(
        shown          ? tr("Ground truth from labelled datasets")
        : hasLibrary() ? tr("Known diagnoses are shown to a signed-in coordinator or trainer "
                            "(File › Sign in)")
                       : tr("No image library: %1").arg(libraryError_));
    search_->setPlaceholderText(shown ? tr("Search name, diagnosis, patient (Ctrl+F)")
                                      : tr("Search name, patient, study (Ctrl+F)"));
}

LibraryBrowser::~LibraryBrowser() {
    // What was added so far stays in the library; the rest is added next time.
    cancelImport();
}

void LibraryBrowser::buildFilters() {
    collectionBox_ = new QComboBox(this);
    collectionBox_->setToolTip(tr("Folder or dataset shown"));
    collectionBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    collectionBox_->setMinimumContentsLength(12);
    modalityBox_ = new QComboBox(this);
    modalityBox_->addItem(tr("All modalities"), QString());
    modalityBox_->addItem(tr("Dermoscopic"), QStringLiteral("dermoscopic"));
    modalityBox_->addItem(tr("Clinical"), QStringLiteral("clinical"));
    modalityBox_->addItem(tr("Modality unknown"), QStringLiteral("unknown"));
    diagnosisBox_ = new QComboBox(this);
    diagnosisBox_->addItem(tr("Any diagnosis"), int(rec::LibraryFilter::Diagnosis::Any));
    diagnosisBox_->addItem(tr("Diagnosis known"), int(rec::LibraryFilter::Diagnosis::Known));
    diagnosisBox_->addItem(tr("Diagnosis unknown"), int(rec::LibraryFilter::Diagnosis::Unknown));
    riskBox_ = new QComboBox(this);
    riskBox_->addItem(tr("Any risk"), QStringLiteral("any"));
    riskBox_->addItem(tr("≥ biopsy threshold"), QStringLiteral("biopsy"));
    riskBox_->addItem(tr("≥ review threshold"), QStringLiteral("review"));
    riskBox_->addItem(tr("< review threshold"), QStringLiteral("low"));
    riskBox_->addItem(tr("Not yet analysed"), QStringLiteral("none"));
    riskBox_->setToolTip(tr("P(malignant) from the current model, for images already analysed"));
    search_ = new QLineEdit(this);
    search_->setClearButtonEnabled(true);
    viewToggle_ = new QToolButton(this);
    viewToggle_->setText(tr("List"));
    viewToggle_->setCheckable(true);
    viewToggle_->setToolTip(tr("Thumbnail grid or list (Ctrl+L)"));

    for (QComboBox* box : {modalityBox_, diagnosisBox_, riskBox_})
        connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { refresh(); });
    connect(collectionBox_, qOverload<int>(&QComboBox::activated), this, [this] {
        collection_ = collectionBox_->currentData().toString();
        refresh();
    });
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& text) {
        if (hasLibrary()) {
            refresh();
        } else {
            proxy_->setFilterFixedString(text);
        }
    });
    connect(viewToggle_, &QToolButton::toggled, this, [this](bool list) {
        views_->setCurrentIndex(list ? 1 : 0);
        viewToggle_->setText(list ? tr("Grid") : tr("List"));
    });
    const bool enabled = hasLibrary();
    for (QWidget* w : {static_cast<QWidget*>(collectionBox_), static_cast<QWidget*>(modalityBox_),
                       static_cast<QWidget*>(diagnosisBox_), static_cast<QWidget*>(riskBox_)}) {
        w->setEnabled(enabled);
        if (!enabled)
            w->setToolTip(tr("No image library: %1").arg(libraryError_));
    }
}

rec::LibraryFilter LibraryBrowser::currentFilter() const {
    rec::LibraryFilter filter;
    if (!collection_.isEmpty())
        filter.collection = collection_.toStdString();
    const QString modality = modalityBox_->currentData().toString();
    if (!modality.isEmpty())
        filter.modality = engine::parseModality(modality.toStdString());
    filter.diagnosis =
        static_cast<rec::LibraryFilter::Diagnosis>(diagnosisBox_->currentData().toInt());
    const QString risk = riskBox_->currentData().toString();
    filter.riskModel = riskModel_.toStdString();
    if (risk == "biopsy" || risk == "review") {
        filter.risk = rec::LibraryFilter::Risk::AtLeast;
        filter.riskThreshold = risk == "biopsy" ? thresholds_.biopsy : thresholds_.review;
    } else if (risk == "low") {
        filter.risk = rec::LibraryFilter::Risk::Below;
        filter.riskThreshold = thresholds_.review;
    } else if (risk == "none") {
        filter.risk = rec::LibraryFilter::Risk::NotPredicted;
    }
    filter.search = search_->text().trimmed().toStdString();
    return filter;
}

void LibraryBrowser::refresh() {
    if (!hasLibrary())
        return;
    const QString current = currentPath();
    if (!session_.perform(tr("Image library"),
                          [&] { model_->setImages(imageLibrary_->query(currentFilter())); }))
        return;
    collectionBox_->setCurrentIndex(std::max(0, collectionBox_->findData(collection_)));
    restoreCurrent(current);
}

void LibraryBrowser::refreshCollections() {
    // Only imports change the collections, so filtering and searching do not rebuild this.
    std::int64_t size = 0;
    std::vector<std::string> collections;
    if (!session_.perform(tr("Image library"), [&] {
            size = imageLibrary_->size();
            collections = imageLibrary_->collections();
        }))
        return;
    collectionBox_->clear();
    collectionBox_->addItem(tr("Whole library (%1 images)").arg(size), QString());
    for (const std::string& name : collections) {
        const QString collection = QString::fromStdString(name);
        collectionBox_->addItem(QFileInfo(collection).fileName().isEmpty()
                                    ? collection
                                    : QFileInfo(collection).fileName(),
                                collection);
        collectionBox_->setItemData(collectionBox_->count() - 1, collection, Qt::ToolTipRole);
    }
    collectionBox_->setCurrentIndex(std::max(0, collectionBox_->findData(collection_)));
}

void LibraryBrowser::restoreCurrent(const QString& path) {
    const int sourceRow = model_->rowOf(path);
    if (sourceRow >= 0) {
        const QModelIndex index = proxy_->mapFromSource(model_->index(sourceRow, 0));
        if (grid_->currentIndex() != index)
            grid_->setCurrentIndex(index);
    } else if (!path.isEmpty() && rowCount() > 0) {
        selectRow(0);  // the current image left the view; with none before, select nothing
    }
}

void LibraryBrowser::openFolder(const QString& folder) {
    folder_ = cleanAbsolute(folder);
    collection_ = folder_;
    if (hasLibrary()) {
        refresh();
        if (model_->rowCount() == 0)  // new to the library: list the files while they are added
            model_->setPaths(LibraryModel::listImages(folder_));
        const QString collection = folder_;
        startImport(collection,
                    [collection](rec::ImageLibrary& library, const rec::AddProgress& progress) {
                        return library.addFolder(collection.toStdString(), progress);
                    });
    } else {
        model_->setPaths(LibraryModel::listImages(folder_));
    }
    if (rowCount() > 0 && currentRow() < 0)
        selectRow(0);
}

void LibraryBrowser::importDataset(const QString& source, training::DatasetFormat format,
                                   rec::LabelSource labels) {
    if (!hasLibrary()) {
        Q_EMIT message(tr("No image library: %1").arg(libraryError_));
        return;
    }
    const auto* taxonomy = &taxonomy_;
    // Whoever is signed in when the import is asked for imports it, even if it waits in line.
    startImport(
        {},
        [source, format, taxonomy, labels](rec::ImageLibrary& library,
                                           const rec::AddProgress& progress) {
            training::ImportOptions options;
            options.strict = false;  // bad rows are reported, good rows imported
            const training::Dataset dataset =
                training::importDataset(source.toStdString(), format, *taxonomy, options);
            rec::AddReport report = library.addDataset(dataset, *taxonomy, progress, labels);
            for (const auto& problem : dataset.problems)
                report.problems.push_back(problem.where + ": " + problem.message);
            return report;
        },
        session_.labelViewer());
}

void LibraryBrowser::startImport(const QString& collection, ImportWork work,
                                 std::optional<rec::User> importer) {
    if (importRunning()) {  // one at a time: SQLite has one writer anyway
        queuedImports_.push_back({collection, std::move(work), std::move(importer)});
        return;
    }
    importActive_ = true;
    importCollection_ = collection;
    importClock_->start();
    progress_->setRange(0, 0);
    progress_->show();
    cancel_->show();
    progressLabel_->setText(tr("Adding images to the library…"));
    progressLabel_->show();
    importReport_ = std::make_shared<rec::AddReport>();
    importError_.clear();
    ws::WorkstationSession* session = &session_;
    importJob_ = session_.jobs().start(
        tr("Adding images to the library"),
        [session, work, importer, report = importReport_](ws::JobContext& context) {
            // The worker thread's own connection: SQLite connections stay on one thread.
            rec::ImageLibrary library(session->database(), importer);
            *report = work(library, [&context](std::size_t done, std::size_t total) {
                context.setProgress(static_cast<qint64>(done), static_cast<qint64>(total));
                return !context.cancelled();
            });
        });
    connect(importJob_, &ws::Job::failed, this,
            [this](const QString& error) { importError_ = error; });
    connect(importJob_, &ws::Job::progressChanged, this, [this](qint64 done, qint64 total) {
        progress_->setRange(0, static_cast<int>(total));
        progress_->setValue(static_cast<int>(done));
        progressLabel_->setText(etaText(importClock_->elapsed(), done, total));
    });
    connect(importJob_, &ws::Job::finished, this, &LibraryBrowser::onImportFinished);
}

bool LibraryBrowser::importRunning() const {
    // Not the watcher's state: a finished future whose `finished` signal is still on its way
    // must count as running, or a new setFuture() would drop that signal.
    return importActive_;
}

void LibraryBrowser::cancelImport() {
    queuedImports_.clear();
    if (importJob_)
        importJob_->cancel();
}

void LibraryBrowser::onImportFinished() {
    importActive_ = false;
    progress_->hide();
    cancel_->hide();
    progressLabel_->hide();
    // A failed import was reported through the session's error channel; a cancelled one
    // keeps what it added.
    const bool cancelled = importJob_ && importJob_->isCancelled();
    const rec::AddReport report = importReport_ ? *importReport_ : rec::AddReport{};
    QString collection = importCollection_;
    if (collection.isEmpty())
        collection = QString::fromStdString(report.collection);
    if (!importError_.isEmpty()) {
        Q_EMIT message(tr("Adding images failed: %1").arg(importError_));
    } else if (cancelled) {
        Q_EMIT message(tr("Adding images cancelled: %1 added, %2 updated before it stopped")
                           .arg(report.added)
                           .arg(report.updated));
    } else if (!report.problems.empty()) {
        Q_EMIT message(tr("%1 file(s) or row(s) could not be used, e.g. %2")
                           .arg(report.problems.size())
                           .arg(QString::fromStdString(report.problems.front())));
    } else {
        Q_EMIT message(tr("Library: %1 added, %2 updated, %3 unchanged")
                           .arg(report.added)
                           .arg(report.updated)
                           .arg(report.unchanged));
    }
    if (importCollection_.isEmpty() && !collection.isEmpty())
        collection_ = collection;  // a dataset import shows the dataset
    refreshCollections();
    refresh();
    Q_EMIT importFinished(collection, report.added + report.updated,
                          static_cast<int>(report.problems.size()));
    if (!queuedImports_.empty()) {
        auto next = std::move(queuedImports_.front());
        queuedImports_.pop_front();
        startImport(next.collection, std::move(next.work), std::move(next.importer));
    }
}

void LibraryBrowser::showCollection(const QString& collection) {
    collection_ = collection;
    refresh();
}

int LibraryBrowser::rowCount() const {
    return proxy_->rowCount();
}

int LibraryBrowser::currentRow() const {
    return grid_->currentIndex().row();
}

void LibraryBrowser::selectRow(int row) {
    if (row < 0 || row >= proxy_->rowCount())
        return;
    grid_->setCurrentIndex(proxy_->index(row, 0));
}

bool LibraryBrowser::selectPath(const QString& path) {
    const int sourceRow = model_->rowOf(cleanAbsolute(path));
    if (sourceRow < 0)
        return false;
    grid_->setCurrentIndex(proxy_->mapFromSource(model_->index(sourceRow, 0)));
    return true;
}

const rec::LibraryImage* LibraryBrowser::currentRecord() const {
    return model_->recordAt(model_->rowOf(currentPath()));
}

QString LibraryBrowser::currentPath() const {
    return grid_->currentIndex().data(LibraryModel::PathRole).toString();
}

void LibraryBrowser::setModalityFilter(std::optional<engine::ImageModality> modality) {
    modalityBox_->setCurrentIndex(std::max(
        0, modalityBox_->findData(modality ? QString::fromStdString(engine::toString(*modality))
                                           : QString())));
}

void LibraryBrowser::setDiagnosisFilter(rec::LibraryFilter::Diagnosis diagnosis) {
    diagnosisBox_->setCurrentIndex(std::max(0, diagnosisBox_->findData(int(diagnosis))));
}

void LibraryBrowser::setRiskFilter(rec::LibraryFilter::Risk risk, double threshold) {
    QString key = "any";
    if (risk == rec::LibraryFilter::Risk::NotPredicted)
        key = "none";
    if (risk == rec::LibraryFilter::Risk::Below)
        key = "low";
    if (risk == rec::LibraryFilter::Risk::AtLeast)
        key = threshold >= thresholds_.biopsy ? "biopsy" : "review";
    riskBox_->setCurrentIndex(std::max(0, riskBox_->findData(key)));
}

void LibraryBrowser::setSearchText(const QString& text) {
    search_->setText(text);
}

void LibraryBrowser::setListMode(bool list) {
    viewToggle_->setChecked(list);
}

bool LibraryBrowser::listMode() const {
    return views_->currentIndex() == 1;
}

void LibraryBrowser::setRiskModel(const QString& modelKey) {
    riskModel_ = modelKey;
    refresh();
}

void LibraryBrowser::setThresholds(const ws::RiskThresholds& thresholds) {
    thresholds_ = thresholds;
    if (riskBox_->currentIndex() > 0)
        refresh();
}

void LibraryBrowser::showRisk(const QString& path, double malignant) {
    model_->setRisk(path, malignant);
}

void LibraryBrowser::focusSearch() {
    search_->setFocus();
    search_->selectAll();
}

}  // namespace dermreader::ui
