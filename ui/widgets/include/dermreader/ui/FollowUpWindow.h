#pragma once
// View > Lesion follow-up: patients and their lesions, a lesion's timeline of visits, and two
// visits side by side with the later one registered onto the earlier one (linked zoom and pan,
// the lesion outlined in both), the change in lesion area and in P(malignant) with their
// uncertainty, and alignment by hand when the images will not register. The comparison runs
// on the session's job pool (workstation/FollowUp.h) with progress and cancel. Keyboard: Alt+
// letters on the controls, Enter compares (in the alignment fields: aligns), Esc cancels a
// comparison.

#include <QPointer>
#include <QWidget>
#include <optional>
#include <vector>

#include "dermreader/records/ImageLibrary.h"
#include "dermreader/workstation/FollowUp.h"

class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace dermreader::workstation {
class Job;
class ThumbnailCache;
class WorkstationSession;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class CompareWindow;

class FollowUpWindow : public QWidget {
    Q_OBJECT

  public:
    explicit FollowUpWindow(workstation::WorkstationSession& session, QWidget* parent = nullptr);
    ~FollowUpWindow() override;  // cancels a comparison still running

    // Lists lesions again (after links changed); shows `lesion` when given, else the lesion
    // shown before if it is still there.
    void refresh(std::optional<std::int64_t> lesion = std::nullopt);
    // Lists lesions again and shows the one `imagePath` belongs to (linking images imported
    // since the last look first), if any.
    void showLesionOf(const QString& imagePath);
    // Shows the lesion's visits; a comparison of what was shown before is dropped.
    void showLesion(std::int64_t lesion);
    // Compares the visits chosen in the two lists (automatic registration, or by hand).
    void compare();
    void alignByHand();
    bool busy() const { return !job_.isNull(); }

    // For tests and screenshots.
    QListWidget* timeline() const { return timeline_; }
    CompareWindow* comparison() const { return compare_; }
    QString summaryText() const;
    const std::optional<workstation::FollowUpComparison>& result() const { return result_; }

  Q_SIGNALS:
    void compared();

  protected:
    void keyPressEvent(QKeyEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

  private:
    void start(std::optional<workstation::ManualAlignment> manual);
    void display(const workstation::FollowUpComparison& comparison);
    void clearComparison();
    // The tree of patients and lesions (links as they are), selecting `lesion` or the one shown.
    void listLesions(std::optional<std::int64_t> lesion);
    void clearLesion();

    workstation::WorkstationSession& session_;
    QTreeWidget* lesions_;
    QListWidget* timeline_;
    QComboBox* earlier_;
    QComboBox* later_;
    QPushButton* compareButton_;
    CompareWindow* compare_;
    QLabel* summary_;
    QDoubleSpinBox* dx_;
    QDoubleSpinBox* dy_;
    QDoubleSpinBox* degrees_;
    QDoubleSpinBox* scale_;
    QGroupBox* manual_;
    QPushButton* alignButton_;
    QProgressBar* progress_;
    workstation::ThumbnailCache* thumbnails_;
    std::vector<records::LibraryImage> visits_;
    std::optional<workstation::FollowUpComparison> result_;
    QPointer<workstation::Job> job_;
    int request_ = 0;  // only the newest comparison may show its result
    std::optional<std::int64_t> shownLesion_;
};

}  // namespace dermreader::ui
