#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "Csv.h"
#include "dermreader/training/Dataset.h"

namespace dermreader::training {
namespace fs = std::filesystem;
using detail::CsvRow;

namespace {

const std::map<DatasetFormat, std::string_view>& formatNames() {
    static const std::map<DatasetFormat, std::string_view> names = {
        {DatasetFormat::FolderPerClass, "folder"},
        {DatasetFormat::Ham10000, "ham10000"},
        {DatasetFormat::Isic2017, "isic2017"},
        {DatasetFormat::PadUfes20, "pad-ufes-20"},
        {DatasetFormat::GenericCsv, "csv"}};
    return names;
}

// The taxonomy alias set each format's labels belong to ("" = ids, names, any alias).
std::string aliasSetOf(DatasetFormat format) {
    switch (format) {
        case DatasetFormat::Ham10000:
            return "ham10000";
        case DatasetFormat::Isic2017:
            return "isic2017";
        case DatasetFormat::PadUfes20:
            return "pad-ufes-20";
        default:
            return "";
    }
}

const std::set<std::string>& imageExtensions() {
    static const std::set<std::string> extensions = {".jpg", ".jpeg", ".png", ".tif",  ".tiff",
                                                     ".bmp", ".webp", ".dcm", ".dicom"};
    return extensions;
}

bool hasImageExtension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return imageExtensions().count(ext) > 0;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(const std::string& s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string::npos)
        return "";
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::string where(const fs::path& file, int line) {
    return file.string() + ":" + std::to_string(line);
}

// Column positions by header name; reports the missing required ones.
class Header {
  public:
    Header(const CsvRow& row) {
        for (std::size_t i = 0; i < row.fields.size(); ++i) {
            columns_[lower(trim(row.fields[i]))] = i;
        }
    }
    std::optional<std::size_t> find(const std::string& name) const {
        auto it = columns_.find(name);
        if (it == columns_.end())
            return std::nullopt;
        return it->second;
    }
    std::vector<std::string> missing(const std::vector<std::string>& required) const {
        std::vector<std::string> out;
        for (const auto& name : required) {
            if (!find(name))
                out.push_back(name);
        }
        return out;
    }

  private:
    std::map<std::string, std::size_t> columns_;
};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "'" : ", '") + item + "'";
    return out;
}

class Importer {
  public:
    Importer(DatasetFormat format, const taxonomy::Taxonomy& taxonomy, const ImportOptions& options)
        : format_(format), taxonomy_(taxonomy), options_(options) {}

    Dataset run(const fs::path& source) {
        dataset_.format = format_;
        dataset_.source = source;
        switch (format_) {
            case DatasetFormat::FolderPerClass:
                readFolderPerClass(source);
                break;
            case DatasetFormat::Ham10000:
                readHam10000(source);
                break;
            case DatasetFormat::Isic2017:
                readIsic2017(source);
                break;
            case DatasetFormat::PadUfes20:
                readPadUfes20(source);
                break;
            case DatasetFormat::GenericCsv:
                readGenericCsv(source);
                break;
        }
        resolveAndCheck();
        return std::move(dataset_);
    }

  private:
    // --- sources -----------------------------------------------------------------------------

    // `source` may be the metadata file or the folder holding it.
    fs::path metadataFile(const fs::path& source, const std::vector<std::string>& names) {
        if (fs::is_regular_file(source))
            return source;
        for (const auto& name : names) {
            if (fs::is_regular_file(source / name))
                return source / name;
        }
        throw DatasetError(source.string() + ": no " + joined(names) + " found there");
    }

    static fs::path imageFolder(const fs::path& csv) {
        const fs::path dir = csv.parent_path();
        return fs::is_directory(dir / "images") ? dir / "images" : dir;
    }

    std::vector<CsvRow> readRows(const fs::path& csv, const std::vector<std::string>& required,
                                 Header*& header) {
        std::vector<CsvRow> rows;
        try {
            rows = detail::readCsvFile(csv);
        } catch (const detail::CsvError& e) {
            throw DatasetError(e.what());
        }
        if (rows.empty())
            throw DatasetError(csv.string() + ": the file is empty");
        header_ = std::make_unique<Header>(rows.front());
        const auto missing = header_->missing(required);
        if (!missing.empty()) {
            throw DatasetError(csv.string() + ": the header lacks column(s) " + joined(missing) +
                               " (found: " +
                               [&] {
                                   std::string found;
                                   for (const auto& f : rows.front().fields)
                                       found += (found.empty() ? "" : ",") + f;
                                   return found;
                               }() +
                               ")");
        }
        header = header_.get();
        rows.erase(rows.begin());
        return rows;
    }

