#include "dermreader/ui/PacsDialog.h"

#include "JobProgress.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "dermreader/workstation/DicomText.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PacsTransfers.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

namespace ws = dermreader::workstation;

namespace {

QTableWidget* makeTable(const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setTabKeyNavigation(false);  // Tab leaves the table
    return table;
}

void setRow(QTableWidget* table, int row, const QStringList& cells) {
    for (int column = 0; column < cells.size(); ++column)
        table->setItem(row, column, new QTableWidgetItem(cells[column]));
}

}  // namespace

PacsDialog::PacsDialog(ws::WorkstationSession& session, QWidget* parent)
    : QDialog(parent), session_(session) {
    setWindowTitle(tr("Query/Retrieve from PACS"));
    node_ = new QComboBox(this);
    patientId_ = new QLineEdit(this);
    patientName_ = new QLineEdit(this);
    patientName_->setPlaceholderText(tr("last name, or its beginning"));
    anyDate_ = new QCheckBox(tr("&Any date"), this);
    anyDate_->setChecked(true);
    from_ = new QDateEdit(QDate::currentDate().addYears(-1), this);
    to_ = new QDateEdit(QDate::currentDate(), this);
    for (QDateEdit* date : {from_, to_}) {
        date->setCalendarPopup(true);
        date->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
        date->setEnabled(false);
    }
    modality_ = new QComboBox(this);
    modality_->addItem(tr("Any"), QString());
    modality_->addItem(tr("XC — clinical photographs"), QStringLiteral("XC"));
    modality_->addItem(tr("DMS — dermoscopy"), QStringLiteral("DMS"));
    modality_->addItem(tr("OT — other"), QStringLiteral("OT"));
    search_ = new QPushButton(tr("&Search"), this);
    search_->setDefault(true);

    auto* dates = new QHBoxLayout;
    dates->addWidget(anyDate_);
    dates->addWidget(from_);
    dates->addWidget(new QLabel(tr("to"), this));
    dates->addWidget(to_);
    auto* form = new QFormLayout;  // its rows' labels are their fields' buddies
    form->addRow(tr("&Node"), node_);
    form->addRow(tr("Patient &ID"), patientId_);
    form->addRow(tr("Patient na&me"), patientName_);
    // A row of fields: Alt+D goes to the first date, or to "Any date" while the dates are off.
    auto* datesLabel = new QLabel(tr("Study &date"), this);
    datesLabel->setBuddy(anyDate_);
    form->addRow(datesLabel, dates);
    form->addRow(tr("M&odality"), modality_);
    form->addRow(QString(), search_);

    studies_ = makeTable({tr("Date"), tr("Patient"), tr("Patient ID"), tr("Description"),
                          tr("Modalities"), tr("Images")},
                         this);
    series_ = makeTable(
        {tr("Retrieve"), tr("Number"), tr("Modality"), tr("Description"), tr("Images")}, this);
    retrieve_ = new QPushButton(tr("&Retrieve ticked series"), this);
    retrieve_->setEnabled(false);
    cancel_ = new QPushButton(tr("Cancel transfer"), this);
    cancel_->hide();
    progress_ = new QProgressBar(this);
    progress_->hide();
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);

    auto* actions = new QHBoxLayout;
    actions->addWidget(retrieve_);
    actions->addWidget(progress_, 1);
    actions->addWidget(cancel_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Studies"), this));
    layout->addWidget(studies_, 2);
    layout->addWidget(new QLabel(tr("Series of the selected study"), this));
    layout->addWidget(series_, 1);
    layout->addLayout(actions);
    layout->addWidget(status_);
    layout->addWidget(close);
    resize(900, 640);

    connect(anyDate_, &QCheckBox::toggled, this, [this, datesLabel](bool any) {
        from_->setEnabled(!any);
        to_->setEnabled(!any);
        datesLabel->setBuddy(any ? static_cast<QWidget*>(anyDate_) : from_);
    });
    connect(search_, &QPushButton::clicked, this, &PacsDialog::search);
    connect(retrieve_, &QPushButton::clicked, this, &PacsDialog::retrieve);
    connect(cancel_, &QPushButton::clicked, this, &PacsDialog::cancelTransfer);
    connect(close, &QDialogButtonBox::rejected, this, &PacsDialog::reject);
    connect(studies_, &QTableWidget::itemSelectionChanged, this, &PacsDialog::showSeries);
    connect(studies_, &QTableWidget::itemActivated, this, &PacsDialog::retrieve);
    connect(series_, &QTableWidget::itemChanged, this,
            [this] { retrieve_->setEnabled(!busy() && !tickedSeries().empty()); });
    connect(&session_, &ws::WorkstationSession::pacsSettingsChanged, this, &PacsDialog::listNodes);
    listNodes();
}

