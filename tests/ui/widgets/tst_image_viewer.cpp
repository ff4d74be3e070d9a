// The viewer as professionals expect it: zoom readout, display-only brightness/contrast with a
// reset, a patient banner that never outlives its image, a scale bar from the pixel spacing,
// and a side-by-side comparison whose zoom and pan follow each other.
#include <QtTest>

#include "dermreader/ui/CompareWindow.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/workstation/DicomText.h"

using namespace dermreader::ui;
namespace ws = dermreader::workstation;

namespace {

QImage gradientImage(int width, int height) {
    QImage image(width, height, QImage::Format_RGB888);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.setPixelColor(x, y, QColor(x * 255 / width, y * 255 / height, 100));
    return image;
}

double meanGrey(const QImage& image) {
    double sum = 0;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4)
            sum += qGray(image.pixel(x, y));
    return sum / ((image.height() / 4.0) * (image.width() / 4.0));
}

}  // namespace

class TestImageViewer : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void zoomReadout() {
        ImageViewer viewer;
        viewer.resize(500, 400);
        viewer.show();
        QVERIFY(QTest::qWaitForWindowExposed(&viewer));
        viewer.setImage(gradientImage(1000, 800));
        QVERIFY2(viewer.zoomText().endsWith("(fit)"), qPrintable(viewer.zoomText()));
        viewer.actualSize();
        QCOMPARE(viewer.zoomText(), QString("100%"));
        viewer.zoomIn();
        QCOMPARE(viewer.zoomText(), QString("125%"));
    }

    void brightnessAndContrastAreDisplayOnly() {
        ImageViewer viewer;
        viewer.resize(400, 300);
        viewer.show();
        QVERIFY(QTest::qWaitForWindowExposed(&viewer));
        viewer.setImage(gradientImage(400, 300));
        viewer.actualSize();
        const QImage plain = viewer.viewport()->grab().toImage();
        viewer.setDisplayAdjustment(40, 0);
        const QImage brighter = viewer.viewport()->grab().toImage();
        QVERIFY2(meanGrey(brighter) > meanGrey(plain) + 20,
                 qPrintable(QString("%1 vs %2").arg(meanGrey(brighter)).arg(meanGrey(plain))));
        viewer.setDisplayAdjustment(0, 60);
        QCOMPARE(viewer.brightness(), 0);
        QCOMPARE(viewer.contrast(), 60);
        QVERIFY(viewer.viewport()->grab().toImage() != plain);
        viewer.resetDisplay();
        QCOMPARE(viewer.viewport()->grab().toImage(), plain);
        QCOMPARE(viewer.imageSize(), QSize(400, 300));
        viewer.setDisplayAdjustment(500, -500);  // clamped
        QCOMPARE(viewer.brightness(), 100);
        QCOMPARE(viewer.contrast(), -100);
    }

    void bannerAndCalibrationBelongToTheirImage() {
        ImageViewer viewer;
        viewer.resize(600, 400);
        viewer.show();
        QVERIFY(QTest::qWaitForWindowExposed(&viewer));
        viewer.setImage(gradientImage(400, 300));
        viewer.actualSize();
        viewer.setBanner("Doe, Jane · ID P1");
        viewer.setPixelSpacing(0.05);  // 20 image pixels per millimetre
        // 150 screen pixels are 7.5 mm at 1:1: the bar is the 1-2-5 length below, 5 mm.
        QCOMPARE(viewer.scaleBarText(), QString("5 mm"));
        // Zoomed in, the same 150 pixels span fewer millimetres.
        viewer.actualSize();
        viewer.zoomIn();
        viewer.zoomIn();
        viewer.zoomIn();  // 195%: 39 px per mm, 3.8 mm
        QCOMPARE(viewer.scaleBarText(), QString("2 mm"));
        // The next image (not DICOM) shows neither the banner nor the bar of the last one.
        viewer.setImage(gradientImage(200, 100));
        QVERIFY(viewer.banner().isEmpty());
        QVERIFY(viewer.scaleBarText().isEmpty());
        viewer.setPixelSpacing(-1);  // nonsense spacing: no bar
        QVERIFY(viewer.scaleBarText().isEmpty());
    }

    void dicomBannerAndSpacing() {
        const std::map<std::string, std::string> tags = {
            {"PatientName", "Doe^Jane"},      {"PatientID", "P123"},
            {"PatientBirthDate", "19700102"}, {"PatientSex", "F"},
            {"StudyDate", "20240115"},        {"StudyDescription", "Dermoscopy"},
            {"PixelSpacing", "0.05\\0.05"}};
        const QString banner = ws::patientBanner(tags);
        QVERIFY2(banner.contains("Doe, Jane") && banner.contains("ID P123") &&
                     banner.contains("born 1970-01-02") && banner.contains("Study 2024-01-15") &&
                     banner.contains("Dermoscopy") && !banner.contains("^"),
                 qPrintable(banner));
        QCOMPARE(ws::millimetresPerPixel(tags), std::optional<double>(0.05));
        QVERIFY(!ws::millimetresPerPixel({{"PixelSpacing", "0.05\\0.1"}}));  // not square
        QVERIFY(!ws::millimetresPerPixel({{"PixelSpacing", "abc"}}));
        QVERIFY(!ws::millimetresPerPixel({}));
        QVERIFY(ws::patientBanner({}).isEmpty());
    }

    void comparisonFollowsZoomAndPan() {
        CompareWindow window;
        window.resize(1000, 500);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.setLeft(gradientImage(400, 300), "visit 1");
        window.setRight(gradientImage(800, 600), "visit 2");  // another resolution
        window.left()->setViewState({3.0, {0.3, 0.6}, 0});
        const ViewState right = window.right()->viewState();
        QVERIFY2(std::abs(right.zoomOverFit - 3.0) < 0.02,
                 qPrintable(QString::number(right.zoomOverFit)));
        QVERIFY2(std::abs(right.centre.x() - 0.3) < 0.01 && std::abs(right.centre.y() - 0.6) < 0.01,
                 qPrintable(QString("%1, %2").arg(right.centre.x()).arg(right.centre.y())));
        // Either side leads.
        window.right()->zoomIn();
        QVERIFY(std::abs(window.left()->viewState().zoomOverFit -
                         window.right()->viewState().zoomOverFit) < 0.02);
        window.right()->rotateClockwise();
        QCOMPARE(window.left()->viewState().rotation, 90);
        // "Fit" on one side is fit on the other, exactly (the readouts say so).
        window.left()->fitToWindow();
        QVERIFY2(window.right()->zoomText().endsWith("(fit)"),
                 qPrintable(window.right()->zoomText()));
        QVERIFY(std::abs(window.left()->viewState().zoomOverFit - 1) < 1e-3);
        // Unlinked, each goes its own way.
        window.setLinked(false);
        const double before = window.right()->viewState().zoomOverFit;
        window.left()->zoomIn();
        QVERIFY(std::abs(window.right()->viewState().zoomOverFit - before) < 1e-9);
    }
};

QTEST_MAIN(TestImageViewer)
#include "tst_image_viewer.moc"