    // A field by column name; reports a short row.
    std::optional<std::string> field(const CsvRow& row, const fs::path& csv, const Header& header,
                                     const std::string& column, bool required = true) {
        const auto index = header.find(column);
        if (!index)
            return std::string();
        if (*index >= row.fields.size()) {
            if (required) {
                badRow(csv, row.line,
                       "has " + std::to_string(row.fields.size()) + " fields, no '" + column + "'");
            }
            return std::nullopt;
        }
        return trim(row.fields[*index]);
    }

    void badRow(const fs::path& file, int line, const std::string& message) {
        addProblem(DatasetProblem::Kind::BadRow, where(file, line), "row " + message);
    }

    void addImage(LabelledImage image) { dataset_.images.push_back(std::move(image)); }

    void readHam10000(const fs::path& source) {
        const fs::path csv = metadataFile(source, {"HAM10000_metadata.csv", "HAM10000_metadata"});
        dataset_.name = "HAM10000";
        Header* header = nullptr;
        const auto rows = readRows(csv, {"lesion_id", "image_id", "dx"}, header);
        const fs::path images = imageFolder(csv);
        for (const auto& row : rows) {
            auto lesion = field(row, csv, *header, "lesion_id");
            auto id = field(row, csv, *header, "image_id");
            auto dx = field(row, csv, *header, "dx");
            auto dxType = field(row, csv, *header, "dx_type", false);
            if (!lesion || !id || !dx)
                continue;
            if (id->empty() || dx->empty()) {
                badRow(csv, row.line, "has an empty image_id or dx");
                continue;
            }
            LabelledImage image;
            image.path = images / (*id + ".jpg");
            image.imageId = *id;
            image.label = *dx;
            image.group = lesion->empty() ? *id : *lesion;
            image.modality = Modality::Dermoscopic;
            if (dxType && !dxType->empty())
                image.biopsyProven = (*dxType == "histo");
            image.origin = where(csv, row.line);
            addImage(std::move(image));
        }
    }

    std::optional<bool> parseFlag(const std::string& value) {
        const std::string v = lower(value);
        if (v == "1" || v == "1.0" || v == "true" || v == "yes")
            return true;
        if (v == "0" || v == "0.0" || v == "false" || v == "no")
            return false;
        return std::nullopt;
    }

    void readIsic2017(const fs::path& source) {
        const fs::path csv =
            metadataFile(source, {"ground_truth.csv", "ISIC-2017_Training_Part3_GroundTruth.csv",
                                  "ISIC-2017_Validation_Part3_GroundTruth.csv",
                                  "ISIC-2017_Test_v2_Part3_GroundTruth.csv"});
        dataset_.name = "ISIC 2017";
        Header* header = nullptr;
        const auto rows = readRows(csv, {"image_id", "melanoma", "seborrheic_keratosis"}, header);
        const fs::path images = imageFolder(csv);
        for (const auto& row : rows) {
            auto id = field(row, csv, *header, "image_id");
            auto mel = field(row, csv, *header, "melanoma");
            auto sk = field(row, csv, *header, "seborrheic_keratosis");
            if (!id || !mel || !sk)
                continue;
            const auto isMel = parseFlag(*mel);
            const auto isSk = parseFlag(*sk);
            if (id->empty() || !isMel || !isSk) {
                badRow(csv, row.line,
                       "needs an image_id and 0/1 in melanoma and seborrheic_keratosis");
                continue;
            }
            if (*isMel && *isSk) {
                badRow(csv, row.line, "is marked both melanoma and seborrheic keratosis");
                continue;
            }
            LabelledImage image;
            image.path = images / (*id + ".jpg");
            image.imageId = *id;
            image.label = *isMel ? "melanoma" : *isSk ? "seborrheic_keratosis" : "nevus";
            image.group = *id;
            image.modality = Modality::Dermoscopic;
            image.origin = where(csv, row.line);
            addImage(std::move(image));
        }
    }

    void readPadUfes20(const fs::path& source) {
        const fs::path csv = metadataFile(source, {"metadata.csv"});
        dataset_.name = "PAD-UFES-20";
        Header* header = nullptr;
        const auto rows = readRows(csv, {"patient_id", "img_id", "diagnostic"}, header);
        const fs::path images = imageFolder(csv);
        for (const auto& row : rows) {
            auto patient = field(row, csv, *header, "patient_id");
            auto id = field(row, csv, *header, "img_id");
            auto diagnostic = field(row, csv, *header, "diagnostic");
            auto biopsied = field(row, csv, *header, "biopsed", false);
            if (!patient || !id || !diagnostic)
                continue;
            if (id->empty() || diagnostic->empty() || patient->empty()) {
                badRow(csv, row.line, "has an empty patient_id, img_id or diagnostic");
                continue;
            }
            LabelledImage image;
            image.path = images / *id;
            image.imageId = *id;
            image.label = *diagnostic;
            image.group = *patient;  // several lesions per patient: split by patient
            image.modality = Modality::Clinical;
            if (biopsied && !biopsied->empty())
                image.biopsyProven = parseFlag(*biopsied);
            image.origin = where(csv, row.line);
            addImage(std::move(image));
        }
    }

