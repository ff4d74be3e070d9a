#include "dermreader/training/Tsne.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dermreader::training {

namespace {

// A fully specified generator (std::normal_distribution differs between libraries).
class Random {
  public:
    explicit Random(std::uint64_t seed) : state_(seed) {}
    double uniform() {  // (0, 1]
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return (static_cast<double>(z >> 11) + 1.0) / 9007199254740992.0;
    }
    double normal() {  // Box-Muller
        return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform());
    }

  private:
    std::uint64_t state_;
};

std::vector<double> squaredDistances(const std::vector<std::vector<float>>& x) {
    const std::size_t n = x.size();
    std::vector<double> d(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            double sum = 0;
            for (std::size_t k = 0; k < x[i].size(); ++k) {
                const double diff = double(x[i][k]) - double(x[j][k]);
                sum += diff * diff;
            }
            d[i * n + j] = d[j * n + i] = sum;
        }
    }
    return d;
}

// Row i of the conditional probabilities p(j|i), with the Gaussian's precision found by
// bisection so that the row's entropy is log(perplexity).
void conditionalRow(const std::vector<double>& d, std::size_t n, std::size_t i, double perplexity,
                    std::vector<double>& p) {
    const double target = std::log(perplexity);
    double beta = 1.0, low = 0.0, high = std::numeric_limits<double>::infinity();
    // Distances relative to the nearest neighbour keep exp() in range.
    double nearest = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < n; ++j) {
        if (j != i)
            nearest = std::min(nearest, d[i * n + j]);
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
        double sum = 0, weighted = 0;
        for (std::size_t j = 0; j < n; ++j) {
            const double value = j == i ? 0.0 : std::exp(-(d[i * n + j] - nearest) * beta);
            p[i * n + j] = value;
            sum += value;
            weighted += value * (d[i * n + j] - nearest);
        }
        const double entropy = std::log(sum) + beta * weighted / sum;
        for (std::size_t j = 0; j < n; ++j)
            p[i * n + j] /= sum;
        if (std::abs(entropy - target) < 1e-5)
            break;
        if (entropy > target) {
            low = beta;
            beta = std::isinf(high) ? beta * 2 : (beta + high) / 2;
        } else {
            high = beta;
            beta = (beta + low) / 2;
        }
    }
}

}  // namespace

std::vector<std::array<double, 2>> tsne(const std::vector<std::vector<float>>& points,
                                        const TsneOptions& options,
                                        const std::function<bool(int, int)>& progress) {
    const std::size_t n = points.size();
    for (const auto& p : points) {
        if (p.size() != points.front().size())
            throw std::invalid_argument("t-SNE: the points differ in dimension");
    }
    std::vector<std::array<double, 2>> y(n, {0.0, 0.0});
    if (n < 3)
        return y;
    const double perplexity = std::min(options.perplexity, (static_cast<double>(n) - 1) / 3);

    // Joint probabilities P, symmetrised.
    const std::vector<double> d = squaredDistances(points);
    std::vector<double> p(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        conditionalRow(d, n, i, perplexity, p);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            const double joint = std::max((p[i * n + j] + p[j * n + i]) / (2.0 * n), 1e-12);
            p[i * n + j] = p[j * n + i] = joint;
        }
    }

    Random random(options.seed);
    for (auto& point : y)
        point = {1e-4 * random.normal(), 1e-4 * random.normal()};
    std::vector<std::array<double, 2>> velocity(n, {0.0, 0.0}), gains(n, {1.0, 1.0});
    std::vector<double> q(n * n);
    for (int it = 0; it < options.iterations; ++it) {
        const double exaggeration =
            it < options.exaggerationIterations ? options.exaggeration : 1.0;
        const double momentum = it < options.exaggerationIterations ? 0.5 : 0.8;
        // Student-t affinities in the map.
        double z = 0;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = i + 1; j < n; ++j) {
                const double dx = y[i][0] - y[j][0], dy = y[i][1] - y[j][1];
                const double value = 1.0 / (1.0 + dx * dx + dy * dy);
                q[i * n + j] = q[j * n + i] = value;
                z += 2 * value;
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            std::array<double, 2> gradient = {0.0, 0.0};
            for (std::size_t j = 0; j < n; ++j) {
                if (j == i)
                    continue;
                const double w = (exaggeration * p[i * n + j] - q[i * n + j] / z) * q[i * n + j];
                gradient[0] += 4 * w * (y[i][0] - y[j][0]);
                gradient[1] += 4 * w * (y[i][1] - y[j][1]);
            }
            for (int k = 0; k < 2; ++k) {
                // Adaptive gains: grow while the direction holds, shrink when it flips.
                gains[i][k] = (gradient[k] > 0) != (velocity[i][k] > 0)
                                  ? gains[i][k] + 0.2
                                  : std::max(0.01, gains[i][k] * 0.8);
                velocity[i][k] =
                    momentum * velocity[i][k] - options.learningRate * gains[i][k] * gradient[k];
            }
        }
        std::array<double, 2> mean = {0.0, 0.0};
        for (std::size_t i = 0; i < n; ++i) {
            for (int k = 0; k < 2; ++k) {
                y[i][k] += velocity[i][k];
                mean[k] += y[i][k] / static_cast<double>(n);
            }
        }
        for (auto& point : y) {
            point[0] -= mean[0];
            point[1] -= mean[1];
        }
        if (progress && !progress(it + 1, options.iterations))
            break;
    }
    return y;
}

}  // namespace dermreader::training
