#include "dermreader/training/Statistics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace dermreader::training {

namespace {

// Midranks (1-based) of `values`, ties sharing their average rank.
std::vector<double> midranks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
            ++j;
        const double rank = 0.5 * (i + j) + 1.0;
        for (std::size_t k = i; k <= j; ++k)
            ranks[order[k]] = rank;
        i = j + 1;
    }
    return ranks;
}

double sampleVariance(const std::vector<double>& v) {
    if (v.size() < 2)
        return 0.0;
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    double s = 0;
    for (double x : v)
        s += (x - mean) * (x - mean);
    return s / (v.size() - 1);
}

// DeLong's structural components from midranks (DeLong, DeLong & Clarke-Pearson 1988; Sun &
// Xu 2014): the AUC is the mean of v10 (per positive) and of v01 (per negative).
struct DeLongComponents {
    std::vector<double> v10, v01;
    double auc = 0;
};

DeLongComponents delongComponents(const std::vector<double>& positives,
                                  const std::vector<double>& negatives) {
    std::vector<double> all = positives;
    all.insert(all.end(), negatives.begin(), negatives.end());
    const auto rankAll = midranks(all);
    const auto rankPositives = midranks(positives);
    const auto rankNegatives = midranks(negatives);
    const double nPos = static_cast<double>(positives.size()),
                 nNeg = static_cast<double>(negatives.size());
    DeLongComponents d;
    d.v10.resize(positives.size());
    d.v01.resize(negatives.size());
    for (std::size_t i = 0; i < positives.size(); ++i)
        d.v10[i] = (rankAll[i] - rankPositives[i]) / nNeg;
    for (std::size_t j = 0; j < negatives.size(); ++j)
        d.v01[j] = 1.0 - (rankAll[positives.size() + j] - rankNegatives[j]) / nPos;
    d.auc = std::accumulate(d.v10.begin(), d.v10.end(), 0.0) / nPos;
    return d;
}

double sampleCovariance(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() < 2)
        return 0.0;
    const double n = static_cast<double>(a.size());
    const double meanA = std::accumulate(a.begin(), a.end(), 0.0) / n;
    const double meanB = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += (a[i] - meanA) * (b[i] - meanB);
    return sum / (n - 1);
}

}  // namespace

AucDifference pairedAucDifference(const std::vector<double>& positivesA,
                                  const std::vector<double>& negativesA,
                                  const std::vector<double>& positivesB,
                                  const std::vector<double>& negativesB) {
    if (positivesA.size() != positivesB.size() || negativesA.size() != negativesB.size())
        throw std::invalid_argument(
            "paired AUC comparison needs both models' scores on the same images");
    AucDifference result;
    if (positivesA.empty() || negativesA.empty())
        return result;
    const DeLongComponents a = delongComponents(positivesA, negativesA);
    const DeLongComponents b = delongComponents(positivesB, negativesB);
    result.aucA = a.auc;
    result.aucB = b.auc;
    result.difference = a.auc - b.auc;
    const double m = static_cast<double>(positivesA.size()),
                 n = static_cast<double>(negativesA.size());
    const double variance =
        (sampleVariance(a.v10) + sampleVariance(b.v10) - 2 * sampleCovariance(a.v10, b.v10)) / m +
        (sampleVariance(a.v01) + sampleVariance(b.v01) - 2 * sampleCovariance(a.v01, b.v01)) / n;
    const double se = std::sqrt(std::max(0.0, variance));
    result.low = result.difference - 1.959964 * se;
    result.high = result.difference + 1.959964 * se;
    if (se > 0) {
        const double z = std::abs(result.difference) / se;
        result.pValue = std::erfc(z / std::sqrt(2.0));
    } else {
        result.pValue = result.difference == 0 ? 1.0 : 0.0;
    }
    return result;
}

BinaryMetrics binaryMetrics(const std::vector<double>& positives,
                            const std::vector<double>& negatives) {
    BinaryMetrics m;
    m.positives = static_cast<int>(positives.size());
    m.negatives = static_cast<int>(negatives.size());
    if (positives.empty() || negatives.empty())
        return m;

    const DeLongComponents d = delongComponents(positives, negatives);
    m.auc = d.auc;
    const double nPos = static_cast<double>(positives.size()),
                 nNeg = static_cast<double>(negatives.size());
    const double se = std::sqrt(sampleVariance(d.v10) / nPos + sampleVariance(d.v01) / nNeg);
    m.aucLow = std::max(0.0, m.auc - 1.959964 * se);
    m.aucHigh = std::min(1.0, m.auc + 1.959964 * se);

    // ROC: lower the threshold through every distinct score.
    std::vector<double> thresholds = positives;
    thresholds.insert(thresholds.end(), negatives.begin(), negatives.end());
    std::sort(thresholds.begin(), thresholds.end(), std::greater<>());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    m.roc.push_back({std::numeric_limits<double>::infinity(), 0.0, 1.0});
    for (double t : thresholds) {
        const double tp = static_cast<double>(
            std::count_if(positives.begin(), positives.end(), [&](double s) { return s >= t; }));
        const double fp = static_cast<double>(
            std::count_if(negatives.begin(), negatives.end(), [&](double s) { return s >= t; }));
        m.roc.push_back({t, tp / nPos, 1.0 - fp / nNeg});
    }
    m.sensitivityAt90Specificity = sensitivityAtSpecificity(m.roc, 0.90);
    m.sensitivityAt95Specificity = sensitivityAtSpecificity(m.roc, 0.95);
    return m;
}

double sensitivityAtSpecificity(const std::vector<RocPoint>& roc, double specificity) {
    constexpr double kTolerance = 1e-12;  // 0.9 computed as 1 - 1/10 must count as 0.9
    double best = 0.0;
    for (const auto& p : roc) {
        if (p.specificity >= specificity - kTolerance)
            best = std::max(best, p.sensitivity);
    }
    return best;
}

}  // namespace dermreader::training
