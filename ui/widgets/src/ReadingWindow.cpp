#include "dermreader/ui/ReadingWindow.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QStyle>
#include <QVBoxLayout>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/SaliencyRender.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/workstation/PredictionService.h"
#include "dermreader/workstation/QtImage.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {
namespace rec = dermreader::records;

ReadingWindow::ReadingWindow(workstation::WorkstationSession& host,
                             std::unique_ptr<rec::ReaderSession> session, QWidget* parent)
    : QWidget(parent), session_(std::move(session)), service_(&host.predictions()) {
    setWindowTitle(
        tr("Reader study — %1").arg(QString::fromStdString(session_->study().spec.name)));
    const auto& spec = session_->study().spec;
    viewer_ = new ImageViewer(this);
    viewer_->setOverlayVisible(true);
    viewer_->setStyleSheet("background:#111");
    progressText_ = new QLabel(this);
    progress_ = new QProgressBar(this);
    progress_->setTextVisible(true);
    progress_->setMinimumWidth(220);
    question_ = new QLabel(tr("Would you biopsy/treat this lesion or reassure the patient?"), this);
    QFont big = question_->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    question_->setFont(big);
    aiLabel_ = new QLabel(this);
    aiLabel_->setStyleSheet("color:#1f5ab4; font-weight:bold");
    message_ = new QLabel(this);
    message_->setStyleSheet("color:#b00");

    biopsy_ = new QPushButton(tr("Biopsy / treat  (B)"), this);
    reassure_ = new QPushButton(tr("Reassure  (R)"), this);
    for (QPushButton* b : {biopsy_, reassure_}) {
        b->setMinimumHeight(48);
        b->setFont(big);
    }
    malignancyRow_ = new QWidget(this);
    auto* malignancyLayout = new QHBoxLayout(malignancyRow_);
    malignant_ = new QPushButton(tr("Malignant  (M)"), malignancyRow_);
    benign_ = new QPushButton(tr("Benign  (N)"), malignancyRow_);
    for (QPushButton* b : {malignant_, benign_})
        b->setCheckable(true);
    malignancyLayout->addWidget(new QLabel(tr("Do you think it is:"), malignancyRow_));
    malignancyLayout->addWidget(malignant_);
    malignancyLayout->addWidget(benign_);
    malignancyRow_->setVisible(spec.askMalignancy);
    confidenceRow_ = new QWidget(this);
    auto* confidenceLayout = new QHBoxLayout(confidenceRow_);
    confidence_ = new QSlider(Qt::Horizontal, confidenceRow_);
    confidence_->setRange(0, 100);
    confidence_->setValue(50);
    confidenceValue_ = new QLabel(tr("not set"), confidenceRow_);
    // Until the reader sets it, the slider shows neither handle nor fill: a value of 50 is not
    // an answer.
    confidence_->setStyleSheet(QStringLiteral(
        "QSlider::groove:horizontal { height: 6px; background: #ddd; border-radius: 3px; }"
        "QSlider::sub-page:horizontal { background: #3d7ab8; border-radius: 3px; }"
        "QSlider::handle:horizontal { background: #3d7ab8; width: 16px; margin: -6px 0; "
        "border-radius: 8px; }"
        "QSlider[unset=\"true\"]::sub-page:horizontal { background: #ddd; }"
        "QSlider[unset=\"true\"]::handle:horizontal { background: transparent; border: 1px "
        "dashed #999; }"));
    confidenceLayout->addWidget(new QLabel(tr("Confidence that it is malignant:"), confidenceRow_));
    confidenceLayout->addWidget(new QLabel(tr("benign"), confidenceRow_));
    confidenceLayout->addWidget(confidence_, 1);
    confidenceLayout->addWidget(new QLabel(tr("malignant"), confidenceRow_));
    confidenceLayout->addWidget(confidenceValue_);
    confidenceLayout->addWidget(
        new QLabel(tr("(keys 0–9: 0 certainly benign … 9 certainly malignant)"), confidenceRow_));
    confidenceRow_->setVisible(spec.askConfidence);
    auto* pauseButton = new QPushButton(tr("Pause (Esc)"), this);

    auto* top = new QHBoxLayout;
    top->addWidget(progressText_);
    top->addWidget(progress_);
    top->addStretch(1);
    top->addWidget(aiLabel_);
    top->addStretch(1);
    top->addWidget(pauseButton);
    auto* decisions = new QHBoxLayout;
    decisions->addWidget(biopsy_, 1);
    decisions->addWidget(reassure_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(viewer_, 1);
    layout->addWidget(question_);
    layout->addWidget(malignancyRow_);
    layout->addWidget(confidenceRow_);
    layout->addLayout(decisions);
    layout->addWidget(message_);

    connect(biopsy_, &QPushButton::clicked, this, [this] { decide(true); });
    connect(reassure_, &QPushButton::clicked, this, [this] { decide(false); });
    connect(malignant_, &QPushButton::clicked, this, [this] { setMalignancyAnswer(true); });
    connect(benign_, &QPushButton::clicked, this, [this] { setMalignancyAnswer(false); });
    connect(confidence_, &QSlider::valueChanged, this, [this](int value) {
        markConfidence(true);
        confidenceValue_->setText(QString::number(value));
    });
    endScreen_ = new QLabel(this);
    endScreen_->setObjectName(QStringLiteral("endScreen"));
    endScreen_->setAlignment(Qt::AlignCenter);
    endScreen_->setWordWrap(true);
    QFont huge = endScreen_->font();
    huge.setPointSizeF(huge.pointSizeF() * 2.0);
    endScreen_->setFont(huge);
    endScreen_->hide();
    layout->insertWidget(1, endScreen_, 1);
    connect(pauseButton, &QPushButton::clicked, this, &ReadingWindow::pause);
    // Quit pauses the session (audited; every decision is already committed).
    connect(&host, &workstation::WorkstationSession::shuttingDown, this, &ReadingWindow::pause);
    if (service_) {
        connect(service_, &workstation::PredictionService::saliencyReady, this,
                [this](quint64, const QString& path, const engine::SaliencyMap& map, double) {
                    if (aiShown() && current_ &&
                        path == QString::fromStdString(current_->path.string()))
                        viewer_->setOverlay(
                            workstation::saliencyOverlayImage(map, engine::ColourMap::Inferno));
                });
    }
    setFocusPolicy(Qt::StrongFocus);
    showNext();
}

ReadingWindow::~ReadingWindow() = default;

QString ReadingWindow::statusText() const {
    return progressText_->text();
}

void ReadingWindow::markConfidence(bool set) {
    confidenceTouched_ = set;
    confidence_->setProperty("unset", !set);
    confidence_->style()->unpolish(confidence_);
    confidence_->style()->polish(confidence_);
}

void ReadingWindow::showEndScreen(int total) {
    progressText_->setText(tr("Finished"));
    endScreen_->setText(tr("All %1 decisions are recorded. Thank you.\n\nPress Esc or Pause to "
                           "leave; a coordinator unlocks the workstation.")
                            .arg(total));
    endScreen_->show();
    for (QWidget* w : {static_cast<QWidget*>(viewer_), static_cast<QWidget*>(question_),
                       static_cast<QWidget*>(biopsy_), static_cast<QWidget*>(reassure_),
                       malignancyRow_, confidenceRow_})
        w->hide();
    viewer_->clear();
    aiLabel_->clear();
}

bool ReadingWindow::endScreenShown() const {
    return endScreen_->isVisibleTo(this);
}

bool ReadingWindow::confidenceSet() const {
    return confidenceTouched_;
}

bool ReadingWindow::aiShown() const {
    return current_ && current_->phase == rec::Phase::Aided;
}

void ReadingWindow::showNext() {
    current_ = session_->next();
    malignancyAnswer_.reset();
    malignant_->setChecked(false);
    benign_->setChecked(false);
    confidence_->blockSignals(true);
    confidence_->setValue(50);
    confidence_->blockSignals(false);
    markConfidence(false);
    confidenceValue_->setText(tr("not set"));
    message_->clear();
    viewer_->setOverlay({});
    const int done = session_->decided(), total = session_->total();
    progress_->setRange(0, std::max(1, total));
    progress_->setValue(done);
    progress_->setFormat(tr("%1 of %2 decided").arg(done).arg(total));
    if (!current_) {
        showEndScreen(total);
        Q_EMIT finished();
        return;
    }
    progressText_->setText(
        tr("Case %1 of %2").arg(current_->ordinal).arg(current_->total) +
        (current_->phase == rec::Phase::Aided ? tr(" — second read with AI") : QString()));
    try {
        viewer_->setImage(workstation::toQImage(engine::loadImage(current_->path).image));
    } catch (const std::exception& e) {
        // The reader can still decide (e.g. "cannot judge" -> reassure is their call); the
        // coordinator sees the file problem in the message.
        viewer_->showError(QString::fromStdString(e.what()));
    }
    showAi(current_->phase == rec::Phase::Aided);
    onCase_.start();
}

void ReadingWindow::showAi(bool on) {
    if (!on) {
        aiLabel_->clear();
        return;
    }
    QString text = current_->cnnScore
                       ? tr("CNN: P(malignant) = %1 %").arg(100 * *current_->cnnScore, 0, 'f', 1)
                       : tr("CNN: no score for this case");
    if (current_->unaided)
        text += tr("   ·   your first answer: %1")
                    .arg(current_->unaided->biopsy ? tr("biopsy/treat") : tr("reassure"));
    // The saliency must come from the model that gave the study's probabilities (the study
    // records its identity); another workstation model would explain another answer.
    const auto studyModel = engine::ModelIdentity::fromText(session_->study().model);
    const auto loaded = service_ ? service_->modelIdentity() : std::nullopt;
    const bool sameModel = studyModel && loaded && studyModel->sameModel(*loaded);
    if (sameModel) {
        service_->analyse(QString::fromStdString(current_->path.string()), true,
                          engine::SaliencyMethod::Gradient);
    } else if (service_) {
        text += tr("   ·   no saliency map: the workstation's model is not the study's");
    }
    aiLabel_->setText(text);
}

void ReadingWindow::setMalignancyAnswer(bool malignant) {
    malignancyAnswer_ = malignant;
    malignant_->setChecked(malignant);
    benign_->setChecked(!malignant);
}

void ReadingWindow::setConfidence(int confidence) {
    confidence_->setValue(confidence);
    markConfidence(true);
    confidenceValue_->setText(QString::number(confidence));
}

void ReadingWindow::decide(bool biopsy) {
    if (!current_)
        return;
    const auto& spec = session_->study().spec;
    if (spec.askMalignancy && !malignancyAnswer_) {
        message_->setText(tr("Please also answer: malignant (M) or benign (N)?"));
        return;
    }
    if (spec.askConfidence && !confidenceTouched_) {
        message_->setText(tr("Please set your confidence (0–100) first."));
        return;
    }
    rec::Answer answer;
    answer.biopsy = biopsy;
    answer.malignant = malignancyAnswer_;
    if (spec.askConfidence)
        answer.confidence = confidence_->value();
    try {
        // Committed (and fsynced) before the next case appears.
        session_->record(*current_, answer, onCase_.elapsed() / 1000.0);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Decision not saved"),
                             tr("The decision was not saved: %1").arg(e.what()));
        return;
    }
    Q_EMIT decisionRecorded(current_->caseId);
    showNext();
}

void ReadingWindow::pause() {
    try {
        session_->pause();
    } catch (const std::exception&) {  // pausing must never fail the reader
    }
    Q_EMIT paused();
    close();
}

void ReadingWindow::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_B:
            decide(true);
            return;
        case Qt::Key_R:
            decide(false);
            return;
        case Qt::Key_M:
            if (session_->study().spec.askMalignancy)
                setMalignancyAnswer(true);
            return;
        case Qt::Key_N:
            if (session_->study().spec.askMalignancy)
                setMalignancyAnswer(false);
            return;
        case Qt::Key_Escape:
            pause();
            return;
        default:
            if (session_->study().spec.askConfidence && event->key() >= Qt::Key_0 &&
                event->key() <= Qt::Key_9) {
                setConfidence((event->key() - Qt::Key_0) * 100 / 9);  // 0..9 -> 0..100
                return;
            }
            QWidget::keyPressEvent(event);
    }
}

}  // namespace dermreader::ui
