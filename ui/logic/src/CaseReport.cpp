#include "dermreader/workstation/CaseReport.h"

#include "dermreader/engine/DicomResults.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPainter>
#include <QPdfWriter>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextDocument>
#include <QUrl>
#include <algorithm>

#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::workstation {

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("CaseReport", text);
}

QString percent(double p) {
    return QString::number(100.0 * p, 'f', 1) + " %";
}

QString verdict(double p, const RiskThresholds& t) {
    if (p >= t.biopsy)
        return tr("at or above the biopsy threshold (%1)").arg(percent(t.biopsy));
    if (p >= t.review)
        return tr("at or above the review threshold (%1)").arg(percent(t.review));
    return tr("below the review threshold (%1)").arg(percent(t.review));
}

QString row(const QString& key, const QString& value) {
    return QStringLiteral("<tr><td style='color:#555; padding-right:12px'>%1</td><td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), value.toHtmlEscaped());
}

}  // namespace

QImage riskScaleImage(double malignant, const RiskThresholds& t, int width) {
    const int height = width / 12, bar = height * 11 / 20;
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    auto x = [width](double v) { return static_cast<int>(std::clamp(v, 0.0, 1.0) * (width - 1)); };
    p.fillRect(QRect(0, 0, x(t.review), bar), QColor(120, 180, 120));
    p.fillRect(QRect(x(t.review), 0, x(t.biopsy) - x(t.review), bar), QColor(235, 180, 90));
    p.fillRect(QRect(x(t.biopsy), 0, width - x(t.biopsy), bar), QColor(215, 100, 90));
    p.setPen(QPen(Qt::black, std::max(2, width / 300)));
    const int at = x(malignant);
    p.drawLine(at, 0, at, bar + height / 8);
    QFont font = p.font();
    font.setPixelSize(height / 3);
    p.setFont(font);
    p.drawText(QRect(0, bar, width, height - bar), Qt::AlignLeft | Qt::AlignBottom, "0 %");
    p.drawText(QRect(0, bar, width, height - bar), Qt::AlignRight | Qt::AlignBottom, "100 %");
    p.drawText(QRect(x(t.review) - width / 10, bar, width / 5, height - bar),
               Qt::AlignHCenter | Qt::AlignBottom, tr("review"));
    p.drawText(QRect(x(t.biopsy) - width / 10, bar, width / 5, height - bar),
               Qt::AlignHCenter | Qt::AlignBottom, tr("biopsy"));
    return image;
}

QString caseReportHtml(const CaseReport& r, const taxonomy::Taxonomy& taxonomy) {
    QString html = QStringLiteral("<html><body style='font-size:10pt'>");
    html += QStringLiteral("<h2 style='margin-bottom:2px'>%1</h2>").arg(tr("Case report"));
    html += QStringLiteral("<p style='color:#555'>%1 · %2</p>")
                .arg(r.imageName.toHtmlEscaped(), r.created.toString("yyyy-MM-dd HH:mm"));
    if (!r.patient.isEmpty()) {
        html += "<table>";
        for (const auto& [key, value] : r.patient)
            html += row(key, value);
        html += "</table>";
    }
    // The image without and with the overlay, side by side.
    html += "<table width='100%'><tr>";
    html += QStringLiteral("<td width='50%'><img src='report:image' width='330'><br>%1</td>")
                .arg(tr("Image"));
    if (!r.withOverlay.isNull()) {
        html += QStringLiteral("<td width='50%'><img src='report:overlay' width='330'><br>%1</td>")
                    .arg(tr("Saliency overlay (%1)").arg(r.overlayMethod.toHtmlEscaped()));
    }
    html += "</tr></table>";
    if (r.prediction) {
        const auto& p = *r.prediction;
        html += QStringLiteral("<h3>%1 %2</h3>")
                    .arg(tr("CNN probability of malignancy:"), percent(p.malignant));
        html += QStringLiteral("<p><img src='report:scale' width='600'><br>%1</p>")
                    .arg(tr("P(malignant) is %1.").arg(verdict(p.malignant, r.thresholds)));
        html += "<table>";
        if (p.melanocyticMalignant)
            html += row(tr("If melanocytic: P(melanoma)"), percent(*p.melanocyticMalignant));
        if (p.epidermalMalignant)
            html += row(tr("If epidermal: P(carcinoma)"), percent(*p.epidermalMalignant));
        html += "</table>";
        html += QStringLiteral("<p><b>%1</b></p><table>").arg(tr("Most probable classes"));
        for (std::size_t i = 0; i < p.secondLevel.size() && i < 3; ++i) {
            html += row(percent(p.secondLevel[i].probability),
                        QString::fromStdString(taxonomy.node(p.secondLevel[i].node).name));
        }
        html += "</table>";
    } else {
        html += QStringLiteral("<p>%1</p>").arg(tr("No prediction for this image."));
    }
    html += "<table>";
    html += row(tr("Model"), r.model);
    if (!r.modelValidation.isEmpty())
        html += row(tr("Validation"), r.modelValidation);
    html += "</table>";
    // The clinician's part, to fill in by hand: the model's number is not the decision.
    html += QStringLiteral("<h3>%1</h3>").arg(tr("Clinician's assessment"));
    html +=
        QStringLiteral("<p>☐ %1 &nbsp;&nbsp; ☐ %2 &nbsp;&nbsp; ☐ %3 &nbsp;&nbsp; ☐ %4</p>")
            .arg(tr("Biopsy / excision"), tr("Short-term follow-up"), tr("Reassure"), tr("Refer"));
    for (const QString& label : {tr("Clinical findings"), tr("Notes")}) {
        html += QStringLiteral("<p>%1:</p><p style='color:#999'>%2</p><p style='color:#999'>%2</p>")
                    .arg(label, QString(80, QChar('_')));
    }
    html +=
        QStringLiteral("<p>%1 %2 &nbsp;&nbsp;&nbsp; %3 %4</p>")
            .arg(tr("Clinician:"), QString(40, QChar('_')), tr("Date:"), QString(20, QChar('_')));
    html += QStringLiteral("<p style='color:#a00'><b>%1</b></p>")
                .arg(tr("Decision support for research use. Not a medical device; not a "
                        "diagnosis."));
    html += "</body></html>";
    return html;
}

