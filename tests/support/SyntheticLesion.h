#pragma once
// Two visits of a lesion on a synthetic skin scene with known geometry (header-only; link
// opencv_core and opencv_imgproc): skin with freckles and hairs (what features lock onto) and a
// soft-edged brown lesion; the first visit is a crop of the scene, the second the scene seen by
// a camera turned 8 degrees, 1.15x closer and shifted (secondCamera()).

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

#include "dermreader/engine/Image.h"

namespace testdata {

using SyntheticImage = dermreader::engine::RgbImage;

constexpr int kCanvasWidth = 900, kCanvasHeight = 700;
constexpr int kWidth = 640, kHeight = 480;
inline const cv::Point2d kCrop(130, 110);  // the first visit is this crop of the canvas

// Skin with freckles and hairs (what features lock onto) and a soft-edged brown lesion.
inline cv::Mat scene(double lesionScale) {
    cv::Mat canvas(kCanvasHeight, kCanvasWidth, CV_8UC3, cv::Scalar(205, 165, 145));
    std::mt19937 random(7);
    std::uniform_int_distribution<int> x(0, kCanvasWidth - 1), y(0, kCanvasHeight - 1);
    std::uniform_int_distribution<int> radius(2, 6), shade(90, 150);
    for (int i = 0; i < 400; ++i) {
        const int s = shade(random);
        cv::circle(canvas, {x(random), y(random)}, radius(random), cv::Scalar(s + 40, s, s - 20),
                   cv::FILLED, cv::LINE_AA);
    }
    for (int i = 0; i < 60; ++i)
        cv::line(canvas, {x(random), y(random)}, {x(random), y(random)}, cv::Scalar(80, 60, 50), 1,
                 cv::LINE_AA);
    cv::Mat lesion = cv::Mat::zeros(canvas.size(), CV_8U);
    cv::ellipse(lesion, {kCanvasWidth / 2, kCanvasHeight / 2},
                cv::Size(static_cast<int>(std::lround(60 * lesionScale)),
                         static_cast<int>(std::lround(45 * lesionScale))),
                20, 0, 360, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
    cv::GaussianBlur(lesion, lesion, cv::Size(0, 0), 2.0);
    for (int r = 0; r < canvas.rows; ++r)
        for (int c = 0; c < canvas.cols; ++c) {
            const double a = lesion.at<std::uint8_t>(r, c) / 255.0;
            auto& p = canvas.at<cv::Vec3b>(r, c);
            p = cv::Vec3b(static_cast<std::uint8_t>(p[0] * (1 - a) + 95 * a),
                          static_cast<std::uint8_t>(p[1] * (1 - a) + 60 * a),
                          static_cast<std::uint8_t>(p[2] * (1 - a) + 45 * a));
        }
    return canvas;
}

inline SyntheticImage image(const cv::Mat& rgb) {
    SyntheticImage out;
    out.width = rgb.cols;
    out.height = rgb.rows;
    const cv::Mat continuous = rgb.isContinuous() ? rgb : rgb.clone();
    out.pixels.assign(continuous.datastart, continuous.dataend);
    return out;
}

inline SyntheticImage firstVisit(const cv::Mat& canvas) {
    return image(
        canvas(cv::Rect(static_cast<int>(kCrop.x), static_cast<int>(kCrop.y), kWidth, kHeight))
            .clone());
}

// Canvas -> second visit: 8 degrees, 1.15x, the canvas centre put 15 px right, 10 px up.
inline cv::Mat secondCamera() {
    cv::Mat a = cv::getRotationMatrix2D({kCanvasWidth / 2.0f, kCanvasHeight / 2.0f}, 8, 1.15);
    a.at<double>(0, 2) += kWidth / 2.0 + 15 - kCanvasWidth / 2.0;
    a.at<double>(1, 2) += kHeight / 2.0 - 10 - kCanvasHeight / 2.0;
    return a;
}

inline SyntheticImage secondVisit(const cv::Mat& canvas) {
    cv::Mat out;
    cv::warpAffine(canvas, out, secondCamera(), cv::Size(kWidth, kHeight), cv::INTER_LINEAR,
                   cv::BORDER_REFLECT);
    return image(out);
}

}  // namespace testdata
