#include "JobProgress.h"

#include <QElapsedTimer>
#include <QProgressBar>
#include <memory>

#include "dermreader/workstation/Jobs.h"

namespace dermreader::ui {

QString etaText(qint64 elapsedMs, qint64 done, qint64 total) {
    if (done <= 0 || total <= done)
        return {};
    const qint64 remaining = elapsedMs * (total - done) / done / 1000;
    return QObject::tr("%1 of %2, about %3:%4 left")
        .arg(done)
        .arg(total)
        .arg(remaining / 60)
        .arg(remaining % 60, 2, 10, QChar('0'));
}

void followJobProgress(workstation::Job* job, QProgressBar* bar) {
    // The bar follows the newest job only: an older one finishing must not hide it.
    static int serial = 0;
    const int mine = ++serial;
    const char* const key = "dermreaderFollowedJob";
    bar->setProperty(key, mine);
    const auto current = [bar, mine, key] { return bar->property(key).toInt() == mine; };
    bar->setRange(0, 0);  // busy until the job knows how much there is
    bar->resetFormat();
    bar->show();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    QObject::connect(
        job, &workstation::Job::progressChanged, bar,
        [bar, clock, current](qint64 done, qint64 total) {
            if (!current())
                return;
            bar->setRange(0, static_cast<int>(std::max<qint64>(total, 1)));
            bar->setValue(static_cast<int>(done));
            const QString eta = etaText(clock->elapsed(), done, total);
            bar->setFormat(eta.isEmpty() ? QObject::tr("%1 of %2").arg(done).arg(total) : eta);
        });
    QObject::connect(job, &workstation::Job::finished, bar, [bar, current] {
        if (current())
            bar->hide();
    });
}

}  // namespace dermreader::ui
