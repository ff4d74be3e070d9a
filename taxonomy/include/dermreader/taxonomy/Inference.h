#pragma once
// The paper's inference rule: the network outputs a distribution over training classes, and
// P(u) for any node u is the sum of P over the training classes at or below u.

#include <optional>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Partition.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::taxonomy {

struct NodeProbability {
    NodeIndex node = kNoNode;
    double probability = 0.0;
};

// Maps training-class distributions onto the taxonomy. Built once per model.
class InferenceMap {
  public:
    // `classNodes[k]` is the taxonomy node of training class k (as in a model manifest).
    InferenceMap(const Taxonomy& taxonomy, std::vector<NodeIndex> classNodes);
    InferenceMap(const Taxonomy& taxonomy, const Partition& partition);

    const Taxonomy& taxonomy() const { return *taxonomy_; }
    std::size_t classCount() const { return classNodes_.size(); }
    const std::vector<NodeIndex>& classNodes() const { return classNodes_; }

    // P(node) for every taxonomy node. Throws std::invalid_argument if the size is wrong.
    std::vector<double> nodeProbabilities(const std::vector<double>& classProbabilities) const;

    // The three roots (benign, malignant, non-neoplastic) with their probabilities.
    std::vector<NodeProbability> firstLevel(const std::vector<double>& nodeProbabilities) const;
    // The nine second-level classes.
    std::vector<NodeProbability> secondLevel(const std::vector<double>& nodeProbabilities) const;
    // P(malignant): the sum over the roots whose group is malignant.
    double malignantProbability(const std::vector<double>& nodeProbabilities) const;

    // The paper's binary tasks: the image is known to be melanocytic (or epidermal), so only
    // training classes of that lineage count, renormalised. Returns P(malignant | lineage),
    // or nothing when the model has no class of that lineage or gives them all zero.
    std::optional<double> restrictedMalignantProbability(
        const std::vector<double>& classProbabilities, Lineage lineage) const;

    // Nodes sorted by probability (highest first), among `candidates`.
    static std::vector<NodeProbability> ranked(const std::vector<double>& nodeProbabilities,
                                               const std::vector<NodeIndex>& candidates);

  private:
    const Taxonomy* taxonomy_;
    std::vector<NodeIndex> classNodes_;
    std::vector<std::vector<int>> classesUnderNode_;  // node -> training classes at or below it
};

}  // namespace dermreader::taxonomy
