// Image input: every supported format read back to the same pixels, EXIF orientation, grey and
// alpha, DICOM files made with DCMTK, and every kind of bad file refused by name.
#include <QtTest>

#include <sys/stat.h>

#include <QTemporaryDir>
#include <fstream>

#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "DicomFixtures.h"
#include "dermreader/engine/ImageLoader.h"

using namespace dermreader::engine;
namespace fs = std::filesystem;

namespace {

// A colourful test card: distinct R, G, B ramps so any channel swap or flip shows.
cv::Mat testCardBgr(int width = 64, int height = 48) {
    cv::Mat m(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            m.at<cv::Vec3b>(y, x) =
                cv::Vec3b(static_cast<uchar>(40 + y * 3), static_cast<uchar>(200 - x * 2),
                          static_cast<uchar>(x * 4 % 256));
        }
    }
    return m;
}

// Mean absolute difference between a loaded image and a BGR matrix.
double meanDifference(const RgbImage& image, const cv::Mat& bgr) {
    if (image.width != bgr.cols || image.height != bgr.rows)
        return 1e9;
    double total = 0;
    for (int y = 0; y < bgr.rows; ++y) {
        for (int x = 0; x < bgr.cols; ++x) {
            const auto& p = bgr.at<cv::Vec3b>(y, x);
            const auto* q = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
            total += std::abs(q[0] - p[2]) + std::abs(q[1] - p[1]) + std::abs(q[2] - p[0]);
        }
    }
    return total / (3.0 * bgr.total());
}

void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

QString loadError(const fs::path& path, const ImageLoadOptions& options = {}) {
    try {
        loadImage(path, options);
    } catch (const ImageError& e) {
        return e.what();
    }
    return {};
}

// A minimal EXIF APP1 segment with only the orientation tag.
std::string exifOrientationSegment(std::uint16_t orientation) {
    std::string tiff = std::string("II*\0", 4) + std::string("\x08\0\0\0", 4);  // header, IFD at 8
    tiff += std::string("\x01\0", 2);                                           // 1 entry
    tiff += std::string("\x12\x01\x03\0\x01\0\0\0", 8);                         // 0x0112 SHORT x1
    tiff += static_cast<char>(orientation);
    tiff += std::string("\0\0\0", 3);
    tiff += std::string("\0\0\0\0", 4);  // no next IFD
    const std::string payload = std::string("Exif\0\0", 6) + tiff;
    const std::size_t length = payload.size() + 2;
    return std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
           static_cast<char>(length & 0xff) + payload;
}

// The card as RGB bytes for the DICOM writer.
std::vector<std::uint8_t> rgbBytes(const cv::Mat& bgr) {
    std::vector<std::uint8_t> out;
    for (int y = 0; y < bgr.rows; ++y) {
        for (int x = 0; x < bgr.cols; ++x) {
            const auto& p = bgr.at<cv::Vec3b>(y, x);
            out.insert(out.end(), {p[2], p[1], p[0]});
        }
    }
    return out;
}

void writeDicom(const fs::path& path, const cv::Mat& bgr, const testdata::DicomSpec& spec) {
    testdata::writeDicom(path, bgr.cols, bgr.rows, rgbBytes(bgr), spec);
}

}  // namespace

