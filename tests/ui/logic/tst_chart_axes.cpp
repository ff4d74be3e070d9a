// Live charts' axes: one point, a flat series or no data still give readable ranges.
#include <QtTest>

#include "dermreader/workstation/ChartAxes.h"

namespace ws = dermreader::workstation;

class TestChartAxes : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void onePointSitsInASaneWindow() {
        // The first training step: step 1, loss 2.3.
        const auto steps =
            ws::fitAxis(1, 1, {10, 0, std::numeric_limits<double>::infinity(), true});
        QCOMPARE(steps.min, 0.0);
        QVERIFY(steps.max >= 6 && steps.max <= 12);
        QCOMPARE(steps.decimals, 0);
        // Every tick lands on a whole step.
        const double per = (steps.max - steps.min) / (steps.ticks - 1);
        QCOMPARE(per, std::round(per));
        const auto loss = ws::fitAxis(2.3, 2.3, {0.2, 0});
        QVERIFY(std::abs(loss.max - loss.min - 0.2) < 1e-12);
        QVERIFY(loss.min < 2.3 && loss.max > 2.3);
        QVERIFY(loss.decimals >= 2 && loss.decimals <= 3);
    }

    void aFlatSeriesStaysInsideItsLimits() {
        // AUC 1.0 at every epoch: the window slides below 1 instead of past it.
        const auto auc = ws::fitAxis(1.0, 1.0, {0.2, 0, 1});
        QCOMPARE(auc.max, 1.0);
        QVERIFY(std::abs(auc.min - 0.8) < 1e-12);
        const auto near0 = ws::fitAxis(0.01, 0.02, {0.2, 0});
        QCOMPARE(near0.min, 0.0);
    }

    void aWideSeriesGetsItsMargin() {
        const auto r = ws::fitAxis(0, 100, {1});
        QVERIFY(std::abs(r.min + 5) < 1e-9 && std::abs(r.max - 105) < 1e-9);
        QCOMPARE(r.decimals, 0);
    }

    void noDataIsTheDefaultWindow() {
        const auto r =
            ws::fitAxis(1e300, -1e300, {2, 0, std::numeric_limits<double>::infinity(), true});
        QCOMPARE(r.min, 0.0);
        QCOMPARE(r.max, 2.0);
        const auto nan = ws::fitAxis(std::nan(""), 1, {0.2, 0, 1});
        QCOMPARE(nan.min, 0.0);  // an empty AUC chart shows the whole 0-1 range
        QCOMPARE(nan.max, 1.0);
        const auto loss = ws::fitAxis(1e300, -1e300, {0.2, 0});
        QCOMPARE(loss.min, 0.0);
        QCOMPARE(loss.max, 1.0);
    }
};

QTEST_GUILESS_MAIN(TestChartAxes)
#include "tst_chart_axes.moc"
