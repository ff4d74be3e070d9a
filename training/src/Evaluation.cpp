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

}  // namespace

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

ValidationSummary EvaluationReport::summary() const {
    ValidationSummary s;
    s.images = images;
    s.loss = loss;
    s.meanClassAccuracy = secondLevel.meanClassAccuracy;
    for (BinaryMetrics b : binary) {
        b.roc.clear();
        s.binary.push_back(std::move(b));
    }
    return s;
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
