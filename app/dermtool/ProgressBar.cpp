#include "ProgressBar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace dermtool {

std::string formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0)
        return "?";
    const long s = std::lround(seconds);
    char text[32];
    if (s >= 3600) {
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    } else {
        std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    }
    return text;
}

ProgressBar::ProgressBar(std::string label, long total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) != 0 && total > 1),
      start_(std::chrono::steady_clock::now()),
      lastDraw_(start_) {}

ProgressBar::~ProgressBar() {
    finish();
}

void ProgressBar::advance(long steps) {
    done_ += steps;
    const auto now = std::chrono::steady_clock::now();
    if (now - lastDraw_ > std::chrono::milliseconds(100) || done_ == total_) {
        lastDraw_ = now;
        draw(false);
    }
}

void ProgressBar::finish() {
    if (finished_)
        return;
    finished_ = true;
    draw(true);
}

void ProgressBar::draw(bool final) {
    if (!enabled_)
        return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
    const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
    const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '-');
    std::fprintf(stderr, "\r%s [%s] %ld/%ld %s  %.1f %s/s  %s %s ", label_.c_str(), bar.c_str(),
                 done_, total_, unit_.c_str(), rate, unit_.c_str(), final ? "took" : "ETA",
                 formatDuration(final ? elapsed : eta).c_str());
    if (final)
        std::fputc('\n', stderr);
    std::fflush(stderr);
}

}  // namespace dermtool
