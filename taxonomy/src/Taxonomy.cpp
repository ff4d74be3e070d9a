#include "dermreader/taxonomy/Taxonomy.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "Sha256.h"

namespace dermreader::taxonomy {

std::string_view embeddedTaxonomyJson();  // generated from dermreader-taxonomy.json

namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

const std::map<std::string_view, ClinicalGroup>& groupNames() {
    static const std::map<std::string_view, ClinicalGroup> names = {
        {"benign", ClinicalGroup::Benign},
        {"malignant", ClinicalGroup::Malignant},
        {"premalignant", ClinicalGroup::Premalignant},
        {"indeterminate", ClinicalGroup::Indeterminate},
        {"non_neoplastic", ClinicalGroup::NonNeoplastic}};
    return names;
}

const std::map<std::string_view, Lineage>& lineageNames() {
    static const std::map<std::string_view, Lineage> names = {{"melanocytic", Lineage::Melanocytic},
                                                              {"epidermal", Lineage::Epidermal},
                                                              {"dermal", Lineage::Dermal}};
    return names;
}

bool isValidId(const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Turns nlohmann's byte offset into "line L, column C" for people editing the file.
std::string describePosition(std::string_view text, std::size_t byte) {
    byte = std::min(byte, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < byte; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Collects every problem in a file so that one run reports all of them.
class Problems {
  public:
    explicit Problems(std::string source) : source_(std::move(source)) {}
    void add(const std::string& message) { messages_.push_back(message); }
    void throwIfAny() const {
        if (messages_.empty())
            return;
        std::ostringstream out;
        out << "taxonomy file '" << source_ << "' is invalid";
        if (messages_.size() == 1) {
            out << ": " << messages_.front();
        } else {
            out << " (" << messages_.size() << " problems):";
            for (const auto& m : messages_)
                out << "\n  - " << m;
        }
        throw TaxonomyError(out.str());
    }
    [[noreturn]] void fail(const std::string& message) const {
        throw TaxonomyError("taxonomy file '" + source_ + "' is invalid: " + message);
    }

  private:
    std::string source_;
    std::vector<std::string> messages_;
};

std::string entryName(std::size_t index, const json& entry) {
    std::string name = "node #" + std::to_string(index + 1);
    if (entry.is_object() && entry.contains("id") && entry["id"].is_string()) {
        name += " ('" + entry["id"].get<std::string>() + "')";
    }
    return name;
}

struct RawNode {
    Node node;
    std::string parentId;
};

std::optional<RawNode> parseNode(std::size_t index, const json& entry, Problems& problems) {
    const std::string where = entryName(index, entry);
    if (!entry.is_object()) {
        problems.add(where + " is not a JSON object");
        return std::nullopt;
    }
    RawNode raw;
    bool ok = true;
    auto requireString = [&](const char* key, std::string& out) {
        if (!entry.contains(key) || !entry[key].is_string()) {
            problems.add(where + ": '" + key + "' must be a string");
            ok = false;
            return;
        }
        out = entry[key].get<std::string>();
    };
    requireString("id", raw.node.id);
    requireString("name", raw.node.name);
    if (ok && !isValidId(raw.node.id)) {
        problems.add(where + ": id must be non-empty and use only a-z, 0-9 and '_'");
        ok = false;
    }
    if (ok && raw.node.name.empty()) {
        problems.add(where + ": name is empty");
        ok = false;
    }
    if (entry.contains("parent") && !entry["parent"].is_null()) {
        if (!entry["parent"].is_string()) {
            problems.add(where + ": 'parent' must be a node id or null");
            ok = false;
        } else {
            raw.parentId = entry["parent"].get<std::string>();
        }
    }
    std::string group;
    requireString("group", group);
    if (!group.empty()) {
        auto it = groupNames().find(group);
        if (it == groupNames().end()) {
            problems.add(where + ": unknown group '" + group + "'");
            ok = false;
        } else {
            raw.node.group = it->second;
        }
    }
    if (entry.contains("lineage") && !entry["lineage"].is_null()) {
        const auto& value = entry["lineage"];
        auto it = value.is_string() ? lineageNames().find(value.get<std::string>())
                                    : lineageNames().end();
        if (it == lineageNames().end()) {
            problems.add(where + ": lineage must be null, melanocytic, epidermal or dermal");
            ok = false;
        } else {
            raw.node.lineage = it->second;
        }
    }
    if (entry.contains("source") && entry["source"].is_string()) {
        raw.node.source = entry["source"].get<std::string>();
    }
    if (entry.contains("aliases")) {
        const auto& aliases = entry["aliases"];
        if (!aliases.is_object()) {
            problems.add(where + ": 'aliases' must be an object of label lists");
            ok = false;
        } else {
            for (const auto& [set, labels] : aliases.items()) {
                if (!labels.is_array() ||
                    !std::all_of(labels.begin(), labels.end(),
                                 [](const json& l) { return l.is_string(); })) {
                    problems.add(where + ": aliases['" + set + "'] must be a list of strings");
                    ok = false;
                    continue;
                }
                raw.node.aliases[set] = labels.get<std::vector<std::string>>();
            }
        }
    }
    if (!ok)
        return std::nullopt;
    return raw;
}

json parseDocument(std::string_view text, Problems& problems) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ..."
        auto colon = what.find(": ");
        problems.fail("not valid JSON at " + describePosition(text, e.byte > 0 ? e.byte - 1 : 0) +
                      (colon == std::string::npos ? "" : " (" + what.substr(colon + 2) + ")"));
    }
}

}  // namespace

UnknownLabelsError::UnknownLabelsError(std::string aliasSet, std::vector<std::string> labels)
    : std::runtime_error([&] {
          std::string message =
              std::to_string(labels.size()) + " unknown label" + (labels.size() == 1 ? "" : "s");
          if (!aliasSet.empty())
              message += " for " + aliasSet;
          message += ":";
          for (const auto& l : labels)
              message += " '" + l + "'";
          return message;
      }()),
      aliasSet_(std::move(aliasSet)),
      labels_(std::move(labels)) {}

std::string_view toString(ClinicalGroup group) {
    for (const auto& [name, value] : groupNames()) {
        if (value == group)
            return name;
    }
    return "unknown";
}

std::string_view toString(Lineage lineage) {
    for (const auto& [name, value] : lineageNames()) {
        if (value == lineage)
            return name;
    }
    return "unspecified";
}

std::string normaliseLabel(std::string_view label) {
    std::string out;
    bool pendingSpace = false;
    for (char c : label) {
        if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '\r' || c == '\n') {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace)
            out += ' ';
        pendingSpace = false;
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

Taxonomy Taxonomy::fromJson(std::string_view text, const std::string& sourceName) {
    Problems problems(sourceName);
    const json doc = parseDocument(text, problems);
    if (!doc.is_object())
        problems.fail("the top level must be a JSON object");
    if (doc.value("format", std::string()) != "dermreader-taxonomy") {
        problems.fail("'format' must be \"dermreader-taxonomy\"");
    }
    const json version = doc.value("format_version", json());
    if (!version.is_number_integer() || version.get<int>() < 1) {
        problems.fail("'format_version' must be a positive integer");
    }
    if (version.get<int>() > kFormatVersion) {
        problems.fail("format_version " + std::to_string(version.get<int>()) +
                      " is newer than this program understands (" + std::to_string(kFormatVersion) +
                      ")");
    }
    if (!doc.contains("nodes") || !doc["nodes"].is_array() || doc["nodes"].empty()) {
        problems.fail("'nodes' must be a non-empty array");
    }

    Taxonomy taxonomy;
    taxonomy.version_ = doc.value("version", std::string());
    taxonomy.title_ = doc.value("title", std::string());
    taxonomy.attribution_ = doc.value("attribution", std::string());
    if (doc.contains("alias_sets") && doc["alias_sets"].is_object()) {
        for (const auto& [set, description] : doc["alias_sets"].items()) {
            taxonomy.aliasSetDescriptions_[set] =
                description.is_string() ? description.get<std::string>() : std::string();
        }
    }

    std::vector<std::string> parentIds;
    const auto& entries = doc["nodes"];
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto raw = parseNode(i, entries[i], problems);
        if (!raw)
            continue;
        const NodeIndex index = static_cast<NodeIndex>(taxonomy.nodes_.size());
        if (!taxonomy.byId_.emplace(raw->node.id, index).second) {
            problems.add(entryName(i, entries[i]) + ": duplicate id '" + raw->node.id + "'");
            continue;
        }
        taxonomy.nodes_.push_back(std::move(raw->node));
        parentIds.push_back(std::move(raw->parentId));
    }
    problems.throwIfAny();

    for (std::size_t i = 0; i < taxonomy.nodes_.size(); ++i) {
        auto& node = taxonomy.nodes_[i];
        if (parentIds[i].empty())
            continue;
        auto it = taxonomy.byId_.find(parentIds[i]);
        if (it == taxonomy.byId_.end()) {
            problems.add("node '" + node.id + "' names parent '" + parentIds[i] +
                         "', which does not exist");
            continue;
        }
        node.parent = it->second;
    }
    problems.throwIfAny();
    taxonomy.buildIndex(sourceName);
    taxonomy.computeDigest();
    return taxonomy;
}

void Taxonomy::buildIndex(const std::string& sourceName) {
    Problems problems(sourceName);
    // Cycles: a node whose parent chain never reaches a root.
    std::vector<int> state(nodes_.size(), 0);  // 0 unknown, 1 reaches a root
    for (std::size_t start = 0; start < nodes_.size(); ++start) {
        std::vector<NodeIndex> chain;
        std::set<NodeIndex> seen;
        NodeIndex current = static_cast<NodeIndex>(start);
        while (current != kNoNode && state[current] == 0 && seen.insert(current).second) {
            chain.push_back(current);
            current = nodes_[current].parent;
        }
        if (current != kNoNode && state[current] == 0) {  // came back to a node of this chain
            std::string path;
            auto loopStart = std::find(chain.begin(), chain.end(), current);
            for (auto it = loopStart; it != chain.end(); ++it)
                path += nodes_[*it].id + " -> ";
            problems.add("cycle in parent links: " + path + nodes_[current].id);
            for (NodeIndex n : chain)
                state[n] = 2;
            continue;
        }
        for (NodeIndex n : chain)
            state[n] = 1;
    }
    problems.throwIfAny();

    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const NodeIndex index = static_cast<NodeIndex>(i);
        if (nodes_[i].parent == kNoNode) {
            roots_.push_back(index);
        } else {
            nodes_[nodes_[i].parent].children.push_back(index);
        }
    }
    std::function<void(NodeIndex, int)> setDepth = [&](NodeIndex n, int depth) {
        nodes_[n].depth = depth;
        for (NodeIndex c : nodes_[n].children)
            setDepth(c, depth + 1);
    };
    for (NodeIndex root : roots_)
        setDepth(root, 0);

