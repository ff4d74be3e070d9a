#include "dermreader/ui/StudyWindows.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QEventLoop>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Schema.h"
#include "dermreader/ui/StudyResultsView.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PredictionService.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {
namespace rec = dermreader::records;
namespace ws = dermreader::workstation;

// --- LoginDialog -------------------------------------------------------------------------

LoginDialog::LoginDialog(ws::WorkstationSession& session, QWidget* parent)
    : QDialog(parent), session_(session), firstAccount_(session.needsFirstAccount()) {
    setWindowTitle(firstAccount_ ? tr("Create the first coordinator account") : tr("Log in"));
    name_ = new QLineEdit(this);
    password_ = new QLineEdit(this);
    password_->setEchoMode(QLineEdit::Password);
    experience_ = new QSpinBox(this);
    experience_->setRange(0, 80);
    message_ = new QLabel(this);
    message_->setStyleSheet("color:#b00");
    auto* form = new QFormLayout;
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Password"), password_);
    if (firstAccount_) {
        form->addRow(tr("Years of experience"), experience_);
        form->addRow(new QLabel(tr("No accounts exist yet: this one will coordinate studies and "
                                   "create the others. Passwords need 8 characters or more."),
                                this));
    } else {
        experience_->hide();
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(message_);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (logIn(name_->text(), password_->text(), experience_->value()))
            accept();
    });
}

bool LoginDialog::logIn(const QString& name, const QString& password, int experienceYears) {
    QString error;
    user_ = firstAccount_ ? session_.createFirstCoordinator(name, password, experienceYears, &error)
                          : session_.signIn(name, password, &error);
    message_->setText(error);
    return user_.has_value();
}

// --- StudyCoordinatorWindow --------------------------------------------------------------

StudyCoordinatorWindow::StudyCoordinatorWindow(ws::WorkstationSession& session,
                                               const rec::User& coordinator, QWidget* parent)
    : QWidget(parent), session_(session), coordinator_(coordinator) {
    rec::requireRole(coordinator_, {rec::Role::Coordinator}, "coordinate reader studies");
    setWindowTitle(tr("Reader studies — %1").arg(QString::fromStdString(coordinator.name)));
    studies_ = new QTableWidget(0, 6, this);
    studies_->setHorizontalHeaderLabels(
        {tr("Study"), tr("Task"), tr("State"), tr("Cases"), tr("Scored by"), tr("Questions")});
    studies_->horizontalHeader()->setStretchLastSection(true);
    studies_->setSelectionBehavior(QAbstractItemView::SelectRows);
    studies_->setSelectionMode(QAbstractItemView::SingleSelection);
    studies_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    progress_ = new QTableWidget(0, 3, this);
    progress_->setHorizontalHeaderLabels({tr("Reader"), tr("Experience (years)"), tr("Progress")});
    progress_->horizontalHeader()->setStretchLastSection(true);
    progress_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    message_ = new QLabel(this);
    message_->setWordWrap(true);

    auto button = [this](const QString& text, auto slot) {
        auto* b = new QPushButton(text, this);
        connect(b, &QPushButton::clicked, this, slot);
        return b;
    };
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(button(tr("New study…"), [this] { newStudyDialog(); }));
    buttons->addWidget(button(tr("Score with current model"), [this] {
        if (selectedStudy())
            scoreCases(selectedStudy());
    }));
    buttons->addWidget(button(tr("Open for reading"), [this] {
        if (selectedStudy())
            guard([this] { openStudy(selectedStudy()); });
    }));
    buttons->addWidget(button(tr("Assign reader…"), [this] { assignDialog(); }));
    buttons->addWidget(button(tr("Results…"), [this] {
        if (selectedStudy())
            showResults(selectedStudy());
    }));
    buttons->addWidget(button(tr("Close study"), [this] {
        if (selectedStudy())
            guard([this] {
                rec::ReaderStudies(database(), session_.taxonomy())
                    .close(coordinator_, selectedStudy());
            });
        refresh();
    }));
    buttons->addStretch(1);
    buttons->addWidget(button(tr("New account…"), [this] { newAccountDialog(); }));
    buttons->addWidget(button(tr("Deactivate account…"), [this] { deactivateDialog(); }));
    buttons->addWidget(button(tr("Audit log…"), [this] { showAuditLog(); }));
    buttons->addWidget(button(tr("Export audit log…"), [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export audit log"),
                                                          QStringLiteral("audit-log.csv"));
        if (!path.isEmpty())
            guard([&] { rec::exportAuditLogCsv(database(), coordinator_, path.toStdString()); });
    }));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(studies_, 2);
    layout->addWidget(new QLabel(tr("Readers of the selected study:"), this));
    layout->addWidget(progress_, 1);
    layout->addWidget(message_);
    connect(studies_, &QTableWidget::itemSelectionChanged, this,
            &StudyCoordinatorWindow::refreshProgress);
    // Study labels and CNN scores stay out of a blinded reader's reach; Quit closes everything.
    connect(&session_, &ws::WorkstationSession::lockChanged, this, [this](bool locked) {
        if (locked)
            close();
    });
    connect(&session_, &ws::WorkstationSession::shuttingDown, this, &QWidget::close);
    resize(980, 620);
    refresh();
}

