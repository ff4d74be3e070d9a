#include "dermreader/ui/AdminWindow.h"

#include "CloseOnLock.h"
#include "RocChart.h"
#include "dermreader/ui/Confirm.h"

#include <cmath>

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include "dermreader/engine/Resources.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/workstation/ChartAxes.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {
namespace rec = dermreader::records;
namespace trn = dermreader::training;
namespace ws = dermreader::workstation;

namespace {

const QStringList kFormats = {"folder", "ham10000", "isic2017", "pad-ufes-20", "csv"};

QChart* newChart(const QString& title, const QString& xTitle, const QString& yTitle) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    auto* x = new QValueAxis;
    x->setTitleText(xTitle);
    auto* y = new QValueAxis;
    y->setTitleText(yTitle);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

void attach(QChart* chart, QAbstractSeries* series) {
    chart->addSeries(series);
    for (QAbstractAxis* axis : chart->axes())
        series->attachAxis(axis);
}

// Fits the chart's axes to its series; a chart without points says why in its title.
void fitAxes(QChart* chart, const ws::AxisSpec& xSpec, const ws::AxisSpec& ySpec,
             const QString& whyEmpty) {
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (QAbstractSeries* s : chart->series()) {
        if (auto* xy = qobject_cast<QXYSeries*>(s)) {
            for (const QPointF& p : xy->points()) {
                x0 = std::min(x0, p.x());
                x1 = std::max(x1, p.x());
                y0 = std::min(y0, p.y());
                y1 = std::max(y1, p.y());
            }
        }
    }
    if (!chart->property("baseTitle").isValid())
        chart->setProperty("baseTitle", chart->title());
    const QString title = chart->property("baseTitle").toString();
    chart->setTitle(x0 > x1 ? QStringLiteral("%1 — %2").arg(title, whyEmpty) : title);
    auto apply = [](QAbstractAxis* axis, const ws::AxisRange& range) {
        auto* values = qobject_cast<QValueAxis*>(axis);
        if (!values)
            return;
        values->setRange(range.min, range.max);
        values->setTickCount(range.ticks);
        values->setLabelFormat(QStringLiteral("%.%1f").arg(range.decimals));
    };
    apply(chart->axes(Qt::Horizontal).front(), ws::fitAxis(x0, x1, xSpec));
    apply(chart->axes(Qt::Vertical).front(), ws::fitAxis(y0, y1, ySpec));
}

// The live charts' axes: steps and epochs are whole numbers; a loss is never negative; an
// AUC lives in [0, 1].
const ws::AxisSpec kStepAxis{10, 0, std::numeric_limits<double>::infinity(), true};
const ws::AxisSpec kLossAxis{0.2, 0};
const ws::AxisSpec kEpochAxis{2, 0, std::numeric_limits<double>::infinity(), true};
const ws::AxisSpec kAucAxis{0.2, 0, 1};
const ws::AxisSpec kEmbeddingAxis{1};

QString metricsSummary(const std::string& metricsJson) {
    const QJsonObject metrics =
        QJsonDocument::fromJson(QByteArray::fromStdString(metricsJson)).object();
    QStringList parts;
    for (const QJsonValue& b : metrics.value("binary").toArray()) {
        const QJsonObject o = b.toObject();
        parts << QStringLiteral("%1 AUC %2")
                     .arg(o.value("task").toString())
                     .arg(o.value("auc").toDouble(), 0, 'f', 3);
    }
    return parts.join(", ");
}

}  // namespace

