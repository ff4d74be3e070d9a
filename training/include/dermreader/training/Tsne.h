#pragma once
// t-SNE (van der Maaten & Hinton 2008), exact O(n^2) form, for the embedding map of the
// paper's Fig. 4: the 2,048-d last hidden layer of a validation set projected to 2-D. Fine for
// a few thousand points; deterministic for a seed on every platform.

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace dermreader::training {

struct TsneOptions {
    double perplexity = 30;  // reduced automatically for small sets
    int iterations = 1000;
    double learningRate = 200;
    int exaggerationIterations = 250;
    double exaggeration = 12;
    std::uint64_t seed = 1;
};

// Returns one 2-D point per input point. `progress(iteration, iterations)` may return false
// to stop early (the points so far are returned). Throws std::invalid_argument when the
// points do not all have the same dimension.
std::vector<std::array<double, 2>> tsne(const std::vector<std::vector<float>>& points,
                                        const TsneOptions& options = {},
                                        const std::function<bool(int, int)>& progress = {});

}  // namespace dermreader::training
