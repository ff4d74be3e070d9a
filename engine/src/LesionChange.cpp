#include "dermreader/engine/LesionChange.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dermreader::engine {

namespace {

constexpr int kFeatureSide = 800;  // features are found on images this long at most
constexpr int kEccSide = 256;      // ECC runs on images this long
constexpr int kMinInliers = 15;
constexpr double kMinCorrelation = 0.7;

cv::Mat view(const RgbImage& image) {
    return cv::Mat(image.height, image.width, CV_8UC3,
                   const_cast<std::uint8_t*>(image.pixels.data()));
}

// A 3x3 double matrix <-> the row-major array.
cv::Matx33d matrix(const std::array<double, 9>& h) {
    return cv::Matx33d(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
}
std::array<double, 9> array(const cv::Matx33d& m) {
    return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), m(2, 0), m(2, 1), m(2, 2)};
}
cv::Matx33d scaling(double sx, double sy) {
    return cv::Matx33d(sx, 0, 0, 0, sy, 0, 0, 0, 1);
}

// Grey, resized to `size`; the scale factors from full to small coordinates.
cv::Mat smallGrey(const RgbImage& image, cv::Size size, double* sx, double* sy) {
    cv::Mat grey, small;
    cv::cvtColor(view(image), grey, cv::COLOR_RGB2GRAY);
    cv::resize(grey, small, size, 0, 0, cv::INTER_AREA);
    *sx = static_cast<double>(size.width) / image.width;
    *sy = static_cast<double>(size.height) / image.height;
    return small;
}

cv::Size fitting(const RgbImage& image, int side) {
    const double scale =
        std::min(1.0, static_cast<double>(side) / std::max(image.width, image.height));
    return {std::max(1, static_cast<int>(std::lround(image.width * scale))),
            std::max(1, static_cast<int>(std::lround(image.height * scale)))};
}

// A transform a camera between two visits can produce: no mirror, no collapse, mild
// perspective.
bool plausible(const cv::Matx33d& h, cv::Size size) {
    const double det = h(0, 0) * h(1, 1) - h(0, 1) * h(1, 0);
    const double perspective = std::abs(h(2, 0)) * size.width + std::abs(h(2, 1)) * size.height;
    return det > 0.1 && det < 10.0 && perspective < 0.3;
}

std::optional<Registration> byFeatures(const RgbImage& fixed, const RgbImage& moving) {
    double fsx, fsy, msx, msy;
    const cv::Mat f = smallGrey(fixed, fitting(fixed, kFeatureSide), &fsx, &fsy);
    const cv::Mat m = smallGrey(moving, fitting(moving, kFeatureSide), &msx, &msy);
    auto orb = cv::ORB::create(3000);
    std::vector<cv::KeyPoint> fk, mk;
    cv::Mat fd, md;
    orb->detectAndCompute(f, cv::noArray(), fk, fd);
    orb->detectAndCompute(m, cv::noArray(), mk, md);
    if (fd.empty() || md.empty())
        return std::nullopt;
    std::vector<std::vector<cv::DMatch>> pairs;
    cv::BFMatcher(cv::NORM_HAMMING).knnMatch(md, fd, pairs, 2);
    std::vector<cv::Point2f> from, to;
    for (const auto& pair : pairs)
        if (pair.size() == 2 && pair[0].distance < 0.75f * pair[1].distance) {
            from.push_back(mk[static_cast<std::size_t>(pair[0].queryIdx)].pt);
            to.push_back(fk[static_cast<std::size_t>(pair[0].trainIdx)].pt);
        }
    if (static_cast<int>(from.size()) < kMinInliers)
        return std::nullopt;
    std::vector<unsigned char> inlier;
    const cv::Mat found = cv::findHomography(from, to, cv::RANSAC, 3.0, inlier);
    if (found.empty())
        return std::nullopt;
    const int inliers = static_cast<int>(std::count(inlier.begin(), inlier.end(), 1));
    const cv::Matx33d small(found);
    if (inliers < kMinInliers || inliers < 0.2 * static_cast<double>(from.size()) ||
        !plausible(small, f.size()))
        return std::nullopt;
    Registration result;
    result.method = Registration::Method::Features;
    result.homography = array(scaling(1 / fsx, 1 / fsy) * small * scaling(msx, msy));
    result.inliers = inliers;
    result.quality = static_cast<double>(inliers) / static_cast<double>(from.size());
    return result;
}