    void readGenericCsv(const fs::path& csv) {
        if (!fs::is_regular_file(csv))
            throw DatasetError(csv.string() + ": not a file");
        dataset_.name = csv.stem().string();
        Header* header = nullptr;
        const auto rows = readRows(csv, {"path", "label"}, header);
        const fs::path base = csv.parent_path();
        for (const auto& row : rows) {
            auto path = field(row, csv, *header, "path");
            auto label = field(row, csv, *header, "label");
            auto group = field(row, csv, *header, "group", false);
            auto modality = field(row, csv, *header, "modality", false);
            auto biopsy = field(row, csv, *header, "biopsy_proven", false);
            if (!path || !label)
                continue;
            if (path->empty() || label->empty()) {
                badRow(csv, row.line, "has an empty path or label");
                continue;
            }
            LabelledImage image;
            image.path = fs::path(*path).is_absolute() ? fs::path(*path) : base / *path;
            image.imageId = *path;
            image.label = *label;
            image.group = (group && !group->empty()) ? *group : *path;
            if (modality && !modality->empty()) {
                const std::string m = lower(*modality);
                if (m == "clinical") {
                    image.modality = Modality::Clinical;
                } else if (m == "dermoscopic" || m == "dermoscopy") {
                    image.modality = Modality::Dermoscopic;
                } else {
                    badRow(csv, row.line,
                           "has modality '" + *modality +
                               "' (expected clinical, dermoscopic or empty)");
                    continue;
                }
            }
            if (biopsy && !biopsy->empty()) {
                image.biopsyProven = parseFlag(*biopsy);
                if (!image.biopsyProven) {
                    badRow(csv, row.line,
                           "has biopsy_proven '" + *biopsy +
                               "' (expected 1/0, true/false, yes/no or empty)");
                    continue;
                }
            }
            image.origin = where(csv, row.line);
            addImage(std::move(image));
        }
    }

    void readFolderPerClass(const fs::path& root) {
        if (!fs::is_directory(root))
            throw DatasetError(root.string() + ": not a folder");
        dataset_.name = root.filename().string();
        std::vector<fs::path> classDirs;
        for (const auto& entry : fs::directory_iterator(root)) {
            if (entry.is_directory())
                classDirs.push_back(entry.path());
        }
        std::sort(classDirs.begin(), classDirs.end());
        if (classDirs.empty())
            throw DatasetError(root.string() + ": has no class folders");
        for (const auto& dir : classDirs) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::recursive_directory_iterator(dir)) {
                if (entry.is_regular_file() && hasImageExtension(entry.path())) {
                    files.push_back(entry.path());
                }
            }
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                LabelledImage image;
                image.path = file;
                image.imageId = fs::relative(file, root).string();
                image.label = dir.filename().string();
                image.group = image.imageId;
                image.origin = file.string();
                addImage(std::move(image));
            }
        }
    }

    // --- checks ------------------------------------------------------------------------------

    void addProblem(DatasetProblem::Kind kind, std::string at, std::string message) {
        problemRows_.insert(at);
        dataset_.problems.push_back({kind, std::move(at), std::move(message)});
    }

    void resolveAndCheck() {
        const std::string aliasSet = aliasSetOf(format_);
        std::map<std::string, std::pair<int, std::string>> unknown;  // label -> (count, first)
        std::map<std::string, std::string> seenIds, seenPaths;
        for (auto& image : dataset_.images) {
            if (auto node = taxonomy_.resolveLabel(aliasSet, image.label)) {
                image.node = *node;
            } else {
                auto& entry = unknown[image.label];
                if (entry.first++ == 0)
                    entry.second = image.origin;
                problemRows_.insert(image.origin);
            }
            if (!seenIds.emplace(image.imageId, image.origin).second) {
                addProblem(DatasetProblem::Kind::Duplicate, image.origin,
                           "image '" + image.imageId + "' is listed again (first at " +
                               seenIds[image.imageId] + ")");
            } else if (!seenPaths.emplace(image.path.lexically_normal().string(), image.origin)
                            .second) {
                addProblem(DatasetProblem::Kind::Duplicate, image.origin,
                           "file '" + image.path.string() + "' is listed again (first at " +
                               seenPaths[image.path.lexically_normal().string()] + ")");
            }
            if (options_.checkFilesExist && !fs::is_regular_file(image.path)) {
                addProblem(DatasetProblem::Kind::MissingFile, image.origin,
                           "image file '" + image.path.string() + "' does not exist");
            }
        }
        for (const auto& [label, info] : unknown) {
            const std::string setName = aliasSet.empty() ? "any alias set" : aliasSet;
            addProblem(DatasetProblem::Kind::UnknownLabel, info.second,
                       "label '" + label + "' (" + std::to_string(info.first) +
                           " image(s)) is not known to the taxonomy (" + setName + ")");
        }
        if (dataset_.problems.empty())
            return;
        if (options_.strict)
            throw DatasetError(dataset_.source.string(), dataset_.problems);
        auto& images = dataset_.images;
        images.erase(std::remove_if(images.begin(), images.end(),
                                    [&](const LabelledImage& image) {
                                        return problemRows_.count(image.origin) > 0;
                                    }),
                     images.end());
    }

    DatasetFormat format_;
    const taxonomy::Taxonomy& taxonomy_;
    const ImportOptions& options_;
    Dataset dataset_;
    std::unique_ptr<Header> header_;
    std::set<std::string> problemRows_;
};

