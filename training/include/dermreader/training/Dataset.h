#pragma once
// Labelled image datasets: import from the formats trainers have (a folder per class, the
// HAM10000, ISIC 2017 and PAD-UFES-20 metadata files, a generic CSV), with every label mapped
// to a taxonomy node through the taxonomy's aliases.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dermreader/engine/Image.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::training {

enum class DatasetFormat { FolderPerClass, Ham10000, Isic2017, PadUfes20, GenericCsv };
// The engine's: a dataset's modality is the images' (engine::toString/parseModality).
using Modality = engine::ImageModality;

std::string_view toString(DatasetFormat format);
std::optional<DatasetFormat> parseDatasetFormat(std::string_view name);

struct LabelledImage {
    std::filesystem::path path;
    std::string imageId;  // unique within the dataset
    std::string label;    // as written in the source
    taxonomy::NodeIndex node = taxonomy::kNoNode;
    // Images sharing a group (lesion or patient) must stay on one side of every split.
    std::string group;
    Modality modality = Modality::Unknown;
    std::optional<bool> biopsyProven;
    std::string origin;  // "file:line" it came from, for messages
};

struct DatasetProblem {
    enum class Kind { BadRow, UnknownLabel, MissingFile, Duplicate };
    Kind kind;
    std::string where;  // "file:line" or a path
    std::string message;
};

// A dataset that could not be imported; problems() holds every problem found, not just the
// first, and what() summarises them by kind.
class DatasetError : public std::runtime_error {
  public:
    DatasetError(const std::string& source, std::vector<DatasetProblem> problems);
    explicit DatasetError(const std::string& message);
    const std::vector<DatasetProblem>& problems() const { return problems_; }

  private:
    std::vector<DatasetProblem> problems_;
};

struct ImportOptions {
    bool checkFilesExist = true;
    // With strict off, rows with problems are skipped and listed in Dataset::problems.
    bool strict = true;
};

struct Dataset {
    std::string name;
    DatasetFormat format = DatasetFormat::GenericCsv;
    std::filesystem::path source;
    std::vector<LabelledImage> images;
    std::vector<DatasetProblem> problems;  // only with strict off

    // Images labelled exactly at each taxonomy node (index = NodeIndex).
    std::vector<std::int64_t> countsPerNode(const taxonomy::Taxonomy& taxonomy) const;
};

// Guesses the format of a file or folder from the file names and CSV header.
std::optional<DatasetFormat> detectDatasetFormat(const std::filesystem::path& source);

// `source` is the metadata CSV or the folder holding it (and an `images/` folder), or the
// root of a folder-per-class tree. Throws DatasetError.
Dataset importDataset(const std::filesystem::path& source, DatasetFormat format,
                      const taxonomy::Taxonomy& taxonomy, const ImportOptions& options = {});

}  // namespace dermreader::training
