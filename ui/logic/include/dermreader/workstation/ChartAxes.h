#pragma once
// Axis ranges for the workstation's live charts (training loss, AUC per epoch, embeddings):
// one point or a flat series still gets a readable span and labels, not a range of 2e-9
// printed to nine decimals.

#include <limits>

namespace dermreader::workstation {

struct AxisSpec {
    double minimumSpan = 1;  // the narrowest range shown (a single point sits in its middle)
    double lowest = -std::numeric_limits<double>::infinity();  // e.g. 0 for a loss
    double highest = std::numeric_limits<double>::infinity();  // e.g. 1 for an AUC
    bool integers = false;                                     // steps, epochs
};

struct AxisRange {
    double min = 0, max = 1;
    int ticks = 5;
    int decimals = 1;  // enough to tell neighbouring ticks apart
};

// The range showing [lo, hi] with a 5% margin, widened to the spec's minimum span and kept
// within its limits. With no data (lo > hi or not finite) the spec's default window.
AxisRange fitAxis(double lo, double hi, const AxisSpec& spec);

}  // namespace dermreader::workstation
