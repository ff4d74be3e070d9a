// A model is known by its bundle folder and creation time, whatever the path's spelling.
#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>

#include "dermreader/engine/ModelIdentity.h"
#include "dermreader/engine/ModelManifest.h"

using dermreader::engine::ModelIdentity;
using dermreader::engine::ModelManifest;
namespace fs = std::filesystem;

class TestModelIdentity : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void spellingsOfOneFolderAreOneModel() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path root = dir.path().toStdString();
        fs::create_directories(root / "models" / "a");
        fs::create_directory_symlink(root / "models" / "a", root / "link-to-a");
        ModelManifest manifest;
        manifest.name = "model a";
        manifest.created = "2026-12-02T10:00:00Z";
        const ModelIdentity plain = ModelIdentity::of(root / "models" / "a", manifest);
        for (const fs::path& spelling : {root / "models" / "a" / "", root / "models" / "." / "a",
                                         root / "models" / "b" / ".." / "a", root / "link-to-a"}) {
            const ModelIdentity other = ModelIdentity::of(spelling, manifest);
            QVERIFY2(other.sameModel(plain), spelling.c_str());
            QCOMPARE(other.key(), plain.key());
        }
        // Another folder, or the same folder re-trained (a new creation time), is another model.
        QVERIFY(!ModelIdentity::of(root / "models" / "b", manifest).sameModel(plain));
        ModelManifest retrained = manifest;
        retrained.created = "2026-12-02T11:00:00Z";
        QVERIFY(!ModelIdentity::of(root / "models" / "a", retrained).sameModel(plain));
        // The text form a study records round-trips.
        const auto back = ModelIdentity::fromText(plain.toText());
        QVERIFY(back.has_value());
        QVERIFY(back->sameModel(plain));
        QCOMPARE(back->name, plain.name);
    }
};

QTEST_GUILESS_MAIN(TestModelIdentity)
#include "tst_model_identity.moc"
