// The prediction service's result cache forgets the least recently used entries.
#include <QtTest>

#include "dermreader/workstation/PredictionService.h"

using dermreader::workstation::LruCache;

class TestLruCache : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void evictsTheLeastRecentlyUsed() {
        LruCache<int> cache(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        QCOMPARE(*cache.find("a"), 1);  // a is now the most recent
        cache.insert("c", 3);           // evicts b
        QVERIFY(!cache.find("b"));
        QCOMPARE(*cache.find("a"), 1);
        QCOMPARE(*cache.find("c"), 3);
        cache.insert("a", 10);  // update keeps the size
        cache.insert("d", 4);   // evicts c
        QVERIFY(!cache.find("c"));
        QCOMPARE(*cache.find("a"), 10);
        cache.clear();
        QVERIFY(!cache.find("a"));
    }
};

QTEST_APPLESS_MAIN(TestLruCache)
#include "tst_lru_cache.moc"
