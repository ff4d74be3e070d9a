#pragma once
// Which model produced a result: the bundle folder and its manifest's creation time (a model
// re-trained into the same folder is another model), with the manifest's name for people.
// Caches and recorded risks are keyed by key(); reader studies store toText().

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dermreader::engine {

struct ModelManifest;

struct ModelIdentity {
    std::string name;
    std::filesystem::path bundle;
    std::string created;

    static ModelIdentity of(const std::filesystem::path& bundle, const ModelManifest& manifest);

    // "bundle|created": what caches and the library's recorded risks are keyed by.
    std::string key() const;
    // "name|bundle|created": as reader studies record the model that scored their cases.
    std::string toText() const;
    // The inverse of toText(); nothing for text not written by it.
    static std::optional<ModelIdentity> fromText(std::string_view text);

    // The same model (the name is only a label).
    bool sameModel(const ModelIdentity& other) const {
        return bundle == other.bundle && created == other.created;
    }
};

}  // namespace dermreader::engine
