#include "dermreader/workstation/DicomText.h"

#include <QCoreApplication>
#include <array>
#include <cmath>

namespace dermreader::workstation {

namespace {

struct TagText {
    const char* keyword;
    const char* name;
    enum Kind { Text, Person, Date, DateTime } kind;
    bool patientOrStudy;
};

// Reading order. "Modality" (the DICOM modality code) is left out on purpose.
constexpr std::array<TagText, 15> kTags = {{
    {"PatientName", QT_TRANSLATE_NOOP("DicomText", "Patient"), TagText::Person, true},
    {"PatientID", QT_TRANSLATE_NOOP("DicomText", "Patient ID"), TagText::Text, true},
    {"PatientBirthDate", QT_TRANSLATE_NOOP("DicomText", "Birth date"), TagText::Date, true},
    {"PatientSex", QT_TRANSLATE_NOOP("DicomText", "Sex"), TagText::Text, true},
    {"StudyDate", QT_TRANSLATE_NOOP("DicomText", "Study date"), TagText::Date, true},
    {"StudyDescription", QT_TRANSLATE_NOOP("DicomText", "Study"), TagText::Text, true},
    {"SeriesDescription", QT_TRANSLATE_NOOP("DicomText", "Series"), TagText::Text, false},
    {"BodyPartExamined", QT_TRANSLATE_NOOP("DicomText", "Body part"), TagText::Text, false},
    {"ImageLaterality", QT_TRANSLATE_NOOP("DicomText", "Laterality"), TagText::Text, false},
    {"AcquisitionDateTime", QT_TRANSLATE_NOOP("DicomText", "Acquired"), TagText::DateTime, false},
    {"Manufacturer", QT_TRANSLATE_NOOP("DicomText", "Manufacturer"), TagText::Text, false},
    {"PixelSpacing", QT_TRANSLATE_NOOP("DicomText", "Pixel spacing (mm)"), TagText::Text, false},
    {"PhotometricInterpretation", QT_TRANSLATE_NOOP("DicomText", "Photometric"), TagText::Text,
     false},
    {"StudyInstanceUID", QT_TRANSLATE_NOOP("DicomText", "Study UID"), TagText::Text, false},
    {"SOPClassUID", QT_TRANSLATE_NOOP("DicomText", "SOP class UID"), TagText::Text, false},
}};

QString format(const TagText& tag, const QString& value) {
    switch (tag.kind) {
        case TagText::Person:
            return formatPersonName(value);
        case TagText::Date:
            return formatDicomDate(value);
        case TagText::DateTime:
            return formatDicomDateTime(value);
        case TagText::Text:
            break;
    }
    return value.trimmed();
}

QList<QPair<QString, QString>> rows(const std::map<std::string, std::string>& tags,
                                    bool patientOrStudyOnly) {
    QList<QPair<QString, QString>> out;
    for (const TagText& tag : kTags) {
        if (patientOrStudyOnly && !tag.patientOrStudy)
            continue;
        const auto it = tags.find(tag.keyword);
        if (it == tags.end() || it->second.empty())
            continue;
        out.append({QCoreApplication::translate("DicomText", tag.name),
                    format(tag, QString::fromStdString(it->second))});
    }
    return out;
}

}  // namespace

QString readableTagName(const QString& keyword) {
    for (const TagText& tag : kTags) {
        if (keyword == QLatin1String(tag.keyword))
            return QCoreApplication::translate("DicomText", tag.name);
    }
    return keyword;
}

QString formatPersonName(const QString& dicomName) {
    // Family^Given^Middle^Prefix^Suffix: "Family, Given Middle".
    const QStringList parts = dicomName.trimmed().split('^');
    if (parts.size() < 2)
        return dicomName.trimmed();
    QStringList given;
    for (int i = 1; i < parts.size() && i < 3; ++i) {
        if (!parts[i].trimmed().isEmpty())
            given << parts[i].trimmed();
    }
    QString name = parts[0].trimmed();
    if (!given.isEmpty())
        name += (name.isEmpty() ? QString() : QStringLiteral(", ")) + given.join(' ');
    return name;
}

QString formatDicomDate(const QString& dicomDate) {
    const QString d = dicomDate.trimmed();
    if (d.size() == 8 && d.toLongLong() > 0)
        return d.left(4) + '-' + d.mid(4, 2) + '-' + d.mid(6, 2);
    return d;
}

QString formatDicomDateTime(const QString& dicomDateTime) {
    const QString t = dicomDateTime.trimmed();
    if (t.size() < 12)
        return formatDicomDate(t);
    return formatDicomDate(t.left(8)) + ' ' + t.mid(8, 2) + ':' + t.mid(10, 2);
}

QList<QPair<QString, QString>> readableTags(const std::map<std::string, std::string>& tags) {
    return rows(tags, false);
}

QList<QPair<QString, QString>> patientAndStudy(const std::map<std::string, std::string>& tags) {
    return rows(tags, true);
}

QString patientBanner(const std::map<std::string, std::string>& tags) {
    auto value = [&tags](const char* keyword) {
        const auto it = tags.find(keyword);
        return it == tags.end() ? QString() : QString::fromStdString(it->second).trimmed();
    };
    QStringList patient, study;
    if (const QString name = value("PatientName"); !name.isEmpty())
        patient << formatPersonName(name);
    if (const QString id = value("PatientID"); !id.isEmpty())
        patient << QCoreApplication::translate("DicomText", "ID %1").arg(id);
    if (const QString born = value("PatientBirthDate"); !born.isEmpty())
        patient << QCoreApplication::translate("DicomText", "born %1").arg(formatDicomDate(born));
    if (const QString sex = value("PatientSex"); !sex.isEmpty())
        patient << sex;
    if (const QString date = value("StudyDate"); !date.isEmpty())
        study << formatDicomDate(date);
    if (const QString description = value("StudyDescription"); !description.isEmpty())
        study << description;
    if (const QString body = value("BodyPartExamined"); !body.isEmpty())
        study << body.toLower();
    if (const QString side = value("ImageLaterality"); !side.isEmpty())
        study << side;
    QStringList parts;
    if (!patient.isEmpty())
        parts << patient.join(QStringLiteral(" · "));
    if (!study.isEmpty())
        parts << QCoreApplication::translate("DicomText", "Study %1")
                     .arg(study.join(QStringLiteral(" · ")));
    return parts.join(QStringLiteral("   |   "));
}

std::optional<double> millimetresPerPixel(const std::map<std::string, std::string>& tags) {
    const auto it = tags.find("PixelSpacing");
    if (it == tags.end())
        return std::nullopt;
    // "row spacing\\column spacing" in mm; a horizontal bar needs the column spacing, and
    // only square pixels make one bar true in every direction.
    const QStringList parts = QString::fromStdString(it->second).split('\\');
    bool rowOk = false, columnOk = false;
    const double row = parts.value(0).trimmed().toDouble(&rowOk);
    const double column = parts.value(parts.size() > 1 ? 1 : 0).trimmed().toDouble(&columnOk);
    if (!rowOk || !columnOk || !(row > 0) || !(column > 0) ||
        std::abs(row - column) > 0.01 * std::max(row, column))
        return std::nullopt;
    return column;
}

}  // namespace dermreader::workstation
