// The safetensors reader on mutated weight files: every input opens (and every tensor's bytes
// can be read) or is refused with SafetensorsError; nothing crashes or hangs.
#include <filesystem>
#include <fstream>

#include "FuzzDriver.h"
#include "dermreader/engine/Safetensors.h"

namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

fs::path workFile() {
    static const fs::path file = fuzz::workDirectory("safetensors") / "weights.safetensors";
    return file;
}

std::vector<fuzz::Input> seeds() {
    const std::vector<float> weights = {0.5f, -1.25f, 3.0f, 0.0f, 2.0f, -0.5f};
    const std::vector<std::uint16_t> half = {0x3C00, 0xC000, 0x0000, 0x7BFF};
    const std::vector<std::int64_t> counts = {1, 2, 3};
    std::vector<fuzz::Input> out;
    auto add = [&out](const std::vector<eng::TensorToWrite>& tensors) {
        eng::writeSafetensors(workFile(), tensors);
        out.push_back(fuzz::readFile(workFile()));
    };
    add({{"conv.weight", eng::DType::F32, {2, 3}, weights.data()}});
    add({{"a", eng::DType::F32, {6}, weights.data()},
         {"b", eng::DType::F16, {2, 2}, half.data()},
         {"steps", eng::DType::I64, {3}, counts.data()}});
    add({{"scalar", eng::DType::F32, {}, weights.data()}});
    return out;
}

void runOne(const std::uint8_t* data, std::size_t size) {
    std::ofstream(workFile(), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    try {
        const auto file = eng::SafetensorsFile::open(workFile());
        volatile std::uint8_t sink = 0;
        for (const auto& tensor : file.tensors()) {
            // Touch the first and last byte each tensor claims: out of bounds would show.
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(file.data(tensor));
            if (tensor.end > tensor.begin)
                sink = static_cast<std::uint8_t>(sink ^ bytes[0] ^
                                                 bytes[tensor.end - tensor.begin - 1]);
        }
        (void)sink;
    } catch (const eng::SafetensorsError&) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    return fuzz::runDriver({"safetensors", seeds, runOne}, argc, argv);
}
