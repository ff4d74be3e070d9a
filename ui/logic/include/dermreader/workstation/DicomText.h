#pragma once
// DICOM attributes as people read them: readable names for the tags the engine reads,
// person names without carets ("Doe^Jane" -> "Doe, Jane"), dates as ISO dates
// ("20240115" -> "2024-01-15").

#include <QList>
#include <QPair>
#include <QString>
#include <map>
#include <string>

namespace dermreader::workstation {

QString readableTagName(const QString& keyword);  // "PatientBirthDate" -> "Birth date"
QString formatPersonName(const QString& dicomName);
QString formatDicomDate(const QString& dicomDate);          // DA
QString formatDicomDateTime(const QString& dicomDateTime);  // DT
// The tags in reading order (patient, study, series, acquisition, technical), formatted;
// the "Modality" tag is left out (the workstation shows one modality row of its own).
QList<QPair<QString, QString>> readableTags(const std::map<std::string, std::string>& tags);
// Only the patient and study rows, for reports and the image banner.
QList<QPair<QString, QString>> patientAndStudy(const std::map<std::string, std::string>& tags);

}  // namespace dermreader::workstation
