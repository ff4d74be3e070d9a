#include "dermreader/ui/FollowUpWindow.h"

#include "JobProgress.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "dermreader/records/Lesions.h"
#include "dermreader/ui/CompareWindow.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/workstation/DicomText.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PredictionService.h"
#include "dermreader/workstation/Thumbnails.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

namespace ws = dermreader::workstation;
namespace rec = dermreader::records;

namespace {

QString date(const std::string& yyyymmdd) {
    return yyyymmdd.empty() ? QObject::tr("undated")
                            : ws::formatDicomDate(QString::fromStdString(yyyymmdd));
}

QString visitName(const rec::LibraryImage& image) {
    return QStringLiteral("%1 — %2").arg(date(image.studyDate),
                                         QString::fromStdString(image.path.filename().string()));
}

// The mask's border drawn in `colour` on a transparent image (the viewer's overlay).
QImage outline(const QImage& mask, QColor colour) {
    QImage overlay(mask.size(), QImage::Format_ARGB32);
    overlay.fill(Qt::transparent);
    const QRgb pixel = colour.rgba();
    for (int y = 1; y + 1 < mask.height(); ++y) {
        const uchar* above = mask.constScanLine(y - 1);
        const uchar* row = mask.constScanLine(y);
        const uchar* below = mask.constScanLine(y + 1);
        auto* out = reinterpret_cast<QRgb*>(overlay.scanLine(y));
        for (int x = 1; x + 1 < mask.width(); ++x)
            if (row[x] && (!row[x - 1] || !row[x + 1] || !above[x] || !below[x]))
                out[x] = out[x - 1] = pixel;  // two pixels wide, to stay visible when zoomed out
    }
    return overlay;
}

QDoubleSpinBox* spin(double low, double high, double value, double step, const QString& suffix,
                     QWidget* parent) {
    auto* box = new QDoubleSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    box->setSingleStep(step);
    box->setSuffix(suffix);
    return box;
}

}  // namespace

FollowUpWindow::FollowUpWindow(ws::WorkstationSession& session, QWidget* parent)
    : QWidget(parent), session_(session) {
    setWindowTitle(tr("Lesion follow-up"));
    lesions_ = new QTreeWidget(this);
    lesions_->setHeaderLabels({tr("Patient / lesion"), tr("Images"), tr("Dates")});
    lesions_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    timeline_ = new QListWidget(this);
    timeline_->setViewMode(QListView::IconMode);
    timeline_->setFlow(QListView::LeftToRight);
    timeline_->setWrapping(false);
    timeline_->setIconSize(QSize(96, 96));
    timeline_->setFixedHeight(150);
    earlier_ = new QComboBox(this);
    later_ = new QComboBox(this);
    compareButton_ = new QPushButton(tr("Co&mpare"), this);
    compare_ = new CompareWindow(this);
    summary_ = new QLabel(tr("Choose a lesion on the left."), this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    dx_ = spin(-5000, 5000, 0, 5, tr(" px"), this);
    dy_ = spin(-5000, 5000, 0, 5, tr(" px"), this);
    degrees_ = spin(-180, 180, 0, 1, tr("°"), this);
    scale_ = spin(0.1, 10, 1, 0.05, QString(), this);
    scale_->setDecimals(3);
    alignButton_ = new QPushButton(tr("Align by &hand"), this);
    progress_ = new QProgressBar(this);
    progress_->hide();
    thumbnails_ = new ws::ThumbnailCache(session_.jobs(), 96, 64, this);

    auto* choose = new QFormLayout;  // its rows' labels are their fields' buddies
    choose->addRow(tr("&Earlier visit"), earlier_);
    choose->addRow(tr("&Later visit"), later_);
    choose->addRow(QString(), compareButton_);
    manual_ = new QGroupBox(tr("Alignment by hand (when registration fails)"), this);
    auto* manualForm = new QFormLayout(manual_);
    manualForm->addRow(tr("Shift &x"), dx_);
    manualForm->addRow(tr("Shift &y"), dy_);
    manualForm->addRow(tr("&Rotation"), degrees_);
    manualForm->addRow(tr("&Scale"), scale_);
    manualForm->addRow(QString(), alignButton_);
    auto* side = new QVBoxLayout;
    side->addLayout(choose);
    side->addWidget(summary_);
    side->addWidget(manual_);
    side->addWidget(progress_);
    side->addStretch(1);
    auto* sideWidget = new QWidget(this);
    sideWidget->setLayout(side);
    auto* centre = new QWidget(this);
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->addWidget(timeline_);
    centreLayout->addWidget(compare_, 1);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(lesions_);
    splitter->addWidget(centre);
    splitter->addWidget(sideWidget);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(splitter);
    resize(1400, 800);

    connect(thumbnails_, &ws::ThumbnailCache::ready, this, [this](const QString& path) {
        const QImage* thumbnail = thumbnails_->find(path);
        for (int row = 0; thumbnail && row < timeline_->count(); ++row)
            if (timeline_->item(row)->data(Qt::UserRole).toString() == path)
                timeline_->item(row)->setIcon(QPixmap::fromImage(*thumbnail));
    });
    connect(lesions_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item && item->data(0, Qt::UserRole).isValid())
            showLesion(item->data(0, Qt::UserRole).toLongLong());
    });
    connect(compareButton_, &QPushButton::clicked, this, &FollowUpWindow::compare);
    connect(alignButton_, &QPushButton::clicked, this, &FollowUpWindow::alignByHand);
    connect(timeline_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        later_->setCurrentIndex(timeline_->row(item));  // the visit to compare with the first
    });
    refresh();
}