AdminWindow::AdminWindow(ws::WorkstationSession& session, const rec::User& user,
                         const QString& dermtool, QWidget* parent)
    : QWidget(parent),
      session_(session),
      user_(user),
      taxonomy_(session.taxonomy()),
      runner_(dermtool) {
    rec::requireRole(user_, {rec::Role::Trainer, rec::Role::Coordinator}, "use the admin panel");
    setWindowTitle(tr("dermreader admin — %1").arg(QString::fromStdString(user.name)));
    tabs_ = new QTabWidget(this);
    tabs_->addTab(buildTrainTab(), tr("Train"));
    tabs_->addTab(buildModelsTab(), tr("Models"));
    tabs_->addTab(buildAnalysisTab(), tr("Compare and map"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(tabs_);
    tabs_->setObjectName(QStringLiteral("adminTabs"));
    connect(&runner_, &ws::TrainingRunner::packProgress, this, [this](int done, int total) {
        progress_->setRange(0, total);
        progress_->setValue(done);
        status_->setText(tr("Preparing the images: %1 of %2").arg(done).arg(total));
    });
    connect(&runner_, &ws::TrainingRunner::trainingEvent, this, &AdminWindow::onTrainingEvent);
    connect(&runner_, &ws::TrainingRunner::finished, this, [this](const QString& bundle) {
        start_->setEnabled(true);
        cancel_->setEnabled(false);
        session_.audit(user_, "training finished", bundle);
        if (auto model = registerBundle(bundle))
            status_->setText(tr("Finished. Registered '%1'; activate it on the Models tab.")
                                 .arg(QString::fromStdString(model->name)));
        Q_EMIT trainingFinished(bundle);
    });
    connect(&runner_, &ws::TrainingRunner::stopped, this,
            [this](const QString& message, bool resumable) {
                start_->setEnabled(true);
                cancel_->setEnabled(false);
                resume_->setEnabled(resumable);
                status_->setText(message);
                session_.audit(user_, "training stopped", message);
                Q_EMIT trainingStopped(message, resumable);
            });
    resize(1100, 760);
    closeOnLockOrQuit(session_, this);  // labels and CNN output
    // The registry starts with the model the workstation ships with.
    bool empty = false;
    session_.perform(tr("Model registry"), [&] {
        empty = rec::ModelRegistry(session_.database(), taxonomy_).list().empty();
    });
    if (empty) {
        if (auto bundle = engine::defaultModelBundle())
            registerBundle(QString::fromStdString(bundle->string()));
    }
    refreshRegistry();
}

AdminWindow::~AdminWindow() {
    for (const QPointer<ws::Job>& job : analyses_)
        if (job)
            job->cancel();  // their results have nowhere to go; free the pool
}

bool AdminWindow::guard(const std::function<void()>& action) {
    return session_.perform(tr("Admin panel"), action);
}

QWidget* AdminWindow::buildTrainTab() {
    auto* tab = new QWidget(this);
    dataset_ = new QLineEdit(tab);
    dataset_->setPlaceholderText(
        tr("Folder per class, or a metadata CSV (HAM10000, ISIC 2017, PAD-UFES-20, path,label)"));
    format_ = new QComboBox(tab);
    format_->addItems(kFormats);
    auto* browse = new QPushButton(tr("Browse…"), tab);
    runFolder_ = new QLineEdit(tab);
    init_ = new QLineEdit(tab);
    init_->setPlaceholderText(tr("optional: a bundle to start from (e.g. ImageNet weights)"));
    auto spin = [tab](int low, int high, int value) {
        auto* box = new QSpinBox(tab);
        box->setRange(low, high);
        box->setValue(value);
        return box;
    };
    maxClassSize_ = spin(1, 1000000, 1000);
    epochs_ = spin(1, 1000, 12);
    batchSize_ = spin(2, 1024, 32);  // batch norm needs two images per step
    inputSize_ = spin(75, 1024, 299);
    learningRate_ = new QDoubleSpinBox(tab);
    learningRate_->setDecimals(5);
    learningRate_->setRange(1e-5, 1.0);
    learningRate_->setValue(0.001);
    folds_ = spin(2, 50, 9);
    holdoutFold_ = spin(-1, 49, 0);
    maxSteps_ = spin(0, 1000000, 0);
    processes_ = spin(1, 64, 1);
    processes_->setToolTip(
        tr("Data-parallel worker processes (one per GPU; on a CPU they share "
           "the cores). The batch is per worker."));
    auto* datasetRow = new QHBoxLayout;
    datasetRow->addWidget(dataset_, 1);
    datasetRow->addWidget(format_);
    datasetRow->addWidget(browse);
    auto* form = new QFormLayout;
    form->addRow(tr("Dataset"), datasetRow);
    form->addRow(tr("Run folder"), runFolder_);
    form->addRow(tr("Start from"), init_);
    auto* numbers = new QHBoxLayout;
    for (auto [label, widget] :
         std::initializer_list<std::pair<QString, QWidget*>>{{tr("maxClassSize"), maxClassSize_},
                                                             {tr("epochs"), epochs_},
                                                             {tr("batch"), batchSize_},
                                                             {tr("input px"), inputSize_},
                                                             {tr("learning rate"), learningRate_},
                                                             {tr("folds"), folds_},
                                                             {tr("validation fold"), holdoutFold_},
                                                             {tr("max steps/epoch"), maxSteps_},
                                                             {tr("workers"), processes_}}) {
        numbers->addWidget(new QLabel(label, tab));
        numbers->addWidget(widget);
    }
    form->addRow(numbers);
    auto* preview = new QPushButton(tr("Preview partition"), tab);
    start_ = new QPushButton(tr("Start training"), tab);
    cancel_ = new QPushButton(tr("Cancel"), tab);
    resume_ = new QPushButton(tr("Resume"), tab);
    cancel_->setEnabled(false);
    resume_->setEnabled(false);
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {preview, start_, cancel_, resume_})
        buttons->addWidget(b);
    buttons->addStretch(1);
    partition_ = new QTableWidget(0, 3, tab);
    partition_->setHorizontalHeaderLabels({tr("Training class"), tr("Node"), tr("Images")});
    partition_->horizontalHeader()->setStretchLastSection(true);
    partition_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    partitionSummary_ = new QLabel(tab);
    partitionSummary_->setWordWrap(true);
    progress_ = new QProgressBar(tab);
    status_ = new QLabel(tab);
    status_->setWordWrap(true);
    lossChart_ = newChart(tr("Training loss"), tr("step"), tr("loss"));
    loss_ = new QLineSeries;
    loss_->setName(tr("running mean loss"));
    attach(lossChart_, loss_);
    aucChart_ = newChart(tr("Validation AUC"), tr("epoch"), tr("AUC"));
    aucMelanocytic_ = new QLineSeries;
    aucMelanocytic_->setName(tr("melanoma vs nevus"));
    aucEpidermal_ = new QLineSeries;
    aucEpidermal_->setName(tr("carcinoma vs SK"));
    attach(aucChart_, aucMelanocytic_);
    attach(aucChart_, aucEpidermal_);
    fitAxes(lossChart_, kStepAxis, kLossAxis, tr("no training run yet"));
    fitAxes(aucChart_, kEpochAxis, kAucAxis, tr("no training run yet"));
    auto* charts = new QHBoxLayout;
    for (QChart* chart : {lossChart_, aucChart_}) {
        auto* view = new QChartView(chart, tab);
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumHeight(220);
        charts->addWidget(view);
    }
    auto* left = new QVBoxLayout;
    left->addWidget(partition_, 1);
    left->addWidget(partitionSummary_);
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(form);
    layout->addLayout(buttons);
    auto* middle = new QHBoxLayout;
    middle->addLayout(left, 1);
    middle->addLayout(charts, 2);
    layout->addLayout(middle, 1);
    layout->addWidget(progress_);
    layout->addWidget(status_);

    connect(browse, &QPushButton::clicked, this, [this] {
        // A generic CSV is a file; the other formats are a folder (or their metadata file).
        const QString path =
            format_->currentText() == "csv"
                ? QFileDialog::getOpenFileName(this, tr("Dataset CSV"), {}, tr("CSV (*.csv)"))
                : QFileDialog::getExistingDirectory(this, tr("Dataset folder"));
        if (!path.isEmpty())
            dataset_->setText(path);
    });
    connect(preview, &QPushButton::clicked, this, [this] { previewPartition(); });
    connect(start_, &QPushButton::clicked, this, &AdminWindow::startTraining);
    connect(cancel_, &QPushButton::clicked, this, &AdminWindow::cancelTraining);
    connect(resume_, &QPushButton::clicked, this, &AdminWindow::resumeTraining);
    return tab;
}

QWidget* AdminWindow::buildModelsTab() {
    auto* tab = new QWidget(this);
    registry_ = new QTableWidget(0, 6, tab);
    registry_->setHorizontalHeaderLabels(
        {tr("Active"), tr("Model"), tr("Created"), tr("Validation"), tr("Taxonomy"), tr("Bundle")});
    registry_->horizontalHeader()->setStretchLastSection(true);
    registry_->setSelectionBehavior(QAbstractItemView::SelectRows);
    registry_->setSelectionMode(QAbstractItemView::SingleSelection);
    registry_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* add = new QPushButton(tr("Register bundle…"), tab);
    auto* activateButton = new QPushButton(tr("Activate for the workstation"), tab);
    auto* rollbackButton = new QPushButton(tr("Roll back"), tab);
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {add, activateButton, rollbackButton})
        buttons->addWidget(b);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(buttons);
    layout->addWidget(registry_, 1);
    connect(add, &QPushButton::clicked, this, [this] {
        const QString bundle = QFileDialog::getExistingDirectory(this, tr("Model bundle"));
        if (!bundle.isEmpty())
            registerBundle(bundle);
    });
    connect(activateButton, &QPushButton::clicked, this, [this] {
        const int row = registry_->currentRow();
        if (row >= 0)
            activate(registry_->item(row, 1)->data(Qt::UserRole).toLongLong());
    });
    connect(rollbackButton, &QPushButton::clicked, this, [this] { rollback(); });
    return tab;
}