StudyCoordinatorWindow::~StudyCoordinatorWindow() = default;

bool StudyCoordinatorWindow::guard(const std::function<void()>& action) {
    return session_.perform(tr("Reader studies"), action);
}

rec::Database& StudyCoordinatorWindow::database() {
    return session_.database();
}

std::int64_t StudyCoordinatorWindow::selectedStudy() const {
    const int row = studies_->currentRow();
    return row < 0 ? 0 : studies_->item(row, 0)->data(Qt::UserRole).toLongLong();
}

void StudyCoordinatorWindow::refresh() {
    const std::int64_t selected = selectedStudy();
    rec::ReaderStudies studies(database(), session_.taxonomy());
    const auto all = studies.studiesFor(coordinator_);
    studies_->setRowCount(static_cast<int>(all.size()));
    for (int row = 0; row < static_cast<int>(all.size()); ++row) {
        const auto& s = all[row];
        QStringList questions = {tr("biopsy/reassure")};
        if (s.spec.askMalignancy)
            questions << tr("malignant/benign");
        if (s.spec.askConfidence)
            questions << tr("confidence");
        if (s.spec.aiAssisted)
            questions << tr("AI-assisted second read");
        const QStringList cells = {
            QString::fromStdString(s.spec.name),
            QString::fromStdString(rec::describe(s.spec.task)),
            QString::fromStdString(std::string(rec::toString(s.state))),
            tr("%1 malignant, %2 benign").arg(s.spec.malignantCases).arg(s.spec.benignCases),
            QString::fromStdString(
                engine::ModelIdentity::fromText(s.model).value_or(engine::ModelIdentity{}).name),
            questions.join(", ")};
        for (int c = 0; c < cells.size(); ++c)
            studies_->setItem(row, c, new QTableWidgetItem(cells[c]));
        studies_->item(row, 0)->setData(Qt::UserRole, QVariant::fromValue<qint64>(s.id));
        if (s.id == selected)
            studies_->selectRow(row);
    }
    refreshProgress();
}

void StudyCoordinatorWindow::refreshProgress() {
    progress_->setRowCount(0);
    if (!selectedStudy())
        return;
    const auto readers =
        rec::ReaderStudies(database(), session_.taxonomy()).progress(coordinator_, selectedStudy());
    progress_->setRowCount(static_cast<int>(readers.size()));
    for (int row = 0; row < static_cast<int>(readers.size()); ++row) {
        const auto& p = readers[row];
        progress_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(p.reader.name)));
        progress_->setItem(row, 1, new QTableWidgetItem(QString::number(p.reader.experienceYears)));
        progress_->setItem(
            row, 2, new QTableWidgetItem(tr("%1 of %2 decisions").arg(p.decided).arg(p.total)));
    }
}

