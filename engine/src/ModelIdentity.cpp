#include "dermreader/engine/ModelIdentity.h"

#include "dermreader/engine/ModelManifest.h"

namespace dermreader::engine {

ModelIdentity ModelIdentity::of(const std::filesystem::path& bundle,
                                const ModelManifest& manifest) {
    // One spelling per folder ("models/a", "./models/a/", a symlink): the key compares bundles.
    std::error_code error;
    std::filesystem::path canonical = std::filesystem::weakly_canonical(bundle, error);
    if (error)
        canonical = std::filesystem::absolute(bundle).lexically_normal();
    if (!canonical.has_filename() && canonical.has_parent_path())
        canonical = canonical.parent_path();  // drop a trailing separator
    return {manifest.name, canonical, manifest.created};
}

std::string ModelIdentity::key() const {
    return bundle.string() + "|" + created;
}

std::string ModelIdentity::toText() const {
    return name + "|" + key();
}

std::optional<ModelIdentity> ModelIdentity::fromText(std::string_view text) {
    // The name ends at the first bar and the creation time (a timestamp) starts after the
    // last, so a bundle path holding a bar still parses.
    const auto first = text.find('|'), last = text.rfind('|');
    if (first == std::string_view::npos || first == last)
        return std::nullopt;
    return ModelIdentity{std::string(text.substr(0, first)),
                         std::string(text.substr(first + 1, last - first - 1)),
                         std::string(text.substr(last + 1))};
}

}  // namespace dermreader::engine
