#include "TaxonomyCommands.h"

#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "DataSources.h"
#include "dermreader/taxonomy/Partition.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace dermtool {
namespace tax = dermreader::taxonomy;
namespace trn = dermreader::training;

namespace {

struct TaxonomyOptions {
    std::string file;  // empty: the built-in taxonomy

    const tax::Taxonomy& load() {
        if (file.empty())
            return tax::Taxonomy::builtin();
        loaded = std::make_unique<tax::Taxonomy>(tax::Taxonomy::fromFile(file));
        return *loaded;
    }
    std::unique_ptr<tax::Taxonomy> loaded;
};

void printTree(const tax::Taxonomy& taxonomy, tax::NodeIndex n, const std::string& prefix,
               bool last, int maxDepth, bool showIds) {
    const tax::Node& node = taxonomy.node(n);
    const bool root = node.parent == tax::kNoNode;
    std::cout << prefix << (root ? "" : (last ? "└─ " : "├─ ")) << node.name;
    if (showIds)
        std::cout << "  [" << node.id << "]";
    if (node.depth <= 1) {
        std::cout << "  (" << tax::toString(node.group);
        if (node.lineage != tax::Lineage::Unspecified)
            std::cout << ", " << tax::toString(node.lineage);
        std::cout << ")";
    }
    std::cout << "\n";
    if (maxDepth >= 0 && node.depth >= maxDepth)
        return;
    const std::string childPrefix = root ? "" : prefix + (last ? "   " : "│  ");
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        printTree(taxonomy, node.children[i], childPrefix, i + 1 == node.children.size(), maxDepth,
                  showIds);
    }
}

void addShow(CLI::App& parent, std::shared_ptr<TaxonomyOptions> taxonomyOptions) {
    auto* cmd = parent.add_subcommand("show", "Print the taxonomy as a tree");
    auto depth = std::make_shared<int>(-1);
    auto ids = std::make_shared<bool>(false);
    cmd->add_option("--depth", *depth, "Print only this many levels below the roots");
    cmd->add_flag("--ids", *ids, "Show node ids");
    cmd->callback([=] {
        const auto& taxonomy = taxonomyOptions->load();
        for (tax::NodeIndex root : taxonomy.roots())
            printTree(taxonomy, root, "", true, *depth, *ids);
    });
}

void addInfo(CLI::App& parent, std::shared_ptr<TaxonomyOptions> taxonomyOptions) {
    auto* cmd = parent.add_subcommand("info", "Print the taxonomy's version, digest and size");
    cmd->callback([=] {
        const auto& taxonomy = taxonomyOptions->load();
        int leaves = 0;
        for (const auto& node : taxonomy.nodes())
            leaves += node.isLeaf() ? 1 : 0;
        std::cout << "title:       " << taxonomy.title() << "\n"
                  << "version:     " << taxonomy.version() << "\n"
                  << "digest:      " << taxonomy.digest() << "\n"
                  << "nodes:       " << taxonomy.size() << " (" << leaves << " leaves)\n"
                  << "roots:       " << taxonomy.roots().size() << "\n"
                  << "level 2:     " << taxonomy.nodesAtDepth(1).size() << " classes\n"
                  << "alias sets:  ";
        for (const auto& set : taxonomy.aliasSets())
            std::cout << set << " ";
        std::cout << "\nattribution: " << taxonomy.attribution() << "\n";
    });
}

void addCheck(CLI::App& parent) {
    auto* cmd = parent.add_subcommand("check", "Validate a taxonomy file");
    auto file = std::make_shared<std::string>();
    cmd->add_option("FILE", *file, "Taxonomy JSON file")->required();
    cmd->callback([=] {
        const auto taxonomy = tax::Taxonomy::fromFile(*file);
        std::cout << *file << ": valid, " << taxonomy.size() << " nodes, digest "
                  << taxonomy.digest() << "\n";
    });
}

std::string secondLevelName(const tax::Taxonomy& taxonomy, tax::NodeIndex n) {
    const auto ancestor = taxonomy.ancestorAtDepth(n, 1);
    return ancestor == tax::kNoNode ? "-" : taxonomy.node(ancestor).id;
}

