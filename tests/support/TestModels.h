#pragma once
// Model manifests for tests: the built-in taxonomy's version and digest, the given training
// classes (header-only; the test links dermreader::engine).

#include <cstdint>
#include <string>
#include <vector>

#include "dermreader/engine/ModelManifest.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace testdata {

inline dermreader::engine::ModelManifest testManifest(const std::string& name,
                                                      const std::vector<std::string>& nodes,
                                                      std::int64_t imagesPerClass = 0) {
    const auto& taxonomy = dermreader::taxonomy::Taxonomy::builtin();
    dermreader::engine::ModelManifest m;
    m.name = name;
    for (const auto& node : nodes)
        m.classes.push_back({node, false, imagesPerClass});
    m.taxonomyVersion = taxonomy.version();
    m.taxonomyDigest = taxonomy.digest();
    return m;
}

}  // namespace testdata