    // Label index: ids and names in the "" set, aliases in their own set and in "".
    auto addLabel = [&](const std::string& set, const std::string& label, NodeIndex n) {
        auto& nodesForLabel = labelIndex_[set][normaliseLabel(label)];
        if (std::find(nodesForLabel.begin(), nodesForLabel.end(), n) == nodesForLabel.end()) {
            nodesForLabel.push_back(n);
        }
    };
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const NodeIndex index = static_cast<NodeIndex>(i);
        addLabel("", nodes_[i].id, index);
        addLabel("", nodes_[i].name, index);
        for (const auto& [set, labels] : nodes_[i].aliases) {
            for (const auto& label : labels) {
                addLabel(set, label, index);
                addLabel("", label, index);
            }
        }
    }
    for (const auto& [set, labels] : labelIndex_) {
        if (set.empty())
            continue;  // ambiguity across sets is reported when a label is used
        for (const auto& [label, owners] : labels) {
            if (owners.size() > 1) {
                problems.add("alias '" + label + "' of set '" + set + "' is on two nodes: '" +
                             nodes_[owners[0]].id + "' and '" + nodes_[owners[1]].id + "'");
            }
        }
    }
    problems.throwIfAny();
}

void Taxonomy::computeDigest() {
    std::string canonical = "dermreader-taxonomy-structure/1\n";
    for (const auto& node : nodes_) {
        canonical += node.id;
        canonical += '\t';
        canonical += node.parent == kNoNode ? std::string() : nodes_[node.parent].id;
        canonical += '\t';
        canonical += toString(node.group);
        canonical += '\t';
        canonical += toString(node.lineage);
        canonical += '\n';
    }
    digest_ = "sha256:" + detail::sha256Hex(canonical);
}

