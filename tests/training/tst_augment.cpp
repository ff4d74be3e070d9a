// The paper's augmentation: rotation, largest inscribed upright crop, vertical flip, resize.
#include <QtTest>

#include <cmath>
#include <random>

#include "dermreader/training/TorchAugment.h"

using namespace dermreader::training;

class TestAugment : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void inscribedRectangleSpecialCases() {
        auto [w0, h0] = largestInscribedRectangle(200, 100, 0.0);
        QVERIFY(std::abs(w0 - 200) < 1e-9 && std::abs(h0 - 100) < 1e-9);
        auto [w90, h90] = largestInscribedRectangle(200, 100, M_PI / 2);
        QVERIFY(std::abs(w90 - 100) < 1e-9 && std::abs(h90 - 200) < 1e-9);
        auto [w45, h45] = largestInscribedRectangle(100, 100, M_PI / 4);
        QVERIFY(std::abs(w45 - 100 / std::sqrt(2.0)) < 1e-9 && std::abs(h45 - w45) < 1e-9);
    }

    void inscribedRectangleFitsInsideTheRotatedImage() {
        std::mt19937 rng(1);
        for (int trial = 0; trial < 2000; ++trial) {
            const double w = std::uniform_real_distribution<double>(10, 1000)(rng);
            const double h = std::uniform_real_distribution<double>(10, 1000)(rng);
            const double a = std::uniform_real_distribution<double>(0, 2 * M_PI)(rng);
            const auto [rw, rh] = largestInscribedRectangle(w, h, a);
            QVERIFY(rw > 0 && rh > 0);
            // Each corner, rotated back into the image's frame, must lie inside the image.
            for (double sx : {-0.5, 0.5}) {
                for (double sy : {-0.5, 0.5}) {
                    const double x = sx * rw, y = sy * rh;
                    const double u = std::cos(a) * x + std::sin(a) * y,
                                 v = -std::sin(a) * x + std::cos(a) * y;
                    QVERIFY2(std::abs(u) <= w / 2 + 1e-6 && std::abs(v) <= h / 2 + 1e-6,
                             qPrintable(QString("w %1 h %2 angle %3").arg(w).arg(h).arg(a)));
                }
            }
            // And it is maximal: 1% larger in both directions no longer fits (for a general angle).
            if (std::abs(std::sin(2 * a)) > 0.05) {
                bool outside = false;
                for (double sx : {-0.505, 0.505}) {
                    for (double sy : {-0.505, 0.505}) {
                        const double x = sx * rw, y = sy * rh;
                        const double u = std::cos(a) * x + std::sin(a) * y,
                                     v = -std::sin(a) * x + std::cos(a) * y;
                        outside |= std::abs(u) > w / 2 || std::abs(v) > h / 2;
                    }
                }
                QVERIFY(outside);
            }
        }
    }

    void keepsTheLesionAndProduces299() {
        // Green skin with a red "lesion" at the centre.
        auto image = torch::zeros({1, 3, 180, 240});
        image[0][1].fill_(0.8);
        image.index_put_({0, 0, torch::indexing::Slice(80, 100), torch::indexing::Slice(110, 130)},
                         1.0);
        image.index_put_({0, 1, torch::indexing::Slice(80, 100), torch::indexing::Slice(110, 130)},
                         0.0);
        for (int i = 0; i < 24; ++i) {
            const auto params = drawAugmentParams(9, 0, i);
            QVERIFY(params.angleDegrees >= 0 && params.angleDegrees < 360);
            const auto out = augmentImage(image, params, 299);
            QCOMPARE(out.sizes(), c10::IntArrayRef({1, 3, 299, 299}));
            QVERIFY(out[0][0][149][149].item<float>() > 0.9f);  // the marked centre stays in
            QVERIFY(out[0][1][149][149].item<float>() < 0.1f);
            QVERIFY(out.min().item<float>() >= 0.0f && out.max().item<float>() <= 1.0f);
        }
    }

    void flipsVerticallyAndIsReproducible() {
        auto image = torch::zeros({1, 3, 100, 100});
        image.index_put_(
            {0, torch::indexing::Slice(), torch::indexing::Slice(0, 50), torch::indexing::Slice()},
            1.0);
        const auto up = augmentImage(image, {0.0, false}, 100);
        const auto down = augmentImage(image, {0.0, true}, 100);
        QVERIFY(up[0][0][10][50].item<float>() > 0.9f);
        QVERIFY(down[0][0][10][50].item<float>() < 0.1f);
        QVERIFY(torch::allclose(up, image, 1e-4, 1e-4));  // no rotation, no flip: identity
        const auto a = drawAugmentParams(1, 2, 3), b = drawAugmentParams(1, 2, 3),
                   c = drawAugmentParams(1, 3, 3);
        QCOMPARE(a.angleDegrees, b.angleDegrees);
        QVERIFY(a.angleDegrees != c.angleDegrees);
        // Flips come out about half the time.
        int flips = 0;
        for (int i = 0; i < 1000; ++i)
            flips += drawAugmentParams(5, 0, i).flipVertical ? 1 : 0;
        QVERIFY(flips > 430 && flips < 570);
    }
};

QTEST_APPLESS_MAIN(TestAugment)
#include "tst_augment.moc"