void PacsDialog::listNodes() {
    const QString chosen = node_->currentData().toString();
    node_->clear();
    for (const auto& node : session_.settings().pacs.nodes)
        node_->addItem(QString::fromStdString(node.describe()), QString::fromStdString(node.name));
    if (const int kept = node_->findData(chosen); kept >= 0)
        node_->setCurrentIndex(kept);
    if (!studiesNode())  // the studies listed came from a node that is gone
        clearStudies();
    search_->setEnabled(!busy() && node_->count() > 0);
    if (node_->count() == 0)
        showStatus(tr("No PACS node is configured: add one in File > Settings > PACS."), true);
    else if (status_->text().startsWith(tr("No PACS node")))
        showStatus({});
}

QString PacsDialog::statusText() const {
    return status_->text();
}

std::optional<pacs::DicomNode> PacsDialog::currentNode() const {
    return session_.settings().pacs.find(node_->currentData().toString());
}

std::optional<pacs::DicomNode> PacsDialog::studiesNode() const {
    if (studiesFrom_.isEmpty())
        return std::nullopt;
    return session_.settings().pacs.find(studiesFrom_);
}

void PacsDialog::clearStudies() {
    studies_->setRowCount(0);
    series_->setRowCount(0);
    studyRecords_.clear();
    seriesRecords_.clear();
    ++seriesRequest_;  // a series query still running belongs to the old list
}

void PacsDialog::showStatus(const QString& text, bool error) {
    status_->setStyleSheet(error ? QStringLiteral("color: #b00020") : QString());
    status_->setText(text);
}

void PacsDialog::track(ws::Job* job, Transfer kind, const QString& doing) {
    job_ = job;
    transfer_ = kind;
    showStatus(doing);
    followJobProgress(job, progress_);
    cancel_->setText(kind == Transfer::Search ? tr("Cancel search") : tr("Cancel transfer"));
    cancel_->show();
    search_->setEnabled(false);
    retrieve_->setEnabled(false);
    connect(job, &ws::Job::failed, this, [this, job](const QString& message) {
        if (job_ == job)
            showStatus(message, true);
    });
    connect(job, &ws::Job::finished, this, [this, job] {
        if (job_ != job)
            return;  // a search given up on: the dialog moved on
        if (job->isCancelled())
            showStatus(tr("Cancelled."));
        becomeIdle();
    });
}

void PacsDialog::becomeIdle() {
    job_ = nullptr;  // idle now, not when the job object is deleted later
    progress_->hide();
    cancel_->hide();
    search_->setEnabled(node_->count() > 0);
    retrieve_->setEnabled(!tickedSeries().empty());
}

void PacsDialog::search() {
    const std::optional<pacs::DicomNode> node = currentNode();
    if (!node || busy())
        return;
    pacs::StudyQuery query;
    query.patientId = patientId_->text().trimmed().toStdString();
    query.patientName = patientName_->text().trimmed().toStdString();
    if (!anyDate_->isChecked()) {
        query.dateFrom = from_->date().toString(QStringLiteral("yyyyMMdd")).toStdString();
        query.dateTo = to_->date().toString(QStringLiteral("yyyyMMdd")).toStdString();
    }
    query.modality = modality_->currentData().toString().toStdString();
    const pacs::PacsClient client = ws::pacsClient(session_.settings().pacs, *node);
    clearStudies();
    using Studies = std::vector<pacs::StudyRecord>;
    ws::Job* job = session_.jobs().start<Studies>(
        tr("PACS query"), [client, query](ws::JobContext&) { return client.findStudies(query); },
        this,
        [this, from = QString::fromStdString(node->name)](const Studies& studies) {
            studyRecords_ = studies;
            studiesFrom_ = from;
            studies_->setRowCount(static_cast<int>(studies.size()));
            for (int row = 0; row < static_cast<int>(studies.size()); ++row) {
                const auto& s = studies[static_cast<std::size_t>(row)];
                QStringList modalities;
                for (const auto& m : s.modalities)
                    modalities << QString::fromStdString(m);
                setRow(studies_, row,
                       {ws::formatDicomDate(QString::fromStdString(s.studyDate)),
                        ws::formatPersonName(QString::fromStdString(s.patientName)),
                        QString::fromStdString(s.patientId), QString::fromStdString(s.description),
                        modalities.join(QStringLiteral(", ")),
                        s.instanceCount ? QString::number(s.instanceCount) : QString()});
            }
            showStatus(tr("%n study(ies) found.", nullptr, static_cast<int>(studies.size())));
            if (!studies.empty()) {
                studies_->selectRow(0);
                studies_->setFocus();
            }
        });
    track(job, Transfer::Search, tr("Searching %1…").arg(QString::fromStdString(node->describe())));
}

