#pragma once
// A progress bar that follows one background job: busy until the job first reports, then
// "done of total, about m:ss left", hidden when the job ends. One look for every window.

#include <QString>

class QProgressBar;

namespace dermreader::workstation {
class Job;
}

namespace dermreader::ui {

// "12 of 40, about 1:05 left" ("" before the first step or after the last).
QString etaText(qint64 elapsedMs, qint64 done, qint64 total);
void followJobProgress(workstation::Job* job, QProgressBar* bar);

}  // namespace dermreader::ui
