#pragma once
// Two visits of one lesion compared (issue 16.3): the later image registered onto the earlier
// one, the lesion segmented in each, and the change in its area with an uncertainty. OpenCV
// only (engine_core); the change in the CNN's probability is the workstation logic's part.
//
// Registration: ORB features with a RANSAC homography when enough of them agree, else ECC
// (affine) on small grey images; neither: Method::None, and the person aligns by hand
// (manualRegistration). Segmentation, deliberately simple to start: Otsu's threshold on the
// blurred darkness (1 - value of HSV) picks the dark blob that covers the image centre (the
// lesion is centred in dermoscopy and in a lesion's clinical close-up), holes filled. Its
// uncertainty is how much the area moves when that threshold moves by +-10 % of its distance
// from the mean skin level: a sharp border barely moves, a faint one moves a lot.

#include <array>
#include <optional>
#include <string>

#include "dermreader/engine/Image.h"

namespace dermreader::engine {

struct Registration {
    enum class Method { None, Features, Ecc, Manual };
    Method method = Method::None;
    // Maps a pixel of the moving (later) image to the fixed (earlier) image; row-major 3x3.
    std::array<double, 9> homography{1, 0, 0, 0, 1, 0, 0, 0, 1};
    double quality = 0;  // features: inlier share; ECC: correlation coefficient; manual: 1
    int inliers = 0;     // features only
    bool succeeded() const { return method != Method::None; }
    // "ORB features + RANSAC homography: 212 of 300 matches agree"
    std::string describe() const;
};

// Registers `moving` onto `fixed` (see the header comment); never throws for image content.
Registration registerImages(const RgbImage& fixed, const RgbImage& moving);
// By hand: the moving image scaled and rotated about its centre (degrees, counter-clockwise),
// then its centre put on the fixed image's centre shifted by (dx, dy) fixed pixels.
Registration manualRegistration(const RgbImage& fixed, const RgbImage& moving, double dx, double dy,
                                double degrees, double scale);
// `moving` resampled into the fixed frame (`width` x `height`); outside it: black.
RgbImage warpInto(const RgbImage& moving, const Registration& registration, int width, int height);

struct LesionMask {
    int width = 0, height = 0;
    std::vector<std::uint8_t> inside;  // 255 inside the lesion, row-major
    double areaPixels = 0;
};

// The lesion (empty mask when no dark blob covers the centre). `thresholdShift` in [-1, 1]
// moves the threshold by that share of 10 % of its distance from the mean skin level. `at`: the
// point (x, y) the lesion covers, when not the centre (the earlier lesion's place in a later
// image).
LesionMask segmentLesion(const RgbImage& image, double thresholdShift = 0,
                         std::optional<std::array<double, 2>> at = std::nullopt);
// Where the fixed (earlier) image's centre lies in the moving (later) image.
std::array<double, 2> earlierCentreInLater(const RgbImage& before,
                                           const Registration& registration);
// A mask of the moving image carried into the fixed frame (`width` x `height`).
LesionMask warpMask(const LesionMask& mask, const Registration& registration, int width,
                    int height);

struct AreaEstimate {
    double pixels = 0;  // in the fixed (earlier) image's pixels
    double low = 0, high = 0;
};

struct AreaChange {
    AreaEstimate before, after;  // `after` measured in the earlier image's frame
    // The lesions at the central threshold, both in the earlier image's frame (for outlines).
    LesionMask beforeMask, afterMask;
    // (after - before) / before, with the interval the two estimates' ranges allow; empty
    // when no lesion was found in the earlier image. No upper bound (relativeHigh empty) when
    // the earlier lesion vanishes at the stricter threshold (its border is that faint).
    std::optional<double> relative, relativeLow, relativeHigh;
    std::optional<double> squareMmPerPixel;  // from the earlier image's pixel spacing
};

// `mmPerPixel`: the earlier image's pixel spacing (DICOM), when known.
AreaChange measureAreaChange(const RgbImage& before, const RgbImage& after,
                             const Registration& registration,
                             std::optional<double> mmPerPixel = std::nullopt);

}  // namespace dermreader::engine
