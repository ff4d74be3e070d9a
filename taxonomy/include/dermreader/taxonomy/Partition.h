#pragma once
// The disease-partitioning algorithm of Esteva et al. 2017, Extended Data Table 1: training
// classes are taxonomy nodes whose subtree holds fewer than maxClassSize images, found by
// recursive descent from the roots ("each node contains its descendants").

#include <cstdint>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::taxonomy {

struct PartitionOptions {
    std::int64_t maxClassSize = 1000;
    // Nodes shallower than this are always split, so that every training class lies under an
    // inference class of that level (1 = under one of the nine second-level classes).
    int minDepth = 1;
    // The paper's procedure also emits subtrees without images; they cannot be learned, so
    // they are dropped unless asked for.
    bool keepEmptyClasses = false;
};

struct TrainingClass {
    NodeIndex node = kNoNode;
    // A residual class holds only the images labelled at `node` itself, because the node was
    // split (too many images below it, or above minDepth) yet has images of its own, e.g. a
    // group label like HAM10000's `bkl` next to finer labels like ISIC's seborrheic keratosis.
    // Without it the paper's algorithm would silently drop those images. (A node with images
    // only of its own is never split: it is one class however large, like a leaf.)
    bool residual = false;
    std::vector<NodeIndex> members;  // taxonomy nodes whose images form this class
    std::int64_t imageCount = 0;
};

struct Partition {
    std::vector<TrainingClass> classes;
    // Images labelled above minDepth at nodes that had to be split: they fit no inference
    // class of that level, so they are not trained on. (node, images)
    std::vector<std::pair<NodeIndex, std::int64_t>> unplaced;

    // The class whose members hold `node`, or -1 (node unplaced or absent).
    int classOf(NodeIndex node) const;
    std::vector<std::string> classNodeIds(const Taxonomy& taxonomy) const;
};

// imagesPerNode[i] = images labelled exactly at node i (not counting descendants).
// Deterministic: classes come in the taxonomy's depth-first file order.
Partition partitionDiseases(const Taxonomy& taxonomy,
                            const std::vector<std::int64_t>& imagesPerNode,
                            const PartitionOptions& options);

}  // namespace dermreader::taxonomy
