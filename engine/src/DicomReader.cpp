#include "DicomReader.h"

#include "ImageFormats.h"
#include "JpegIntegrity.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimage/diregist.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dermreader::engine::detail {
namespace {

constexpr const char* kDermoscopicPhotographyStorage = "1.2.840.10008.5.1.4.1.1.77.1.7";

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& problem) {
    throw ImageError("DICOM file '" + path.string() + "': " + problem);
}

// DCMTK 3.6.7 parses nested sequences recursively: a small file nesting a few thousand
// levels overflows the stack (SIGSEGV, issue 14.1). Before DCMTK sees a file, this walk counts
// the nesting without recursion, in linear time, and refuses deep files. It reads only the
// structure (tags, VRs, lengths); anything it cannot follow is left to DCMTK to report.
constexpr std::size_t kMaxNesting = 64;  // sequence + item levels; real files use under 10
constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;

class StructureWalk {
  public:
    explicit StructureWalk(const Bytes& bytes) : b_(bytes) {}

    // The deepest nesting seen (stops counting past the limit).
    std::size_t maxDepth() {
        std::size_t pos = 0;
        if (b_.size() >= 132 && b_[128] == 'D' && b_[129] == 'I' && b_[130] == 'C' &&
            b_[131] == 'M')
            pos = 132;
        // The meta group is always explicit VR little endian; the dataset follows its
        // transfer syntax.
        bool explicitVr = true;
        bool bigEndian = false;
        bool inMeta = true;
        std::size_t deepest = 0;
        while (pos + 8 <= b_.size()) {
            while (!ends_.empty() && ends_.back().end != kUndefined && pos >= ends_.back().end)
                ends_.pop_back();
            const std::uint16_t group = u16(pos, bigEndian && !inMeta);
            if (inMeta && group != 0x0002) {
                inMeta = false;
                explicitVr = transferSyntax_ != "1.2.840.10008.1.2";
                bigEndian = transferSyntax_ == "1.2.840.10008.1.2.2";
                if (transferSyntax_ == "1.2.840.10008.1.2.1.99")
                    return deepest;  // deflated: DCMTK inflates it; nothing to walk here
                continue;
            }
            const bool be = bigEndian && !inMeta;
            const std::uint16_t element = u16(pos + 2, be);
            if (group == 0xFFFE) {  // items and delimiters: no VR, 32-bit length
                const std::uint32_t length = u32(pos + 4, be);
                pos += 8;
                if (element == 0xE000 && !ends_.empty() && ends_.back().raw) {
                    // A fragment of encapsulated pixel data: compressed bytes, not elements.
                    if (length != kUndefinedLength)
                        pos += length;
                } else if (element == 0xE000) {
                    ends_.push_back(
                        {length == kUndefinedLength ? kUndefined : pos + length, false});
                } else if (!ends_.empty() && ends_.back().end == kUndefined) {
                    ends_.pop_back();  // an item or sequence delimiter closes the open level
                }
                deepest = std::max(deepest, ends_.size());
                if (deepest > kMaxNesting)
                    return deepest;
                continue;
            }
            std::uint32_t length = 0;
            bool sequence = false;
            if (explicitVr || inMeta) {
                const char vr[2] = {static_cast<char>(b_[pos + 4]), static_cast<char>(b_[pos + 5])};
                if (longForm(vr)) {
                    if (pos + 12 > b_.size())
                        break;
                    length = u32(pos + 8, be);
                    pos += 12;
                } else {
                    length = u16(pos + 6, be);
                    pos += 8;
                }
                sequence = vr[0] == 'S' && vr[1] == 'Q';
            } else {
                length = u32(pos + 4, be);
                pos += 8;
                sequence = DcmTag(group, element).getEVR() == EVR_SQ;
            }
            if (inMeta && group == 0x0002 && element == 0x0010 && length < 128 &&
                pos + length <= b_.size())
                transferSyntax_ = trimmed(pos, length);
            if (sequence || length == kUndefinedLength) {
                // A sequence (or encapsulated pixel data): its items are the next level.
                const bool pixelData = group == 0x7FE0 && element == 0x0010;
                ends_.push_back(
                    {length == kUndefinedLength ? kUndefined : pos + length, pixelData});
                deepest = std::max(deepest, ends_.size());
                if (deepest > kMaxNesting)
                    return deepest;
                continue;
            }
            pos += length;
        }
        return deepest;
    }

  private:
    static constexpr std::size_t kUndefined = static_cast<std::size_t>(-1);

