#pragma once
// Decoded images as the engine and the UI share them: 8-bit RGB, plus what is known about
// where they came from. No OpenCV, DCMTK or torch types here.

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dermreader::engine {

enum class ImageModality { Unknown, Clinical, Dermoscopic };
std::string toString(ImageModality modality);  // "unknown", "clinical", "dermoscopic"
// The inverse of toString(); anything else is Unknown.
ImageModality parseModality(std::string_view text);

struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;  // RGB interleaved, row-major, width * height * 3 bytes

    bool empty() const { return width <= 0 || height <= 0; }
    static RgbImage filled(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b);
};

struct ImageInfo {
    std::filesystem::path path;
    std::string format;  // "JPEG", "PNG", "TIFF", "BMP", "WebP", "DICOM"
    ImageModality modality = ImageModality::Unknown;
    int sourceBitDepth = 8;
    int sourceChannels = 3;  // 1 grey, 3 colour, 4 with alpha
    // DICOM: patient, study and acquisition attributes by keyword (PatientName, StudyDate, ...).
    std::map<std::string, std::string> tags;
};

struct LoadedImage {
    RgbImage image;
    ImageInfo info;
};

// A file that cannot be used as an image: the message names the file and the problem.
class ImageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace dermreader::engine
