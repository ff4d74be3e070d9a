#include "dermreader/ui/StudyWindows.h"

#include "CloseOnLock.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
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
#include "dermreader/ui/Confirm.h"
#include "dermreader/ui/CoordinatorDialogs.h"
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
    progress_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    progress_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
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
            closeStudy(selectedStudy());
    }));
    buttons->addStretch(1);
    buttons->addWidget(button(tr("New account…"), [this] { newAccountDialog(); }));
    buttons->addWidget(button(tr("Accounts…"), [this] { showAccounts(); }));
    buttons->addWidget(button(tr("Deactivate account…"), [this] { deactivateDialog(); }));
    buttons->addWidget(button(tr("Audit log…"), [this] { showAuditLog(); }));
    buttons->addWidget(button(tr("Back up database…"), [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Back up the workstation database"),
            QStringLiteral("dermreader-backup-%1.sqlite")
                .arg(QDateTime::currentDateTime().toString("yyyyMMdd-HHmm")));
        if (path.isEmpty() ||
            !guard([&] { rec::backupDatabase(database(), coordinator_, path.toStdString()); }))
            return;
        showMessage(tr("Database backed up to %1").arg(path));
    }));
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
    closeOnLockOrQuit(session_, this);  // study labels and CNN scores
    resize(980, 620);
    refresh();
}

StudyCoordinatorWindow::~StudyCoordinatorWindow() {
    if (scoring_)
        scoring_->cancel();  // its result has nowhere to go
}

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

void StudyCoordinatorWindow::showMessage(const QString& text, bool warning) {
    message_->setStyleSheet(warning ? QStringLiteral("color:#8a4b00; font-weight:bold")
                                    : QString());
    message_->setText(text);
}

