#include "dermreader/pacs/PacsClient.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmjpeg/djdecode.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <system_error>
#include <tuple>

#include "Association.h"
#include "StoreReceiver.h"

namespace dermreader::pacs {

namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr const char* kFindStudyRoot = UID_FINDStudyRootQueryRetrieveInformationModel;
constexpr const char* kGetStudyRoot = UID_GETStudyRootQueryRetrieveInformationModel;
constexpr const char* kMoveStudyRoot = UID_MOVEStudyRootQueryRetrieveInformationModel;

OFList<OFString> syntaxList(const std::vector<std::string>& syntaxes) {
    OFList<OFString> list;
    for (const std::string& syntax : syntaxes)
        list.push_back(syntax.c_str());
    return list;
}

const std::vector<std::string> kUncompressed = {UID_LittleEndianExplicitTransferSyntax,
                                                UID_LittleEndianImplicitTransferSyntax};

int number(DcmItem& item, const DcmTagKey& tag) {
    try {
        const std::string value = text(item, tag);
        return value.empty() ? 0 : std::stoi(value);
    } catch (const std::exception&) {
        return 0;
    }
}

std::vector<std::string> split(const std::string& values) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= values.size()) {
        const std::size_t end = std::min(values.find('\\', start), values.size());
        if (end > start)
            parts.push_back(values.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// A C-FIND on one new association; the matches, converted to UTF-8.
std::vector<std::unique_ptr<DcmDataset>> find(const DicomNode& node, const LocalEntity& local,
                                              const Timeouts& timeouts, DcmDataset& keys,
                                              const std::string& what) {
    auto scu = makeScu(node, local, timeouts, nullptr);
    scu->addPresentationContext(kFindStudyRoot, syntaxList(kUncompressed));
    open(*scu, node, local, timeouts);
    const auto context = contextFor(*scu, node, kFindStudyRoot, "queries (C-FIND)");
    keys.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    OFList<QRResponse*> responses;
    const OFCondition sent = scu->sendFINDRequest(context, &keys, &responses);
    std::vector<std::unique_ptr<DcmDataset>> matches;
    Uint16 finalStatus = STATUS_Success;
    for (QRResponse* response : responses) {
        finalStatus = response->m_status;
        if (response->m_dataset && !isFailureStatus(response->m_status)) {
            auto match = std::make_unique<DcmDataset>(*response->m_dataset);
            match->convertToUTF8();  // best effort: the text stays as sent when it cannot
            matches.push_back(std::move(match));
        }
        delete response;
    }
    if (sent.bad())
        throwExchangeError(node, what, sent, timeouts);
    scu->releaseAssociation();
    if (isFailureStatus(finalStatus))
        throw PacsError(PacsError::Kind::Refused,
                        node.describe() + " refused " + what + ": " + describeStatus(finalStatus));
    return matches;
}

std::string dateRange(const StudyQuery& query) {
    if (query.dateFrom.empty() && query.dateTo.empty())
        return {};
    if (query.dateFrom == query.dateTo)
        return query.dateFrom;
    return query.dateFrom + "-" + query.dateTo;
}

std::string nameKey(const std::string& name) {
    if (name.empty() || name.find_first_of("*?") != std::string::npos)
        return name;
    return name + "*";
}

// So that a compressed file can go to a node that accepts only uncompressed objects.
void registerDecoders() {
    static std::once_flag once;
    std::call_once(once, [] {
        DJDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

bool isDate(const std::string& date) {
    return date.empty() ||
           (date.size() == 8 && date.find_first_not_of("0123456789") == std::string::npos);
}

}  // namespace

bool isDermatologyModality(std::string_view modality) {
    return modality == "XC" || modality == "DMS";
}

bool SeriesRecord::isDermatology() const {
    return isDermatologyModality(modality);
}

PacsClient::PacsClient(DicomNode node, LocalEntity local, Timeouts timeouts)
    : node_(std::move(node)), local_(std::move(local)), timeouts_(timeouts) {}

void PacsClient::echo() const {
    auto scu = makeScu(node_, local_, timeouts_, nullptr);
    scu->addPresentationContext(UID_VerificationSOPClass, syntaxList(kUncompressed));
    open(*scu, node_, local_, timeouts_);
    const auto context = contextFor(*scu, node_, UID_VerificationSOPClass, "verification (C-ECHO)");
    const OFCondition echoed = scu->sendECHORequest(context);
    if (echoed.bad())
        throwExchangeError(node_, "the echo", echoed, timeouts_);
    scu->releaseAssociation();
}

std::vector<StudyRecord> PacsClient::findStudies(const StudyQuery& query) const {
    if (!isDate(query.dateFrom) || !isDate(query.dateTo))
        throw PacsError(PacsError::Kind::Configuration,
                        "dates are YYYYMMDD: '" + query.dateFrom + "' to '" + query.dateTo + "'");
    DcmDataset keys;
    keys.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
    keys.putAndInsertString(DCM_PatientID, query.patientId.c_str());
    keys.putAndInsertString(DCM_PatientName, nameKey(query.patientName).c_str());
    keys.putAndInsertString(DCM_StudyDate, dateRange(query).c_str());
    keys.putAndInsertString(DCM_ModalitiesInStudy, query.modality.c_str());
    for (const DcmTagKey& tag :
         {DCM_StudyInstanceUID, DCM_PatientBirthDate, DCM_StudyTime, DCM_StudyDescription,
          DCM_AccessionNumber, DCM_NumberOfStudyRelatedSeries, DCM_NumberOfStudyRelatedInstances})
        keys.insertEmptyElement(tag);
    std::vector<StudyRecord> studies;
    for (const auto& match : find(node_, local_, timeouts_, keys, "the study query")) {
        StudyRecord study;
        study.studyUid = text(*match, DCM_StudyInstanceUID);
        study.patientId = text(*match, DCM_PatientID);
        study.patientName = text(*match, DCM_PatientName);
        study.patientBirthDate = text(*match, DCM_PatientBirthDate);
        study.studyDate = text(*match, DCM_StudyDate);
        study.studyTime = text(*match, DCM_StudyTime);
        study.description = text(*match, DCM_StudyDescription);
        study.accessionNumber = text(*match, DCM_AccessionNumber);
        study.modalities = split(text(*match, DCM_ModalitiesInStudy));
        study.seriesCount = number(*match, DCM_NumberOfStudyRelatedSeries);
        study.instanceCount = number(*match, DCM_NumberOfStudyRelatedInstances);
        if (!study.studyUid.empty())
            studies.push_back(std::move(study));
    }
    std::sort(studies.begin(), studies.end(), [](const StudyRecord& a, const StudyRecord& b) {
        return std::tie(b.studyDate, b.studyTime) < std::tie(a.studyDate, a.studyTime);
    });
    return studies;
}

std::vector<SeriesRecord> PacsClient::findSeries(const std::string& studyUid) const {
    DcmDataset keys;
    keys.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
    keys.putAndInsertString(DCM_StudyInstanceUID, studyUid.c_str());
    for (const DcmTagKey& tag :
         {DCM_SeriesInstanceUID, DCM_Modality, DCM_SeriesNumber, DCM_SeriesDescription,
          DCM_BodyPartExamined, DCM_NumberOfSeriesRelatedInstances})
        keys.insertEmptyElement(tag);
    std::vector<SeriesRecord> series;
    for (const auto& match : find(node_, local_, timeouts_, keys, "the series query")) {
        SeriesRecord record;
        record.studyUid = studyUid;
        record.seriesUid = text(*match, DCM_SeriesInstanceUID);
        record.modality = text(*match, DCM_Modality);
        record.number = number(*match, DCM_SeriesNumber);
        record.description = text(*match, DCM_SeriesDescription);
        record.bodyPart = text(*match, DCM_BodyPartExamined);
        record.instanceCount = number(*match, DCM_NumberOfSeriesRelatedInstances);
        if (!record.seriesUid.empty())
            series.push_back(std::move(record));
    }
    std::sort(series.begin(), series.end(),
              [](const SeriesRecord& a, const SeriesRecord& b) { return a.number < b.number; });
    return series;
}

RetrieveReport PacsClient::retrieve(const std::string& studyUid,
                                    std::vector<std::string> seriesUids, const fs::path& folder,
                                    const Progress& progress) const {
    const std::vector<SeriesRecord> all = findSeries(studyUid);
    if (seriesUids.empty()) {
        std::set<std::string> modalities;
        for (const SeriesRecord& series : all) {
            modalities.insert(series.modality.empty() ? "?" : series.modality);
            if (series.isDermatology())
                seriesUids.push_back(series.seriesUid);
        }
        if (seriesUids.empty()) {
            std::string found;
            for (const std::string& modality : modalities)
                found += (found.empty() ? "" : ", ") + modality;
            throw PacsError(
                PacsError::Kind::NoDermatologyImages,
                "study " + studyUid + " on " + node_.describe() +
                    " has no dermatology images (clinical XC or dermoscopic DMS "
                    "photographs); " +
                    (all.empty() ? std::string("it has no series") : "its series are " + found));
        }
    }
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw PacsError(PacsError::Kind::LocalStorage,
                        "cannot create " + folder.string() + ": " + error.message());
    int expected = 0;
    for (const SeriesRecord& series : all)
        if (std::find(seriesUids.begin(), seriesUids.end(), series.seriesUid) != seriesUids.end())
            expected += series.instanceCount;
    ReceivedInstances received(folder, progress, expected, studyUid, seriesUids);
    if (!received.report())
        throw PacsError(PacsError::Kind::Cancelled, "retrieval cancelled");
    return node_.retrieve == RetrieveMethod::Move ? moveSeries(studyUid, seriesUids, received)
                                                  : getSeries(studyUid, seriesUids, received);
}

namespace {

DcmDataset seriesKeys(const std::string& studyUid, const std::string& seriesUid) {
    DcmDataset keys;
    keys.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
    keys.putAndInsertString(DCM_StudyInstanceUID, studyUid.c_str());
    keys.putAndInsertString(DCM_SeriesInstanceUID, seriesUid.c_str());
    return keys;
}

// The final response's status and failed count; frees the responses.
std::pair<Uint16, int> finalStatus(OFList<RetrieveResponse*>& responses) {
    Uint16 status = STATUS_Success;
    int failed = 0;
    for (RetrieveResponse* response : responses) {
        status = response->m_status;
        failed = response->m_numberOfFailedSubops;
        delete response;
    }
    responses.clear();
    return {status, failed};
}

using SeriesRequest =
    std::function<std::pair<OFCondition, std::pair<Uint16, int>>(const std::string& seriesUid)>;

// Retrieves each series with `request` (one C-GET or C-MOVE). Stops on a cancel or a failure
// to receive; a series the node refuses outright is a problem line, unless nothing arrives at
// all (then the refusal is the error, `refusalHint` appended).
RetrieveReport retrieveEach(DcmSCU& scu, const DicomNode& node,
                            const std::vector<std::string>& series, ReceivedInstances& received,
                            const Timeouts& timeouts, const SeriesRequest& request,
                            const std::string& refusalHint = {}) {
    RetrieveReport report;
    Uint16 firstRefusal = STATUS_Success;
    for (const std::string& seriesUid : series) {
        const std::size_t before = received.count();
        const auto [sent, status] = request(seriesUid);
        if (received.cancelled() || received.error()) {
            scu.abortAssociation();
            if (received.cancelled())
                throw PacsError(PacsError::Kind::Cancelled, "retrieval cancelled");
            throw *received.error();
        }
        if (sent.bad())
            throwExchangeError(node, "the retrieval", sent, timeouts);
        report.failed += status.second;
        if (isFailureStatus(status.first) && received.count() == before) {
            report.problems.push_back("series " + seriesUid + ": " + node.describe() +
                                      " refused it, " + describeStatus(status.first));
            if (firstRefusal == STATUS_Success)
                firstRefusal = status.first;
        }
    }
    scu.releaseAssociation();
    if (received.count() == 0 && firstRefusal != STATUS_Success)
        throw PacsError(PacsError::Kind::Refused, node.describe() + " refused the retrieval: " +
                                                      describeStatus(firstRefusal) + refusalHint);
    if (received.count() == 0 && report.failed > 0)
        throw PacsError(PacsError::Kind::Refused,
                        node.describe() + " could not send any of " +
                            std::to_string(report.failed) + " image(s)" +
                            // It did connect when what arrived was refused as not asked for.
                            (received.unrequested() > 0 ? std::string() : refusalHint));
    if (received.unrequested() > 0)
        report.problems.push_back(std::to_string(received.unrequested()) +
                                  " instance(s) from outside the requested series were refused");
    return report;
}

}  // namespace

RetrieveReport PacsClient::getSeries(const std::string& studyUid,
                                     const std::vector<std::string>& series,
                                     ReceivedInstances& received) const {
    auto scu = makeScu(node_, local_, timeouts_, &received);
    scu->addPresentationContext(kGetStudyRoot, syntaxList(kUncompressed));
    for (const std::string& sopClass : imageStorageClasses())
        for (const auto& syntaxes : imageTransferSyntaxGroups())
            scu->addPresentationContext(sopClass.c_str(), syntaxList(syntaxes), ASC_SC_ROLE_SCP);
    open(*scu, node_, local_, timeouts_);
    const auto context = contextFor(*scu, node_, kGetStudyRoot, "retrieval by C-GET");
    RetrieveReport report =
        retrieveEach(*scu, node_, series, received, timeouts_, [&](const std::string& seriesUid) {
            DcmDataset keys = seriesKeys(studyUid, seriesUid);
            OFList<RetrieveResponse*> responses;
            const OFCondition sent = scu->sendCGETRequest(context, &keys, &responses);
            return std::make_pair(sent, finalStatus(responses));
        });
    report.files = received.files();
    return report;
}

RetrieveReport PacsClient::moveSeries(const std::string& studyUid,
                                      const std::vector<std::string>& series,
                                      ReceivedInstances& received) const {
    StoreReceiver receiver(node_, local_, received);
    auto scu = makeScu(node_, local_, timeouts_, &received);  // its responses check for cancel
    scu->addPresentationContext(kMoveStudyRoot, syntaxList(kUncompressed));
    open(*scu, node_, local_, timeouts_);
    const auto context = contextFor(*scu, node_, kMoveStudyRoot, "retrieval by C-MOVE");
    RetrieveReport report = retrieveEach(
        *scu, node_, series, received, timeouts_,
        [&](const std::string& seriesUid) {
            DcmDataset keys = seriesKeys(studyUid, seriesUid);
            OFList<RetrieveResponse*> responses;
            const OFCondition sent =
                scu->sendMOVERequest(context, local_.aeTitle.c_str(), &keys, &responses);
            const auto status = finalStatus(responses);
            if (status.first == 0xA801)  // move destination unknown
                throw PacsError(PacsError::Kind::Refused,
                                node_.describe() + " does not know our AE title '" +
                                    local_.aeTitle +
                                    "' as a move destination (add it, with this computer's "
                                    "address and port " +
                                    std::to_string(local_.storePort) + ", to the node)");
            return std::make_pair(sent, status);
        },
        // What a node says when it cannot open the connection back to us ("out of resources",
        // "unable to perform sub-operations") rarely names the cause.
        "; if the node could not connect back to this workstation: it must know our AE title '" +
            local_.aeTitle + "' with this computer's address and port " +
            std::to_string(local_.storePort) +
            ", and no firewall may block that port (or retrieve by C-GET)");
    receiver.finish();  // every store written before the files are listed
    report.files = received.files();
    return report;
}

StoreReport PacsClient::store(const std::vector<fs::path>& files, const Progress& progress) const {
    struct Outgoing {
        fs::path file;
        std::string sopClass, sopInstance, syntax;
    };
    StoreReport report;
    std::vector<Outgoing> outgoing;
    auto scu = makeScu(node_, local_, timeouts_, nullptr);
    std::set<std::pair<std::string, std::string>> proposed;
    for (const fs::path& file : files) {
        DcmFileFormat format;
        const OFCondition loaded = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096);
        OFString sopClass, sopInstance, syntax;
        if (loaded.bad() ||
            format.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sopClass).bad() ||
            format.getMetaInfo()
                ->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, sopInstance)
                .bad() ||
            format.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax).bad()) {
            report.problems.push_back(file.string() + ": not a DICOM file with a meta header (" +
                                      (loaded.bad() ? loaded.text() : "SOP class missing") + ")");
            continue;
        }
        outgoing.push_back({file, sopClass.c_str(), sopInstance.c_str(), syntax.c_str()});
        if (proposed.insert({sopClass.c_str(), syntax.c_str()}).second) {
            std::vector<std::string> syntaxes = {syntax.c_str()};
            for (const std::string& plain : kUncompressed)
                if (plain != syntax.c_str())
                    syntaxes.push_back(plain);
            scu->addPresentationContext(sopClass, syntaxList(syntaxes));
        }
    }
    if (outgoing.empty())
        return report;
    registerDecoders();
    scu->setDatasetConversionMode(OFTrue);
    open(*scu, node_, local_, timeouts_);
    int done = 0;
    for (const Outgoing& item : outgoing) {
        if (progress && !progress(done, static_cast<int>(outgoing.size()))) {
            scu->releaseAssociation();
            if (report.stored.empty())
                throw PacsError(PacsError::Kind::Cancelled, "sending cancelled");
            // Some objects are in the PACS: the report must say which.
            report.problems.push_back("sending cancelled; " +
                                      std::to_string(outgoing.size() - done) +
                                      " object(s) not sent");
            return report;
        }
        // The file's own transfer syntax if the node took it, else an uncompressed one it took
        // (DCMTK converts).
        T_ASC_PresentationContextID context =
            scu->findPresentationContextID(item.sopClass.c_str(), item.syntax.c_str());
        for (const std::string& plain : kUncompressed)
            if (context == 0)
                context = scu->findPresentationContextID(item.sopClass.c_str(), plain.c_str());
        Uint16 status = 0;
        const OFCondition sent =
            context == 0 ? NET_EC_NoAcceptablePresentationContexts
                         : scu->sendSTORERequest(context, item.file.c_str(), nullptr, status);
        if (sent == NET_EC_NoAcceptablePresentationContexts)
            report.problems.push_back(item.file.string() + ": " + node_.describe() +
                                      " does not accept objects of SOP class " + item.sopClass);
        else if (sent.bad()) {
            const PacsError error =
                exchangeError(node_, "sending " + item.file.filename().string(), sent, timeouts_);
            if (report.stored.empty())
                throw error;
            // Some objects are in the PACS already: the report says which, and what stopped.
            report.problems.push_back(error.what() + std::string("; ") +
                                      std::to_string(outgoing.size() - done) +
                                      " object(s) not confirmed");
            scu->abortAssociation();
            return report;
        } else if (isFailureStatus(status))
            report.problems.push_back(item.file.string() + ": " + node_.describe() +
                                      " refused it, " + describeStatus(status));
        else
            report.stored.push_back(item.sopInstance);
        ++done;
    }
    if (progress)
        progress(done, done);
    scu->releaseAssociation();
    return report;
}

}  // namespace dermreader::pacs
