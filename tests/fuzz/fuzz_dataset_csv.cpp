// The dataset importers on mutated metadata CSV files (generic, HAM10000, ISIC 2017,
// PAD-UFES-20): every input imports (bad rows reported) or is refused with DatasetError.
#include <filesystem>
#include <fstream>

#include "FuzzDriver.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/training/Dataset.h"

namespace trn = dermreader::training;
namespace fs = std::filesystem;

namespace {

fs::path workDir() {
    static const fs::path dir = [] {
        const fs::path d = fuzz::workDirectory("csv");
        fs::create_directories(d / "images");
        for (const char* name : {"a.jpg", "ISIC_0000001.jpg", "PAT_1_2_3.png"}) {
            std::ofstream(d / name) << "x";
            std::ofstream(d / "images" / name) << "x";
        }
        return d;
    }();
    return dir;
}

// Each seed starts with one byte choosing the format, so mutations explore every importer.
std::vector<fuzz::Input> seeds() {
    auto seed = [](char format, const std::string& csv) {
        fuzz::Input input{static_cast<std::uint8_t>(format)};
        input.insert(input.end(), csv.begin(), csv.end());
        return input;
    };
    return {
        seed(0,
             "path,label,modality,group,biopsy_proven\na.jpg,melanoma,dermoscopic,L1,1\n"
             "\"a.jpg\",\"nevus, compound\",clinical,,0\n"),
        seed(1,
             "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
             "HAM_1,ISIC_0000001,mel,histo,50.0,male,back\n"),
        seed(2, "image_id,melanoma,seborrheic_keratosis\nISIC_0000001,1.0,0.0\n"),
        seed(3,
             "patient_id,lesion_id,img_id,diagnostic,biopsed,fitspatrick\n"
             "PAT_1,2,PAT_1_2_3.png,BCC,True,2\n"),
    };
}

void runOne(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return;
    static const trn::DatasetFormat kFormats[] = {
        trn::DatasetFormat::GenericCsv, trn::DatasetFormat::Ham10000, trn::DatasetFormat::Isic2017,
        trn::DatasetFormat::PadUfes20};
    const fs::path csv = workDir() / "metadata.csv";
    std::ofstream(csv, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    trn::ImportOptions options;
    options.strict = data[0] % 2 == 0;
    try {
        (void)trn::importDataset(csv, kFormats[data[0] % 4],
                                 dermreader::taxonomy::Taxonomy::builtin(), options);
    } catch (const trn::DatasetError&) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    return fuzz::runDriver({"dataset_csv", seeds, runOne}, argc, argv);
}
