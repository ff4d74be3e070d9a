// How a saliency map is shown: transparent where the network paid little attention, a legend
// in the overlay's own colours, and a note on how fine the map can be.
#include <QtTest>

#include "dermreader/workstation/QtImage.h"

namespace eng = dermreader::engine;
namespace ws = dermreader::workstation;

class TestSaliencyDisplay : public QObject {
    Q_OBJECT

    static eng::SaliencyMap ramp(int width, int height) {
        eng::SaliencyMap map;
        map.width = width;
        map.height = height;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                map.values.push_back(static_cast<float>(x) / (width - 1));
        return map;
    }

  private Q_SLOTS:
    void theLowEndIsTransparent() {
        const QImage overlay = ws::saliencyOverlayImage(ramp(101, 2), eng::ColourMap::Inferno);
        for (int x = 0; x <= 100; ++x) {
            const int alpha = qAlpha(overlay.pixel(x, 0));
            if (x / 100.0f <= eng::kOverlayFloor)
                QCOMPARE(alpha, 0);
            if (x / 100.0f >= eng::kOverlayFull)
                QCOMPARE(alpha, 255);
            if (x > 0)
                QVERIFY(alpha >= qAlpha(overlay.pixel(x - 1, 0)));  // never less opaque
        }
        // The engine's blend (CLI, reports) agrees: a faint value leaves the pixel alone.
        eng::RgbImage image = eng::RgbImage::filled(101, 2, 200, 150, 130);
        const eng::RgbImage blended = eng::renderOverlay(image, ramp(101, 2), 1.0f);
        QCOMPARE(int(blended.pixels[3 * 5]), 200);
        QVERIFY(blended.pixels[3 * 100] != 200);
        QCOMPARE(eng::overlayAlpha(std::numeric_limits<float>::quiet_NaN()), 0.0f);
    }

    void theLegendShowsTheOverlaysColours() {
        const QImage bar = ws::saliencyLegendBar(eng::ColourMap::Jet, 120, 10);
        QCOMPARE(bar.size(), QSize(120, 10));
        std::uint8_t top[3];
        eng::colourOf(eng::ColourMap::Jet, 1.0f, top);
        QCOMPARE(bar.pixelColor(119, 5), QColor(top[0], top[1], top[2]));
        // The low end is the skin beneath, not the colour map's dark blue.
        const QColor low = bar.pixelColor(0, 5);
        QVERIFY(low.red() > 150 && low.blue() < 200);
        QCOMPARE(bar.pixelColor(0, 0), bar.pixelColor(0, 9));
    }

    void gradCamSaysHowCoarseItIs() {
        eng::SaliencyMap map = ramp(1000, 750);
        map.method = eng::SaliencyMethod::GradCam;
        map.nativeWidth = 8;
        map.nativeHeight = 8;
        const QString note = ws::describeSaliency(map);
        QVERIFY2(note.contains("8×8") && note.contains("125 px") && note.contains("coarse"),
                 qPrintable(note));
        map.method = eng::SaliencyMethod::Gradient;
        QVERIFY(ws::describeSaliency(map).startsWith("Gradient"));
    }
};

QTEST_GUILESS_MAIN(TestSaliencyDisplay)
#include "tst_saliency_display.moc"
