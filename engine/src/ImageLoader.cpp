#include "dermreader/engine/ImageLoader.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <system_error>

#include "DicomReader.h"
#include "ImageFormats.h"
#include "JpegIntegrity.h"

namespace dermreader::engine {
namespace fs = std::filesystem;
using namespace detail;

namespace {

[[noreturn]] void refuse(const fs::path& path, const std::string& problem) {
    throw ImageError("image '" + path.string() + "': " + problem);
}

void checkPixelCount(const fs::path& path, std::int64_t width, std::int64_t height,
                     const ImageLoadOptions& options) {
    if (width <= 0 || height <= 0)
        refuse(path, "the header gives an empty size");
    // Each side first: two 32-bit sides can overflow a 64-bit product (found by the fuzzer
    // under UBSan).
    if (width > options.maxPixels || height > options.maxPixels ||
        width * height > options.maxPixels) {
        refuse(path, "is " + std::to_string(width) + " x " + std::to_string(height) +
                         " pixels, more than the limit of " + std::to_string(options.maxPixels) +
                         "; refused before decoding");
    }
}

void refuseDecompressionBomb(const fs::path& path, std::int64_t width, std::int64_t height,
                             std::size_t fileSize) {
    if (looksLikeDecompressionBomb(width, height, fileSize)) {
        refuse(path, "claims " + std::to_string(width) + " x " + std::to_string(height) +
                         " pixels in only " + std::to_string(fileSize) +
                         " bytes (a decompression bomb?); refused before decoding");
    }
}

// Alpha is composited over white; 16-bit samples are scaled to 8 bits; grey becomes RGB.
RgbImage toRgb8(const fs::path& path, cv::Mat mat, ImageInfo& info) {
    info.sourceChannels = mat.channels();
    info.sourceBitDepth = mat.depth() == CV_16U ? 16 : mat.depth() == CV_8U ? 8 : 32;
    if (mat.depth() == CV_16U) {
        mat.convertTo(mat, CV_8U, 1.0 / 257.0);
    } else if (mat.depth() == CV_32F) {
        mat.convertTo(mat, CV_8U, 255.0);
    } else if (mat.depth() != CV_8U) {
        refuse(path, "has an unsupported sample type");
    }
    cv::Mat rgb;
    switch (mat.channels()) {
        case 1:
            cv::cvtColor(mat, rgb, cv::COLOR_GRAY2RGB);
            break;
        case 3:
            cv::cvtColor(mat, rgb, cv::COLOR_BGR2RGB);
            break;
        case 4: {
            cv::Mat bgra;
            mat.convertTo(bgra, CV_32F, 1.0 / 255.0);
            std::vector<cv::Mat> planes;
            cv::split(bgra, planes);
            cv::Mat composite;
            std::vector<cv::Mat> out(3);
            for (int c = 0; c < 3; ++c)
                out[2 - c] = planes[c].mul(planes[3]) + (1.0 - planes[3]);
            cv::merge(out, composite);
            composite.convertTo(rgb, CV_8U, 255.0);
            break;
        }
        default:
            refuse(path, "has " + std::to_string(mat.channels()) + " channels");
    }
    RgbImage image;
    image.width = rgb.cols;
    image.height = rgb.rows;
    image.pixels.resize(static_cast<std::size_t>(rgb.total()) * 3);
    if (rgb.isContinuous()) {
        std::memcpy(image.pixels.data(), rgb.data, image.pixels.size());
    } else {
        for (int y = 0; y < rgb.rows; ++y)
            std::memcpy(&image.pixels[static_cast<std::size_t>(y) * rgb.cols * 3], rgb.ptr(y),
                        static_cast<std::size_t>(rgb.cols) * 3);
    }
    return image;
}

LoadedImage decodeWithOpenCv(const fs::path& path, Format format, const Bytes& bytes) {
    LoadedImage loaded;
    loaded.info.path = path;
    loaded.info.format = formatName(format);
    // JPEGs carry EXIF orientation and never alpha; the other formats keep alpha and depth.
    const int flags = format == Format::Jpeg ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
    cv::Mat mat;
    try {
        mat = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U,
                                   const_cast<std::uint8_t*>(bytes.data())),
                           flags);
    } catch (const cv::Exception& e) {
        refuse(path, std::string("cannot be decoded (") + e.err + ")");
    }
    if (mat.empty())
        refuse(path, "is corrupt: the " + loaded.info.format + " decoder could not read it");
    loaded.image = toRgb8(path, mat, loaded.info);
    return loaded;
}

}  // namespace

