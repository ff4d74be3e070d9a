// Dataset import: every format, on small synthetic folders always and on the shared data
// when present, and every kind of bad input.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <memory>
#include <set>

#include "TestData.h"
#include "dermreader/training/Dataset.h"

using namespace dermreader::training;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

const tax::Taxonomy& taxonomy() {
    return tax::Taxonomy::builtin();
}

std::string nodeOf(const LabelledImage& image) {
    return taxonomy().node(image.node).id;
}

// The error an import raises, or "" if it succeeds.
QString importError(const fs::path& source, DatasetFormat format) {
    try {
        importDataset(source, format, taxonomy());
    } catch (const DatasetError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestDatasets : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void init() {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }

    void ham10000() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "HAM10000_metadata.csv",
                  "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
                  "HAM_1,ISIC_1,bkl,histo,80.0,male,scalp\n"
                  "HAM_1,ISIC_2,bkl,histo,80.0,male,scalp\n"
                  "HAM_2,ISIC_3,mel,consensus,50.0,female,back\n");
        for (const char* id : {"ISIC_1", "ISIC_2", "ISIC_3"})
            writeFile(root / "images" / (std::string(id) + ".jpg"), "x");
        QVERIFY(detectDatasetFormat(root) == DatasetFormat::Ham10000);
        const auto d = importDataset(root, DatasetFormat::Ham10000, taxonomy());
        QCOMPARE(d.images.size(), std::size_t(3));
        QCOMPARE(nodeOf(d.images[0]), std::string("benign_keratosis_like"));
        QCOMPARE(nodeOf(d.images[2]), std::string("melanoma"));
        QCOMPARE(d.images[0].group, d.images[1].group);
        QCOMPARE(d.images[0].biopsyProven, std::optional(true));
        QCOMPARE(d.images[2].biopsyProven, std::optional(false));
        QCOMPARE(toString(d.images[2].modality), std::string("dermoscopic"));
        QCOMPARE(d.images[2].path, root / "images" / "ISIC_3.jpg");
        const auto counts = d.countsPerNode(taxonomy());
        QCOMPARE(counts[taxonomy().indexOf("benign_keratosis_like")], std::int64_t(2));
    }

    void isic2017() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "ground_truth.csv",
                  "image_id,melanoma,seborrheic_keratosis\nISIC_a,1.0,0.0\nISIC_b,0.0,1.0\nISIC_c,"
                  "0.0,0.0\n");
        for (const char* id : {"ISIC_a", "ISIC_b", "ISIC_c"})
            writeFile(root / "images" / (std::string(id) + ".jpg"), "x");
        QVERIFY(detectDatasetFormat(root / "ground_truth.csv") == DatasetFormat::Isic2017);
        const auto d = importDataset(root, DatasetFormat::Isic2017, taxonomy());
        QCOMPARE(nodeOf(d.images[0]), std::string("melanoma"));
        QCOMPARE(nodeOf(d.images[1]), std::string("seborrheic_keratosis"));
        QCOMPARE(nodeOf(d.images[2]), std::string("nevus"));
    }

    void isic2017RejectsContradictoryRows() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "ground_truth.csv",
                  "image_id,melanoma,seborrheic_keratosis\nISIC_a,1,1\nISIC_b,x,0\n");
        const QString error = importError(root, DatasetFormat::Isic2017);
        QVERIFY2(error.contains(
                     "ground_truth.csv:2: row is marked both melanoma and seborrheic keratosis"),
                 qPrintable(error));
        QVERIFY2(error.contains("ground_truth.csv:3: row needs an image_id and 0/1"),
                 qPrintable(error));
    }

    void padUfes20GroupsByPatient() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "metadata.csv",
                  "patient_id,lesion_id,diagnostic,img_id,biopsed\n"
                  "PAT_1,1,BCC,PAT_1_1_1.png,True\nPAT_1,2,SEK,PAT_1_2_2.png,False\n");
        writeFile(root / "images" / "PAT_1_1_1.png", "x");
        writeFile(root / "images" / "PAT_1_2_2.png", "x");
        const auto d = importDataset(root, DatasetFormat::PadUfes20, taxonomy());
        QCOMPARE(d.images.size(), std::size_t(2));
        QCOMPARE(d.images[0].group, std::string("PAT_1"));
        QCOMPARE(d.images[1].group, std::string("PAT_1"));
        QCOMPARE(nodeOf(d.images[0]), std::string("basal_cell_carcinoma"));
        QCOMPARE(toString(d.images[0].modality), std::string("clinical"));
        QCOMPARE(d.images[1].biopsyProven, std::optional(false));
    }

    void folderPerClass() {
        const fs::path root = fs::path(dir_->path().toStdString()) / "Train";
        writeFile(root / "melanoma" / "a.jpg", "x");
        writeFile(root / "vascular lesion" / "sub" / "b.PNG", "x");
        writeFile(root / "vascular lesion" / "notes.txt", "not an image");
        QVERIFY(detectDatasetFormat(root) == DatasetFormat::FolderPerClass);
        const auto d = importDataset(root, DatasetFormat::FolderPerClass, taxonomy());
        QCOMPARE(d.images.size(), std::size_t(2));
        QCOMPARE(nodeOf(d.images[0]), std::string("melanoma"));
        QCOMPARE(nodeOf(d.images[1]), std::string("vascular_lesions"));
    }

    void genericCsv() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "list.csv",
                  "path,label,group,modality,biopsy_proven\n"
                  "img/1.jpg,Basal cell carcinoma,p1,clinical,yes\n"
                  "img/2.jpg,psoriasis,,dermoscopic,\n");
        writeFile(root / "img" / "1.jpg", "x");
        writeFile(root / "img" / "2.jpg", "x");
        const auto d = importDataset(root / "list.csv", DatasetFormat::GenericCsv, taxonomy());
        QCOMPARE(nodeOf(d.images[0]), std::string("basal_cell_carcinoma"));
        QCOMPARE(nodeOf(d.images[1]), std::string("psoriasis"));
        QCOMPARE(d.images[0].group, std::string("p1"));
        QCOMPARE(d.images[1].group, std::string("img/2.jpg"));
        QCOMPARE(d.images[0].biopsyProven, std::optional(true));
        QCOMPARE(toString(d.images[1].modality), std::string("dermoscopic"));
    }

    void reportsEveryProblemAtOnce() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "list.csv",
                  "path,label,modality\n"
                  "a.jpg,nevus,clinical\n"
                  "b.jpg,unicorn rash,\n"   // unknown label
                  "c.jpg,dragon pox,\n"     // unknown label
                  "d.jpg,unicorn rash,\n"   // same unknown label again
                  "a.jpg,melanoma,\n"       // duplicate
                  "e.jpg,nevus,infrared\n"  // bad value
                  "f.jpg\n");               // short row
        writeFile(root / "a.jpg", "x");
        const QString error = importError(root / "list.csv", DatasetFormat::GenericCsv);
        QVERIFY2(error.contains("label 'unicorn rash' (2 image(s)) is not known"),
                 qPrintable(error));
        QVERIFY2(error.contains("label 'dragon pox' (1 image(s))"), qPrintable(error));
        QVERIFY2(error.contains("list.csv:6: image 'a.jpg' is listed again (first at"),
                 qPrintable(error));
        QVERIFY2(error.contains("list.csv:7: row has modality 'infrared'"), qPrintable(error));
        QVERIFY2(error.contains("list.csv:8: row has 1 fields, no 'label'"), qPrintable(error));
        QVERIFY2(error.contains("image file '") && error.contains("b.jpg' does not exist"),
                 qPrintable(error));

        // Lenient import keeps the good rows and lists the rest.
        ImportOptions lenient;
        lenient.strict = false;
        const auto d =
            importDataset(root / "list.csv", DatasetFormat::GenericCsv, taxonomy(), lenient);
        QCOMPARE(d.images.size(), std::size_t(1));
        QCOMPARE(d.images[0].imageId, std::string("a.jpg"));
        QVERIFY(d.problems.size() >= 7);
    }

    void badFilesAreClearErrors() {
        const fs::path root = dir_->path().toStdString();
        writeFile(root / "empty.csv", "");
        writeFile(root / "binary.csv", std::string("\x89PNG\0\0", 6));
        writeFile(root / "noheader.csv", "x,y\n1,2\n");
        writeFile(root / "quote.csv", "path,label\n\"a.jpg,nevus\n");
        QVERIFY(importError(root / "empty.csv", DatasetFormat::GenericCsv)
                    .contains("empty.csv: the file is empty"));
        QVERIFY(importError(root / "binary.csv", DatasetFormat::GenericCsv)
                    .contains("binary.csv: not a text file"));
        const QString header = importError(root / "noheader.csv", DatasetFormat::GenericCsv);
        QVERIFY2(header.contains("noheader.csv: the header lacks column(s) 'path', 'label'"),
                 qPrintable(header));
        QVERIFY(importError(root / "quote.csv", DatasetFormat::GenericCsv)
                    .contains("quote.csv:3: quoted field is not closed"));
        QVERIFY(importError(root / "missing.csv", DatasetFormat::GenericCsv)
                    .contains("missing.csv: does not exist"));
        QVERIFY(importError(root, DatasetFormat::Ham10000).contains("no 'HAM10000_metadata.csv'"));
        QVERIFY(!detectDatasetFormat(root / "noheader.csv"));
    }

    void sharedDatasetsImportCompletely() {
        REQUIRE_SHARED_DATA();
        const fs::path root = testdata::sharedDataRoot();
        const auto ham = importDataset(root / "ham10000", DatasetFormat::Ham10000, taxonomy());
        QCOMPARE(ham.images.size(), std::size_t(10015));
        const auto counts = ham.countsPerNode(taxonomy());
        QCOMPARE(counts[taxonomy().indexOf("nevus")], std::int64_t(6705));
        QCOMPARE(counts[taxonomy().indexOf("melanoma")], std::int64_t(1113));
        QCOMPARE(counts[taxonomy().indexOf("benign_keratosis_like")], std::int64_t(1099));
        QCOMPARE(counts[taxonomy().indexOf("actinic_keratosis_and_scc")], std::int64_t(327));
        std::set<std::string> lesions;
        for (const auto& i : ham.images)
            lesions.insert(i.group);
        QCOMPARE(lesions.size(), std::size_t(7470));

        const auto train =
            importDataset(root / "isic2017" / "training", DatasetFormat::Isic2017, taxonomy());
        QCOMPARE(train.images.size(), std::size_t(2000));
        QCOMPARE(train.countsPerNode(taxonomy())[taxonomy().indexOf("seborrheic_keratosis")],
                 std::int64_t(254));
        const auto val =
            importDataset(root / "isic2017" / "validation", DatasetFormat::Isic2017, taxonomy());
        QCOMPARE(val.images.size(), std::size_t(150));

        const auto pad = importDataset(root / "pad-ufes20", DatasetFormat::PadUfes20, taxonomy());
        QCOMPARE(pad.images.size(), std::size_t(582));
        QCOMPARE(pad.countsPerNode(taxonomy())[taxonomy().indexOf("squamous_cell_carcinoma")],
                 std::int64_t(17));
    }

  private:
    std::unique_ptr<QTemporaryDir> dir_;  // fresh for every test function
};

QTEST_APPLESS_MAIN(TestDatasets)
#include "tst_datasets.moc"
