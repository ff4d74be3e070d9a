#include "dermreader/training/Splits.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace dermreader::training {
namespace {

struct Group {
    std::vector<std::size_t> members;
    taxonomy::NodeIndex majorityLabel = taxonomy::kNoNode;
};

std::vector<Group> collectGroups(const std::vector<LabelledImage>& images, std::uint64_t seed) {
    std::map<std::string, Group> byName;
    for (std::size_t i = 0; i < images.size(); ++i)
        byName[images[i].group].members.push_back(i);
    std::vector<Group> groups;
    for (auto& [name, group] : byName) {
        std::map<taxonomy::NodeIndex, int> labels;
        for (auto i : group.members)
            ++labels[images[i].node];
        group.majorityLabel = std::max_element(labels.begin(), labels.end(), [](auto& a, auto& b) {
                                  return a.second < b.second;
                              })->first;
        groups.push_back(std::move(group));
    }
    // Shuffle, then stable-sort by size: ties are broken by the seed, large groups go first.
    std::mt19937_64 rng(seed);
    std::shuffle(groups.begin(), groups.end(), rng);
    std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
        return a.members.size() > b.members.size();
    });
    return groups;
}

// Union-find over image indices.
class DisjointSets {
  public:
    explicit DisjointSets(std::size_t n) : parent_(n) {
        std::iota(parent_.begin(), parent_.end(), 0);
    }
    std::size_t find(std::size_t x) {
        while (parent_[x] != x)
            x = parent_[x] = parent_[parent_[x]];
        return x;
    }
    void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

  private:
    std::vector<std::size_t> parent_;
};

}  // namespace

std::vector<int> assignFolds(const std::vector<LabelledImage>& images, int k, std::uint64_t seed) {
    if (k < 2)
        throw std::invalid_argument("assignFolds: need at least 2 folds");
    std::vector<int> folds(images.size(), 0);
    std::vector<std::size_t> foldSize(static_cast<std::size_t>(k), 0);
    std::map<taxonomy::NodeIndex, std::vector<std::size_t>> perLabel;  // label -> images per fold
    for (const auto& group : collectGroups(images, seed)) {
        auto& counts = perLabel[group.majorityLabel];
        counts.resize(static_cast<std::size_t>(k), 0);
        std::size_t best = 0;
        for (std::size_t f = 1; f < counts.size(); ++f) {
            if (counts[f] < counts[best] ||
                (counts[f] == counts[best] && foldSize[f] < foldSize[best]))
                best = f;
        }
        for (auto i : group.members)
            folds[i] = static_cast<int>(best);
        counts[best] += group.members.size();
        foldSize[best] += group.members.size();
    }
    return folds;
}

Split foldSplit(const std::vector<int>& folds, int validationFold) {
    Split split;
    for (std::size_t i = 0; i < folds.size(); ++i) {
        (folds[i] == validationFold ? split.validation : split.train).push_back(i);
    }
    return split;
}

Split trainValidationSplit(const std::vector<LabelledImage>& images, double validationFraction,
                           std::uint64_t seed) {
    if (!(validationFraction > 0.0 && validationFraction < 1.0)) {
        throw std::invalid_argument("trainValidationSplit: the fraction must be between 0 and 1");
    }
    const int k = std::max(2, static_cast<int>(std::lround(1.0 / validationFraction)));
    return foldSplit(assignFolds(images, k, seed), 0);
}

void joinGroups(std::vector<LabelledImage>& images,
                const std::vector<std::pair<std::size_t, std::size_t>>& pairs) {
    DisjointSets sets(images.size());
    std::map<std::string, std::size_t> firstOfGroup;
    for (std::size_t i = 0; i < images.size(); ++i) {
        auto [it, inserted] = firstOfGroup.emplace(images[i].group, i);
        if (!inserted)
            sets.join(i, it->second);
    }
    for (const auto& [a, b] : pairs)
        sets.join(a, b);
    std::vector<std::string> names(images.size());
    for (std::size_t i = 0; i < images.size(); ++i)
        names[i] = images[sets.find(i)].group;
    for (std::size_t i = 0; i < images.size(); ++i)
        images[i].group = names[i];
}

std::vector<std::pair<std::size_t, std::size_t>> nearDuplicatePairs(
    const std::vector<std::vector<float>>& embeddings, double threshold) {
    std::vector<std::vector<float>> unit = embeddings;
    for (auto& e : unit) {
        double norm = 0;
        for (float v : e)
            norm += double{v} * v;
        norm = std::sqrt(norm);
        if (norm > 0) {
            for (auto& v : e)
                v = static_cast<float>(v / norm);
        }
    }
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < unit.size(); ++i) {
        for (std::size_t j = i + 1; j < unit.size(); ++j) {
            double dot = 0;
            for (std::size_t d = 0; d < unit[i].size() && d < unit[j].size(); ++d)
                dot += double{unit[i][d]} * unit[j][d];
            if (dot >= threshold)
                pairs.emplace_back(i, j);
        }
    }
    return pairs;
}

}  // namespace dermreader::training