std::optional<Registration> byEcc(const RgbImage& fixed, const RgbImage& moving) {
    const cv::Size size = fitting(fixed, kEccSide);
    double fsx, fsy, msx, msy;
    cv::Mat f = smallGrey(fixed, size, &fsx, &fsy), m = smallGrey(moving, size, &msx, &msy);
    f.convertTo(f, CV_32F);
    m.convertTo(m, CV_32F);
    cv::Mat warp = cv::Mat::eye(2, 3, CV_32F);
    double correlation = 0;
    try {
        correlation = cv::findTransformECC(
            f, m, warp, cv::MOTION_AFFINE,
            cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 200, 1e-6),
            cv::noArray(), 5);
    } catch (const cv::Exception&) {
        return std::nullopt;  // did not converge
    }
    // ECC's warp maps the fixed grid into the moving image: moving -> fixed is its inverse.
    cv::Matx33d fixedToMoving(warp.at<float>(0, 0), warp.at<float>(0, 1), warp.at<float>(0, 2),
                              warp.at<float>(1, 0), warp.at<float>(1, 1), warp.at<float>(1, 2), 0,
                              0, 1);
    const cv::Matx33d small = fixedToMoving.inv();
    if (correlation < kMinCorrelation || !plausible(small, size))
        return std::nullopt;
    Registration result;
    result.method = Registration::Method::Ecc;
    result.homography = array(scaling(1 / fsx, 1 / fsy) * small * scaling(msx, msy));
    result.quality = correlation;
    return result;
}

cv::Mat darkness(const RgbImage& image) {
    cv::Mat hsv;
    cv::cvtColor(view(image), hsv, cv::COLOR_RGB2HSV);
    cv::Mat channels[3];
    cv::split(hsv, channels);
    cv::Mat dark = 255 - channels[2];
    const double sigma = std::max(1.0, 0.01 * std::min(image.width, image.height));
    cv::GaussianBlur(dark, dark, cv::Size(0, 0), sigma);
    return dark;
}

// The component of `binary` covering `centre`, else the one nearest it within a quarter of the
// diagonal; filled. Empty when there is none.
cv::Mat blobAt(const cv::Mat& binary, cv::Point centre) {
    cv::Mat labels, stats, centroids;
    const int count = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8);
    int chosen = labels.at<int>(centre);
    if (chosen == 0) {
        double best = 0.25 * std::hypot(binary.cols, binary.rows);
        const double minimumArea = 0.005 * binary.total();
        for (int label = 1; label < count; ++label) {
            const double distance = std::hypot(centroids.at<double>(label, 0) - centre.x,
                                               centroids.at<double>(label, 1) - centre.y);
            if (stats.at<int>(label, cv::CC_STAT_AREA) >= minimumArea && distance < best) {
                best = distance;
                chosen = label;
            }
        }
    }
    cv::Mat blob = cv::Mat::zeros(binary.size(), CV_8U);
    if (chosen == 0)
        return blob;
    cv::Mat only = labels == chosen;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(only, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(blob, contours, -1, cv::Scalar(255), cv::FILLED);
    return blob;
}

LesionMask maskOf(const cv::Mat& blob) {
    LesionMask mask;
    mask.width = blob.cols;
    mask.height = blob.rows;
    mask.inside.assign(blob.datastart, blob.dataend);
    mask.areaPixels = cv::countNonZero(blob);
    return mask;
}

}  // namespace

std::string Registration::describe() const {
    char text[160];
    switch (method) {
        case Method::Features:
            std::snprintf(text, sizeof text,
                          "ORB features + RANSAC homography: %d matches agree (%.0f %%)", inliers,
                          100 * quality);
            return text;
        case Method::Ecc:
            std::snprintf(text, sizeof text, "ECC (affine): correlation %.2f", quality);
            return text;
        case Method::Manual:
            return "aligned by hand";
        case Method::None:
            break;
    }
    return "not registered";
}

Registration registerImages(const RgbImage& fixed, const RgbImage& moving) {
    if (fixed.empty() || moving.empty())
        return {};
    if (auto features = byFeatures(fixed, moving))
        return *features;
    if (auto ecc = byEcc(fixed, moving))
        return *ecc;
    return {};
}

Registration manualRegistration(const RgbImage& fixed, const RgbImage& moving, double dx, double dy,
                                double degrees, double scale) {
    const cv::Point2f movingCentre(moving.width / 2.0f, moving.height / 2.0f);
    const cv::Mat rotation = cv::getRotationMatrix2D(movingCentre, degrees, scale);
    cv::Matx33d h(rotation.at<double>(0, 0), rotation.at<double>(0, 1), rotation.at<double>(0, 2),
                  rotation.at<double>(1, 0), rotation.at<double>(1, 1), rotation.at<double>(1, 2),
                  0, 0, 1);
    h(0, 2) += fixed.width / 2.0 - movingCentre.x + dx;
    h(1, 2) += fixed.height / 2.0 - movingCentre.y + dy;
    Registration result;
    result.method = Registration::Method::Manual;
    result.homography = array(h);
    result.quality = 1;
    return result;
}

