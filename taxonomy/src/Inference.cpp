#include "dermreader/taxonomy/Inference.h"

#include <algorithm>
#include <stdexcept>

namespace dermreader::taxonomy {

InferenceMap::InferenceMap(const Taxonomy& taxonomy, std::vector<NodeIndex> classNodes)
    : taxonomy_(&taxonomy), classNodes_(std::move(classNodes)), classesUnderNode_(taxonomy.size()) {
    for (std::size_t k = 0; k < classNodes_.size(); ++k) {
        const NodeIndex classNode = classNodes_[k];
        if (classNode < 0 || static_cast<std::size_t>(classNode) >= taxonomy.size()) {
            throw std::invalid_argument("InferenceMap: training class " + std::to_string(k) +
                                        " has no taxonomy node");
        }
        for (NodeIndex n = classNode; n != kNoNode; n = taxonomy.node(n).parent) {
            classesUnderNode_[static_cast<std::size_t>(n)].push_back(static_cast<int>(k));
        }
    }
}

InferenceMap::InferenceMap(const Taxonomy& taxonomy, const Partition& partition)
    : InferenceMap(taxonomy, [&] {
          std::vector<NodeIndex> nodes;
          for (const auto& c : partition.classes)
              nodes.push_back(c.node);
          return nodes;
      }()) {}

std::vector<double> InferenceMap::nodeProbabilities(
    const std::vector<double>& classProbabilities) const {
    if (classProbabilities.size() != classNodes_.size()) {
        throw std::invalid_argument("InferenceMap: got " +
                                    std::to_string(classProbabilities.size()) +
                                    " class probabilities for a model of " +
                                    std::to_string(classNodes_.size()) + " classes");
    }
    std::vector<double> out(taxonomy_->size(), 0.0);
    for (std::size_t n = 0; n < out.size(); ++n) {
        for (int k : classesUnderNode_[n])
            out[n] += classProbabilities[static_cast<std::size_t>(k)];
    }
    return out;
}

std::vector<NodeProbability> InferenceMap::firstLevel(
    const std::vector<double>& nodeProbabilities) const {
    std::vector<NodeProbability> out;
    for (NodeIndex n : taxonomy_->roots()) {
        out.push_back({n, nodeProbabilities.at(static_cast<std::size_t>(n))});
    }
    return out;
}

std::vector<NodeProbability> InferenceMap::secondLevel(
    const std::vector<double>& nodeProbabilities) const {
    std::vector<NodeProbability> out;
    for (NodeIndex n : taxonomy_->nodesAtDepth(1)) {
        out.push_back({n, nodeProbabilities.at(static_cast<std::size_t>(n))});
    }
    return out;
}

double InferenceMap::malignantProbability(const std::vector<double>& nodeProbabilities) const {
    double p = 0.0;
    for (NodeIndex root : taxonomy_->roots()) {
        if (taxonomy_->node(root).group == ClinicalGroup::Malignant) {
            p += nodeProbabilities.at(static_cast<std::size_t>(root));
        }
    }
    return p;
}

std::optional<double> InferenceMap::restrictedMalignantProbability(
    const std::vector<double>& classProbabilities, Lineage lineage) const {
    if (classProbabilities.size() != classNodes_.size()) {
        throw std::invalid_argument("InferenceMap: class probability count mismatch");
    }
    double lineageMass = 0.0, malignantMass = 0.0;
    for (std::size_t k = 0; k < classNodes_.size(); ++k) {
        const Node& node = taxonomy_->node(classNodes_[k]);
        if (node.lineage != lineage)
            continue;
        lineageMass += classProbabilities[k];
        if (taxonomy_->isUnderMalignantRoot(classNodes_[k]))
            malignantMass += classProbabilities[k];
    }
    if (lineageMass <= 0.0)
        return std::nullopt;
    return malignantMass / lineageMass;
}

std::vector<NodeProbability> InferenceMap::ranked(const std::vector<double>& nodeProbabilities,
                                                  const std::vector<NodeIndex>& candidates) {
    std::vector<NodeProbability> out;
    for (NodeIndex n : candidates)
        out.push_back({n, nodeProbabilities.at(static_cast<std::size_t>(n))});
    std::stable_sort(out.begin(), out.end(),
                     [](const NodeProbability& a, const NodeProbability& b) {
                         return a.probability > b.probability;
                     });
    return out;
}

}  // namespace dermreader::taxonomy