void printPartition(const tax::Taxonomy& taxonomy, const tax::Partition& partition,
                    std::int64_t maxClassSize) {
    std::int64_t total = 0;
    std::cout << std::setw(4) << "#"
              << "  " << std::setw(7) << "images"
              << "  " << std::left << std::setw(40) << "training class (node id)"
              << "  "
              << "second-level class" << std::right << "\n";
    for (std::size_t i = 0; i < partition.classes.size(); ++i) {
        const auto& c = partition.classes[i];
        const std::string label = taxonomy.node(c.node).id + (c.residual ? " (residual)" : "");
        std::cout << std::setw(4) << i << "  " << std::setw(7) << c.imageCount << "  " << std::left
                  << std::setw(40) << label << "  " << secondLevelName(taxonomy, c.node)
                  << std::right << "\n";
        total += c.imageCount;
    }
    std::cout << partition.classes.size() << " training classes, " << total
              << " images, maxClassSize " << maxClassSize << "\n";
    for (const auto& [node, images] : partition.unplaced) {
        std::cout << "not trained on: " << images << " images labelled only '"
                  << taxonomy.node(node).id << "' (above the second-level classes)\n";
    }
}

nlohmann::json partitionJson(const tax::Taxonomy& taxonomy, const tax::Partition& partition,
                             std::int64_t maxClassSize) {
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& c : partition.classes) {
        classes.push_back({{"node", taxonomy.node(c.node).id},
                           {"name", taxonomy.node(c.node).name},
                           {"residual", c.residual},
                           {"images", c.imageCount},
                           {"second_level", secondLevelName(taxonomy, c.node)}});
    }
    return {{"taxonomy_digest", taxonomy.digest()},
            {"max_class_size", maxClassSize},
            {"classes", classes}};
}

void addPartition(CLI::App& parent, std::shared_ptr<TaxonomyOptions> taxonomyOptions) {
    auto* cmd = parent.add_subcommand(
        "partition",
        "Partition the diseases into training classes (Esteva et al., Ext. Data Table 1)");
    struct Options {
        std::int64_t maxClassSize = 1000;
        std::string dataRoot;
        std::vector<std::string> datasets;
        bool json = false;
        bool keepEmpty = false;
    };
    auto options = std::make_shared<Options>();
    cmd->add_option("--max-class-size", options->maxClassSize,
                    "A node becomes a training class when its subtree has fewer images")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--dataset", options->datasets,
                    "FORMAT=PATH of labelled images to count (repeatable; default: the shared "
                    "HAM10000, ISIC 2017 training and PAD-UFES-20 sets)");
    cmd->add_option("--data-root", options->dataRoot, "Folder of the shared datasets");
    cmd->add_flag("--json", options->json, "Print JSON instead of a table");
    cmd->add_flag("--keep-empty", options->keepEmpty, "Keep classes without images");
    cmd->callback([=] {
        const auto& taxonomy = taxonomyOptions->load();
        std::vector<DatasetSpec> specs;
        for (const auto& text : options->datasets)
            specs.push_back(parseDatasetSpec(text));
        if (specs.empty())
            specs = sharedTrainingSets(findDataRoot(options->dataRoot));
        const auto counts = countImagesPerNode(taxonomy, specs);
        tax::PartitionOptions partitionOptions;
        partitionOptions.maxClassSize = options->maxClassSize;
        partitionOptions.keepEmptyClasses = options->keepEmpty;
        const auto partition = tax::partitionDiseases(taxonomy, counts, partitionOptions);
        if (options->json) {
            std::cout << partitionJson(taxonomy, partition, options->maxClassSize).dump(1) << "\n";
        } else {
            printPartition(taxonomy, partition, options->maxClassSize);
        }
    });
}

}  // namespace

void addTaxonomyCommands(CLI::App& app) {
    auto* cmd = app.add_subcommand("taxonomy", "Inspect the disease taxonomy and its partition");
    cmd->require_subcommand(1);
    auto taxonomyOptions = std::make_shared<TaxonomyOptions>();
    cmd->add_option("--taxonomy", taxonomyOptions->file,
                    "Taxonomy JSON file (default: the built-in one)");
    addShow(*cmd, taxonomyOptions);
    addInfo(*cmd, taxonomyOptions);
    addCheck(*cmd);
    addPartition(*cmd, taxonomyOptions);
}

}  // namespace dermtool