bool writeCaseReportPdf(const CaseReport& r, const taxonomy::Taxonomy& taxonomy,
                        const QString& path, QString* error) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QPageSize::A4));
    pdf.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
    pdf.setResolution(300);
    pdf.setTitle(tr("Case report — %1").arg(r.imageName));
    pdf.setCreator(QStringLiteral("dermreader"));
    QPainter painter;
    if (!painter.begin(&pdf)) {
        if (error)
            *error = tr("cannot write '%1'").arg(path);
        return false;
    }
    QTextDocument document;
    document.addResource(QTextDocument::ImageResource, QUrl("report:image"), r.image);
    if (!r.withOverlay.isNull())
        document.addResource(QTextDocument::ImageResource, QUrl("report:overlay"), r.withOverlay);
    if (r.prediction) {
        document.addResource(QTextDocument::ImageResource, QUrl("report:scale"),
                             riskScaleImage(r.prediction->malignant, r.thresholds));
    }
    document.setHtml(caseReportHtml(r, taxonomy));
    // Lay out at 96 dpi on the printable width, then scale onto the page: one page, with the
    // text wrapped to the margins.
    const QRectF page = pdf.pageLayout().paintRectPixels(pdf.resolution());
    const double scale = pdf.resolution() / 96.0;
    document.setTextWidth(page.width() / scale);
    const double height = document.size().height() * scale;
    const double fit = height > page.height() ? page.height() / height : 1.0;  // never 2 pages
    painter.scale(scale * fit, scale * fit);
    document.drawContents(&painter);
    painter.end();
    return true;
}

QString reportFolder() {
    const QString saved = QSettings().value("report/folder").toString();
    if (!saved.isEmpty() && QFileInfo(saved).isDir())
        return saved;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void rememberReportFolder(const QString& reportPath) {
    QSettings().setValue("report/folder", QFileInfo(reportPath).absolutePath());
}

namespace {

engine::RgbImage toRgbImage(const QImage& image) {
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    engine::RgbImage out = engine::RgbImage::filled(rgb.width(), rgb.height(), 0, 0, 0);
    for (int y = 0; y < rgb.height(); ++y)
        std::copy_n(rgb.constScanLine(y), rgb.width() * 3,
                    out.pixels.begin() + static_cast<std::ptrdiff_t>(y) * rgb.width() * 3);
    return out;
}

}  // namespace

bool writeCaseReportDicom(const CaseReport& report, const QString& source,
                          const QString& modelVersion, const taxonomy::Taxonomy& taxonomy,
                          const QString& folder, QStringList* written, QString* error) {
    if (!report.prediction) {
        if (error)
            *error =
                QCoreApplication::translate("CaseReport", "no result to send for '%1'").arg(source);
        return false;
    }
    const engine::Prediction& p = *report.prediction;
    engine::ReportedPrediction reported;
    reported.modelName = report.model.toStdString();
    reported.modelVersion = modelVersion.toStdString();
    reported.malignant = p.malignant;
    reported.melanocyticMalignant = p.melanocyticMalignant;
    reported.epidermalMalignant = p.epidermalMalignant;
    reported.readerDecision = report.readerDecision.toStdString();
    reported.readerName = report.readerName.toStdString();
    for (std::size_t i = 0; i < p.topClasses.size() && i < 3; ++i)
        reported.topClasses.emplace_back(taxonomy.node(p.topClasses[i].node).name,
                                         p.topClasses[i].probability);
    const QDir out(folder);
    const QString stem = QFileInfo(source).completeBaseName();
    // All or nothing: an earlier export (or another image called the same) is never replaced.
    for (const char* suffix : {"-sr.dcm", "-overlay.dcm", "-report.dcm"}) {
        if (QFileInfo::exists(out.filePath(stem + suffix))) {
            if (error)
                *error = QCoreApplication::translate("CaseReport",
                                                     "'%1' exists already; choose another folder")
                             .arg(out.filePath(stem + suffix));
            return false;
        }
    }
    const std::filesystem::path from = source.toStdString();
    try {
        auto note = [&](const engine::DicomObject& object) {
            if (written)
                *written << QString::fromStdString(object.file.string());
        };
        note(engine::writeStructuredReport(from, reported,
                                           out.filePath(stem + "-sr.dcm").toStdString()));
        if (!report.withOverlay.isNull())
            note(engine::writeSecondaryCapture(
                from, toRgbImage(report.withOverlay),
                ("saliency overlay (" + report.overlayMethod + ")").toStdString(),
                out.filePath(stem + "-overlay.dcm").toStdString()));
        QTemporaryDir scratch;
        const QString pdf = scratch.filePath(stem + ".pdf");
        QString pdfError;
        if (!scratch.isValid() || !writeCaseReportPdf(report, taxonomy, pdf, &pdfError))
            throw engine::ImageError(pdfError.isEmpty() ? "cannot write the PDF"
                                                        : pdfError.toStdString());
        note(engine::writeEncapsulatedPdf(from, pdf.toStdString(), "dermreader case report",
                                          out.filePath(stem + "-report.dcm").toStdString()));
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

}  // namespace dermreader::workstation