QWidget* AdminWindow::buildAnalysisTab() {
    auto* tab = new QWidget(this);
    modelA_ = new QComboBox(tab);
    modelB_ = new QComboBox(tab);
    evalDataset_ = new QLineEdit(tab);
    evalDataset_->setPlaceholderText(tr("Labelled validation images (same formats as training)"));
    evalFormat_ = new QComboBox(tab);
    evalFormat_->addItems(kFormats);
    mapImages_ = new QSpinBox(tab);
    mapImages_->setRange(10, 5000);
    mapImages_->setValue(1000);
    auto* compare = new QPushButton(tr("Compare A and B"), tab);
    auto* map = new QPushButton(tr("Embedding map of A"), tab);
    analysisProgress_ = new QProgressBar(tab);
    comparisonChart_ = new QChart;
    comparisonChart_->setTitle(tr("ROC on the same images"));
    comparisonChart_->setAnimationOptions(QChart::NoAnimation);
    comparisonChart_->legend()->setAlignment(Qt::AlignBottom);
    roc::addAxes(comparisonChart_);
    comparisonLabel_ = new QLabel(tab);
    comparisonLabel_->setWordWrap(true);
    embeddingChart_ = newChart(tr("Embedding map (t-SNE of the last hidden layer)"), {}, {});
    auto* form = new QFormLayout;
    form->addRow(tr("Model A"), modelA_);
    form->addRow(tr("Model B"), modelB_);
    auto* dataRow = new QHBoxLayout;
    dataRow->addWidget(evalDataset_, 1);
    dataRow->addWidget(evalFormat_);
    form->addRow(tr("Validation data"), dataRow);
    form->addRow(tr("Images in the map"), mapImages_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(compare);
    buttons->addWidget(map);
    buttons->addWidget(analysisProgress_, 1);
    auto* charts = new QHBoxLayout;
    auto* comparisonView = new QChartView(comparisonChart_, tab);
    auto* embeddingView = new QChartView(embeddingChart_, tab);
    for (QChartView* v : {comparisonView, embeddingView}) {
        v->setRenderHint(QPainter::Antialiasing);
        charts->addWidget(v, 1);
    }
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addLayout(charts, 1);
    layout->addWidget(comparisonLabel_);
    connect(compare, &QPushButton::clicked, this, &AdminWindow::runComparison);
    connect(map, &QPushButton::clicked, this, &AdminWindow::runEmbeddingMap);
    return tab;
}

ws::TrainingRequest AdminWindow::request() const {
    ws::TrainingRequest r;
    r.dataset = dataset_->text().trimmed();
    r.format = format_->currentText();
    r.runFolder = runFolder_->text().trimmed();
    r.initBundle = init_->text().trimmed();
    r.maxClassSize = maxClassSize_->value();
    r.epochs = epochs_->value();
    r.batchSize = batchSize_->value();
    r.inputSize = inputSize_->value();
    r.learningRate = learningRate_->value();
    r.folds = folds_->value();
    r.holdoutFold = holdoutFold_->value();
    r.maxStepsPerEpoch = maxSteps_->value();
    r.processes = processes_->value();
    r.maxSide = std::max(320, r.inputSize + r.inputSize / 8);
    r.name = QStringLiteral("trained by %1").arg(QString::fromStdString(user_.name));
    return r;
}

void AdminWindow::setRequest(const ws::TrainingRequest& r) {
    dataset_->setText(r.dataset);
    format_->setCurrentText(r.format);
    runFolder_->setText(r.runFolder);
    init_->setText(r.initBundle);
    maxClassSize_->setValue(r.maxClassSize);
    epochs_->setValue(r.epochs);
    batchSize_->setValue(r.batchSize);
    inputSize_->setValue(r.inputSize);
    learningRate_->setValue(r.learningRate);
    folds_->setValue(r.folds);
    holdoutFold_->setValue(r.holdoutFold);
    maxSteps_->setValue(r.maxStepsPerEpoch);
    processes_->setValue(r.processes);
}

std::optional<trn::Dataset> AdminWindow::loadDataset(const QString& source, const QString& format) {
    const auto parsed = trn::parseDatasetFormat(format.toStdString());
    if (!parsed) {
        session_.reportError(tr("Dataset"), tr("unknown dataset format '%1'").arg(format));
        return std::nullopt;
    }
    std::optional<trn::Dataset> dataset;
    guard([&] {
        trn::ImportOptions options;
        options.strict = false;
        dataset = trn::importDataset(source.toStdString(), *parsed, taxonomy_, options);
    });
    return dataset;
}

bool AdminWindow::previewPartition() {
    const ws::TrainingRequest r = request();
    const auto dataset = loadDataset(r.dataset, r.format);
    if (!dataset)
        return false;
    const ws::PartitionPreview preview =
        ws::previewPartition(*dataset, taxonomy_, r.maxClassSize, r.folds, r.holdoutFold);
    partition_->setRowCount(static_cast<int>(preview.classes.size()));
    for (int row = 0; row < static_cast<int>(preview.classes.size()); ++row) {
        const auto& c = preview.classes[static_cast<std::size_t>(row)];
        partition_->setItem(
            row, 0, new QTableWidgetItem(c.name + (c.residual ? tr(" (other)") : QString())));
        partition_->setItem(row, 1, new QTableWidgetItem(c.node));
        partition_->setItem(row, 2, new QTableWidgetItem(QString::number(c.images)));
    }
    partitionSummary_->setText(
        tr("%1 images: %2 for training in %3 classes, %4 for validation (fold %5 of %6, whole "
           "lesions).%7")
            .arg(preview.images)
            .arg(preview.trainImages)
            .arg(preview.classes.size())
            .arg(preview.validationImages)
            .arg(r.holdoutFold)
            .arg(r.folds)
            .arg(preview.problems.empty() ? QString()
                                          : tr(" %1 rows skipped, e.g. %2")
                                                .arg(preview.problems.size())
                                                .arg(preview.problems.front())));
    return true;
}

void AdminWindow::startTraining() {
    const ws::TrainingRequest r = request();
    if (r.dataset.isEmpty() || r.runFolder.isEmpty()) {
        status_->setText(tr("Choose a dataset and a run folder first."));
        return;
    }
    if (r.workspace().run().started()) {
        status_->setText(
            tr("The run folder holds a run already: resume it, or choose another folder."));
        resume_->setEnabled(true);
        return;
    }
    loss_->clear();
    aucMelanocytic_->clear();
    aucEpidermal_->clear();
    stepsSeen_ = 0;
    fitAxes(lossChart_, kStepAxis, kLossAxis, tr("no steps yet"));
    fitAxes(aucChart_, kEpochAxis, kAucAxis, tr("no validated epoch yet"));
    start_->setEnabled(false);
    cancel_->setEnabled(true);
    resume_->setEnabled(false);
    progress_->setRange(0, 0);
    status_->setText(tr("Starting…"));
    session_.audit(user_, "start training", r.format + "=" + r.dataset + " -> " + r.runFolder);
    runner_.start(r);
}

void AdminWindow::resumeTraining() {
    start_->setEnabled(false);
    cancel_->setEnabled(true);
    resume_->setEnabled(false);
    status_->setText(tr("Resuming…"));
    session_.audit(user_, "resume training", request().runFolder);
    runner_.resume(request());
}

void AdminWindow::cancelTraining() {
    status_->setText(tr("Stopping after the current step…"));
    session_.audit(user_, "cancel training", request().runFolder);
    runner_.cancel();
}

bool AdminWindow::trainingRunning() const {
    return runner_.running();
}

void AdminWindow::onTrainingEvent(const trn::ProgressMessage& m) {
    using Kind = trn::ProgressMessage::Kind;
    if (m.kind == Kind::Preparing) {
        progress_->setRange(0, std::max(1, m.steps));
        progress_->setValue(m.step);
        status_->setText(tr("Re-estimating batch-norm statistics on the training images: "
                            "batch %1 of %2")
                             .arg(m.step)
                             .arg(m.steps));
    } else if (m.kind == Kind::Step) {
        progress_->setRange(0, std::max(1, m.epochs * m.steps));
        progress_->setValue(static_cast<int>(m.stepsDone()));
        ++stepsSeen_;
        // A diverged loss (NaN) is said in words; the chart only takes numbers.
        if (std::isfinite(m.loss)) {
            loss_->append(stepsSeen_, m.loss);
            fitAxes(lossChart_, kStepAxis, kLossAxis, tr("no steps yet"));
        }
        const int eta = std::isfinite(m.etaSeconds) ? static_cast<int>(m.etaSeconds) : 0;
        status_->setText(
            tr("Epoch %1 of %2, step %3 of %4 — loss %5, %6 images/s, about %7:%8 left")
                .arg(m.epoch)
                .arg(m.epochs)
                .arg(m.step)
                .arg(m.steps)
                .arg(std::isfinite(m.loss) ? QString::number(m.loss, 'f', 4)
                                           : tr("not a number (training diverged)"))
                .arg(m.imagesPerSecond, 0, 'f', 1)
                .arg(eta / 60)
                .arg(eta % 60, 2, 10, QChar('0')));
    } else if (m.kind == Kind::Epoch && m.validation) {
        for (const trn::BinaryMetrics& b : m.validation->binary)
            if (std::isfinite(b.auc))
                (b.task == "melanocytic" ? aucMelanocytic_ : aucEpidermal_)->append(m.epoch, b.auc);
        fitAxes(aucChart_, kEpochAxis, kAucAxis, tr("no validated epoch yet"));
    }
}

void AdminWindow::refreshRegistry() {
    std::vector<rec::RegisteredModel> models;
    guard([&] { models = rec::ModelRegistry(session_.database(), taxonomy_).list(); });
    registry_->setRowCount(static_cast<int>(models.size()));
    modelA_->clear();
    modelB_->clear();
    for (int row = 0; row < static_cast<int>(models.size()); ++row) {
        const auto& m = models[static_cast<std::size_t>(row)];
        const bool sameTaxonomy = m.taxonomyDigest == taxonomy_.digest();
        const QStringList cells = {
            m.active ? QStringLiteral("●") : QString(),
            QString::fromStdString(m.name),
            QString::fromStdString(m.created),
            metricsSummary(m.metricsJson),
            sameTaxonomy ? tr("this program's") : tr("different: cannot be activated"),
            QString::fromStdString(m.bundle.string())};
        for (int c = 0; c < cells.size(); ++c)
            registry_->setItem(row, c, new QTableWidgetItem(cells[c]));
        registry_->item(row, 1)->setData(Qt::UserRole, QVariant::fromValue<qint64>(m.id));
        registry_->item(row, 1)->setToolTip(QString::fromStdString(m.description));
        const QString label =
            QString::fromStdString(m.name) + " — " + QString::fromStdString(m.created);
        modelA_->addItem(label, QString::fromStdString(m.bundle.string()));
        modelB_->addItem(label, QString::fromStdString(m.bundle.string()));
    }
    if (modelB_->count() > 1)
        modelB_->setCurrentIndex(1);
}

std::optional<rec::RegisteredModel> AdminWindow::registerBundle(const QString& bundle) {
    const auto model = session_.registerModel(user_, bundle);
    refreshRegistry();
    return model;
}

bool AdminWindow::activate(std::int64_t model) {
    std::vector<rec::RegisteredModel> models;
    if (!guard([&] { models = rec::ModelRegistry(session_.database(), taxonomy_).list(); }))
        return false;
    const rec::RegisteredModel* chosen = nullptr;
    const rec::RegisteredModel* current = nullptr;
    for (const auto& m : models) {
        if (m.id == model)
            chosen = &m;
        if (m.active)
            current = &m;
    }
    if (!chosen)
        return false;
    auto describeModel = [](const rec::RegisteredModel& m) {
        const QString metrics = metricsSummary(m.metricsJson);
        return tr("'%1' (validation: %2)")
            .arg(QString::fromStdString(m.name), metrics.isEmpty() ? tr("none recorded") : metrics);
    };
    const QString question =
        tr("Activate %1 for every reading on this workstation?").arg(describeModel(*chosen)) +
        QStringLiteral("\n\n") +
        (current ? tr("In use now: %1.").arg(describeModel(*current))
                 : tr("No model is active in the registry now."));
    if (!confirm(this, tr("Activate model"), question))
        return false;
    const bool ok = session_.activateModel(user_, model);
    refreshRegistry();
    return ok;
}

bool AdminWindow::rollback() {
    auto activeModel = [this] {
        std::optional<rec::RegisteredModel> active;
        guard([&] { active = rec::ModelRegistry(session_.database(), taxonomy_).active(); });
        return active;
    };
    const auto before = activeModel();
    const bool loaded = session_.rollbackModel(user_);
    refreshRegistry();
    const auto after = activeModel();
    // The registry's answer and the load's are told apart: a roll back that happened but whose
    // model does not load is not "nothing to roll back to".
    const bool rolled = before && after && after->id != before->id;
    if (rolled && loaded) {
        status_->setText(
            tr("Rolled back from '%1' to '%2'.")
                .arg(QString::fromStdString(before->name), QString::fromStdString(after->name)));
    } else if (rolled) {
        status_->setText(tr("Rolled back to '%1' in the registry, but it could not be loaded "
                            "(see the error).")
                             .arg(QString::fromStdString(after->name)));
    } else if (!before) {
        status_->setText(tr("Nothing to roll back: no model is active in the registry."));
    } else {
        status_->setText(tr("Nothing to roll back to: '%1' is the only model ever activated.")
                             .arg(QString::fromStdString(before->name)));
    }
    return rolled && loaded;
}

template <typename Result>
void AdminWindow::runInBackground(const QString& title,
                                  std::function<Result(const ws::AnalysisProgress&)> work,
                                  std::function<void(const Result&)> show) {
    ws::Job* job = session_.jobs().start<Result>(
        title,
        [work](ws::JobContext& context) {
            return work([&context](int done, int total) {
                context.setProgress(done, total);
                return !context.cancelled();
            });
        },
        this, show);
    analyses_.removeIf([](const QPointer<ws::Job>& j) { return j.isNull(); });
    analyses_.append(job);
    connect(job, &ws::Job::progressChanged, analysisProgress_,
            [this](qint64 done, qint64) { analysisProgress_->setValue(static_cast<int>(done)); });
    connect(job, &ws::Job::failed, comparisonLabel_, &QLabel::setText);
}

void AdminWindow::runComparison() {
    const QString a = modelA_->currentData().toString(), b = modelB_->currentData().toString();
    const auto dataset = loadDataset(evalDataset_->text().trimmed(), evalFormat_->currentText());
    if (a.isEmpty() || b.isEmpty() || !dataset)
        return;
    session_.audit(user_, "compare models", a + " vs " + b);
    analysisProgress_->setRange(0, static_cast<int>(dataset->images.size()));
    const auto images = dataset->images;
    const auto* taxonomy = &taxonomy_;
    runInBackground<ws::ModelComparison>(
        tr("Comparing models"),
        [a, b, images, taxonomy](const ws::AnalysisProgress& progress) {
            return ws::compareModels(a, b, images, *taxonomy, progress);
        },
        [this](const ws::ModelComparison& result) { showComparison(result); });
}

QString AdminWindow::comparisonText() const {
    return comparisonLabel_->text();
}

void AdminWindow::showComparison(const ws::ModelComparison& c) {
    comparisonChart_->removeAllSeries();
    QStringList lines;
    lines << tr("A: %1, B: %2 — %3 images scored, %4 not in a binary task or unreadable.")
                 .arg(c.nameA, c.nameB)
                 .arg(c.images)
                 .arg(c.skipped);
    for (const auto& t : c.tasks) {
        for (const auto& [label, metrics] :
             {std::pair<QString, const trn::BinaryMetrics&>{"A", t.a},
              std::pair<QString, const trn::BinaryMetrics&>{"B", t.b}}) {
            auto* curve = new QLineSeries;
            curve->setName(
                QStringLiteral("%1 %2 (AUC %3)").arg(label, t.task).arg(metrics.auc, 0, 'f', 3));
            for (const auto& p : metrics.roc)
                curve->append(p.specificity, p.sensitivity);
            curve->append(0, 1);
            attach(comparisonChart_, curve);
        }
        lines << tr("%1 (%2 malignant, %3 benign): AUC A %4, B %5; A - B = %6 (95% CI %7 to %8), "
                    "p = %9 (DeLong, paired)")
                     .arg(t.task)
                     .arg(t.a.positives)
                     .arg(t.a.negatives)
                     .arg(t.a.auc, 0, 'f', 3)
                     .arg(t.b.auc, 0, 'f', 3)
                     .arg(t.difference.difference, 0, 'f', 3)
                     .arg(t.difference.low, 0, 'f', 3)
                     .arg(t.difference.high, 0, 'f', 3)
                     .arg(t.difference.pValue, 0, 'g', 3);
    }
    if (c.tasks.empty())
        lines << tr("No binary task has both malignant and benign images in this data.");
    comparisonLabel_->setText(lines.join('\n'));
}

void AdminWindow::runEmbeddingMap() {
    const QString bundle = modelA_->currentData().toString();
    const auto dataset = loadDataset(evalDataset_->text().trimmed(), evalFormat_->currentText());
    if (bundle.isEmpty() || !dataset)
        return;
    session_.audit(user_, "embedding map", bundle);
    analysisProgress_->setRange(
        0, 2 * std::min<int>(mapImages_->value(), static_cast<int>(dataset->images.size())));
    const auto images = dataset->images;
    const auto* taxonomy = &taxonomy_;
    const int count = mapImages_->value();
    runInBackground<ws::EmbeddingMap>(
        tr("Embedding map"),
        [bundle, images, taxonomy, count](const ws::AnalysisProgress& progress) {
            return ws::computeEmbeddingMap(bundle, images, *taxonomy, count, progress);
        },
        [this](const ws::EmbeddingMap& map) { showEmbeddingMap(map); });
}

void AdminWindow::showEmbeddingMap(const ws::EmbeddingMap& map) {
    embeddingChart_->removeAllSeries();
    mapPoints_ = map.points;
    std::map<QString, QScatterSeries*> byLabel;
    static const QColor kColours[] = {
        QColor(31, 119, 180),  QColor(255, 127, 14),  QColor(44, 160, 44),
        QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
        QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34)};
    for (std::size_t i = 0; i < map.points.size(); ++i) {
        const auto& p = map.points[i];
        auto& series = byLabel[p.label];
        if (!series) {
            series = new QScatterSeries;
            series->setName(p.label);
            series->setMarkerSize(8);
            series->setColor(kColours[(byLabel.size() - 1) % std::size(kColours)]);
            attach(embeddingChart_, series);
            // A click on a point opens its image (the nearest point of the map).
            connect(series, &QScatterSeries::clicked, this, [this](const QPointF& at) {
                const ws::EmbeddingMap::Point* nearest = nullptr;
                double best = std::numeric_limits<double>::infinity();
                for (const auto& point : mapPoints_) {
                    const double d = std::hypot(point.x - at.x(), point.y - at.y());
                    if (d < best) {
                        best = d;
                        nearest = &point;
                    }
                }
                if (nearest)
                    Q_EMIT imageRequested(nearest->path);
            });
        }
        series->append(p.x, p.y);
    }
    fitAxes(embeddingChart_, kEmbeddingAxis, kEmbeddingAxis, tr("no image could be embedded"));
}

}  // namespace dermreader::ui