Taxonomy Taxonomy::fromFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw TaxonomyError("cannot open taxonomy file '" + path.string() + "'");
    }
    std::ostringstream content;
    content << in.rdbuf();
    return fromJson(content.str(), path.string());
}

const Taxonomy& Taxonomy::builtin() {
    static const Taxonomy taxonomy = fromJson(embeddedTaxonomyJson(), "<built-in taxonomy>");
    return taxonomy;
}

std::optional<NodeIndex> Taxonomy::find(std::string_view id) const {
    auto it = byId_.find(id);
    if (it == byId_.end())
        return std::nullopt;
    return it->second;
}

NodeIndex Taxonomy::indexOf(std::string_view id) const {
    if (auto index = find(id))
        return *index;
    throw TaxonomyError("the taxonomy (version " + version_ + ") has no node '" + std::string(id) +
                        "'");
}

std::vector<NodeIndex> Taxonomy::subtree(NodeIndex root) const {
    std::vector<NodeIndex> out;
    std::vector<NodeIndex> stack = {root};
    while (!stack.empty()) {
        const NodeIndex n = stack.back();
        stack.pop_back();
        out.push_back(n);
        const auto& kids = nodes_.at(static_cast<std::size_t>(n)).children;
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            stack.push_back(*it);
    }
    return out;
}

