#pragma once
// A terminal progress bar with rate and ETA on stderr, drawn only when stderr is a terminal
// (so logs and pipes stay clean).

#include <chrono>
#include <string>

namespace dermtool {

class ProgressBar {
  public:
    ProgressBar(std::string label, long total, std::string unit = "images");
    ~ProgressBar();
    void advance(long steps = 1);
    void finish();

  private:
    void draw(bool final);

    std::string label_, unit_;
    long total_, done_ = 0;
    bool enabled_, finished_ = false;
    std::chrono::steady_clock::time_point start_, lastDraw_;
};

// "1:02:03" / "2:03".
std::string formatDuration(double seconds);

}  // namespace dermtool