RgbImage warpInto(const RgbImage& moving, const Registration& registration, int width, int height) {
    RgbImage out = RgbImage::filled(width, height, 0, 0, 0);
    if (moving.empty() || width <= 0 || height <= 0)
        return out;
    cv::Mat target(height, width, CV_8UC3, out.pixels.data());
    cv::warpPerspective(view(moving), target, cv::Mat(matrix(registration.homography)),
                        target.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    return out;
}

LesionMask segmentLesion(const RgbImage& image, double thresholdShift,
                         std::optional<std::array<double, 2>> at) {
    if (image.empty())
        return {};
    const cv::Mat dark = darkness(image);
    cv::Scalar mean, deviation;
    cv::meanStdDev(dark, mean, deviation);
    if (deviation[0] < 2.0)  // nothing stands out
        return maskOf(cv::Mat::zeros(dark.size(), CV_8U));
    cv::Mat binary;
    const double otsu = cv::threshold(dark, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    const double skin = cv::mean(dark, dark <= otsu)[0];
    const double threshold =
        otsu + std::clamp(thresholdShift, -1.0, 1.0) * 0.1 * std::max(1.0, otsu - skin);
    cv::threshold(dark, binary, threshold, 255, cv::THRESH_BINARY);
    const int side = std::max(3, static_cast<int>(0.01 * std::min(image.width, image.height)) | 1);
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(side, side));
    cv::morphologyEx(binary, binary, cv::MORPH_OPEN, kernel);
    cv::morphologyEx(binary, binary, cv::MORPH_CLOSE, kernel);
    cv::Point centre(image.width / 2, image.height / 2);
    if (at && (*at)[0] >= 0 && (*at)[1] >= 0 && (*at)[0] < image.width && (*at)[1] < image.height)
        centre = cv::Point(static_cast<int>((*at)[0]), static_cast<int>((*at)[1]));
    return maskOf(blobAt(binary, centre));
}

std::array<double, 2> earlierCentreInLater(const RgbImage& before,
                                           const Registration& registration) {
    const cv::Matx33d toLater = matrix(registration.homography).inv();
    const cv::Vec3d p = toLater * cv::Vec3d(before.width / 2.0, before.height / 2.0, 1.0);
    return {p[0] / p[2], p[1] / p[2]};
}

LesionMask warpMask(const LesionMask& mask, const Registration& registration, int width,
                    int height) {
    if (mask.areaPixels == 0 || width <= 0 || height <= 0)
        return maskOf(cv::Mat::zeros(std::max(height, 0), std::max(width, 0), CV_8U));
    cv::Mat warped;
    cv::warpPerspective(
        cv::Mat(mask.height, mask.width, CV_8U, const_cast<std::uint8_t*>(mask.inside.data())),
        warped, cv::Mat(matrix(registration.homography)), cv::Size(width, height),
        cv::INTER_NEAREST, cv::BORDER_CONSTANT);
    return maskOf(warped);
}

AreaChange measureAreaChange(const RgbImage& before, const RgbImage& after,
                             const Registration& registration, std::optional<double> mmPerPixel) {
    AreaChange change;
    if (mmPerPixel)
        change.squareMmPerPixel = *mmPerPixel * *mmPerPixel;
    // The later lesion is the one at the earlier lesion's place, not whatever is centred.
    const std::array<double, 2> place = earlierCentreInLater(before, registration);
    double beforeAreas[3], afterAreas[3];
    for (int i = 0; i < 3; ++i) {
        const double shift = i - 1.0;
        LesionMask earlier = segmentLesion(before, shift);
        LesionMask later =
            warpMask(segmentLesion(after, shift, place), registration, before.width, before.height);
        beforeAreas[i] = earlier.areaPixels;
        afterAreas[i] = later.areaPixels;
        if (shift == 0) {
            change.beforeMask = std::move(earlier);
            change.afterMask = std::move(later);
        }
    }
    auto estimate = [](const double(&areas)[3]) {
        AreaEstimate e;
        e.pixels = areas[1];
        e.low = *std::min_element(areas, areas + 3);
        e.high = *std::max_element(areas, areas + 3);
        return e;
    };
    change.before = estimate(beforeAreas);
    change.after = estimate(afterAreas);
    if (change.before.pixels > 0) {
        change.relative = (change.after.pixels - change.before.pixels) / change.before.pixels;
        change.relativeLow = (change.after.low - change.before.high) / change.before.high;
        if (change.before.low > 0)
            change.relativeHigh = (change.after.high - change.before.low) / change.before.low;
    }
    return change;
}

}  // namespace dermreader::engine
