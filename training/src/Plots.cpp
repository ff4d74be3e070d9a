#include "Plots.h"

#include "dermreader/training/Calibration.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>

namespace dermreader::training::detail {

const cv::Scalar kBlack(0, 0, 0), kGrey(170, 170, 170), kBlue(180, 90, 20), kWhite(255, 255, 255);

void text(cv::Mat& image, const std::string& s, cv::Point at, double scale = 0.5,
          const cv::Scalar& colour = kBlack) {
    cv::putText(image, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv::LINE_AA);
}

std::string fixed(double v, int digits = 3) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

namespace {

// Sensitivity against specificity, as in the paper's Fig. 3 (specificity decreasing to the right).
void writeRoc(const BinaryMetrics& m, const std::filesystem::path& path) {
    const int size = 520, margin = 60, plot = size - 2 * margin;
    cv::Mat image(size, size, CV_8UC3, kWhite);
    auto toPixel = [&](double specificity, double sensitivity) {
        return cv::Point(margin + static_cast<int>(std::lround((1.0 - specificity) * plot)),
                         size - margin - static_cast<int>(std::lround(sensitivity * plot)));
    };
    for (int i = 0; i <= 10; ++i) {
        const double v = i / 10.0;
        cv::line(image, toPixel(1.0 - v, 0), toPixel(1.0 - v, 1), cv::Scalar(235, 235, 235));
        cv::line(image, toPixel(1, v), toPixel(0, v), cv::Scalar(235, 235, 235));
        if (i % 5 == 0) {
            text(image, fixed(1.0 - v, 1), toPixel(1.0 - v, 0) + cv::Point(-10, 20), 0.4);
            text(image, fixed(v, 1), toPixel(1, v) + cv::Point(-35, 5), 0.4);
        }
    }
    cv::rectangle(image, toPixel(1, 0), toPixel(0, 1), kBlack);
    cv::line(image, toPixel(1, 0), toPixel(0, 1), kGrey, 1, cv::LINE_AA);
    for (std::size_t i = 1; i < m.roc.size(); ++i) {
        cv::line(image, toPixel(m.roc[i - 1].specificity, m.roc[i - 1].sensitivity),
                 toPixel(m.roc[i].specificity, m.roc[i].sensitivity), kBlue, 2, cv::LINE_AA);
    }
    const std::string title =
        m.task == "melanocytic" ? "Melanoma vs nevus" : "Carcinoma vs seborrheic keratosis";
    text(image, title, {margin, 30}, 0.6);
    text(image,
         "AUC " + fixed(m.auc) + " (95% CI " + fixed(m.aucLow) + "-" + fixed(m.aucHigh) + "), " +
             std::to_string(m.positives) + " malignant / " + std::to_string(m.negatives) +
             " benign",
         {margin, 50}, 0.4);
    text(image, "specificity", {size / 2 - 40, size - 15}, 0.5);
    cv::Mat label(20, 110, CV_8UC3, kWhite);
    text(label, "sensitivity", {0, 15}, 0.5);
    cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
    label.copyTo(image(cv::Rect(8, size / 2 - 55, label.cols, label.rows)));
    cv::imwrite(path.string(), image);
}

// Rows are the truth, columns the prediction, each row normalised (Extended Data Fig. 2).
void writeConfusion(const LevelMetrics& m, const std::filesystem::path& path,
                    const taxonomy::Taxonomy& taxonomy) {
    const int n = static_cast<int>(m.classes.size());
    const int cell = 48, labelWidth = 260, top = 40;
    cv::Mat image(top + n * cell + 20, labelWidth + n * cell + 20, CV_8UC3, kWhite);
    for (int r = 0; r < n; ++r) {
        int total = 0;
        for (int v : m.confusion[static_cast<std::size_t>(r)])
            total += v;
        std::string name = taxonomy.node(m.classes[static_cast<std::size_t>(r)]).name;
        if (name.size() > 34)
            name = name.substr(0, 33) + ".";
        text(image, std::to_string(r) + " " + name, {5, top + r * cell + cell / 2 + 5}, 0.4);
        text(image, std::to_string(r), {labelWidth + r * cell + cell / 2 - 4, top - 10}, 0.45);
        for (int c = 0; c < n; ++c) {
            const double p =
                total > 0
                    ? static_cast<double>(
                          m.confusion[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]) /
                          total
                    : 0.0;
            const int shade = static_cast<int>(std::lround(255 * (1.0 - p)));
            const cv::Rect box(labelWidth + c * cell, top + r * cell, cell, cell);
            cv::rectangle(image, box, cv::Scalar(255, shade, shade), cv::FILLED);
            cv::rectangle(image, box, kGrey);
            if (total > 0)
                text(image, fixed(p, 2), box.tl() + cv::Point(6, cell / 2 + 5), 0.4,
                     p > 0.6 ? kWhite : kBlack);
        }
    }
    cv::imwrite(path.string(), image);
}

}  // namespace

void writePlots(const EvaluationReport& report, const std::filesystem::path& dir,
                const taxonomy::Taxonomy& taxonomy) {
    for (const auto& b : report.binary)
        writeRoc(b, dir / ("roc_" + b.task + ".png"));
    writeConfusion(report.firstLevel, dir / "confusion_level1.png", taxonomy);
    writeConfusion(report.secondLevel, dir / "confusion_level2.png", taxonomy);
}

}  // namespace dermreader::training::detail