    static bool longForm(const char vr[2]) {
        static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                      "SV", "UC", "UN", "UR", "UT", "UV"};
        for (const char* l : kLong) {
            if (vr[0] == l[0] && vr[1] == l[1])
                return true;
        }
        return false;
    }
    std::uint16_t u16(std::size_t at, bool bigEndian) const {
        return bigEndian ? static_cast<std::uint16_t>(b_[at] << 8 | b_[at + 1])
                         : static_cast<std::uint16_t>(b_[at] | b_[at + 1] << 8);
    }
    std::uint32_t u32(std::size_t at, bool bigEndian) const {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(b_[at + (bigEndian ? 3 - i : i)]) << (8 * i);
        return v;
    }
    std::string trimmed(std::size_t at, std::size_t length) const {
        std::string text(b_.begin() + static_cast<long>(at),
                         b_.begin() + static_cast<long>(at + length));
        while (!text.empty() && (text.back() == '\0' || text.back() == ' '))
            text.pop_back();
        return text;
    }

    struct Level {
        std::size_t end;  // kUndefined: at a delimiter
        bool raw;         // encapsulated pixel data: its items are compressed fragments
    };
    const Bytes& b_;
    std::vector<Level> ends_;
    std::string transferSyntax_ = "1.2.840.10008.1.2.1";
};

void refuseDeepNesting(const std::filesystem::path& path, const Bytes& bytes) {
    if (StructureWalk(bytes).maxDepth() > kMaxNesting) {
        refuse(path, "nests sequences more than " + std::to_string(kMaxNesting / 2) +
                         " levels deep (refused before parsing)");
    }
}

// DCMTK's JPEG decoder logs libjpeg's corruption warnings and renders the image anyway: the
// first frame's bitstream gets the same check as a JPEG file (baseline and extended, which
// libjpeg decodes; lossless JPEG is left to DCMTK).
void refuseDamagedJpegFrame(const std::filesystem::path& path, DcmDataset& dataset) {
    const E_TransferSyntax syntax = dataset.getOriginalXfer();
    if (syntax != EXS_JPEGProcess1 && syntax != EXS_JPEGProcess2_4)
        return;
    DcmElement* element = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, element).bad() || !element)
        return;
    DcmPixelSequence* sequence = nullptr;
    if (static_cast<DcmPixelData*>(element)
            ->getEncapsulatedRepresentation(syntax, nullptr, sequence)
            .bad() ||
        !sequence)
        return;
    // Item 0 is the offset table; a single frame's bitstream is the rest, in order.
    std::vector<std::uint8_t> bitstream;
    for (unsigned long i = 1; i < sequence->card(); ++i) {
        DcmPixelItem* item = nullptr;
        Uint8* bytes = nullptr;
        if (sequence->getItem(item, i).bad() || !item || item->getUint8Array(bytes).bad() || !bytes)
            continue;
        bitstream.insert(bitstream.end(), bytes, bytes + item->getLength());
    }
    if (bitstream.empty())
        return;
    if (const auto damage = jpegDamage(bitstream.data(), bitstream.size()))
        refuse(path, "JPEG pixel data is damaged: " + *damage);
}

