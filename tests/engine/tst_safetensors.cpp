// The safetensors reader refuses every kind of broken file with a message naming the file.
#include <QtTest>

#include <sys/stat.h>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cstring>
#include <fstream>

#include "dermreader/engine/Safetensors.h"

using namespace dermreader::engine;

namespace {

std::string withHeader(const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + data;
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void writesAndReadsTensorsAndMetadata() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.safetensors").toStdString();
        const float a[6] = {1, 2, 3, 4, 5, 6};
        const std::int64_t b[1] = {42};
        writeSafetensors(path, {{"a", DType::F32, {2, 3}, a}, {"b", DType::I64, {}, b}},
                         {{"who", "test"}});
        const auto file = SafetensorsFile::open(path);
        QCOMPARE(file.tensors().size(), std::size_t(2));
        QCOMPARE(file.tensors()[0].name, std::string("a"));  // file order
        QCOMPARE(file.find("a")->shape, (std::vector<std::int64_t>{2, 3}));
        QCOMPARE(std::memcmp(file.data(*file.find("a")), a, sizeof a), 0);
        QCOMPARE(std::memcmp(file.data(*file.find("b")), b, sizeof b), 0);
        QCOMPARE(file.metadata().at("who"), std::string("test"));
        QVERIFY(!file.find("c"));
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".partial")));
    }

    void refusesBrokenFiles_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        auto row = [](const char* name, const std::string& content, const char* expected) {
            QTest::newRow(name) << QByteArray(content.data(), static_cast<int>(content.size()))
                                << expected;
        };
        const std::string eight(8, 'x');
        row("empty", "", "the file is empty");
        row("shorter than the length", "abc", "truncated (no header)");
        row("length past the end", withHeader("{}", "").substr(0, 8) + "{",
            "does not fit the file");
        row("not json", withHeader("{nope", ""), "header is not valid JSON");
        row("not an object", withHeader("[1]", ""), "header is not a JSON object");
        row("a jpeg", std::string("\xFF\xD8\xFF\xE0") + std::string(100, 'j'),
            "does not fit the file");
        row("unknown dtype",
            withHeader(R"({"t":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}})", "x"),
            "tensor 't': unsupported dtype 'Q8'");
        row("negative shape",
            withHeader(R"({"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", "x"),
            "negative or non-integer dimension");
        row("size mismatch",
            withHeader(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
            "need 12 bytes but data_offsets give 8");
        row("reversed offsets",
            withHeader(R"({"t":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", eight),
            "end before they begin");
        row("overlap",
            withHeader(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                eight),
            "overlaps the previous tensor");
        row("gap", withHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight),
            "leaves a gap");
        row("truncated data",
            withHeader(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight),
            "the file is truncated: tensors need 16 data bytes, the file has 8");
        row("trailing bytes",
            withHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight),
            "4 bytes after the last tensor");
        row("bad metadata", withHeader(R"({"__metadata__":{"k":1}})", ""),
            "__metadata__['k'] is not a string");
    }

    void refusesBrokenFiles() {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.safetensors");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        try {
            SafetensorsFile::open(path.toStdString());
            QFAIL("no error");
        } catch (const SafetensorsError& e) {
            const QString message = e.what();
            QVERIFY2(message.contains(path), qPrintable(message));
            QVERIFY2(message.contains(expected), qPrintable(message));
        }
    }

    void refusesMissingFilesAndFolders() {
        QTemporaryDir dir;
        QVERIFY_THROWS_EXCEPTION(SafetensorsError,
                                 SafetensorsFile::open(dir.filePath("none").toStdString()));
        QVERIFY_THROWS_EXCEPTION(SafetensorsError, SafetensorsFile::open(dir.path().toStdString()));
    }

    // Issue 14.2: a FIFO in place of the weights used to block for ever on open().
    void refusesAFifoWithoutWaiting() {
        QTemporaryDir dir;
        const std::string fifo = dir.filePath("weights.safetensors").toStdString();
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        QElapsedTimer clock;
        clock.start();
        QString message;
        try {
            SafetensorsFile::open(fifo);
        } catch (const SafetensorsError& e) {
            message = QString::fromUtf8(e.what());
        }
        QVERIFY2(message.contains("not a regular file"), qPrintable(message));
        QVERIFY(clock.elapsed() < 5000);
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
