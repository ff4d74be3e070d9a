#include "dermreader/taxonomy/Partition.h"

#include <algorithm>
#include <stdexcept>

namespace dermreader::taxonomy {
namespace {

class Partitioner {
  public:
    Partitioner(const Taxonomy& taxonomy, const std::vector<std::int64_t>& images,
                const PartitionOptions& options)
        : taxonomy_(taxonomy), images_(images), options_(options), subtreeImages_(images.size()) {
        for (NodeIndex root : taxonomy_.roots())
            countSubtree(root);
    }

    Partition run() {
        for (NodeIndex root : taxonomy_.roots())
            partition(root);
        return std::move(result_);
    }

  private:
    std::int64_t countSubtree(NodeIndex n) {
        std::int64_t total = images_[static_cast<std::size_t>(n)];
        for (NodeIndex child : taxonomy_.node(n).children)
            total += countSubtree(child);
        return subtreeImages_[static_cast<std::size_t>(n)] = total;
    }

    // Lines 13-19 of the paper's Algorithm 1.
    void partition(NodeIndex n) {
        const Node& node = taxonomy_.node(n);
        const std::int64_t total = subtreeImages_[static_cast<std::size_t>(n)];
        const std::int64_t own = images_[static_cast<std::size_t>(n)];
        // A node without images below it cannot be split usefully, even when it has too many
        // images of its own (a leaf, or a coarse label like "nevus"): it stays one class.
        const bool leafOfTheData = node.isLeaf() || total == own;
        const bool mustSplit = node.depth < options_.minDepth && !node.isLeaf();
        if (!mustSplit && (total < options_.maxClassSize || leafOfTheData)) {
            addClass(n, taxonomy_.subtree(n), total, false);
            return;
        }
        if (own > 0) {
            if (node.depth < options_.minDepth) {
                result_.unplaced.emplace_back(n, own);
            } else {
                addClass(n, {n}, own, true);
            }
        }
        for (NodeIndex child : node.children)
            partition(child);
    }

    void addClass(NodeIndex n, std::vector<NodeIndex> members, std::int64_t images, bool residual) {
        if (images == 0 && !options_.keepEmptyClasses)
            return;
        result_.classes.push_back({n, residual, std::move(members), images});
    }

    const Taxonomy& taxonomy_;
    const std::vector<std::int64_t>& images_;
    const PartitionOptions& options_;
    std::vector<std::int64_t> subtreeImages_;
    Partition result_;
};

}  // namespace

int Partition::classOf(NodeIndex node) const {
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const auto& members = classes[i].members;
        if (std::find(members.begin(), members.end(), node) != members.end()) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::vector<std::string> Partition::classNodeIds(const Taxonomy& taxonomy) const {
    std::vector<std::string> ids;
    ids.reserve(classes.size());
    for (const auto& c : classes)
        ids.push_back(taxonomy.node(c.node).id);
    return ids;
}

Partition partitionDiseases(const Taxonomy& taxonomy,
                            const std::vector<std::int64_t>& imagesPerNode,
                            const PartitionOptions& options) {
    if (imagesPerNode.size() != taxonomy.size()) {
        throw std::invalid_argument("partitionDiseases: " + std::to_string(imagesPerNode.size()) +
                                    " image counts for a taxonomy of " +
                                    std::to_string(taxonomy.size()) + " nodes");
    }
    if (options.maxClassSize < 1) {
        throw std::invalid_argument("partitionDiseases: maxClassSize must be at least 1");
    }
    if (std::any_of(imagesPerNode.begin(), imagesPerNode.end(),
                    [](std::int64_t n) { return n < 0; })) {
        throw std::invalid_argument("partitionDiseases: negative image count");
    }
    return Partitioner(taxonomy, imagesPerNode, options).run();
}

}  // namespace dermreader::taxonomy