void FollowUpWindow::refresh(std::optional<std::int64_t> lesion) {
    if (session_.hasDatabase())
        session_.perform(tr("Lesion follow-up"),
                         [&] { rec::Lesions(session_.database()).linkFromRecords(); });
    listLesions(lesion);
}

void FollowUpWindow::listLesions(std::optional<std::int64_t> lesion) {
    const std::optional<std::int64_t> wanted = lesion ? lesion : shownLesion_;
    lesions_->clear();
    if (!session_.hasDatabase()) {
        clearLesion();
        summary_->setText(tr("No image library: lesions are kept there."));
        return;
    }
    QTreeWidgetItem* select = nullptr;
    session_.perform(tr("Lesion follow-up"), [&] {
        rec::Lesions records(session_.database());
        for (const std::string& patient : records.patients()) {
            auto* patientItem = new QTreeWidgetItem(lesions_, {QString::fromStdString(patient)});
            for (const rec::Lesion& l : records.ofPatient(patient)) {
                auto* item = new QTreeWidgetItem(
                    patientItem, {QString::fromStdString(l.label), QString::number(l.images),
                                  l.firstStudyDate.empty()
                                      ? QString()
                                      : date(l.firstStudyDate) + " … " + date(l.lastStudyDate)});
                item->setData(0, Qt::UserRole, QVariant::fromValue<qlonglong>(l.id));
                if (wanted && *wanted == l.id)
                    select = item;
            }
        }
    });
    lesions_->expandAll();
    if (select) {  // lists its visits again (new ones too); the same lesion keeps its comparison
        lesions_->setCurrentItem(select);
        return;
    }
    clearLesion();  // nothing on screen may stay from a lesion no longer listed
    summary_->setText(lesions_->topLevelItemCount() == 0
                          ? tr("No lesions yet: images get one from DICOM (Patient ID and Lesion "
                               "Number) or by hand (File > Assign image to lesion).")
                          : tr("Choose a lesion on the left."));
}

void FollowUpWindow::showLesionOf(const QString& imagePath) {
    std::optional<std::int64_t> lesion;
    if (session_.hasDatabase())
        session_.perform(tr("Lesion follow-up"), [&] {
            rec::Lesions records(session_.database());
            records.linkFromRecords();  // an image imported since the last look has its lesion
            if (const auto found = records.ofImage(imagePath.toStdString()))
                lesion = found->id;
        });
    listLesions(lesion);
}

void FollowUpWindow::clearLesion() {
    clearComparison();
    shownLesion_.reset();
    visits_.clear();
    timeline_->clear();
    earlier_->clear();
    later_->clear();
    compareButton_->setEnabled(false);
}

void FollowUpWindow::clearComparison() {
    if (job_)
        job_->cancel();
    job_ = nullptr;  // a new comparison may start while the old one winds down
    ++request_;      // and the old one's result, if it still comes, belongs to what was shown
    result_.reset();
    compare_->clear();
    progress_->hide();
}

