#include "dermreader/training/Calibration.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace dermreader::training {
namespace tax = dermreader::taxonomy;

std::vector<double> withTemperature(const std::vector<double>& p, double t) {
    if (t == 1.0)
        return p;
    std::vector<double> logits(p.size());
    double top = -1e300;
    for (std::size_t k = 0; k < p.size(); ++k) {
        logits[k] = std::log(std::max(p[k], 1e-300)) / t;
        top = std::max(top, logits[k]);
    }
    double sum = 0;
    for (auto& v : logits)
        sum += (v = std::exp(v - top));
    for (auto& v : logits)
        v /= sum;
    return logits;
}

std::optional<bool> malignancyOf(const tax::Taxonomy& taxonomy, tax::NodeIndex label) {
    if (label == tax::kNoNode)
        return std::nullopt;
    const auto group = taxonomy.node(taxonomy.ancestorAtDepth(label, 0)).group;
    if (group != tax::ClinicalGroup::Benign && group != tax::ClinicalGroup::Malignant)
        return std::nullopt;
    return group == tax::ClinicalGroup::Malignant;
}

std::vector<ScoredImage> malignancyTruth(const tax::InferenceMap& inference,
                                         const std::vector<tax::NodeIndex>& labels,
                                         const std::vector<std::vector<double>>& probabilities) {
    std::vector<ScoredImage> out;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (const auto malignant = malignancyOf(inference.taxonomy(), labels[i]))
            out.push_back({probabilities[i], *malignant});
    }
    return out;
}

Reliability reliability(const tax::InferenceMap& inference, const std::vector<ScoredImage>& images,
                        double t, int bins) {
    Reliability r;
    r.bins.resize(static_cast<std::size_t>(bins));
    for (int b = 0; b < bins; ++b) {
        r.bins[b].lower = static_cast<double>(b) / bins;
        r.bins[b].upper = static_cast<double>(b + 1) / bins;
    }
    for (const auto& image : images) {
        const double p = inference.malignantProbability(
            inference.nodeProbabilities(withTemperature(image.classProbabilities, t)));
        auto& bin = r.bins[std::min<std::size_t>(static_cast<std::size_t>(p * bins), bins - 1)];
        bin.meanPredicted += p;
        bin.observed += image.malignant ? 1 : 0;
        ++bin.images;
        const double clipped = std::clamp(p, 1e-12, 1 - 1e-12);
        r.logLoss -= image.malignant ? std::log(clipped) : std::log(1 - clipped);
        r.brier += (p - (image.malignant ? 1 : 0)) * (p - (image.malignant ? 1 : 0));
        ++r.images;
    }
    if (r.images == 0)
        return r;
    for (auto& bin : r.bins) {
        if (bin.images == 0)
            continue;
        bin.meanPredicted /= bin.images;
        bin.observed /= bin.images;
        r.expectedCalibrationError +=
            static_cast<double>(bin.images) / r.images * std::abs(bin.observed - bin.meanPredicted);
    }
    r.logLoss /= r.images;
    r.brier /= r.images;
    return r;
}

double fitTemperature(const tax::InferenceMap& inference, const std::vector<ScoredImage>& images) {
    // Golden-section search on log T: the log-loss is smooth and, in practice, unimodal in it.
    auto loss = [&](double logT) {
        return reliability(inference, images, std::exp(logT), 1).logLoss;
    };
    double a = std::log(0.1), b = std::log(10.0);
    const double g = (std::sqrt(5.0) - 1) / 2;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = loss(c), fd = loss(d);
    for (int i = 0; i < 40; ++i) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a), fc = loss(c);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a), fd = loss(d);
        }
    }
    return std::exp((a + b) / 2);
}

std::string toJson(const Reliability& r) {
    nlohmann::json bins = nlohmann::json::array();
    for (const auto& b : r.bins)
        bins.push_back({b.lower, b.upper, b.meanPredicted, b.observed, b.images});
    return nlohmann::json{{"images", r.images},
                          {"ece", r.expectedCalibrationError},
                          {"log_loss", r.logLoss},
                          {"brier", r.brier},
                          {"bins", bins}}
        .dump();
}

}  // namespace dermreader::training
