#pragma once
// The left side of the workstation: the image library as a thumbnail grid or a sortable list,
// with filters (collection, modality, known diagnosis, predicted risk) and search. Opening a
// folder shows its files at once and records them in the library in the background (hashes,
// modality, DICOM attributes), with a progress bar; labelled datasets import the same way.

#include <QPointer>
#include <QWidget>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "dermreader/records/ImageLibrary.h"
#include "dermreader/training/Dataset.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/Settings.h"
#include "dermreader/workstation/WorkstationSession.h"

class QComboBox;
class QElapsedTimer;
class QLabel;
class QLineEdit;
class QListView;
class QModelIndex;
class QProgressBar;
class QSortFilterProxyModel;
class QStackedWidget;
class QToolButton;
class QTreeView;

namespace dermreader::ui {

class LibraryModel;

class LibraryBrowser : public QWidget {
    Q_OBJECT

  public:
    // Without the session's database, the browser lists folders only.
    explicit LibraryBrowser(workstation::WorkstationSession& session, QWidget* parent = nullptr);
    ~LibraryBrowser() override;

    bool hasLibrary() const { return imageLibrary_ != nullptr; }
    QString libraryError() const { return libraryError_; }
    records::ImageLibrary* library() { return imageLibrary_.get(); }

    void openFolder(const QString& folder);
    // Labels come from the signed-in coordinator or trainer (the import fails, reported,
    // without one) or from the program's own samples.
    void importDataset(const QString& source, training::DatasetFormat format,
                       records::LabelSource labels = records::LabelSource::Viewer);
    // Whether the library shows known diagnoses: only while a coordinator or trainer is
    // signed in (records::ImageLibrary says why).
    bool labelsShown() const;
    void showCollection(const QString& collection);  // "" = the whole library
    bool importRunning() const;
    void cancelImport();

    // Rows as shown (after filters and sorting).
    int rowCount() const;
    int currentRow() const;
    void selectRow(int row);
    bool selectPath(const QString& path);  // false when the path is not listed
    QString currentPath() const;
    // The library's record of the current image (null before it is recorded).
    const records::LibraryImage* currentRecord() const;
    QString folder() const { return folder_; }
    LibraryModel* model() const { return model_; }

    // Filters; they re-query the library.
    void setModalityFilter(std::optional<engine::ImageModality> modality);
    void setDiagnosisFilter(records::LibraryFilter::Diagnosis diagnosis);
    void setRiskFilter(records::LibraryFilter::Risk risk, double threshold);
    void setSearchText(const QString& text);
    void setListMode(bool list);
    bool listMode() const;
    void setRiskModel(const QString& modelKey);
    void setThresholds(const workstation::RiskThresholds& thresholds);
    // Shows the P(malignant) the session recorded for the image at `path`.
    void showRisk(const QString& path, double malignant);
    void focusSearch();

  Q_SIGNALS:
    void currentPathChanged(const QString& path);
    // The library finished adding a folder or dataset (tests and the status bar wait on it).
    // `recorded`: images new to the library or with new content or labels.
    void importFinished(const QString& collection, int recorded, int problems);
    void message(const QString& text);

  private:
    void buildFilters();
    void refresh();
    void refreshCollections();
    records::LibraryFilter currentFilter() const;
    using ImportWork =
        std::function<records::AddReport(records::ImageLibrary&, const records::AddProgress&)>;
    // Runs `work` as a session job (on a pool thread, with that thread's connection, the
    // library seen as `importer`); queued behind a running one.
    void startImport(const QString& collection, ImportWork work,
                     std::optional<records::User> importer = std::nullopt);
    // Sign-in and sign-out change what the library may show.
    void followSignIn();
    void showLabelControls();
    void onImportFinished();
    void restoreCurrent(const QString& path);

    workstation::WorkstationSession& session_;
    const taxonomy::Taxonomy& taxonomy_;
    std::unique_ptr<records::ImageLibrary> imageLibrary_;  // on the session's UI connection
    QString libraryError_;
    QString folder_;
    QString collection_;  // shown collection; "" = whole library
    QString riskModel_;
    workstation::RiskThresholds thresholds_;

    LibraryModel* model_;
    QSortFilterProxyModel* proxy_;
    QStackedWidget* views_;
    QListView* grid_;
    QTreeView* list_;
    QComboBox* collectionBox_;
    QComboBox* modalityBox_;
    QComboBox* diagnosisBox_;
    QComboBox* riskBox_;
    QLineEdit* search_;
    QToolButton* viewToggle_;
    QProgressBar* progress_;
    QToolButton* cancel_;
    QLabel* progressLabel_;

    QPointer<workstation::Job> importJob_;
    // Written by the import's work as it ends (cancelled ones too: they keep what they added).
    std::shared_ptr<records::AddReport> importReport_;
    QString importError_;  // the running import failed (reported through the session)
    QString importCollection_;
    bool importActive_ = false;
    struct QueuedImport {
        QString collection;
        ImportWork work;
        std::optional<records::User> importer;
    };
    std::deque<QueuedImport> queuedImports_;
    std::unique_ptr<QElapsedTimer> importClock_;
};

}  // namespace dermreader::ui
