// The model manifest reader on mutated manifest.json files: every input reads or is refused
// with ModelError naming the file; nothing crashes, hangs or escapes as a JSON exception.
#include <filesystem>
#include <fstream>

#include "FuzzDriver.h"
#include "TestModels.h"
#include "dermreader/engine/ModelManifest.h"

namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

fs::path workDir() {
    static const fs::path dir = fuzz::workDirectory("manifest");
    return dir;
}

std::vector<fuzz::Input> seeds() {
    std::vector<fuzz::Input> out;
    auto add = [&out](const eng::ModelManifest& manifest) {
        eng::writeManifest(manifest, workDir());
        out.push_back(fuzz::readFile(workDir() / "manifest.json"));
    };
    auto manifest =
        testdata::testManifest("fuzz model", {"nevus", "melanoma", "basal_cell_carcinoma"}, 7);
    manifest.created = "2026-12-02T00:00:00Z";
    add(manifest);
    manifest.trainingJson = R"({"epochs": 3, "history": [{"epoch": 1, "auc": 0.5}]})";
    manifest.metricsJson = R"({"binary": [{"task": "melanocytic", "auc": 0.7}]})";
    manifest.calibrationJson = R"({"temperature": 1.5})";
    manifest.temperature = 1.5;
    add(manifest);
    out.push_back(fuzz::bytesOf(R"({"format": "dermreader-model", "format_version": 1})"));
    return out;
}

void runOne(const std::uint8_t* data, std::size_t size) {
    std::ofstream(workDir() / "manifest.json", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    try {
        const auto manifest = eng::readManifest(workDir());
        (void)manifest.classNodes(dermreader::taxonomy::Taxonomy::builtin());
    } catch (const eng::ModelError&) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    return fuzz::runDriver({"model_manifest", seeds, runOne}, argc, argv);
}