std::int64_t StudyCoordinatorWindow::createStudy(const rec::StudySpec& spec,
                                                 const QString& collection) {
    rec::ImageLibrary library(database());
    rec::LibraryFilter filter;
    filter.collection = collection.toStdString();
    filter.diagnosis = rec::LibraryFilter::Diagnosis::Known;
    std::vector<rec::StudyCandidate> candidates;
    for (const auto& image : library.query(filter)) {
        if (!image.problem.empty())
            continue;
        candidates.push_back({image.path, image.contentHash, *image.diagnosisNode, image.modality,
                              image.biopsyProven, image.lesionGroup});
    }
    const std::int64_t study =
        rec::ReaderStudies(database(), session_.taxonomy()).create(coordinator_, spec, candidates);
    refresh();
    return study;
}

bool StudyCoordinatorWindow::scoreCases(std::int64_t study) {
    const auto predictor = session_.predictions().predictor();
    const auto model = session_.predictions().modelIdentity();
    if (!predictor || !model) {
        session_.reportError(tr("Scoring"), tr("Load a model to score the cases."));
        return false;
    }
    rec::ReaderStudies studies(database(), session_.taxonomy());
    std::vector<rec::StudyCase> cases;
    rec::StudyTask task{};
    if (!guard([&] {
            cases = studies.cases(coordinator_, study);
            task = studies.info(study).spec.task;
        }))
        return false;
    QProgressDialog progress(tr("Scoring %1 cases with the model…").arg(cases.size()), tr("Cancel"),
                             0, static_cast<int>(cases.size()), this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    using Scores = std::vector<std::pair<std::int64_t, double>>;
    std::optional<Scores> scores;
    ws::Job* job = session_.jobs().start<Scores>(
        tr("Scoring study cases"),
        [predictor, cases, task](ws::JobContext& context) {
            Scores out;
            for (std::size_t i = 0; i < cases.size(); ++i) {
                context.throwIfCancelled();
                context.setProgress(static_cast<qint64>(i), static_cast<qint64>(cases.size()));
                try {
                    out.push_back(
                        {cases[i].id,
                         rec::cnnScore(
                             task, predictor->predict(engine::loadImage(cases[i].path).image))});
                } catch (const std::exception& e) {
                    throw std::runtime_error(
                        tr("case %1: %2").arg(cases[i].position).arg(e.what()).toStdString());
                }
            }
            return out;
        },
        this, [&scores](const Scores& result) { scores = result; });
    // The dialog's own event loop keeps the window painting while the pool scores.
    QEventLoop waiting;
    connect(job, &ws::Job::progressChanged, &progress,
            [&progress](qint64 done, qint64) { progress.setValue(static_cast<int>(done)); });
    connect(&progress, &QProgressDialog::canceled, job, &ws::Job::cancel);
    connect(job, &ws::Job::finished, &waiting, &QEventLoop::quit);
    waiting.exec();
    progress.setValue(static_cast<int>(cases.size()));
    if (!scores)
        return false;  // cancelled, or failed (reported through the session)
    const bool ok =
        guard([&] { studies.setCnnScores(coordinator_, study, model->toText(), *scores); });
    refresh();
    return ok;
}

void StudyCoordinatorWindow::openStudy(std::int64_t study) {
    rec::ReaderStudies(database(), session_.taxonomy()).open(coordinator_, study);
    refresh();
}

void StudyCoordinatorWindow::assignReader(std::int64_t study, std::int64_t readerId) {
    rec::ReaderStudies(database(), session_.taxonomy()).addReader(coordinator_, study, readerId);
    refreshProgress();
}

rec::User StudyCoordinatorWindow::createAccount(const QString& name, rec::Role role, int years,
                                                const QString& password) {
    return rec::Accounts(database())
        .create(coordinator_, name.trimmed().toStdString(), role, years, password.toStdString());
}

StudyResultsView* StudyCoordinatorWindow::showResults(std::int64_t study) {
    auto* view = new StudyResultsView;
    view->setAttribute(Qt::WA_DeleteOnClose);
    if (!guard([&] { view->setResults(rec::studyResults(database(), coordinator_, study)); })) {
        delete view;
        return nullptr;
    }
    auto exportTo = [this, study, view](const QString& title, const QString& suffix, auto writer) {
        const QString path = QFileDialog::getSaveFileName(
            view, title, QString::fromStdString(view->results().study.spec.name) + suffix);
        if (!path.isEmpty())
            guard([&] { writer(database(), coordinator_, study, path.toStdString()); });
    };
    connect(view, &StudyResultsView::exportDecisionsRequested, this, [exportTo, this] {
        exportTo(tr("Export decisions"), ".csv", &rec::exportDecisionsCsv);
    });
    connect(view, &StudyResultsView::exportImrmcRequested, this,
            [exportTo, this] { exportTo(tr("Export for iMRMC"), ".imrmc", &rec::exportImrmc); });
    view->setWindowTitle(
        tr("Study results — %1").arg(QString::fromStdString(view->results().study.spec.name)));
    view->resize(820, 760);
    view->show();
    return view;
}

void StudyCoordinatorWindow::newStudyDialog() {
    QDialog dialog(this);
    dialog.setWindowTitle(tr("New reader study"));
    auto* name = new QLineEdit(&dialog);
    auto* task = new QComboBox(&dialog);
    for (auto t : {rec::StudyTask::Epidermal, rec::StudyTask::Melanocytic,
                   rec::StudyTask::MelanocyticDermoscopic})
        task->addItem(QString::fromStdString(rec::describe(t)), int(t));
    auto* collection = new QComboBox(&dialog);
    for (const auto& c : rec::ImageLibrary(database()).collections())
        collection->addItem(QString::fromStdString(c));
    auto* malignant = new QSpinBox(&dialog);
    auto* benign = new QSpinBox(&dialog);
    for (QSpinBox* box : {malignant, benign})
        box->setRange(1, 5000);
    malignant->setValue(33);
    benign->setValue(97);
    auto* biopsy = new QCheckBox(tr("Only biopsy-proven cases"), &dialog);
    biopsy->setChecked(true);
    auto* seed = new QSpinBox(&dialog);
    seed->setRange(0, 1 << 30);
    seed->setValue(1);
    auto* askMalignancy = new QCheckBox(tr("Also ask: malignant or benign?"), &dialog);
    auto* askConfidence = new QCheckBox(tr("Ask for a confidence 0–100 (per-reader ROC)"), &dialog);
    auto* assisted = new QCheckBox(tr("AI-assisted second read after each decision"), &dialog);
    auto* form = new QFormLayout(&dialog);
    form->addRow(tr("Name"), name);
    form->addRow(tr("Task"), task);
    form->addRow(tr("Labelled collection"), collection);
    form->addRow(tr("Malignant cases"), malignant);
    form->addRow(tr("Benign cases"), benign);
    form->addRow(tr("Random seed"), seed);
    form->addRow(biopsy);
    form->addRow(askMalignancy);
    form->addRow(askConfidence);
    form->addRow(assisted);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted)
        return;
    rec::StudySpec spec;
    spec.name = name->text().trimmed().toStdString();
    spec.task = static_cast<rec::StudyTask>(task->currentData().toInt());
    spec.malignantCases = malignant->value();
    spec.benignCases = benign->value();
    spec.biopsyProvenOnly = biopsy->isChecked();
    spec.seed = static_cast<std::uint64_t>(seed->value());
    spec.askMalignancy = askMalignancy->isChecked();
    spec.askConfidence = askConfidence->isChecked();
    spec.aiAssisted = assisted->isChecked();
    guard([&] { createStudy(spec, collection->currentText()); });
}

