#include "dermreader/workstation/ChartAxes.h"

#include <algorithm>
#include <cmath>

namespace dermreader::workstation {

AxisRange fitAxis(double lo, double hi, const AxisSpec& spec) {
    const double minimumSpan = spec.minimumSpan > 0 ? spec.minimumSpan : 1;
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
        // No data: the whole bounded range (an AUC's 0-1), or a unit window from the floor.
        lo = std::isfinite(spec.lowest) ? spec.lowest : 0;
        hi = std::isfinite(spec.highest) ? spec.highest : lo + std::max(1.0, minimumSpan);
        AxisRange range;
        range.min = lo;
        range.max = hi;
        range.ticks = spec.integers ? std::clamp(static_cast<int>(hi - lo) + 1, 2, 6) : 5;
        range.decimals = spec.integers ? 0 : 1;
        return range;
    }
    const double margin = (hi - lo) * 0.05;
    lo -= margin;
    hi += margin;
    if (hi - lo < minimumSpan) {
        const double centre = (lo + hi) / 2;
        lo = centre - minimumSpan / 2;
        hi = centre + minimumSpan / 2;
    }
    // Slide the window inside the limits rather than cut it.
    if (lo < spec.lowest) {
        hi += spec.lowest - lo;
        lo = spec.lowest;
    }
    if (hi > spec.highest) {
        lo = std::max(spec.lowest, lo - (hi - spec.highest));
        hi = spec.highest;
    }
    AxisRange range;
    if (spec.integers) {
        range.min = std::floor(lo);
        range.max = std::ceil(hi);
        const int steps = static_cast<int>(range.max - range.min);
        range.ticks = std::clamp(steps + 1, 2, 6);
        // Integer labels on every tick: stretch the range to a multiple of (ticks - 1).
        const int per = (steps + range.ticks - 2) / (range.ticks - 1);
        range.max = range.min + per * (range.ticks - 1);
        range.decimals = 0;
        return range;
    }
    range.min = lo;
    range.max = hi;
    range.ticks = 5;
    const double tickSpacing = (hi - lo) / (range.ticks - 1);
    range.decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(tickSpacing))) + 1, 0, 6);
    return range;
}

}  // namespace dermreader::workstation
