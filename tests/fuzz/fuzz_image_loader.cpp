// The image and DICOM loader on mutated JPEG, PNG, BMP, TIFF, WebP and DICOM files: every
// input either loads or is refused with ImageError; nothing crashes or hangs.
#include <filesystem>
#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/oflog/oflog.h>

#include "DicomFixtures.h"
#include "FuzzDriver.h"
#include "dermreader/engine/ImageLoader.h"

namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

fs::path workFile() {
    static const fs::path file = fuzz::workDirectory("image") / "input.img";
    return file;
}

cv::Mat pattern(int type) {
    cv::Mat m(24, 32, type);
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x)
            for (int c = 0; c < m.channels(); ++c) {
                const int v = (x * 8 + y * 5 + c * 60) % 256;
                if (m.depth() == CV_16U)
                    m.ptr<std::uint16_t>(y)[x * m.channels() + c] =
                        static_cast<std::uint16_t>(v * 257);
                else
                    m.ptr<std::uint8_t>(y)[x * m.channels() + c] = static_cast<std::uint8_t>(v);
            }
    return m;
}

std::vector<fuzz::Input> seeds() {
    DJEncoderRegistration::registerCodecs();  // the DICOM seeds are encoded, too
    DcmRLEEncoderRegistration::registerCodecs();
    std::vector<fuzz::Input> out;
    auto encode = [&out](const char* extension, const cv::Mat& image,
                         const std::vector<int>& params = {}) {
        std::vector<std::uint8_t> bytes;
        if (cv::imencode(extension, image, bytes, params))
            out.push_back(bytes);
    };
    encode(".jpg", pattern(CV_8UC3), {cv::IMWRITE_JPEG_QUALITY, 80});
    encode(".jpg", pattern(CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
    encode(".png", pattern(CV_8UC3));
    encode(".png", pattern(CV_16UC3));
    encode(".png", pattern(CV_8UC4));
    encode(".bmp", pattern(CV_8UC3));
    encode(".tif", pattern(CV_8UC3));
    encode(".webp", pattern(CV_8UC3));
    std::vector<std::uint8_t> rgb(32 * 24 * 3);
    for (std::size_t i = 0; i < rgb.size(); ++i)
        rgb[i] = static_cast<std::uint8_t>(i * 7);
    const fs::path dicom = workFile().parent_path() / "seed.dcm";
    const char* sop = "1.2.840.10008.5.1.4.1.1.77.1.7";
    for (E_TransferSyntax syntax : {EXS_LittleEndianExplicit, EXS_RLELossless, EXS_JPEGProcess1}) {
        testdata::writeDicom(dicom, 32, 24, rgb, {sop, true, syntax});
        out.push_back(fuzz::readFile(dicom));
    }
    testdata::writeDicom(dicom, 32, 24, rgb, {"1.2.840.10008.5.1.4.1.1.7", false});
    out.push_back(fuzz::readFile(dicom));
    return out;
}

void runOne(const std::uint8_t* data, std::size_t size) {
    const fs::path file = workFile();
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    eng::ImageLoadOptions options;
    options.maxPixels = 4'000'000;  // keeps each input's memory bounded
    try {
        (void)eng::loadImage(file, options);
    } catch (const eng::ImageError&) {
    }
    try {
        (void)eng::peekImageHeader(file);
    } catch (const eng::ImageError&) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);  // DCMTK's parse warnings: the driver's noise
    return fuzz::runDriver({"image_loader", seeds, runOne}, argc, argv);
}
