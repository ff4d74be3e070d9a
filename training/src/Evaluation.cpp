#include "dermreader/training/Evaluation.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>

#include <nlohmann/json.hpp>

#ifdef DERMREADER_HAVE_PLOTS
#include "Plots.h"
#endif

namespace dermreader::training {
namespace tax = dermreader::taxonomy;
using nlohmann::json;

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

LevelMetrics levelMetrics(const tax::InferenceMap& inference, int depth,
                          const std::vector<tax::NodeIndex>& labels,
                          const std::vector<std::vector<double>>& nodeProbabilities) {
    const auto& taxonomy = inference.taxonomy();
    LevelMetrics m;
    m.classes = depth == 0 ? taxonomy.roots() : taxonomy.nodesAtDepth(depth);
    const std::size_t k = m.classes.size();
    m.confusion.assign(k, std::vector<int>(k, 0));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const tax::NodeIndex truthNode = taxonomy.ancestorAtDepth(labels[i], depth);
        const auto truth =
            std::find(m.classes.begin(), m.classes.end(), truthNode) - m.classes.begin();
        if (truthNode == tax::kNoNode || truth >= static_cast<long>(k))
            continue;  // label too coarse
        std::size_t predicted = 0;
        for (std::size_t c = 1; c < k; ++c) {
            if (nodeProbabilities[i][m.classes[c]] > nodeProbabilities[i][m.classes[predicted]])
                predicted = c;
        }
        ++m.confusion[static_cast<std::size_t>(truth)][predicted];
        ++m.images;
    }
    double sum = 0;
    int counted = 0;
    for (std::size_t c = 0; c < k; ++c) {
        const int total = std::accumulate(m.confusion[c].begin(), m.confusion[c].end(), 0);
        const double accuracy =
            total > 0 ? static_cast<double>(m.confusion[c][c]) / total : std::nan("");
        m.perClassAccuracy.push_back(accuracy);
        if (total > 0) {
            sum += accuracy;
            ++counted;
        }
    }
    m.meanClassAccuracy = counted > 0 ? sum / counted : std::nan("");
    return m;
}

json levelJson(const LevelMetrics& m, const tax::Taxonomy& taxonomy) {
    json classes = json::array(), accuracy = json::array();
    for (std::size_t c = 0; c < m.classes.size(); ++c) {
        classes.push_back(taxonomy.node(m.classes[c]).id);
        accuracy.push_back(std::isnan(m.perClassAccuracy[c]) ? json(nullptr)
                                                             : json(m.perClassAccuracy[c]));
    }
    return {{"classes", classes},
            {"per_class_accuracy", accuracy},
            {"mean_class_accuracy",
             std::isnan(m.meanClassAccuracy) ? json(nullptr) : json(m.meanClassAccuracy)},
            {"images", m.images},
            {"confusion", m.confusion}};
}

void writeConfusionCsv(const std::filesystem::path& path, const LevelMetrics& m,
                       const tax::Taxonomy& taxonomy) {
    std::ofstream out(path);
    out << "truth\\predicted";
    for (auto c : m.classes)
        out << "," << taxonomy.node(c).id;
    out << "\n";
    for (std::size_t r = 0; r < m.classes.size(); ++r) {
        out << taxonomy.node(m.classes[r]).id;
        for (int v : m.confusion[r])
            out << "," << v;
        out << "\n";
    }
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

EvaluationReport evaluate(const tax::InferenceMap& inference,
                          const std::vector<tax::NodeIndex>& labels,
                          const std::vector<std::vector<double>>& classProbabilities,
                          std::optional<double> loss) {
    EvaluationReport report;
    report.images = static_cast<int>(labels.size());
    report.loss = loss;
    const auto& taxonomy = inference.taxonomy();
    std::vector<std::vector<double>> nodeP;
    for (const auto& p : classProbabilities)
        nodeP.push_back(inference.nodeProbabilities(p));
    report.firstLevel = levelMetrics(inference, 0, labels, nodeP);
    report.secondLevel = levelMetrics(inference, 1, labels, nodeP);

    for (const auto& [task, lineage] :
         {std::make_pair(std::string("melanocytic"), tax::Lineage::Melanocytic),
          std::make_pair(std::string("epidermal"), tax::Lineage::Epidermal)}) {
        std::vector<double> positives, negatives;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (taxonomy.node(labels[i]).lineage != lineage)
                continue;
            const auto score =
                inference.restrictedMalignantProbability(classProbabilities[i], lineage);
            if (!score)
                continue;
            (taxonomy.isUnderMalignantRoot(labels[i]) ? positives : negatives).push_back(*score);
        }
        if (positives.empty() || negatives.empty())
            continue;
        auto metrics = binaryMetrics(positives, negatives);
        metrics.task = task;
        report.binary.push_back(std::move(metrics));
    }
    return report;
}

std::string EvaluationReport::toJson(const tax::Taxonomy& taxonomy) const {
    json binaryJson = json::array();
    for (const auto& b : binary) {
        json roc = json::array();
        for (const auto& p : b.roc)
            roc.push_back(
                {std::isinf(p.threshold) ? 1.0 : p.threshold, p.sensitivity, p.specificity});
        binaryJson.push_back({{"task", b.task},
                              {"positives", b.positives},
                              {"negatives", b.negatives},
                              {"auc", b.auc},
                              {"auc_ci95", {b.aucLow, b.aucHigh}},
                              {"sensitivity_at_90_specificity", b.sensitivityAt90Specificity},
                              {"sensitivity_at_95_specificity", b.sensitivityAt95Specificity},
                              {"roc", roc}});
    }
    return json{{"images", images},
                {"loss", loss ? json(*loss) : json(nullptr)},
                {"first_level", levelJson(firstLevel, taxonomy)},
                {"second_level", levelJson(secondLevel, taxonomy)},
                {"binary", binaryJson}}
        .dump(1);
}

void EvaluationReport::writeFiles(const std::filesystem::path& dir,
                                  const tax::Taxonomy& taxonomy) const {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "metrics.json") << toJson(taxonomy) << "\n";
    writeConfusionCsv(dir / "confusion_level1.csv", firstLevel, taxonomy);
    writeConfusionCsv(dir / "confusion_level2.csv", secondLevel, taxonomy);
    for (const auto& b : binary) {
        std::ofstream out(dir / ("roc_" + b.task + ".csv"));
        out << "threshold,sensitivity,specificity\n";
        for (const auto& p : b.roc)
            out << (std::isinf(p.threshold) ? 1.0 : p.threshold) << "," << p.sensitivity << ","
                << p.specificity << "\n";
    }
#ifdef DERMREADER_HAVE_PLOTS
    detail::writePlots(*this, dir, taxonomy);
#endif
}

}  // namespace dermreader::training
