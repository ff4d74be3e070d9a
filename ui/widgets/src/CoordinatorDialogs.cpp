#include "dermreader/ui/CoordinatorDialogs.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

namespace dermreader::ui {
namespace rec = dermreader::records;

namespace {

QLabel* errorLabel(QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setStyleSheet(QStringLiteral("color:#b00"));
    label->setWordWrap(true);
    return label;
}

QDialogButtonBox* okCancel(QDialog* dialog, const std::function<bool()>& submit) {
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    // Not QDialog::accept: the dialog closes only when the action succeeded.
    QObject::connect(buttons, &QDialogButtonBox::accepted, dialog, [submit] { submit(); });
    return buttons;
}

// The action's answer: "" closes the dialog; a reason stays on it beside what was typed.
bool acceptUnless(QDialog* dialog, QLabel* error, const QString& problem) {
    error->setText(problem);
    if (!problem.isEmpty())
        return false;
    dialog->accept();
    return true;
}

}  // namespace

// --- NewAccountDialog --------------------------------------------------------------------

NewAccountDialog::NewAccountDialog(Create create, QWidget* parent)
    : QDialog(parent), create_(std::move(create)) {
    setWindowTitle(tr("New account"));
    name_ = new QLineEdit(this);
    role_ = new QComboBox(this);
    for (auto r : {rec::Role::Reader, rec::Role::Coordinator, rec::Role::Trainer})
        role_->addItem(QString::fromStdString(std::string(rec::toString(r))), int(r));
    years_ = new QSpinBox(this);
    years_->setRange(0, 80);
    password_ = new QLineEdit(this);
    password_->setEchoMode(QLineEdit::Password);
    confirmation_ = new QLineEdit(this);
    confirmation_->setEchoMode(QLineEdit::Password);
    error_ = errorLabel(this);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Role"), role_);
    form->addRow(tr("Years of experience"), years_);
    form->addRow(tr("Initial password (8 characters or more)"), password_);
    form->addRow(tr("Password again"), confirmation_);
    form->addRow(error_);
    form->addRow(okCancel(this, [this] { return submit(); }));
}

void NewAccountDialog::fill(const AccountRequest& request, const QString& confirmation) {
    name_->setText(request.name);
    role_->setCurrentIndex(role_->findData(int(request.role)));
    years_->setValue(request.experienceYears);
    password_->setText(request.password);
    confirmation_->setText(confirmation);
}

bool NewAccountDialog::submit() {
    if (password_->text() != confirmation_->text()) {
        error_->setText(tr("The two passwords differ."));
        confirmation_->clear();
        confirmation_->setFocus();
        return false;
    }
    AccountRequest request{name_->text().trimmed(),
                           static_cast<rec::Role>(role_->currentData().toInt()), years_->value(),
                           password_->text()};
    return acceptUnless(this, error_, create_(request));
}

QString NewAccountDialog::error() const {
    return error_->text();
}

QString NewAccountDialog::typedName() const {
    return name_->text();
}

// --- NewStudyDialog ----------------------------------------------------------------------

NewStudyDialog::NewStudyDialog(std::vector<CollectionCandidates> collections,
                               const taxonomy::Taxonomy& taxonomy, Create create, QWidget* parent)
    : QDialog(parent),
      collections_(std::move(collections)),
      taxonomy_(taxonomy),
      create_(std::move(create)) {
    setWindowTitle(tr("New reader study"));
    name_ = new QLineEdit(this);
    task_ = new QComboBox(this);
    for (auto t : {rec::StudyTask::Epidermal, rec::StudyTask::Melanocytic,
                   rec::StudyTask::MelanocyticDermoscopic})
        task_->addItem(QString::fromStdString(rec::describe(t)), int(t));
    collection_ = new QComboBox(this);
    malignant_ = new QSpinBox(this);
    benign_ = new QSpinBox(this);
    for (QSpinBox* box : {malignant_, benign_})
        box->setRange(1, 5000);
    malignant_->setValue(33);
    benign_->setValue(97);
    biopsy_ = new QCheckBox(tr("Only biopsy-proven cases"), this);
    biopsy_->setChecked(true);
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(1);
    askMalignancy_ = new QCheckBox(tr("Also ask: malignant or benign?"), this);
    askConfidence_ = new QCheckBox(tr("Ask for a confidence 0–100 (per-reader ROC)"), this);
    assisted_ = new QCheckBox(tr("AI-assisted second read after each decision"), this);
    error_ = errorLabel(this);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Task"), task_);
    form->addRow(tr("Labelled collection"), collection_);
    form->addRow(tr("Malignant cases"), malignant_);
    form->addRow(tr("Benign cases"), benign_);
    form->addRow(tr("Random seed"), seed_);
    form->addRow(biopsy_);
    form->addRow(askMalignancy_);
    form->addRow(askConfidence_);
    form->addRow(assisted_);
    form->addRow(error_);
    form->addRow(okCancel(this, [this] { return submit(); }));
    // What each collection offers depends on the task and on biopsy-proven only.
    connect(task_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { recount(); });
    connect(biopsy_, &QCheckBox::toggled, this, [this] { recount(); });
    recount();
}

void NewStudyDialog::recount() {
    const int chosen = std::max(0, collection_->currentIndex());
    collection_->clear();
    const rec::StudySpec draft = spec();
    for (const auto& c : collections_) {
        const auto counts = rec::countEligible(draft, c.candidates, taxonomy_);
        collection_->addItem(tr("%1 — %2 malignant, %3 benign eligible")
                                 .arg(c.name)
                                 .arg(counts.malignant)
                                 .arg(counts.benign),
                             c.name);
    }
    if (collections_.empty())
        error_->setText(
            tr("No collection in the library has labelled images: add a labelled "
               "dataset first (File > Import labelled dataset)."));
    collection_->setCurrentIndex(std::min(chosen, collection_->count() - 1));
}

QStringList NewStudyDialog::collectionEntries() const {
    QStringList entries;
    for (int i = 0; i < collection_->count(); ++i)
        entries << collection_->itemText(i);
    return entries;
}

rec::StudySpec NewStudyDialog::spec() const {
    rec::StudySpec spec;
    spec.name = name_->text().trimmed().toStdString();
    spec.task = static_cast<rec::StudyTask>(task_->currentData().toInt());
    spec.malignantCases = malignant_->value();
    spec.benignCases = benign_->value();
    spec.biopsyProvenOnly = biopsy_->isChecked();
    spec.seed = static_cast<std::uint64_t>(seed_->value());
    spec.askMalignancy = askMalignancy_->isChecked();
    spec.askConfidence = askConfidence_->isChecked();
    spec.aiAssisted = assisted_->isChecked();
    return spec;
}

void NewStudyDialog::setSpec(const rec::StudySpec& spec) {
    name_->setText(QString::fromStdString(spec.name));
    task_->setCurrentIndex(task_->findData(int(spec.task)));
    malignant_->setValue(spec.malignantCases);
    benign_->setValue(spec.benignCases);
    biopsy_->setChecked(spec.biopsyProvenOnly);
    seed_->setValue(static_cast<int>(spec.seed));
    askMalignancy_->setChecked(spec.askMalignancy);
    askConfidence_->setChecked(spec.askConfidence);
    assisted_->setChecked(spec.aiAssisted);
}

void NewStudyDialog::chooseCollection(int index) {
    collection_->setCurrentIndex(index);
}

bool NewStudyDialog::submit() {
    if (collection_->currentIndex() < 0) {
        error_->setText(tr("Choose a labelled collection."));
        return false;
    }
    return acceptUnless(this, error_, create_(spec(), collection_->currentData().toString()));
}

QString NewStudyDialog::error() const {
    return error_->text();
}

}  // namespace dermreader::ui
