#pragma once
// The coordinator's forms. Each checks its input through the action it was given and stays
// open with what was typed and the reason when the action refuses it.

#include <QDialog>
#include <functional>
#include <vector>

#include "dermreader/records/Accounts.h"
#include "dermreader/records/ReaderStudy.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace dermreader::ui {

struct AccountRequest {
    QString name;
    records::Role role = records::Role::Reader;
    int experienceYears = 0;
    QString password;
};

class NewAccountDialog : public QDialog {
    Q_OBJECT

  public:
    // `create` makes the account; it returns "" or why it could not.
    using Create = std::function<QString(const AccountRequest&)>;
    NewAccountDialog(Create create, QWidget* parent = nullptr);

    // The form's fields and its OK button, for tests.
    void fill(const AccountRequest& request, const QString& confirmation);
    bool submit();
    QString error() const;
    QString typedName() const;

  private:
    Create create_;
    QLineEdit* name_;
    QComboBox* role_;
    QSpinBox* years_;
    QLineEdit* password_;
    QLineEdit* confirmation_;
    QLabel* error_;
};

// A labelled collection of the library and the images a study could draw from it.
struct CollectionCandidates {
    QString name;
    std::vector<records::StudyCandidate> candidates;
};

class NewStudyDialog : public QDialog {
    Q_OBJECT

  public:
    // `create` makes the study from the chosen collection; "" or why it could not.
    using Create = std::function<QString(const records::StudySpec&, const QString& collection)>;
    NewStudyDialog(std::vector<CollectionCandidates> collections,
                   const taxonomy::Taxonomy& taxonomy, Create create, QWidget* parent = nullptr);

    // What the collection list offers ("name — N malignant, M benign eligible"), for tests.
    QStringList collectionEntries() const;
    records::StudySpec spec() const;
    void setSpec(const records::StudySpec& spec);
    void chooseCollection(int index);
    bool submit();
    QString error() const;

  private:
    void recount();

    std::vector<CollectionCandidates> collections_;
    const taxonomy::Taxonomy& taxonomy_;
    Create create_;
    QLineEdit* name_;
    QComboBox* task_;
    QComboBox* collection_;
    QSpinBox* malignant_;
    QSpinBox* benign_;
    QCheckBox* biopsy_;
    QSpinBox* seed_;
    QCheckBox* askMalignancy_;
    QCheckBox* askConfidence_;
    QCheckBox* assisted_;
    QLabel* error_;
};

}  // namespace dermreader::ui
