#pragma once
// DICOM attributes as people read them: readable names for the tags the engine reads,
// person names without carets ("Doe^Jane" -> "Doe, Jane"), dates as ISO dates
// ("20240115" -> "2024-01-15").

#include <QList>
#include <QPair>
#include <QString>
#include <map>
#include <optional>
#include <string>

namespace dermreader::workstation {

QString readableTagName(const QString& keyword);  // "PatientBirthDate" -> "Birth date"
QString formatPersonName(const QString& dicomName);
QString formatDicomDate(const QString& dicomDate);          // DA
QString formatDicomDateTime(const QString& dicomDateTime);  // DT
// The tags in reading order (patient, study, series, acquisition, technical), formatted;
// the "Modality" tag is left out (the workstation shows one modality row of its own).
QList<QPair<QString, QString>> readableTags(const std::map<std::string, std::string>& tags);
// Only the patient and study rows, for reports.
QList<QPair<QString, QString>> patientAndStudy(const std::map<std::string, std::string>& tags);
// One line over the image: "Doe, Jane · ID P123 · born 1970-01-02 · F   |   Study 2024-01-15 ·
// Dermoscopy · arm"; "" when the file has no patient or study attributes.
QString patientBanner(const std::map<std::string, std::string>& tags);
// Pixel Spacing as millimetres per pixel, when given and the pixels are square.
std::optional<double> millimetresPerPixel(const std::map<std::string, std::string>& tags);

}  // namespace dermreader::workstation