QString StudyCoordinatorWindow::messageText() const {
    return message_->text();
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

std::vector<rec::StudyCandidate> StudyCoordinatorWindow::candidatesIn(const QString& collection) {
    rec::ImageLibrary library(database(), coordinator_);
    rec::LibraryFilter filter;
    filter.collection = collection.toStdString();
    filter.diagnosis = rec::LibraryFilter::Diagnosis::Known;
    std::vector<rec::StudyCandidate> candidates;
    for (const auto& image : library.query(filter)) {
        if (!image.problem.empty() || !image.diagnosisNode)
            continue;
        candidates.push_back({image.path, image.contentHash, *image.diagnosisNode, image.modality,
                              image.biopsyProven, image.lesionGroup});
    }
    return candidates;
}

std::int64_t StudyCoordinatorWindow::createStudy(const rec::StudySpec& spec,
                                                 const QString& collection) {
    const std::int64_t study = rec::ReaderStudies(database(), session_.taxonomy())
                                   .create(coordinator_, spec, candidatesIn(collection));
    refresh();
    showMessage(trainingOverlapWarning(study), true);
    return study;
}

QString StudyCoordinatorWindow::trainingOverlapWarning(std::int64_t study,
                                                       std::optional<engine::ModelIdentity> model) {
    if (!model)
        model = session_.predictions().modelIdentity();
    if (!model)
        return {};
    QString warning;
    guard([&] {
        const auto overlap = rec::trainingOverlap(
            rec::ReaderStudies(database(), session_.taxonomy()).cases(coordinator_, study),
            model->bundle);
        const QString name = QString::fromStdString(model->name);
        if (!overlap.listed) {
            warning = tr("Note: the model '%1' does not list the images it was trained on, so "
                         "whether this study's cases were among them cannot be checked. Cases "
                         "from a public dataset may have been; its results would then be "
                         "optimistic.")
                          .arg(name);
        } else if (!overlap.overlapping.empty()) {
            warning = tr("Warning: %1 of %2 cases were in the training data of the model '%3' "
                         "(e.g. %4); its ROC curve on this study is optimistic.")
                          .arg(overlap.overlapping.size())
                          .arg(overlap.cases)
                          .arg(name, QString::fromStdString(overlap.overlapping.front()));
        }
    });
    return warning;
}

ws::Job* StudyCoordinatorWindow::scoreCases(std::int64_t study) {
    const auto predictor = session_.predictions().predictor();
    const auto model = session_.predictions().modelIdentity();
    if (!predictor || !model) {
        session_.reportError(tr("Scoring"), tr("Load a model to score the cases."));
        return nullptr;
    }
    if (scoring_) {
        session_.reportError(tr("Scoring"), tr("A study is already being scored."));
        return nullptr;
    }
    std::vector<rec::StudyCase> cases;
    rec::StudyTask task{};
    if (!guard([&] {
            rec::ReaderStudies studies(database(), session_.taxonomy());
            cases = studies.cases(coordinator_, study);
            task = studies.info(study).spec.task;
        }))
        return nullptr;
    using Scores = std::vector<std::pair<std::int64_t, double>>;
    // Nothing waits in a nested event loop: the window may close (lock, quit) while the pool
    // scores, and then the result is simply not delivered.
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
        this,
        [this, study, model = *model](const Scores& scores) {
            rec::ReaderStudies studies(database(), session_.taxonomy());
            scoringSucceeded_ =
                guard([&] { studies.setCnnScores(coordinator_, study, model.toText(), scores); });
        });
    scoring_ = job;
    scoringSucceeded_ = false;
    auto* progress = new QProgressDialog(tr("Scoring %1 cases with the model…").arg(cases.size()),
                                         tr("Cancel"), 0, static_cast<int>(cases.size()), this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    connect(job, &ws::Job::progressChanged, progress,
            [progress](qint64 done, qint64) { progress->setValue(static_cast<int>(done)); });
    connect(progress, &QProgressDialog::canceled, job, &ws::Job::cancel);
    connect(job, &ws::Job::finished, this, [this, progress, study, model = *model] {
        progress->deleteLater();
        scoring_ = nullptr;
        refresh();
        if (scoringSucceeded_)  // the model that scored, whatever is loaded now
            showMessage(trainingOverlapWarning(study, model), true);
        Q_EMIT scoringFinished(study, scoringSucceeded_);
    });
    return job;
}

void StudyCoordinatorWindow::openStudy(std::int64_t study) {
    rec::ReaderStudies(database(), session_.taxonomy()).open(coordinator_, study);
    refresh();
}

bool StudyCoordinatorWindow::closeStudy(std::int64_t study) {
    QString name;
    if (!guard([&] {
            name = QString::fromStdString(
                rec::ReaderStudies(database(), session_.taxonomy()).info(study).spec.name);
        }))
        return false;
    if (!confirm(this, tr("Close study"),
                 tr("Close the study '%1'? Readers can no longer record decisions in it; what "
                    "they recorded and the results stay.")
                     .arg(name)))
        return false;
    const bool closed = guard(
        [&] { rec::ReaderStudies(database(), session_.taxonomy()).close(coordinator_, study); });
    refresh();
    return closed;
}

QTableWidget* StudyCoordinatorWindow::showAccounts() {
    std::vector<rec::User> users;
    if (!guard([&] { users = rec::Accounts(database()).list(); }))
        return nullptr;
    auto* table = new QTableWidget(static_cast<int>(users.size()), 3);
    table->setAttribute(Qt::WA_DeleteOnClose);
    table->setWindowTitle(tr("Active accounts"));
    table->setHorizontalHeaderLabels({tr("Name"), tr("Role"), tr("Years of experience")});
    table->horizontalHeader()->setStretchLastSection(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int row = 0; row < static_cast<int>(users.size()); ++row) {
        const auto& u = users[static_cast<std::size_t>(row)];
        table->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(u.name)));
        table->setItem(
            row, 1,
            new QTableWidgetItem(QString::fromStdString(std::string(rec::toString(u.role)))));
        table->setItem(row, 2, new QTableWidgetItem(QString::number(u.experienceYears)));
    }
    table->resize(520, 400);
    closeOnLockOrQuit(session_, table);
    table->show();
    return table;
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
    std::vector<CollectionCandidates> collections;
    if (!guard([&] {
            for (const auto& name : rec::ImageLibrary(database()).collections()) {
                CollectionCandidates c{QString::fromStdString(name),
                                       candidatesIn(QString::fromStdString(name))};
                if (!c.candidates.empty())  // only labelled collections can make a study
                    collections.push_back(std::move(c));
            }
        }))
        return;
    NewStudyDialog dialog(
        std::move(collections), session_.taxonomy(),
        [this](const rec::StudySpec& spec, const QString& collection) {
            try {
                createStudy(spec, collection);
                return QString();
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
        },
        this);
    dialog.exec();
}

void StudyCoordinatorWindow::newAccountDialog() {
    NewAccountDialog dialog(
        [this](const AccountRequest& r) {
            try {
                createAccount(r.name, r.role, r.experienceYears, r.password);
                showMessage(tr("Account '%1' created.").arg(r.name));
                return QString();
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
        },
        this);
    dialog.exec();
}

QTableWidget* StudyCoordinatorWindow::showAuditLog() {
    const auto entries = rec::readAuditLog(database());
    auto* table = new QTableWidget(static_cast<int>(entries.size()), 4);
    table->setAttribute(Qt::WA_DeleteOnClose);
    // The hash chain says whether the log is as it was written.
    const rec::AuditChainCheck chain = rec::verifyAuditChain(database());
    table->setWindowTitle(
        chain.intact
            ? tr("Audit log (append-only) — hash chain intact over %1 entries").arg(chain.entries)
            : tr("Audit log — HASH CHAIN BROKEN at entry %1: the log was changed outside "
                 "dermreader")
                  .arg(chain.firstBroken.value_or(0)));
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
        showMessage(tr("Create reader accounts first (New account…)."));
        return;
    }
    bool ok = false;
    const QString chosen =
        QInputDialog::getItem(this, tr("Assign reader"), tr("Reader"), names, 0, false, &ok);
    if (ok)
        guard([&] { assignReader(selectedStudy(), readers[names.indexOf(chosen)].id); });
}

}  // namespace dermreader::ui