void PacsDialog::showSeries() {
    series_->setRowCount(0);
    seriesRecords_.clear();
    retrieve_->setEnabled(false);
    const int row = studies_->currentRow();
    const std::optional<pacs::DicomNode> node = studiesNode();
    if (row < 0 || row >= static_cast<int>(studyRecords_.size()) || !node)
        return;
    const pacs::PacsClient client = ws::pacsClient(session_.settings().pacs, *node);
    const std::string study = studyRecords_[static_cast<std::size_t>(row)].studyUid;
    const int request = ++seriesRequest_;
    using Series = std::vector<pacs::SeriesRecord>;
    // Not tracked as the dialog's transfer: a quick query that a new selection supersedes.
    ws::Job* job = session_.jobs().start<Series>(
        tr("PACS series query"),
        [client, study](ws::JobContext&) { return client.findSeries(study); }, this,
        [this, request](const Series& series) {
            if (request != seriesRequest_)
                return;
            seriesRecords_ = series;
            series_->setRowCount(static_cast<int>(series.size()));
            for (int r = 0; r < static_cast<int>(series.size()); ++r) {
                const auto& s = series[static_cast<std::size_t>(r)];
                setRow(series_, r,
                       {QString(), s.number ? QString::number(s.number) : QString(),
                        QString::fromStdString(s.modality), QString::fromStdString(s.description),
                        s.instanceCount ? QString::number(s.instanceCount) : QString()});
                auto* tick = new QTableWidgetItem;
                tick->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled | Qt::ItemIsSelectable);
                tick->setCheckState(s.isDermatology() ? Qt::Checked : Qt::Unchecked);
                series_->setItem(r, 0, tick);
            }
            retrieve_->setEnabled(!busy() && !tickedSeries().empty());
            if (!series.empty() && tickedSeries().empty())
                showStatus(tr("This study has no dermatology images (clinical XC or dermoscopic "
                              "DMS photographs); tick a series to retrieve it anyway."),
                           true);
        });
    connect(job, &ws::Job::failed, this, [this, request](const QString& message) {
        if (request == seriesRequest_)
            showStatus(message, true);
    });
}

std::vector<std::string> PacsDialog::tickedSeries() const {
    std::vector<std::string> ticked;
    for (int row = 0; row < series_->rowCount() && row < static_cast<int>(seriesRecords_.size());
         ++row)
        if (series_->item(row, 0) && series_->item(row, 0)->checkState() == Qt::Checked)
            ticked.push_back(seriesRecords_[static_cast<std::size_t>(row)].seriesUid);
    return ticked;
}

void PacsDialog::retrieve() {
    const int row = studies_->currentRow();
    const std::optional<pacs::DicomNode> node = studiesNode();
    if (busy() || !node || row < 0 || row >= static_cast<int>(studyRecords_.size()))
        return;
    const pacs::StudyRecord study = studyRecords_[static_cast<std::size_t>(row)];
    // Nothing ticked (or the series not listed yet): the study's dermatology series, and a
    // clear error when it has none.
    const std::vector<std::string> series = tickedSeries();
    const pacs::PacsClient client = ws::pacsClient(session_.settings().pacs, *node);
    const QString root = ws::retrievalRoot(session_.databasePath());
    const QString folder = ws::retrievalFolder(root, study);
    const QString where = QString::fromStdString(node->describe());
    ws::Job* job = session_.jobs().start<pacs::RetrieveReport>(
        tr("PACS retrieval"),
        [client, study, series, root](ws::JobContext& context) {
            return ws::retrieveStudy(client, study, series, root, context);
        },
        this,
        [this, folder, where, study](const pacs::RetrieveReport& report) {
            const int images = static_cast<int>(report.files.size());
            session_.audit(std::nullopt, QStringLiteral("PACS study retrieved"),
                           tr("%1, study %2: %3 image(s), %4 failed")
                               .arg(where, QString::fromStdString(study.studyUid))
                               .arg(images)
                               .arg(report.failed));
            QString text =
                tr("%n image(s) retrieved; adding them to the library.", nullptr, images);
            if (report.failed > 0)
                text += tr(" %1 the node could not send.").arg(report.failed);
            for (const std::string& problem : report.problems)
                text += QLatin1Char('\n') + QString::fromStdString(problem);
            showStatus(text, report.failed > 0 || !report.problems.empty());
            Q_EMIT retrieved(folder, images);
        });
    track(job, Transfer::Retrieval, tr("Retrieving from %1…").arg(where));
}

void PacsDialog::cancelTransfer() {
    if (!job_)
        return;
    job_->cancel();
    // A C-FIND cannot be interrupted: the dialog stops waiting for it and drops its answer. A
    // retrieval stops at the next image; the dialog waits so no transfer runs unseen.
    if (transfer_ == Transfer::Search) {
        showStatus(tr("Search cancelled."));
        becomeIdle();
    } else {
        showStatus(tr("Cancelling…"));
    }
}

void PacsDialog::reject() {
    cancelTransfer();  // closing (also on a lock) never leaves a transfer running
    QDialog::reject();
}

void PacsDialog::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Escape && busy()) {  // Esc cancels a transfer first
        cancelTransfer();
        return;
    }
    QDialog::keyPressEvent(event);
}

}  // namespace dermreader::ui
