// Two visits of a lesion on a synthetic skin scene with known geometry: the second visit's
// camera rotated, zoomed and shifted, its lesion 20 % larger. Registration must find the
// transform, the area change must come out near +20 % with an interval holding it, an unchanged
// lesion near 0, and images with nothing in common must not be "registered".

#include <QtTest>

#include "SyntheticLesion.h"
#include "dermreader/engine/LesionChange.h"

namespace eng = dermreader::engine;
using namespace testdata;

namespace {

cv::Point2d apply(const std::array<double, 9>& h, cv::Point2d p) {
    const double w = h[6] * p.x + h[7] * p.y + h[8];
    return {(h[0] * p.x + h[1] * p.y + h[2]) / w, (h[3] * p.x + h[4] * p.y + h[5]) / w};
}

// Where a second-visit pixel truly lies in the first visit.
cv::Point2d truth(cv::Point2d moving) {
    cv::Mat inverse;
    cv::invertAffineTransform(secondCamera(), inverse);
    const cv::Point2d canvas(inverse.at<double>(0, 0) * moving.x +
                                 inverse.at<double>(0, 1) * moving.y + inverse.at<double>(0, 2),
                             inverse.at<double>(1, 0) * moving.x +
                                 inverse.at<double>(1, 1) * moving.y + inverse.at<double>(1, 2));
    return canvas - kCrop;
}

}  // namespace

