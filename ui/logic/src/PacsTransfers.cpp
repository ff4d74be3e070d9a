#include "dermreader/workstation/PacsTransfers.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

#include "dermreader/workstation/Jobs.h"

namespace dermreader::workstation {

namespace {

// A transfer the person cancelled ends as a cancelled job, not as an error.
template <typename Work>
auto cancellable(Work work) {
    try {
        return work();
    } catch (const pacs::PacsError& error) {
        if (error.kind() == pacs::PacsError::Kind::Cancelled)
            throw JobCancelled();
        throw;
    }
}

QString safeName(const std::string& text) {
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
    return QString::fromStdString(text).replace(unsafe, QStringLiteral("-"));
}

}  // namespace

QString retrievalFolder(const QString& root, const pacs::StudyRecord& study) {
    QStringList parts;
    for (const std::string& part : {study.patientId, study.studyDate, study.studyUid})
        if (!part.empty())
            parts << safeName(part);
    return QDir(root).filePath(parts.join(QLatin1Char('_')));
}

QString retrievalRoot(const QString& databasePath) {
    if (!databasePath.isEmpty())
        return QFileInfo(databasePath).absoluteDir().filePath(QStringLiteral("pacs"));
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(QStringLiteral("pacs"));
}

pacs::PacsClient pacsClient(const PacsSettings& settings, const pacs::DicomNode& node) {
    return pacs::PacsClient(node, settings.local, settings.timeouts);
}

pacs::Progress jobProgress(JobContext& context) {
    return [&context](int done, int total) {
        context.setProgress(done, total);
        return !context.cancelled();
    };
}

pacs::RetrieveReport retrieveStudy(const pacs::PacsClient& client, const pacs::StudyRecord& study,
                                   const std::vector<std::string>& series, const QString& root,
                                   JobContext& context) {
    const QString folder = retrievalFolder(root, study);
    return cancellable([&] {
        return client.retrieve(study.studyUid, series, folder.toStdString(), jobProgress(context));
    });
}

pacs::StoreReport sendFiles(const pacs::PacsClient& client, const QStringList& files,
                            JobContext& context) {
    std::vector<std::filesystem::path> paths;
    for (const QString& file : files)
        paths.emplace_back(file.toStdString());
    return cancellable([&] { return client.store(paths, jobProgress(context)); });
}

}  // namespace dermreader::workstation