class TestImageLoader : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        DJEncoderRegistration::registerCodecs();
        DcmRLEEncoderRegistration::registerCodecs();
    }

    void readsEveryFormat_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("jpeg") << "card.jpg" << 4.0;
        QTest::newRow("png") << "card.png" << 0.0;
        QTest::newRow("tiff") << "card.tif" << 0.0;
        QTest::newRow("bmp") << "card.bmp" << 0.0;
        QTest::newRow("webp lossless") << "card.webp" << 0.0;
    }

    void readsEveryFormat() {
        QFETCH(QString, file);
        QFETCH(double, tolerance);
        const fs::path path = fs::path(dir_.path().toStdString()) / file.toStdString();
        const cv::Mat card = testCardBgr();
        std::vector<int> params;
        if (file.endsWith(".webp"))
            params = {cv::IMWRITE_WEBP_QUALITY, 101};
        if (file.endsWith(".jpg"))
            params = {cv::IMWRITE_JPEG_QUALITY, 98};
        QVERIFY(cv::imwrite(path.string(), card, params));
        const auto loaded = loadImage(path);
        QVERIFY2(meanDifference(loaded.image, card) <= tolerance,
                 qPrintable(QString::number(meanDifference(loaded.image, card))));
        QCOMPARE(loaded.info.sourceBitDepth, 8);
        QCOMPARE(peekImageHeader(path)->width, 64);
    }

    void sixteenBitGreyAndAlpha() {
        const fs::path root = dir_.path().toStdString();
        cv::Mat card16;
        testCardBgr().convertTo(card16, CV_16UC3, 257.0);
        QVERIFY(cv::imwrite((root / "card16.png").string(), card16));
        const auto deep = loadImage(root / "card16.png");
        QCOMPARE(deep.info.sourceBitDepth, 16);
        QCOMPARE(meanDifference(deep.image, testCardBgr()), 0.0);

        cv::Mat grey(10, 12, CV_8UC1, cv::Scalar(77));
        QVERIFY(cv::imwrite((root / "grey.png").string(), grey));
        const auto g = loadImage(root / "grey.png");
        QCOMPARE(g.info.sourceChannels, 1);
        QCOMPARE(static_cast<int>(g.image.pixels[0]), 77);
        QCOMPARE(static_cast<int>(g.image.pixels[2]), 77);

        cv::Mat alpha(4, 4, CV_8UC4, cv::Scalar(0, 0, 255, 255));  // opaque red
        alpha.at<cv::Vec4b>(0, 0) = cv::Vec4b(0, 0, 255, 0);       // transparent
        QVERIFY(cv::imwrite((root / "alpha.png").string(), alpha));
        const auto a = loadImage(root / "alpha.png");
        QCOMPARE(a.info.sourceChannels, 4);
        QCOMPARE(std::vector<int>(a.image.pixels.begin(), a.image.pixels.begin() + 3),
                 (std::vector<int>{255, 255, 255}));
        QCOMPARE(std::vector<int>(a.image.pixels.begin() + 3, a.image.pixels.begin() + 6),
                 (std::vector<int>{255, 0, 0}));
    }

    void honoursExifOrientation() {
        const fs::path root = dir_.path().toStdString();
        cv::Mat halves(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));        // red
        halves(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar(255, 0, 0));  // right half blue
        QVERIFY(cv::imwrite((root / "plain.jpg").string(), halves));
        std::string bytes = readBytes(root / "plain.jpg");
        bytes.insert(2, exifOrientationSegment(6));  // 6: rotate 90 degrees clockwise to view
        writeBytes(root / "rotated.jpg", bytes);
        const auto loaded = loadImage(root / "rotated.jpg");
        QCOMPARE(loaded.image.width, 20);
        QCOMPARE(loaded.image.height, 40);
        const auto* top = &loaded.image.pixels[(5 * 20 + 10) * 3];
        const auto* bottom = &loaded.image.pixels[(35 * 20 + 10) * 3];
        QVERIFY(top[0] > 200 && top[2] < 60);  // the left (red) half is now on top
        QVERIFY(bottom[2] > 200 && bottom[0] < 60);
    }

    void readsDicom_data() {
        QTest::addColumn<QString>("sopClass");
        QTest::addColumn<bool>("colour");
        QTest::addColumn<int>("syntax");
        QTest::addColumn<double>("tolerance");
        QTest::addColumn<QString>("modality");
        QTest::newRow("VL photographic, JPEG baseline")
            << UID_VLPhotographicImageStorage << true << static_cast<int>(EXS_JPEGProcess1) << 6.0
            << "clinical";
        QTest::newRow("secondary capture, uncompressed")
            << UID_SecondaryCaptureImageStorage << true
            << static_cast<int>(EXS_LittleEndianExplicit) << 0.0 << "unknown";
        QTest::newRow("dermoscopic photography, RLE")
            << "1.2.840.10008.5.1.4.1.1.77.1.7" << true << static_cast<int>(EXS_RLELossless) << 0.0
            << "dermoscopic";
        QTest::newRow("monochrome secondary capture")
            << UID_SecondaryCaptureImageStorage << false
            << static_cast<int>(EXS_LittleEndianExplicit) << 0.0 << "unknown";
    }

    void readsDicom() {
        QFETCH(QString, sopClass);
        QFETCH(bool, colour);
        QFETCH(int, syntax);
        QFETCH(double, tolerance);
        QFETCH(QString, modality);
        const fs::path path = fs::path(dir_.path().toStdString()) / "image.dcm";
        const cv::Mat card = testCardBgr();
        const std::string uid = sopClass.toStdString();
        writeDicom(path, card, {uid.c_str(), colour, static_cast<E_TransferSyntax>(syntax)});
        const auto loaded = loadImage(path);
        QCOMPARE(loaded.info.format, std::string("DICOM"));
        QCOMPARE(QString::fromStdString(toString(loaded.info.modality)), modality);
        QCOMPARE(loaded.info.tags.at("PatientName"), std::string("Test^Patient"));
        QCOMPARE(loaded.info.tags.at("StudyDate"), std::string("20261127"));
        if (colour) {
            QVERIFY2(meanDifference(loaded.image, card) <= tolerance,
                     qPrintable(QString::number(meanDifference(loaded.image, card))));
        } else {
            QCOMPARE(loaded.info.sourceChannels, 1);
            // The card's green ramp went in as grey; min-max windowing stretches it to 0..255.
            QCOMPARE(static_cast<int>(loaded.image.pixels[0]), 255);  // x = 0 is the brightest
            QCOMPARE(loaded.image.pixels[0], loaded.image.pixels[1]);
        }
    }

    void dicomModalityTagDecidesForSecondaryCapture() {
        const fs::path path = fs::path(dir_.path().toStdString()) / "dms.dcm";
        writeDicom(path, testCardBgr(),
                   {UID_SecondaryCaptureImageStorage, true, EXS_LittleEndianExplicit, "DMS"});
        QCOMPARE(toString(loadImage(path).info.modality), std::string("dermoscopic"));
    }

    // Issue 14.1: sequences nested thousands deep used to overflow DCMTK's recursive parser's
    // stack (SIGSEGV, the whole program gone). They are refused before DCMTK parses, with the
    // file named; ordinary sequence nesting still loads.
    void refusesDeeplyNestedDicom() {
        const fs::path root = dir_.path().toStdString();
        auto withNesting = [&](const std::string& name, int depth) {
            const fs::path path = root / name;
            writeDicom(path, testCardBgr(), {"1.2.840.10008.5.1.4.1.1.77.1.7"});
            std::string tail;
            auto u32 = [&tail](std::uint32_t v) {
                for (int i = 0; i < 4; ++i)
                    tail += static_cast<char>((v >> (8 * i)) & 0xFF);
            };
            for (int level = 0; level < depth; ++level) {
                tail += std::string("\xE1\x7F\x10\x00SQ\0\0", 8);  // (7FE1,0010) SQ
                u32(0xFFFFFFFF);
                tail += std::string("\xFE\xFF\x00\xE0", 4);  // item, undefined length
                u32(0xFFFFFFFF);
            }
            for (int level = 0; level < depth; ++level) {
                tail += std::string("\xFE\xFF\x0D\xE0", 4);  // item delimiter
                u32(0);
                tail += std::string("\xFE\xFF\xDD\xE0", 4);  // sequence delimiter
                u32(0);
            }
            std::ofstream(path, std::ios::binary | std::ios::app) << tail;
            return path;
        };
        const fs::path deep = withNesting("deep.dcm", 6000);
        const QString error = loadError(deep, {});
        QVERIFY2(error.contains("deep.dcm") && error.contains("nests sequences"),
                 qPrintable(error));
        QVERIFY_THROWS_EXCEPTION(ImageError, peekImageHeader(deep));
        // Issue 14.4: pixel data shorter than Rows x Columns was padded and scored.
        const cv::Mat card = testCardBgr();
        std::vector<std::uint8_t> half = rgbBytes(card);
        half.resize(half.size() / 2);
        testdata::writeDicom(root / "short.dcm", card.cols, card.rows, half,
                             {"1.2.840.10008.5.1.4.1.1.77.1.7"});
        const QString shortError = loadError(root / "short.dcm", {});
        QVERIFY2(
            shortError.contains("short.dcm") && shortError.contains("shorter than Rows x Columns"),
            qPrintable(shortError));
        // A few levels, as real files have: still read.
        const auto shallow = loadImage(withNesting("shallow.dcm", 3));
        QCOMPARE(shallow.image.width, testCardBgr().cols);
    }

    // Issue 14.4: JPEG data that libjpeg reports as corrupt was decoded (warnings on stderr
    // only) and scored as if whole. Now it is an error naming the file and the damage.
    void refusesDamagedJpegData() {
        const fs::path root = dir_.path().toStdString();
        cv::Mat big;
        cv::resize(testCardBgr(), big, cv::Size(320, 240), 0, 0, cv::INTER_CUBIC);
        std::vector<std::uint8_t> jpeg;
        QVERIFY(cv::imencode(".jpg", big, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90}));
        std::size_t scan = 0;  // the start-of-scan marker: entropy-coded data follows
        for (std::size_t i = 0; i + 1 < jpeg.size(); ++i) {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) {
                scan = i;
                break;
            }
        }
        QVERIFY(scan > 0);
        auto write = [&](const char* name, const std::vector<std::uint8_t>& bytes) {
            std::ofstream(root / name, std::ios::binary)
                .write(reinterpret_cast<const char*>(bytes.data()),
                       static_cast<std::streamsize>(bytes.size()));
            return root / name;
        };
        // A run of flipped bytes in the middle of the scan.
        std::vector<std::uint8_t> flipped = jpeg;
        const std::size_t middle = scan + (jpeg.size() - scan) / 2;
        // No 0xFF is made: that would be a marker, a different kind of damage.
        auto flip = [](std::uint8_t b) {
            const auto v = static_cast<std::uint8_t>(b ^ 0x5A);
            return v == 0xFF ? std::uint8_t{0} : v;
        };
        for (std::size_t i = middle; i < middle + 24; ++i)
            flipped[i] = flip(flipped[i]);
        // Cut in half, with an end marker appended so it "looks complete".
        std::vector<std::uint8_t> patched(jpeg.begin(), jpeg.begin() + static_cast<long>(middle));
        patched.push_back(0xFF);
        patched.push_back(0xD9);
        for (const auto& [name, bytes] :
             {std::pair<const char*, std::vector<std::uint8_t>>{"flipped.jpg", flipped},
              {"patched.jpg", patched}}) {
            const QString error = loadError(write(name, bytes), {});
            QVERIFY2(error.contains(name) && error.contains("is damaged"), qPrintable(error));
        }
        QCOMPARE(loadImage(write("whole.jpg", jpeg)).image.width, 320);  // the original is fine

        // The same damage inside a JPEG-encoded DICOM.
        const fs::path dicom = root / "jpeg.dcm";
        writeDicom(dicom, big, {"1.2.840.10008.5.1.4.1.1.77.1.7", true, EXS_JPEGProcess1});
        std::string bytes;
        {
            std::ifstream in(dicom, std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        QVERIFY(!loadError(dicom, {}).contains("damaged"));
        const std::size_t dataAt = bytes.size() - bytes.size() / 3;
        for (std::size_t i = dataAt; i < dataAt + 24; ++i)
            bytes[i] = static_cast<char>(flip(static_cast<std::uint8_t>(bytes[i])));
        std::ofstream(dicom, std::ios::binary | std::ios::trunc) << bytes;
        const QString dicomError = loadError(dicom, {});
        QVERIFY2(dicomError.contains("jpeg.dcm") && dicomError.contains("damaged"),
                 qPrintable(dicomError));
    }

    // Issue 14.7: a valid PNG of 20 megapixels that compresses to a few tens of kilobytes
    // (a decompression bomb within the pixel limit) is refused before it is decoded.
    void refusesDecompressionBombs() {
        const fs::path bomb = fs::path(dir_.path().toStdString()) / "bomb-20mp.png";
        QVERIFY(cv::imwrite(bomb.string(), cv::Mat(4000, 5000, CV_8UC3, cv::Scalar(200, 150, 120)),
                            {cv::IMWRITE_PNG_COMPRESSION, 9}));
        QVERIFY(fs::file_size(bomb) < 200'000);
        const QString error = loadError(bomb, {});
        QVERIFY2(error.contains("bomb-20mp.png") && error.contains("decompression bomb"),
                 qPrintable(error));
    }

    void refusesBadFiles() {
        const fs::path root = dir_.path().toStdString();
        QVERIFY(cv::imwrite((root / "good.jpg").string(), testCardBgr()));
        QVERIFY(cv::imwrite((root / "good.png").string(), testCardBgr()));
        const std::string jpeg = readBytes(root / "good.jpg"), png = readBytes(root / "good.png");

        writeBytes(root / "empty.jpg", "");
        writeBytes(root / "notes.jpg", "these are not pixels\n");
        writeBytes(root / "half.jpg", jpeg.substr(0, jpeg.size() / 2));
        writeBytes(root / "half.png", png.substr(0, png.size() / 2));
        writeBytes(root / "scrambled.jpg", jpeg.substr(0, 3) + std::string(200, '\x01'));
        // A PNG whose header claims 100000 x 100000 pixels: must be refused before decoding.
        std::string bomb = png;
        const char huge[] = {0x00, 0x01, static_cast<char>(0x86), static_cast<char>(0xA0)};
        bomb.replace(16, 4, huge, 4);
        bomb.replace(20, 4, huge, 4);
        writeBytes(root / "bomb.png", bomb);
        // Sides whose product overflows 64 bits (found by the fuzzer under UBSan).
        std::string overflow = png;
        const char wide[] = {static_cast<char>(0xF0), 0x4A, 0x3B, 0x21};
        overflow.replace(16, 4, wide, 4);
        overflow.replace(20, 4, wide, 4);
        writeBytes(root / "overflow.png", overflow);
        writeBytes(root / "fake.dcm", std::string(128, '\0') + "DICM" + std::string(64, '\x7f'));
        fs::create_directories(root / "folder.png");

        auto expect = [&](const char* file, const char* text,
                          const ImageLoadOptions& options = {}) {
            const QString error = loadError(root / file, options);
            QVERIFY2(error.contains(QString::fromStdString((root / file).string())),
                     qPrintable(error));
            QVERIFY2(error.contains(text), qPrintable(error));
        };
        expect("missing.jpg", "does not exist");
        expect("folder.png", "is not a regular file");
        expect("empty.jpg", "is empty (0 bytes)");
        expect("notes.jpg", "is not a supported image");
        expect("half.jpg", "is truncated");
        expect("half.png", "truncated");
        expect("scrambled.jpg", "corrupt or truncated JPEG header");
        expect("bomb.png", "is 100000 x 100000 pixels, more than the limit");
        expect("overflow.png", "more than the limit");
        expect("fake.dcm", "cannot be parsed");
        ImageLoadOptions tiny;
        tiny.maxPixels = 100;
        expect("good.png", "refused before decoding", tiny);
        // The header peek (what a library import uses) refuses the same truncated files, so
        // the import counts them as unusable without decoding.
        for (const char* file : {"half.jpg", "half.png", "scrambled.jpg"}) {
            QString error;
            try {
                peekImageHeader(root / file);
            } catch (const ImageError& e) {
                error = QString::fromUtf8(e.what());
            }
            QVERIFY2(error.contains("truncated") && error.contains(file), qPrintable(error));
        }
        QCOMPARE(peekImageHeader(root / "good.jpg")->height, testCardBgr().rows);
        // Issue 14.2: a FIFO named like an image is refused without blocking on a read.
        QCOMPARE(::mkfifo((root / "pipe.jpg").c_str(), 0600), 0);
        expect("pipe.jpg", "is not a regular file");
        QVERIFY(!peekImageHeader(root / "pipe.jpg").has_value());
        QVERIFY(!peekImageHeader(root / "notes.jpg").has_value());
    }

  private:
    QTemporaryDir dir_;
};

QTEST_APPLESS_MAIN(TestImageLoader)
#include "tst_image_loader.moc"