void StudyCoordinatorWindow::newAccountDialog() {
    QDialog dialog(this);
    dialog.setWindowTitle(tr("New account"));
    auto* name = new QLineEdit(&dialog);
    auto* role = new QComboBox(&dialog);
    for (auto r : {rec::Role::Reader, rec::Role::Coordinator, rec::Role::Trainer})
        role->addItem(QString::fromStdString(std::string(rec::toString(r))), int(r));
    auto* years = new QSpinBox(&dialog);
    years->setRange(0, 80);
    auto* password = new QLineEdit(&dialog);
    password->setEchoMode(QLineEdit::Password);
    auto* form = new QFormLayout(&dialog);
    form->addRow(tr("Name"), name);
    form->addRow(tr("Role"), role);
    form->addRow(tr("Years of experience"), years);
    form->addRow(tr("Initial password"), password);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() == QDialog::Accepted) {
        guard([&] {
            createAccount(name->text(), static_cast<rec::Role>(role->currentData().toInt()),
                          years->value(), password->text());
            message_->setText(tr("Account '%1' created.").arg(name->text()));
        });
    }
}

QTableWidget* StudyCoordinatorWindow::showAuditLog() {
    const auto entries = rec::readAuditLog(database());
    auto* table = new QTableWidget(static_cast<int>(entries.size()), 4);
    table->setAttribute(Qt::WA_DeleteOnClose);
    table->setWindowTitle(tr("Audit log (append-only)"));
    table->setHorizontalHeaderLabels({tr("When (UTC)"), tr("Who"), tr("Action"), tr("Detail")});
    table->horizontalHeader()->setStretchLastSection(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int row = 0; row < static_cast<int>(entries.size()); ++row) {
        const auto& e = entries[static_cast<std::size_t>(row)];
        const QStringList cells = {QString::fromStdString(e.at), QString::fromStdString(e.userName),
                                   QString::fromStdString(e.action),
                                   QString::fromStdString(e.detail)};
        for (int c = 0; c < cells.size(); ++c)
            table->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
    table->resize(860, 520);
    table->show();
    return table;
}

void StudyCoordinatorWindow::deactivateDialog() {
    QStringList names;
    std::vector<rec::User> users;
    for (const auto& user : rec::Accounts(database()).list()) {
        if (user.id != coordinator_.id) {
            users.push_back(user);
            names << QStringLiteral("%1 (%2)").arg(
                QString::fromStdString(user.name),
                QString::fromStdString(std::string(rec::toString(user.role))));
        }
    }
    if (users.empty())
        return;
    bool ok = false;
    const QString chosen = QInputDialog::getItem(this, tr("Deactivate account"),
                                                 tr("The account can no longer log in; what it "
                                                    "recorded stays."),
                                                 names, 0, false, &ok);
    if (ok) {
        guard([&] {
            rec::Accounts(database())
                .deactivate(coordinator_,
                            users[static_cast<std::size_t>(names.indexOf(chosen))].id);
        });
        refreshProgress();
    }
}

void StudyCoordinatorWindow::assignDialog() {
    if (!selectedStudy())
        return;
    QStringList names;
    std::vector<rec::User> readers;
    for (const auto& user : rec::Accounts(database()).list()) {
        if (user.role == rec::Role::Reader) {
            readers.push_back(user);
            names << QString::fromStdString(user.name);
        }
    }
    if (readers.empty()) {
        message_->setText(tr("Create reader accounts first (New account…)."));
        return;
    }
    bool ok = false;
    const QString chosen =
        QInputDialog::getItem(this, tr("Assign reader"), tr("Reader"), names, 0, false, &ok);
    if (ok)
        guard([&] { assignReader(selectedStudy(), readers[names.indexOf(chosen)].id); });
}

}  // namespace dermreader::ui
