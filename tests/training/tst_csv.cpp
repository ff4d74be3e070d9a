// The CSV reader under every dataset import.
#include <QtTest>

#include "Csv.h"

using dermreader::training::detail::CsvError;
using dermreader::training::detail::parseCsv;

class TestCsv : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void parsesQuotesCrlfAndBom() {
        const auto rows = parseCsv(
            "\xEF\xBB\xBFpath,label\r\n\"a,b.jpg\",\"say \"\"hi\"\"\"\r\n\r\nc.jpg,\n", "x.csv");
        QCOMPARE(rows.size(), std::size_t(3));
        QCOMPARE(rows[0].fields, (std::vector<std::string>{"path", "label"}));
        QCOMPARE(rows[1].fields, (std::vector<std::string>{"a,b.jpg", "say \"hi\""}));
        QCOMPARE(rows[2].fields, (std::vector<std::string>{"c.jpg", ""}));
        QCOMPARE(rows[2].line, 4);
    }

    void quotedFieldMaySpanLines() {
        const auto rows = parseCsv("a,\"x\ny\"\nb,c", "x.csv");
        QCOMPARE(rows.size(), std::size_t(2));
        QCOMPARE(rows[0].fields[1], std::string("x\ny"));
        QCOMPARE(rows[1].line, 3);
    }

    void malformedQuotingNamesFileAndLine() {
        try {
            parseCsv("a,b\nc,\"unterminated\n", "bad.csv");
            QFAIL("no error");
        } catch (const CsvError& e) {
            QVERIFY2(QString(e.what()).startsWith("bad.csv:3: quoted field is not closed"),
                     e.what());
        }
        QVERIFY_THROWS_EXCEPTION(CsvError, parseCsv("a,b\"c\n", "bad.csv"));
        QVERIFY_THROWS_EXCEPTION(CsvError, parseCsv("\"a\"b,c\n", "bad.csv"));
    }
};

QTEST_APPLESS_MAIN(TestCsv)
#include "tst_csv.moc"
