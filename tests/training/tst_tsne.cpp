// t-SNE: separated clusters stay separated in the map, the result is reproducible for a seed,
// and mismatched dimensions are refused.
#include <QtTest>

#include <cmath>

#include "dermreader/training/Tsne.h"

using namespace dermreader::training;

namespace {

// Two Gaussian clusters in 20-D, 30 points each, centres 8 apart.
std::vector<std::vector<float>> clusters() {
    std::vector<std::vector<float>> points;
    unsigned state = 12345;
    auto noise = [&state] {
        state = state * 1103515245u + 12345u;
        return static_cast<float>((state >> 16) % 1000) / 1000.0f - 0.5f;
    };
    for (int i = 0; i < 60; ++i) {
        std::vector<float> p(20);
        for (auto& v : p)
            v = (i < 30 ? 0.0f : 8.0f) + noise();
        points.push_back(p);
    }
    return points;
}

}  // namespace

class TestTsne : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void clustersStaySeparated() {
        const auto points = clusters();
        TsneOptions options;
        options.iterations = 500;
        const auto map = tsne(points, options);
        QCOMPARE(int(map.size()), 60);
        // Every point's nearest neighbour in the map is from its own cluster.
        for (std::size_t i = 0; i < map.size(); ++i) {
            double best = 1e300;
            std::size_t nearest = i;
            for (std::size_t j = 0; j < map.size(); ++j) {
                const double d = std::hypot(map[i][0] - map[j][0], map[i][1] - map[j][1]);
                if (j != i && d < best) {
                    best = d;
                    nearest = j;
                }
            }
            QCOMPARE(nearest < 30, i < 30);
            QVERIFY(std::isfinite(map[i][0]) && std::isfinite(map[i][1]));
        }
        QVERIFY(tsne(points, options) == map);  // reproducible
        options.seed = 2;
        QVERIFY(tsne(points, options) != map);
    }

    void progressCanStopIt() {
        int calls = 0;
        tsne(clusters(), {}, [&calls](int iteration, int) {
            ++calls;
            return iteration < 10;
        });
        QCOMPARE(calls, 10);
    }

    void badInput() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tsne({{1.0f, 2.0f}, {1.0f}}));
        QCOMPARE(int(tsne({}).size()), 0);
    }
};

QTEST_GUILESS_MAIN(TestTsne)
#include "tst_tsne.moc"