void saveImage(const RgbImage& image, const fs::path& path) {
    if (image.empty())
        throw ImageError("cannot save an empty image to '" + path.string() + "'");
    cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    bool ok = false;
    try {
        ok = cv::imwrite(path.string(), bgr);
    } catch (const cv::Exception& e) {
        throw ImageError("cannot save image '" + path.string() + "': " + e.err);
    }
    if (!ok)
        throw ImageError("cannot save image '" + path.string() +
                         "' (unknown extension or unwritable folder)");
}

std::optional<ImageHeader> peekImageHeader(const fs::path& path) {
    const Bytes bytes = readFileBytes(path);
    const Format format = detectFormat(bytes);
    if (format == Format::Unknown)
        return std::nullopt;
    if (format == Format::Dicom)
        return readDicomHeader(path, bytes);
    ImageHeader header;
    header.format = formatName(format);
    // The checks loadImage makes before decoding, so a library import counts a truncated file
    // as unusable without decoding every image.
    const auto size = headerSize(format, bytes);
    if (!size)
        refuse(path, "has a corrupt or truncated " + formatName(format) + " header");
    if (!looksComplete(format, bytes))
        refuse(path, "is truncated: the " + formatName(format) + " data ends early");
    header.width = static_cast<int>(size->width);
    header.height = static_cast<int>(size->height);
    return header;
}

bool hasImageExtension(const fs::path& path) {
    static const std::set<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".tif",  ".tiff",
                                                      ".bmp", ".webp", ".dcm", ".dicom"};
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return kExtensions.count(extension) > 0;
}

std::vector<fs::path> listImageFiles(const fs::path& folder) {
    std::vector<fs::path> files;
    std::error_code error;
    for (fs::recursive_directory_iterator
             it(folder, fs::directory_options::skip_permission_denied, error),
         end;
         !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error) && hasImageExtension(it->path()))
            files.push_back(fs::absolute(it->path()).lexically_normal());
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });
    return files;
}

LoadedImage loadImage(const fs::path& path, const ImageLoadOptions& options) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        refuse(path, "does not exist");
    if (!fs::is_regular_file(status))
        refuse(path, "is not a regular file");
    const auto size = fs::file_size(path, ec);
    if (ec)
        refuse(path, "cannot be read: " + ec.message());
    if (size == 0)
        refuse(path, "is empty (0 bytes)");
    if (size > options.maxFileBytes)
        refuse(path, "is " + std::to_string(size) + " bytes, more than the limit");

    const Bytes bytes = readFileBytes(path);
    if (bytes.size() != size)
        refuse(path, "could not be read completely");
    const Format format = detectFormat(bytes);
    if (format == Format::Unknown) {
        refuse(path, "is not a supported image (JPEG, PNG, TIFF, BMP, WebP or DICOM)");
    }
    if (format == Format::Dicom)
        return readDicom(path, bytes, options.maxPixels);

    const auto dimensions = headerSize(format, bytes);
    if (!dimensions)
        refuse(path, "has a corrupt or truncated " + formatName(format) + " header");
    checkPixelCount(path, dimensions->width, dimensions->height, options);
    refuseDecompressionBomb(path, dimensions->width, dimensions->height, bytes.size());
    if (!looksComplete(format, bytes))
        refuse(path, "is truncated: the " + formatName(format) + " data ends early");
    if (format == Format::Jpeg) {
        // OpenCV would print libjpeg's warnings and return a damaged picture to be scored.
        if (const auto damage = jpegDamage(bytes.data(), bytes.size()))
            refuse(path, "is damaged: " + *damage);
    }
    return decodeWithOpenCv(path, format, bytes);
}

}  // namespace dermreader::engine
