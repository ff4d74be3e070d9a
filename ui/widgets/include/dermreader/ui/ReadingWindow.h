#pragma once
// A reader's session in a reader study: one image at a time, full screen, no ground truth and
// no AI (except in an AI-assisted second read), a decision by button or key (B biopsy/treat,
// R reassure; M/N malignant/benign and a confidence when the study asks). A decision is
// committed to the database before the next case is shown; Esc pauses, and the next login
// resumes at the first undecided case.

#include <QElapsedTimer>
#include <QWidget>
#include <memory>
#include <optional>

#include "dermreader/records/ReaderStudy.h"

class QButtonGroup;
class QLabel;
class QPushButton;
class QSlider;
class QProgressBar;

namespace dermreader::workstation {
class PredictionService;
class WorkstationSession;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class ImageViewer;

class ReadingWindow : public QWidget {
    Q_OBJECT

  public:
    // `session` reads through the workstation's connection; the workstation's prediction
    // service shows the CNN's saliency in the assisted read when its model is the study's.
    ReadingWindow(workstation::WorkstationSession& workstation,
                  std::unique_ptr<records::ReaderSession> session, QWidget* parent = nullptr);
    ~ReadingWindow() override;

    const std::optional<records::CaseToRead>& currentCase() const { return current_; }
    ImageViewer* viewer() const { return viewer_; }
    QString statusText() const;
    bool aiShown() const;
    bool confidenceSet() const;   // the reader moved the slider or pressed a digit
    bool endScreenShown() const;  // every case decided
    // What the buttons do, for tests and shortcuts.
    void decide(bool biopsy);
    void setMalignancyAnswer(bool malignant);
    void setConfidence(int confidence);
    void pause();

  Q_SIGNALS:
    void decisionRecorded(qint64 caseId);
    void finished();  // every case decided
    void paused();

  protected:
    void keyPressEvent(QKeyEvent* event) override;

  private:
    void showNext();
    void markConfidence(bool set);
    void showEndScreen(int total);
    void showAi(bool on);

    std::unique_ptr<records::ReaderSession> session_;
    workstation::PredictionService* service_;
    std::optional<records::CaseToRead> current_;
    std::optional<bool> malignancyAnswer_;
    QElapsedTimer onCase_;
    ImageViewer* viewer_;
    QLabel* progressText_;
    QProgressBar* progress_;
    QLabel* question_;
    QLabel* aiLabel_;
    QLabel* message_;
    QLabel* endScreen_;
    QPushButton* biopsy_;
    QPushButton* reassure_;
    QPushButton* malignant_;
    QPushButton* benign_;
    QWidget* malignancyRow_;
    QWidget* confidenceRow_;
    QSlider* confidence_;
    QLabel* confidenceValue_;
    bool confidenceTouched_ = false;
};

}  // namespace dermreader::ui
