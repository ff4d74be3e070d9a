#include "dermreader/training/TrainingProgress.h"

#include <array>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace dermreader::training {
using nlohmann::json;

namespace {

constexpr std::array<std::pair<ProgressMessage::Kind, std::string_view>, 6> kKinds = {{
    {ProgressMessage::Kind::Pack, "pack"},
    {ProgressMessage::Kind::Preparing, "preparing"},
    {ProgressMessage::Kind::Step, "step"},
    {ProgressMessage::Kind::Epoch, "epoch"},
    {ProgressMessage::Kind::Finished, "finished"},
    {ProgressMessage::Kind::Cancelled, "cancelled"},
}};

std::optional<ProgressMessage::Kind> parseKind(const std::string& text) {
    for (const auto& [kind, name] : kKinds) {
        if (name == text)
            return kind;
    }
    return std::nullopt;
}

json toJson(const ValidationSummary& v) {
    json binary = json::array();
    for (const BinaryMetrics& b : v.binary) {
        binary.push_back({{"task", b.task},
                          {"positives", b.positives},
                          {"negatives", b.negatives},
                          {"auc", b.auc},
                          {"auc_ci95", {b.aucLow, b.aucHigh}},
                          {"sensitivity_at_90_specificity", b.sensitivityAt90Specificity},
                          {"sensitivity_at_95_specificity", b.sensitivityAt95Specificity}});
    }
    json j = {{"images", v.images}, {"binary", binary}};
    j["loss"] = v.loss ? json(*v.loss) : json(nullptr);
    if (v.meanClassAccuracy)
        j["mean_class_accuracy"] = *v.meanClassAccuracy;
    return j;
}

// JSON has no NaN or infinity: nlohmann writes them as null. A null number reads back as NaN
// (a count as 0), so a diverged loss does not drop the line; a missing one reads as 0.
template <typename T>
T number(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end())
        return T{};
    if (it->is_null()) {
        if constexpr (std::is_floating_point_v<T>)
            return std::numeric_limits<T>::quiet_NaN();
        return T{};
    }
    return it->get<T>();  // a string where a number belongs throws: not this protocol
}

template <typename T>
std::optional<T> optionalNumber(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return std::nullopt;
    return it->get<T>();
}

ValidationSummary validationFrom(const json& j) {
    ValidationSummary v;
    v.images = number<int>(j, "images");
    v.loss = optionalNumber<double>(j, "loss");
    v.meanClassAccuracy = optionalNumber<double>(j, "mean_class_accuracy");
    for (const json& b : j.value("binary", json::array())) {
        BinaryMetrics m;
        m.task = b.value("task", "");
        m.positives = number<int>(b, "positives");
        m.negatives = number<int>(b, "negatives");
        m.auc = number<double>(b, "auc");
        const json ci = b.value("auc_ci95", json::array());
        if (ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number()) {
            m.aucLow = ci[0].get<double>();
            m.aucHigh = ci[1].get<double>();
        }
        m.sensitivityAt90Specificity = number<double>(b, "sensitivity_at_90_specificity");
        m.sensitivityAt95Specificity = number<double>(b, "sensitivity_at_95_specificity");
        v.binary.push_back(std::move(m));
    }
    return v;
}

}  // namespace

std::string toString(ProgressMessage::Kind kind) {
    for (const auto& [k, name] : kKinds) {
        if (k == kind)
            return std::string(name);
    }
    return "unknown";
}

std::string toJsonLine(const ProgressMessage& m) {
    json j = {{"event", toString(m.kind)}};
    if (m.kind == ProgressMessage::Kind::Pack) {
        j["done"] = m.done;
        j["total"] = m.total;
        return j.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    j.update({{"epoch", m.epoch},
              {"epochs", m.epochs},
              {"step", m.step},
              {"steps", m.steps},
              {"loss", m.loss},
              {"learning_rate", m.learningRate},
              {"images_per_second", m.imagesPerSecond},
              {"eta_seconds", m.etaSeconds}});
    if (m.validation)
        j["validation"] = toJson(*m.validation);
    if (!m.bundle.empty())
        j["bundle"] = m.bundle;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ProgressMessage> parseProgressLine(std::string_view line) {
    const json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string())
        return std::nullopt;
    const auto kind = parseKind(j["event"].get<std::string>());
    if (!kind)
        return std::nullopt;
    try {
        ProgressMessage m;
        m.kind = *kind;
        m.done = number<long>(j, "done");
        m.total = number<long>(j, "total");
        m.epoch = number<int>(j, "epoch");
        m.epochs = number<int>(j, "epochs");
        m.step = number<int>(j, "step");
        m.steps = number<int>(j, "steps");
        m.loss = number<double>(j, "loss");
        m.learningRate = number<double>(j, "learning_rate");
        m.imagesPerSecond = number<double>(j, "images_per_second");
        m.etaSeconds = number<double>(j, "eta_seconds");
        if (j.contains("validation") && j["validation"].is_object())
            m.validation = validationFrom(j["validation"]);
        m.bundle = j.value("bundle", "");
        return m;
    } catch (const json::exception&) {
        return std::nullopt;  // a field of the wrong type: not a line of this protocol
    }
}

}  // namespace dermreader::training
