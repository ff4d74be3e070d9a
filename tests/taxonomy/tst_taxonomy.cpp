// The taxonomy file, its validation, the digest and label aliases.
#include <QtTest>

#include <fstream>
#include <set>

#include "Sha256.h"
#include "TestData.h"
#include "dermreader/taxonomy/Taxonomy.h"

using namespace dermreader::taxonomy;

namespace {

std::string document(const std::string& nodes) {
    return R"({"format": "dermreader-taxonomy", "format_version": 1, "version": "t",
               "nodes": [)" +
           nodes + "]}";
}

const char* kSmallNodes = R"(
    {"id": "benign", "name": "Benign", "parent": null, "group": "benign"},
    {"id": "nevus", "name": "Nevus", "parent": "benign", "group": "benign", "lineage": "melanocytic",
     "aliases": {"ham10000": ["nv"]}},
    {"id": "malignant", "name": "Malignant", "parent": null, "group": "malignant"},
    {"id": "melanoma", "name": "Melanoma", "parent": "malignant", "group": "malignant",
     "lineage": "melanocytic", "aliases": {"ham10000": ["mel"], "isic2017": ["melanoma"]}})";

// The error a document raises, or "" if it loads.
QString loadError(const std::string& json) {
    try {
        Taxonomy::fromJson(json, "test.json");
    } catch (const TaxonomyError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestTaxonomy : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void sha256MatchesNistVectors() {
        using detail::sha256Hex;
        QCOMPARE(sha256Hex(""),
                 std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256Hex("abc"),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        QCOMPARE(sha256Hex(std::string(1000000, 'a')),
                 std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    void builtinHasThePapersThreeRootsAndNineClasses() {
        const Taxonomy& t = Taxonomy::builtin();
        QCOMPARE(t.roots().size(), std::size_t(3));
        QCOMPARE(t.node(t.roots()[0]).id, std::string("benign"));
        QCOMPARE(t.node(t.roots()[1]).id, std::string("malignant"));
        QCOMPARE(t.node(t.roots()[2]).id, std::string("non_neoplastic"));
        std::set<std::string> secondLevel;
        for (NodeIndex n : t.nodesAtDepth(1))
            secondLevel.insert(t.node(n).id);
        const std::set<std::string> expected = {
            "cutaneous_lymphoma", "benign_dermal",       "malignant_dermal",
            "benign_epidermal",   "malignant_epidermal", "genodermatoses",
            "inflammatory",       "benign_melanocytic",  "malignant_melanoma"};
        QCOMPARE(secondLevel, expected);
        QVERIFY(t.size() > 400);
        QVERIFY(!t.attribution().empty());
    }

    void everyNodeHasIdNameGroupAndSource() {
        const Taxonomy& t = Taxonomy::builtin();
        for (const Node& node : t.nodes()) {
            QVERIFY2(!node.name.empty(), node.id.c_str());
            QVERIFY2(!node.source.empty(), node.id.c_str());
            if (node.depth >= 1) {
                // Lineage is inherited from the second-level class.
                const Node& level2 = t.node(t.ancestorAtDepth(t.indexOf(node.id), 1));
                QCOMPARE(toString(node.lineage), toString(level2.lineage));
            }
        }
        QCOMPARE(toString(t.node(t.indexOf("benign_melanocytic")).lineage),
                 std::string_view("melanocytic"));
        QCOMPARE(toString(t.node(t.indexOf("malignant_epidermal")).lineage),
                 std::string_view("epidermal"));
        QCOMPARE(toString(t.node(t.indexOf("solar_or_actinic_keratosis")).group),
                 std::string_view("premalignant"));
    }

    void diseasesSitUnderTheRightClasses() {
        const Taxonomy& t = Taxonomy::builtin();
        auto under = [&](const char* node, const char* ancestor) {
            return t.isAncestorOrSelf(t.indexOf(ancestor), t.indexOf(node));
        };
        QVERIFY(under("basal_cell_carcinoma", "malignant_epidermal"));
        QVERIFY(under("melanoma_in_situ", "malignant_melanoma"));
        QVERIFY(under("seborrheic_keratosis", "benign_epidermal"));
        QVERIFY(under("dermatofibroma", "benign_dermal"));
        QVERIFY(under("mycosis_fungoides", "cutaneous_lymphoma"));
        QVERIFY(under("psoriasis", "inflammatory"));
        QVERIFY(under("neurofibromatosis_type_1", "genodermatoses"));
        QVERIFY(under("merkel_cell_carcinoma", "malignant_dermal"));
        QVERIFY(!under("nevus", "malignant"));
    }

    void digestIsStableAndStructural() {
        const std::string json = document(kSmallNodes);
        const Taxonomy a = Taxonomy::fromJson(json, "a");
        QVERIFY(a.digest().rfind("sha256:", 0) == 0);
        QCOMPARE(a.digest().size(), std::size_t(7 + 64));
        QCOMPARE(Taxonomy::fromJson(json, "b").digest(), a.digest());

        std::string renamed = json;
        renamed.replace(renamed.find("\"Nevus\""), 7, "\"Naevus\"");
        QCOMPARE(Taxonomy::fromJson(renamed, "c").digest(), a.digest());

        std::string moved = json;
        moved.replace(moved.find("\"parent\": \"benign\""), 18, "\"parent\": \"malignant\"");
        QVERIFY(Taxonomy::fromJson(moved, "d").digest() != a.digest());

        std::string relabelled = json;
        relabelled.replace(relabelled.find("\"lineage\": \"melanocytic\""), 24,
                           "\"lineage\": \"epidermal\"");
        QVERIFY(Taxonomy::fromJson(relabelled, "e").digest() != a.digest());
    }

    void builtinMatchesTheFileInTheSourceTree() {
        const Taxonomy file = Taxonomy::fromFile(std::string(DERMREADER_SOURCE_DIR) +
                                                 "/taxonomy/dermreader-taxonomy.json");
        QCOMPARE(file.digest(), Taxonomy::builtin().digest());
    }

    void rejectsMalformedFiles_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bad json")
            << QString("{\"format\": \"dermreader-taxonomy\",\n  \"nodes\": [ ,]}")
            << "not valid JSON at line 2";
        QTest::newRow("not an object") << "[1, 2]"
                                       << "top level must be a JSON object";
        QTest::newRow("wrong format") << R"({"format": "other", "format_version": 1, "nodes": []})"
                                      << "'format' must be";
        QTest::newRow("newer version")
            << R"({"format": "dermreader-taxonomy", "format_version": 9, "nodes": [{}]})"
            << "format_version 9 is newer";
        QTest::newRow("no nodes") << QString::fromStdString(document(""))
                                  << "'nodes' must be a non-empty array";
        QTest::newRow("duplicate id")
            << QString::fromStdString(document(
                   R"({"id": "a", "name": "A", "group": "benign"}, {"id": "a", "name": "B", "group": "benign"})"))
            << "duplicate id 'a'";
        QTest::newRow("dangling parent")
            << QString::fromStdString(
                   document(R"({"id": "a", "name": "A", "group": "benign", "parent": "ghost"})"))
            << "names parent 'ghost', which does not exist";
        QTest::newRow("cycle") << QString::fromStdString(document(
                                      R"({"id": "r", "name": "R", "group": "benign"},
               {"id": "a", "name": "A", "group": "benign", "parent": "b"},
               {"id": "b", "name": "B", "group": "benign", "parent": "a"})"))
                               << "cycle in parent links: a -> b -> a";
        QTest::newRow("self parent")
            << QString::fromStdString(
                   document(R"({"id": "a", "name": "A", "group": "benign", "parent": "a"})"))
            << "cycle in parent links: a -> a";
        QTest::newRow("bad id") << QString::fromStdString(document(
                                       R"({"id": "Bad Id", "name": "A", "group": "benign"})"))
                                << "id must be non-empty";
        QTest::newRow("unknown group")
            << QString::fromStdString(document(R"({"id": "a", "name": "A", "group": "scary"})"))
            << "unknown group 'scary'";
        QTest::newRow("bad lineage")
            << QString::fromStdString(
                   document(R"({"id": "a", "name": "A", "group": "benign", "lineage": "bony"})"))
            << "lineage must be null";
        QTest::newRow("alias on two nodes")
            << QString::fromStdString(document(
                   R"({"id": "a", "name": "A", "group": "benign", "aliases": {"x": ["nv"]}},
               {"id": "b", "name": "B", "group": "benign", "aliases": {"x": ["NV"]}})"))
            << "alias 'nv' of set 'x' is on two nodes";
        QTest::newRow("several problems at once")
            << QString::fromStdString(document(
                   R"({"id": "a", "name": "", "group": "benign"}, {"id": "b", "group": "benign"})"))
            << "(2 problems)";
    }

    void rejectsMalformedFiles() {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const QString error = loadError(json.toStdString());
        QVERIFY2(error.contains("test.json"), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
    }

    void missingFileIsAClearError() {
        try {
            Taxonomy::fromFile("/nonexistent/taxonomy.json");
            QFAIL("no error");
        } catch (const TaxonomyError& e) {
            QVERIFY(QString(e.what()).contains(
                "cannot open taxonomy file '/nonexistent/taxonomy.json'"));
        }
    }

    void resolvesAliasesPerSetAndGlobally() {
        const Taxonomy t = Taxonomy::fromJson(document(kSmallNodes), "t");
        QCOMPARE(t.resolveLabel("ham10000", "nv"), std::optional<NodeIndex>(t.indexOf("nevus")));
        QCOMPARE(t.resolveLabel("ham10000", " NV "), std::optional<NodeIndex>(t.indexOf("nevus")));
        QVERIFY(!t.resolveLabel("isic2017", "nv"));
        QCOMPARE(t.resolveLabel("", "Melanoma"), std::optional<NodeIndex>(t.indexOf("melanoma")));
        QCOMPARE(t.resolveLabel("", "mel"), std::optional<NodeIndex>(t.indexOf("melanoma")));
        QCOMPARE(normaliseLabel("  Seborrheic_Keratosis- x "),
                 std::string("seborrheic keratosis x"));
    }

    void unknownLabelsAreAllListedAtOnce() {
        const Taxonomy t = Taxonomy::fromJson(document(kSmallNodes), "t");
        try {
            t.resolveLabels("ham10000", {"nv", "xyz", "mel", "abc", "xyz"});
            QFAIL("no error");
        } catch (const UnknownLabelsError& e) {
            QCOMPARE(e.labels(), (std::vector<std::string>{"xyz", "abc"}));
            QVERIFY(QString(e.what()).contains("2 unknown labels for ham10000: 'xyz' 'abc'"));
        }
    }

    void groupLabelsMapToInternalNodes() {
        const Taxonomy& t = Taxonomy::builtin();
        for (const char* label : {"akiec", "bkl", "vasc"}) {
            const auto node = t.resolveLabel("ham10000", label);
            QVERIFY2(node, label);
            QVERIFY2(!t.node(*node).isLeaf(), label);
        }
    }

    void everyDatasetLabelResolves_data() {
        QTest::addColumn<QString>("aliasSet");
        QTest::addColumn<QString>("label");
        QTest::addColumn<QString>("under");
        auto row = [](const char* set, const char* label, const char* under) {
            QTest::addRow("%s/%s", set, label) << set << label << under;
        };
        // HAM10000 dx codes, ISIC 2017 classes, PAD-UFES-20 diagnostics, the 9-class folders.
        row("ham10000", "akiec", "malignant_epidermal");
        row("ham10000", "bcc", "malignant_epidermal");
        row("ham10000", "bkl", "benign_epidermal");
        row("ham10000", "df", "benign_dermal");
        row("ham10000", "mel", "malignant_melanoma");
        row("ham10000", "nv", "benign_melanocytic");
        row("ham10000", "vasc", "benign_dermal");
        row("isic2017", "melanoma", "malignant_melanoma");
        row("isic2017", "seborrheic_keratosis", "benign_epidermal");
        row("isic2017", "nevus", "benign_melanocytic");
        row("pad-ufes-20", "ACK", "malignant_epidermal");
        row("pad-ufes-20", "BCC", "malignant_epidermal");
        row("pad-ufes-20", "MEL", "malignant_melanoma");
        row("pad-ufes-20", "NEV", "benign_melanocytic");
        row("pad-ufes-20", "SCC", "malignant_epidermal");
        row("pad-ufes-20", "SEK", "benign_epidermal");
        row("isic-9class", "actinic keratosis", "malignant_epidermal");
        row("isic-9class", "basal cell carcinoma", "malignant_epidermal");
        row("isic-9class", "dermatofibroma", "benign_dermal");
        row("isic-9class", "melanoma", "malignant_melanoma");
        row("isic-9class", "nevus", "benign_melanocytic");
        row("isic-9class", "pigmented benign keratosis", "benign_epidermal");
        row("isic-9class", "seborrheic keratosis", "benign_epidermal");
        row("isic-9class", "squamous cell carcinoma", "malignant_epidermal");
        row("isic-9class", "vascular lesion", "benign_dermal");
    }

    void everyDatasetLabelResolves() {
        QFETCH(QString, aliasSet);
        QFETCH(QString, label);
        QFETCH(QString, under);
        const Taxonomy& t = Taxonomy::builtin();
        const auto node = t.resolveLabel(aliasSet.toStdString(), label.toStdString());
        QVERIFY(node);
        QVERIFY(t.isAncestorOrSelf(t.indexOf(under.toStdString()), *node));
        // Folder names of the 9-class set are also found without naming the set.
        if (aliasSet == "isic-9class")
            QCOMPARE(t.resolveLabel("", label.toStdString()), node);
    }
};

QTEST_APPLESS_MAIN(TestTaxonomy)
#include "tst_taxonomy.moc"