void registerDecoders() {
    static std::once_flag once;
    std::call_once(once, [] {
        DJDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

std::string stringTag(DcmDataset& dataset, const DcmTagKey& key) {
    OFString value;
    if (dataset.findAndGetOFStringArray(key, value).good())
        return value.c_str();
    return {};
}

ImageModality modalityOf(const std::string& sopClass, const std::string& modalityTag) {
    if (sopClass == kDermoscopicPhotographyStorage || modalityTag == "DMS")
        return ImageModality::Dermoscopic;
    if (sopClass == UID_VLPhotographicImageStorage || modalityTag == "XC")
        return ImageModality::Clinical;
    return ImageModality::Unknown;
}

// Patient, study and acquisition attributes the UI shows and the library indexes.
void readAttributes(DcmDataset& dataset, std::map<std::string, std::string>& tags) {
    static const std::pair<const char*, DcmTagKey> kTags[] = {
        {"PatientName", DCM_PatientName},
        {"PatientID", DCM_PatientID},
        {"PatientBirthDate", DCM_PatientBirthDate},
        {"PatientSex", DCM_PatientSex},
        {"StudyDate", DCM_StudyDate},
        {"StudyDescription", DCM_StudyDescription},
        {"SeriesDescription", DCM_SeriesDescription},
        {"Modality", DCM_Modality},
        {"BodyPartExamined", DCM_BodyPartExamined},
        {"LesionNumber", DCM_LesionNumber},
        {"ImageLaterality", DCM_ImageLaterality},
        {"AcquisitionDateTime", DCM_AcquisitionDateTime},
        {"Manufacturer", DCM_Manufacturer},
        {"PixelSpacing", DCM_PixelSpacing},
        {"SOPClassUID", DCM_SOPClassUID},
        {"StudyInstanceUID", DCM_StudyInstanceUID},
        {"PhotometricInterpretation", DCM_PhotometricInterpretation}};
    for (const auto& [name, key] : kTags) {
        const std::string value = stringTag(dataset, key);
        if (!value.empty())
            tags[name] = value;
    }
}

ImageModality modalityOf(const std::map<std::string, std::string>& tags) {
    auto value = [&tags](const char* key) {
        auto it = tags.find(key);
        return it == tags.end() ? std::string() : it->second;
    };
    return modalityOf(value("SOPClassUID"), value("Modality"));
}

}  // namespace

LoadedImage readDicom(const std::filesystem::path& path, const Bytes& bytes,
                      std::int64_t maxPixels) {
    registerDecoders();
    refuseDeepNesting(path, bytes);
    DcmFileFormat file;
    const OFCondition status = file.loadFile(path.c_str());
    if (status.bad())
        refuse(path, std::string("cannot be parsed (") + status.text() + ")");
    DcmDataset& dataset = *file.getDataset();

    Uint16 rows = 0, columns = 0;
    if (dataset.findAndGetUint16(DCM_Rows, rows).bad() ||
        dataset.findAndGetUint16(DCM_Columns, columns).bad()) {
        refuse(path, "holds no image (no Rows/Columns)");
    }
    if (std::int64_t{rows} * columns > maxPixels)
        refuse(path, "is larger than the pixel limit");
    std::error_code sizeError;
    if (looksLikeDecompressionBomb(columns, rows, std::filesystem::file_size(path, sizeError))) {
        refuse(path, "claims " + std::to_string(columns) + " x " + std::to_string(rows) +
                         " pixels in a file far too small for them (a decompression bomb?)");
    }
    if (!dataset.tagExists(DCM_PixelData))
        refuse(path, "holds no pixel data");

    LoadedImage loaded;
    loaded.info.path = path;
    loaded.info.format = "DICOM";
    readAttributes(dataset, loaded.info.tags);
    loaded.info.modality = modalityOf(loaded.info.tags);
    Uint16 bitsStored = 8;
    dataset.findAndGetUint16(DCM_BitsStored, bitsStored);
    loaded.info.sourceBitDepth = bitsStored;

    // Uncompressed pixel data shorter than one frame: DCMTK pads it silently, and the padding
    // would be scored as if it were skin.
    DcmElement* pixelElement = nullptr;
    if (!DcmXfer(dataset.getOriginalXfer()).isEncapsulated() &&
        dataset.findAndGetElement(DCM_PixelData, pixelElement).good() && pixelElement) {
        Uint16 samples = 1, bitsAllocated = 8;
        dataset.findAndGetUint16(DCM_SamplesPerPixel, samples);
        dataset.findAndGetUint16(DCM_BitsAllocated, bitsAllocated);
        const std::uint64_t expected = std::uint64_t{rows} * columns *
                                       std::max<Uint16>(samples, 1) *
                                       std::max<Uint16>(bitsAllocated, 8) / 8;
        if (pixelElement->getLength() < expected) {
            refuse(path, "pixel data is shorter than Rows x Columns: " +
                             std::to_string(pixelElement->getLength()) + " of " +
                             std::to_string(expected) + " bytes");
        }
    }
    refuseDamagedJpegFrame(path, dataset);
    auto image = std::make_unique<DicomImage>(&file, dataset.getOriginalXfer(),
                                              CIF_MayDetachPixelData, 0, 1);
    if (image->getStatus() != EIS_Normal) {
        refuse(path, std::string("pixel data cannot be decoded (") +
                         DicomImage::getString(image->getStatus()) + ")");
    }
    const bool mono = image->isMonochrome();
    loaded.info.sourceChannels = mono ? 1 : 3;
    if (mono) {
        if (image->getWindowCount() > 0) {
            image->setWindow(0);
        } else {
            image->setMinMaxWindow();
        }
    }
    const unsigned long width = image->getWidth(), height = image->getHeight();
    const auto* data = static_cast<const Uint8*>(image->getOutputData(8, 0, 0));
    if (!data)
        refuse(path, "pixel data cannot be rendered");

    RgbImage& rgb = loaded.image;
    rgb.width = static_cast<int>(width);
    rgb.height = static_cast<int>(height);
    rgb.pixels.resize(static_cast<std::size_t>(width) * height * 3);
    for (std::size_t i = 0; i < static_cast<std::size_t>(width) * height; ++i) {
        for (int c = 0; c < 3; ++c)
            rgb.pixels[3 * i + c] = mono ? data[i] : data[3 * i + c];
    }
    return loaded;
}

void refuseUnsafeDicom(const std::filesystem::path& path, const Bytes& bytes) {
    refuseDeepNesting(path, bytes);
}

ImageHeader readDicomHeader(const std::filesystem::path& path, const Bytes& bytes) {
    refuseDeepNesting(path, bytes);
    DcmFileFormat file;
    // Large values (the pixel data) stay on disk: only the attributes are read.
    constexpr Uint32 kMaxValueLength = 4096;
    const OFCondition status =
        file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kMaxValueLength);
    if (status.bad())
        refuse(path, std::string("cannot be parsed (") + status.text() + ")");
    DcmDataset& dataset = *file.getDataset();
    ImageHeader header;
    header.format = "DICOM";
    Uint16 rows = 0, columns = 0;
    dataset.findAndGetUint16(DCM_Rows, rows);
    dataset.findAndGetUint16(DCM_Columns, columns);
    header.width = columns;
    header.height = rows;
    readAttributes(dataset, header.tags);
    header.modality = modalityOf(header.tags);
    return header;
}

}  // namespace dermreader::engine::detail