namespace dermreader::training {

void writeReliabilityDiagram(const Reliability& before, const Reliability& after, double t,
                             const std::filesystem::path& png) {
    using detail::fixed;
    using detail::kBlack;
    using detail::kBlue;
    using detail::kGrey;
    using detail::kWhite;
    using detail::text;
    // Room above the plot for the title and legend, left of it for the axis label.
    const int plot = 400, left = 70, right = 50, top = 85, bottom = 55;
    const int width = left + plot + right, height = top + plot + bottom;
    cv::Mat image(height, width, CV_8UC3, kWhite);
    auto toPixel = [&](double predicted, double observed) {
        return cv::Point(left + static_cast<int>(std::lround(predicted * plot)),
                         top + plot - static_cast<int>(std::lround(observed * plot)));
    };
    for (int i = 0; i <= 10; ++i) {
        const double v = i / 10.0;
        cv::line(image, toPixel(v, 0), toPixel(v, 1), cv::Scalar(235, 235, 235));
        cv::line(image, toPixel(0, v), toPixel(1, v), cv::Scalar(235, 235, 235));
        if (i % 5 == 0) {
            text(image, fixed(v, 1), toPixel(v, 0) + cv::Point(-10, 20), 0.4);
            text(image, fixed(v, 1), toPixel(0, v) + cv::Point(-35, 5), 0.4);
        }
    }
    cv::rectangle(image, toPixel(0, 0), toPixel(1, 1), kBlack);
    cv::line(image, toPixel(0, 0), toPixel(1, 1), kGrey, 1, cv::LINE_AA);
    // One dot per non-empty bin, its area growing with the bin's images.
    auto curve = [&](const Reliability& r, const cv::Scalar& colour) {
        cv::Point previous(-1, -1);
        for (const auto& bin : r.bins) {
            if (bin.images == 0)
                continue;
            const cv::Point at = toPixel(bin.meanPredicted, bin.observed);
            if (previous.x >= 0)
                cv::line(image, previous, at, colour, 2, cv::LINE_AA);
            const double share = static_cast<double>(bin.images) / std::max(1, r.images);
            cv::circle(image, at, 3 + static_cast<int>(std::lround(12 * std::sqrt(share))), colour,
                       cv::FILLED, cv::LINE_AA);
            previous = at;
        }
    };
    curve(before, kGrey);
    curve(after, kBlue);
    text(image, "Reliability of P(malignant), " + std::to_string(after.images) + " images",
         {left, 25}, 0.55);
    text(image, "grey: as trained, ECE " + fixed(before.expectedCalibrationError), {left, 47}, 0.45,
         cv::Scalar(120, 120, 120));
    text(image,
         "blue: temperature " + fixed(t, 2) + ", ECE " + fixed(after.expectedCalibrationError),
         {left, 67}, 0.45, kBlue);
    text(image, "predicted P(malignant)", {left + plot / 2 - 80, height - 15}, 0.5);
    cv::Mat label(20, 190, CV_8UC3, kWhite);
    text(label, "observed malignant", {0, 15}, 0.5);
    cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
    label.copyTo(image(cv::Rect(8, top + plot / 2 - 95, label.cols, label.rows)));
    cv::imwrite(png.string(), image);
}

}  // namespace dermreader::training