void FollowUpWindow::showLesion(std::int64_t lesion) {
    if (shownLesion_ != lesion)  // the same lesion listed again keeps its comparison
        clearComparison();
    shownLesion_ = lesion;
    session_.perform(tr("Lesion follow-up"), [&] {
        visits_ =
            rec::ImageLibrary(session_.database(), session_.labelViewer()).lesionTimeline(lesion);
    });
    timeline_->clear();
    earlier_->clear();
    later_->clear();
    for (const auto& visit : visits_) {
        const QString name = visitName(visit);
        auto* item = new QListWidgetItem(date(visit.studyDate), timeline_);
        item->setToolTip(name);
        const QString path = QString::fromStdString(visit.path.string());
        item->setData(Qt::UserRole, path);
        if (const QImage* thumbnail = thumbnails_->find(path))
            item->setIcon(QPixmap::fromImage(*thumbnail));
        else
            thumbnails_->request(path);  // any format the workstation reads, DICOM too
        earlier_->addItem(name);
        later_->addItem(name);
    }
    later_->setCurrentIndex(later_->count() - 1);
    compareButton_->setEnabled(visits_.size() >= 2);
    summary_->setText(visits_.size() >= 2 ? tr("Compare two visits.")
                                          : tr("This lesion has one image: nothing to compare."));
}

void FollowUpWindow::compare() {
    start(std::nullopt);
}

void FollowUpWindow::alignByHand() {
    start(ws::ManualAlignment{dx_->value(), dy_->value(), degrees_->value(), scale_->value()});
}

void FollowUpWindow::start(std::optional<ws::ManualAlignment> manual) {
    const int a = earlier_->currentIndex(), b = later_->currentIndex();
    if (busy() || a < 0 || b < 0 || a == b || b >= static_cast<int>(visits_.size()))
        return;
    const QString before =
        QString::fromStdString(visits_[static_cast<std::size_t>(a)].path.string());
    const QString after =
        QString::fromStdString(visits_[static_cast<std::size_t>(b)].path.string());
    // The model stays alive for the comparison even if the person switches models meanwhile.
    std::shared_ptr<engine::Predictor> predictor = session_.predictions().predictor();
    const int request = ++request_;
    ws::Job* job = session_.jobs().start<ws::FollowUpComparison>(
        tr("Lesion follow-up"),
        [before, after, predictor, manual](ws::JobContext& context) {
            return ws::compareVisits(before, after, predictor.get(), manual, &context);
        },
        this,
        [this, request](const ws::FollowUpComparison& comparison) {
            if (request == request_)
                display(comparison);
        });
    job_ = job;
    followJobProgress(job, progress_);
    summary_->setText(tr("Comparing…"));
    connect(job, &ws::Job::failed, this, [this, request](const QString& message) {
        if (request == request_)
            summary_->setText(message);
    });
    connect(job, &ws::Job::finished, this, [this, job, request] {
        if (job_ == job)
            job_ = nullptr;  // idle now, not when the job object is deleted later
        if (job->isCancelled() && request == request_)
            summary_->setText(tr("Comparison cancelled."));
    });
}

void FollowUpWindow::display(const ws::FollowUpComparison& comparison) {
    result_ = comparison;
    const bool registered = comparison.registration.succeeded();
    compare_->setLeft(comparison.beforeImage,
                      tr("Earlier: %1").arg(QFileInfo(comparison.before.path).fileName()));
    compare_->setRight(registered ? comparison.afterRegistered : comparison.afterImage,
                       (registered ? tr("Later, registered: %1") : tr("Later, as taken: %1"))
                           .arg(QFileInfo(comparison.after.path).fileName()));
    // Outlines of this comparison only: none when it did not register.
    compare_->left()->setOverlay(registered ? outline(comparison.beforeMask, QColor(255, 220, 0))
                                            : QImage());
    compare_->right()->setOverlay(registered ? outline(comparison.afterMask, QColor(0, 230, 255))
                                             : QImage());
    compare_->left()->setOverlayVisible(registered);
    compare_->right()->setOverlayVisible(registered);
    QString text = comparison.summary();
    if (!registered)
        text +=
            tr("\nThe images would not register: align the later one by hand (shift, "
               "rotation, scale), then press Align by hand.");
    summary_->setText(text);
    session_.audit(
        std::nullopt, QStringLiteral("lesion follow-up compared"),
        comparison.before.path + " vs " + comparison.after.path + ": " + text.section('\n', 0, 1));
    Q_EMIT compared();
}

QString FollowUpWindow::summaryText() const {
    return summary_->text();
}

void FollowUpWindow::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Escape && job_) {
        job_->cancel();
        return;
    }
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        // Enter in the alignment fields applies that alignment; elsewhere it compares.
        const QWidget* focus = focusWidget();
        if (focus && manual_->isAncestorOf(focus))
            alignByHand();
        else
            compare();
        return;
    }
    QWidget::keyPressEvent(event);
}

void FollowUpWindow::closeEvent(QCloseEvent* event) {
    if (job_)
        job_->cancel();  // a closed window wants no result
    QWidget::closeEvent(event);
}

FollowUpWindow::~FollowUpWindow() {
    if (job_)
        job_->cancel();
}

}  // namespace dermreader::ui