class TestLesionChange : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void registersAMovedCamera() {
        const auto fixed = firstVisit(scene(1.0));
        const auto moving = secondVisit(scene(1.0));
        const auto registration = eng::registerImages(fixed, moving);
        QCOMPARE(registration.method, eng::Registration::Method::Features);
        for (const cv::Point2d p : {cv::Point2d(100, 100), cv::Point2d(320, 240),
                                    cv::Point2d(540, 400), cv::Point2d(500, 80)}) {
            const cv::Point2d error = apply(registration.homography, p) - truth(p);
            QVERIFY2(std::hypot(error.x, error.y) < 3.0,
                     qPrintable(QString("(%1, %2) off by %3 px; %4")
                                    .arg(p.x)
                                    .arg(p.y)
                                    .arg(std::hypot(error.x, error.y))
                                    .arg(registration.describe().c_str())));
        }
    }

    // Visits taken at other resolutions (both above the size features are found at): the
    // scaling into and out of the working size must compose.
    void registersAcrossResolutions() {
        cv::Mat first = cv::Mat(testdata::firstVisit(testdata::scene(1.0)).height,
                                testdata::firstVisit(testdata::scene(1.0)).width, CV_8UC3,
                                testdata::firstVisit(testdata::scene(1.0)).pixels.data())
                            .clone();
        const auto secondSmall = testdata::secondVisit(testdata::scene(1.0));
        cv::Mat second(secondSmall.height, secondSmall.width, CV_8UC3,
                       const_cast<std::uint8_t*>(secondSmall.pixels.data()));
        cv::Mat fixedLarge, movingLarge;
        cv::resize(first, fixedLarge, {}, 1.5, 1.5, cv::INTER_CUBIC);    // 960 x 720
        cv::resize(second, movingLarge, {}, 2.0, 2.0, cv::INTER_CUBIC);  // 1280 x 960
        const auto registration = eng::registerImages(image(fixedLarge), image(movingLarge));
        QCOMPARE(registration.method, eng::Registration::Method::Features);
        for (const cv::Point2d p : {cv::Point2d(200, 200), cv::Point2d(1080, 800)}) {
            const cv::Point2d expected = truth(p / 2.0) * 1.5;
            const cv::Point2d error = apply(registration.homography, p) - expected;
            QVERIFY2(std::hypot(error.x, error.y) < 4.0,
                     qPrintable(QString("(%1, %2) off by %3 px")
                                    .arg(p.x)
                                    .arg(p.y)
                                    .arg(std::hypot(error.x, error.y))));
        }
    }

    void eccTakesOverWhenFeaturesCannot() {
        // Smooth images without corners: a blurred blob and the same blob shifted.
        cv::Mat a(240, 320, CV_8UC3, cv::Scalar(200, 160, 140));
        cv::circle(a, {150, 120}, 50, cv::Scalar(90, 60, 40), cv::FILLED);
        cv::circle(a, {240, 60}, 25, cv::Scalar(150, 110, 90), cv::FILLED);
        cv::GaussianBlur(a, a, cv::Size(0, 0), 12);
        cv::Mat b;
        const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 6, 0, 1, -4);
        cv::warpAffine(a, b, shift, a.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        const auto registration = eng::registerImages(image(a), image(b));
        QCOMPARE(registration.method, eng::Registration::Method::Ecc);
        const cv::Point2d mapped = apply(registration.homography, {160, 120});
        QVERIFY2(std::hypot(mapped.x - 154, mapped.y - 124) < 2.0,
                 qPrintable(QString("%1 %2 (%3)")
                                .arg(mapped.x)
                                .arg(mapped.y)
                                .arg(registration.describe().c_str())));
    }

    void unrelatedImagesAreNotRegistered() {
        cv::Mat a(240, 320, CV_8UC3), b(240, 320, CV_8UC3);
        cv::randu(a, 0, 255);
        cv::randu(b, 0, 255);
        const auto registration = eng::registerImages(image(a), image(b));
        QVERIFY2(!registration.succeeded(), registration.describe().c_str());
        QCOMPARE(registration.describe(), std::string("not registered"));
        QVERIFY(!eng::registerImages({}, image(a)).succeeded());
    }

    void manualAlignmentMovesByWhatItSays() {
        const auto fixed = eng::RgbImage::filled(640, 480, 1, 2, 3);
        const auto moving = eng::RgbImage::filled(320, 240, 1, 2, 3);
        const auto shifted = eng::manualRegistration(fixed, moving, 10, -5, 0, 2);
        const cv::Point2d centre = apply(shifted.homography, {160, 120});
        QVERIFY(std::hypot(centre.x - 330, centre.y - 235) < 1e-9);
        const cv::Point2d corner = apply(shifted.homography, {0, 0});
        QVERIFY(std::hypot(corner.x - 10, corner.y + 5) < 1e-9);  // twice as large
        const auto turned = eng::manualRegistration(moving, moving, 0, 0, 90, 1);
        const cv::Point2d right = apply(turned.homography, {260, 120});  // 100 px right of centre
        QVERIFY2(std::hypot(right.x - 160, right.y - 20) < 1e-9,  // goes up: counter-clockwise
                 qPrintable(QString("%1 %2").arg(right.x).arg(right.y)));
        QCOMPARE(turned.method, eng::Registration::Method::Manual);
    }

    void growthIsMeasuredInTheFirstVisitsFrame() {
        const auto before = firstVisit(scene(1.0));
        const auto after = secondVisit(scene(std::sqrt(1.2)));  // 20 % more area
        const auto registration = eng::registerImages(before, after);
        QVERIFY(registration.succeeded());
        const auto change = eng::measureAreaChange(before, after, registration, 0.05);
        const double expected = M_PI * 60 * 45;
        QVERIFY2(std::abs(change.before.pixels - expected) < 0.1 * expected,
                 qPrintable(QString::number(change.before.pixels)));
        QVERIFY(change.relative.has_value());
        QVERIFY2(std::abs(*change.relative - 0.2) < 0.05,
                 qPrintable(QString::number(*change.relative)));
        QVERIFY2(
            *change.relativeLow <= *change.relative && *change.relative <= *change.relativeHigh,
            qPrintable(QString("%1 [%2, %3]")
                           .arg(*change.relative)
                           .arg(*change.relativeLow)
                           .arg(*change.relativeHigh)));
        QVERIFY(*change.relativeLow <= 0.2 && 0.2 <= *change.relativeHigh);  // the truth
        QVERIFY(*change.relativeLow > 0.05);  // the growth is beyond the uncertainty
        QVERIFY(change.squareMmPerPixel && std::abs(*change.squareMmPerPixel - 0.0025) < 1e-12);
    }

    void anUnchangedLesionHasNoChange() {
        const auto before = firstVisit(scene(1.0));
        const auto after = secondVisit(scene(1.0));
        const auto change =
            eng::measureAreaChange(before, after, eng::registerImages(before, after));
        QVERIFY(change.relative.has_value());
        QVERIFY2(std::abs(*change.relative) < 0.05, qPrintable(QString::number(*change.relative)));
        QVERIFY(*change.relativeLow <= 0 && *change.relativeHigh >= 0);
    }

    void plainSkinHasNoLesion() {
        const auto blank = eng::RgbImage::filled(200, 150, 205, 165, 145);
        QCOMPARE(eng::segmentLesion(blank).areaPixels, 0.0);
        const auto change = eng::measureAreaChange(blank, blank, {});
        QVERIFY(!change.relative.has_value());
        QCOMPARE(eng::segmentLesion({}).areaPixels, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestLesionChange)
#include "tst_lesion_change.moc"