bool Taxonomy::isAncestorOrSelf(NodeIndex ancestor, NodeIndex node) const {
    for (NodeIndex n = node; n != kNoNode; n = nodes_.at(static_cast<std::size_t>(n)).parent) {
        if (n == ancestor)
            return true;
    }
    return false;
}

NodeIndex Taxonomy::ancestorAtDepth(NodeIndex node, int depth) const {
    NodeIndex n = node;
    while (n != kNoNode && nodes_.at(static_cast<std::size_t>(n)).depth > depth) {
        n = nodes_[static_cast<std::size_t>(n)].parent;
    }
    return (n != kNoNode && nodes_[static_cast<std::size_t>(n)].depth == depth) ? n : kNoNode;
}

std::vector<NodeIndex> Taxonomy::nodesAtDepth(int depth) const {
    std::vector<NodeIndex> out;
    for (NodeIndex root : roots_) {
        for (NodeIndex n : subtree(root)) {
            if (nodes_[static_cast<std::size_t>(n)].depth == depth)
                out.push_back(n);
        }
    }
    return out;
}

bool Taxonomy::isUnderMalignantRoot(NodeIndex node) const {
    const NodeIndex root = ancestorAtDepth(node, 0);
    return root != kNoNode &&
           nodes_[static_cast<std::size_t>(root)].group == ClinicalGroup::Malignant;
}

std::optional<NodeIndex> Taxonomy::resolveLabel(std::string_view aliasSet,
                                                std::string_view label) const {
    auto set = labelIndex_.find(aliasSet);
    if (set == labelIndex_.end())
        return std::nullopt;
    auto it = set->second.find(normaliseLabel(label));
    if (it == set->second.end() || it->second.size() != 1)
        return std::nullopt;
    return it->second.front();
}

std::vector<NodeIndex> Taxonomy::resolveLabels(std::string_view aliasSet,
                                               const std::vector<std::string>& labels) const {
    std::vector<NodeIndex> out;
    std::vector<std::string> unknown;
    out.reserve(labels.size());
    for (const auto& label : labels) {
        auto node = resolveLabel(aliasSet, label);
        if (!node) {
            if (std::find(unknown.begin(), unknown.end(), label) == unknown.end()) {
                unknown.push_back(label);
            }
            out.push_back(kNoNode);
            continue;
        }
        out.push_back(*node);
    }
    if (!unknown.empty())
        throw UnknownLabelsError(std::string(aliasSet), std::move(unknown));
    return out;
}

std::vector<std::string> Taxonomy::aliasSets() const {
    std::vector<std::string> out;
    for (const auto& [set, labels] : labelIndex_) {
        if (!set.empty())
            out.push_back(set);
    }
    return out;
}

}  // namespace dermreader::taxonomy