std::string summarise(const std::string& source, const std::vector<DatasetProblem>& problems) {
    std::map<DatasetProblem::Kind, std::vector<const DatasetProblem*>> byKind;
    for (const auto& p : problems)
        byKind[p.kind].push_back(&p);
    static const std::map<DatasetProblem::Kind, const char*> titles = {
        {DatasetProblem::Kind::BadRow, "bad rows"},
        {DatasetProblem::Kind::UnknownLabel, "unknown labels"},
        {DatasetProblem::Kind::MissingFile, "missing files"},
        {DatasetProblem::Kind::Duplicate, "duplicates"}};
    constexpr std::size_t kShownPerKind = 20;
    std::ostringstream out;
    out << "dataset '" << source << "' has " << problems.size() << " problem(s):";
    for (const auto& [kind, list] : byKind) {
        out << "\n" << titles.at(kind) << " (" << list.size() << "):";
        for (std::size_t i = 0; i < list.size() && i < kShownPerKind; ++i) {
            out << "\n  " << list[i]->where << ": " << list[i]->message;
        }
        if (list.size() > kShownPerKind) {
            out << "\n  ... and " << list.size() - kShownPerKind << " more";
        }
    }
    return out.str();
}

}  // namespace

DatasetError::DatasetError(const std::string& source, std::vector<DatasetProblem> problems)
    : std::runtime_error(summarise(source, problems)), problems_(std::move(problems)) {}

DatasetError::DatasetError(const std::string& message) : std::runtime_error(message) {}

std::string_view toString(DatasetFormat format) {
    return formatNames().at(format);
}

std::optional<DatasetFormat> parseDatasetFormat(std::string_view name) {
    const std::string wanted = lower(std::string(name));
    for (const auto& [format, formatName] : formatNames()) {
        if (wanted == formatName)
            return format;
    }
    if (wanted == "pad-ufes20" || wanted == "padufes20")
        return DatasetFormat::PadUfes20;
    return std::nullopt;
}

std::vector<std::int64_t> Dataset::countsPerNode(const taxonomy::Taxonomy& taxonomy) const {
    std::vector<std::int64_t> counts(taxonomy.size(), 0);
    for (const auto& image : images) {
        if (image.node != taxonomy::kNoNode)
            ++counts[static_cast<std::size_t>(image.node)];
    }
    return counts;
}

std::optional<DatasetFormat> detectDatasetFormat(const fs::path& source) {
    std::error_code ec;
    fs::path csv = source;
    if (fs::is_directory(source, ec)) {
        for (const char* name : {"HAM10000_metadata.csv", "ground_truth.csv", "metadata.csv"}) {
            if (fs::is_regular_file(source / name, ec)) {
                csv = source / name;
                break;
            }
        }
        if (csv == source)
            return DatasetFormat::FolderPerClass;
    }
    std::vector<CsvRow> rows;
    try {
        rows = detail::readCsvFile(csv);
    } catch (const detail::CsvError&) {
        return std::nullopt;
    }
    if (rows.empty())
        return std::nullopt;
    const Header header(rows.front());
    if (header.missing({"lesion_id", "image_id", "dx"}).empty())
        return DatasetFormat::Ham10000;
    if (header.missing({"image_id", "melanoma", "seborrheic_keratosis"}).empty()) {
        return DatasetFormat::Isic2017;
    }
    if (header.missing({"patient_id", "img_id", "diagnostic"}).empty()) {
        return DatasetFormat::PadUfes20;
    }
    if (header.missing({"path", "label"}).empty())
        return DatasetFormat::GenericCsv;
    return std::nullopt;
}

Dataset importDataset(const fs::path& source, DatasetFormat format,
                      const taxonomy::Taxonomy& taxonomy, const ImportOptions& options) {
    if (!fs::exists(source))
        throw DatasetError(source.string() + ": does not exist");
    return Importer(format, taxonomy, options).run(source);
}

}  // namespace dermreader::training
