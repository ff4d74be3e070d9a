#pragma once
// The disease taxonomy: a forest of nodes (three roots in the shipped file) with stable ids,
// display names, clinical group, lineage and per-dataset label aliases.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dermreader::taxonomy {

// Any problem with a taxonomy file: the message names the file and what is wrong.
class TaxonomyError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Labels that no node of the taxonomy knows. Lists every one of them at once.
class UnknownLabelsError : public std::runtime_error {
  public:
    UnknownLabelsError(std::string aliasSet, std::vector<std::string> labels);
    const std::vector<std::string>& labels() const { return labels_; }
    const std::string& aliasSet() const { return aliasSet_; }

  private:
    std::string aliasSet_;
    std::vector<std::string> labels_;
};

enum class ClinicalGroup { Benign, Malignant, Premalignant, Indeterminate, NonNeoplastic };
// Tissue of origin, where it matters for the paper's binary tasks.
enum class Lineage { Unspecified, Melanocytic, Epidermal, Dermal };

std::string_view toString(ClinicalGroup group);
std::string_view toString(Lineage lineage);

using NodeIndex = int;
inline constexpr NodeIndex kNoNode = -1;

struct Node {
    std::string id;    // stable, [a-z0-9_]+; models refer to nodes by id
    std::string name;  // display name
    NodeIndex parent = kNoNode;
    std::vector<NodeIndex> children;  // in file order
    int depth = 0;                    // 0 for a root
    ClinicalGroup group = ClinicalGroup::Benign;
    Lineage lineage = Lineage::Unspecified;
    std::string source;  // where the node comes from: esteva2017, isic, dermreader
    std::map<std::string, std::vector<std::string>> aliases;  // alias set -> labels

    bool isLeaf() const { return children.empty(); }
};

class Taxonomy {
  public:
    // Parses and validates a taxonomy document; `sourceName` is used in error messages.
    static Taxonomy fromJson(std::string_view json, const std::string& sourceName);
    static Taxonomy fromFile(const std::filesystem::path& path);
    // The taxonomy compiled into the program (taxonomy/dermreader-taxonomy.json).
    static const Taxonomy& builtin();

    const std::string& version() const { return version_; }
    const std::string& title() const { return title_; }
    const std::string& attribution() const { return attribution_; }

    std::size_t size() const { return nodes_.size(); }
    const Node& node(NodeIndex index) const { return nodes_.at(static_cast<std::size_t>(index)); }
    const std::vector<Node>& nodes() const { return nodes_; }
    const std::vector<NodeIndex>& roots() const { return roots_; }

    std::optional<NodeIndex> find(std::string_view id) const;
    // Like find(), but throws TaxonomyError naming the missing id.
    NodeIndex indexOf(std::string_view id) const;

    // The node and all nodes below it, in depth-first pre-order.
    std::vector<NodeIndex> subtree(NodeIndex node) const;
    bool isAncestorOrSelf(NodeIndex ancestor, NodeIndex node) const;
    // The ancestor of `node` at `depth` (the node itself if it is at that depth);
    // kNoNode when the node is shallower.
    NodeIndex ancestorAtDepth(NodeIndex node, int depth) const;
    std::vector<NodeIndex> nodesAtDepth(int depth) const;
    // Lineage and malignancy come from the node's ancestry (root group).
    bool isUnderMalignantRoot(NodeIndex node) const;

    // SHA-256 over what a trained model depends on: ids, parents, order, group and lineage.
    // Display names, aliases and attribution can change without changing the digest.
    const std::string& digest() const { return digest_; }

    // The node a dataset label means. `aliasSet` is one of the file's alias sets
    // ("ham10000", ...) or "" for any: then node ids, display names and every alias set are
    // searched, and a label that means two different nodes is an error.
    // Comparison ignores case and treats ' ', '_' and '-' alike.
    std::optional<NodeIndex> resolveLabel(std::string_view aliasSet, std::string_view label) const;
    // Resolves many labels; throws UnknownLabelsError listing every label it cannot resolve.
    std::vector<NodeIndex> resolveLabels(std::string_view aliasSet,
                                         const std::vector<std::string>& labels) const;
    std::vector<std::string> aliasSets() const;

  private:
    void buildIndex(const std::string& sourceName);
    void computeDigest();

    std::string version_, title_, attribution_;
    std::vector<Node> nodes_;
    std::vector<NodeIndex> roots_;
    std::map<std::string, NodeIndex, std::less<>> byId_;
    // normalised label -> nodes, per alias set ("" holds ids and names)
    std::map<std::string, std::map<std::string, std::vector<NodeIndex>>, std::less<>> labelIndex_;
    std::map<std::string, std::string> aliasSetDescriptions_;
    std::string digest_;
};

// Lower-case, trimmed, with runs of ' ', '_' and '-' folded to one ' '.
std::string normaliseLabel(std::string_view label);

}  // namespace dermreader::taxonomy
