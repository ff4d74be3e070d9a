#pragma once
// Group-aware splits: images sharing a group (lesion, patient, or near-duplicates joined by
// the caller) always land on the same side. No torch here.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dermreader/training/Dataset.h"

namespace dermreader::training {

// The fold (0..k-1) of every image: whole groups are dealt to folds, largest first, each to
// the fold that holds the fewest images of the group's most common label so far (stratified
// as far as groups allow). Deterministic for a seed. Throws std::invalid_argument if k < 2.
std::vector<int> assignFolds(const std::vector<LabelledImage>& images, int k, std::uint64_t seed);

struct Split {
    std::vector<std::size_t> train, validation;  // indices into the images
};

// Fold `validationFold` of assignFolds(k) against the rest.
Split foldSplit(const std::vector<int>& folds, int validationFold);
// About `validationFraction` of the images (in whole groups) for validation.
Split trainValidationSplit(const std::vector<LabelledImage>& images, double validationFraction,
                           std::uint64_t seed);

// Joins the groups of each pair of images (e.g. near-duplicates found by embedding distance):
// afterwards both carry the same group, and so does everything already grouped with either.
void joinGroups(std::vector<LabelledImage>& images,
                const std::vector<std::pair<std::size_t, std::size_t>>& pairs);

// Pairs of images whose embeddings have cosine similarity of at least `threshold`: the paper's
// nearest-neighbour grouping of the same lesion photographed several times.
std::vector<std::pair<std::size_t, std::size_t>> nearDuplicatePairs(
    const std::vector<std::vector<float>>& embeddings, double threshold);

}  // namespace dermreader::training
