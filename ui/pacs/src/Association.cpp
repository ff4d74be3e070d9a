#include "Association.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmtls/tlsscu.h>

#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <system_error>

namespace dermreader::pacs::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDermoscopicPhotographyStorage = "1.2.840.10008.5.1.4.1.1.77.1.7";

// A UID as a file name: digits and dots only, so a hostile node cannot write outside the folder.
std::string fileNameFor(const OFString& uid) {
    const std::string text = uid.c_str();
    const bool safe = !text.empty() && text.size() <= 64 &&
                      text.find_first_not_of("0123456789.") == std::string::npos &&
                      text.front() != '.';
    if (!safe)
        throw PacsError(PacsError::Kind::Protocol,
                        "an instance arrived with an invalid SOP Instance UID '" + text + "'");
    return text + ".dcm";
}

// Writes through `<file>.part` and a rename, owner-only: a retrieval cut short leaves no half
// image for the library to import.
fs::path writeInstance(DcmDataset& dataset, const fs::path& folder) {
    OFString uid;
    dataset.findAndGetOFString(DCM_SOPInstanceUID, uid);
    const fs::path file = folder / fileNameFor(uid);
    const fs::path part = fs::path(file).concat(".part");
    DcmFileFormat fileFormat(&dataset);  // a copy with a new meta header
    const E_TransferSyntax syntax = dataset.getOriginalXfer() == EXS_Unknown
                                        ? EXS_LittleEndianExplicit
                                        : dataset.getOriginalXfer();
    const OFCondition saved =
        fileFormat.saveFile(part.c_str(), syntax, EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0,
                            0, EWM_createNewMeta);
    std::error_code error;
    if (saved.good())
        fs::permissions(part, fs::perms::owner_read | fs::perms::owner_write, error);
    if (saved.good() && !error)
        fs::rename(part, file, error);
    if (saved.bad() || error) {
        std::error_code ignored;
        fs::remove(part, ignored);
        throw PacsError(PacsError::Kind::LocalStorage,
                        "cannot write " + file.string() + ": " +
                            (saved.bad() ? std::string(saved.text()) : error.message()));
    }
    return file;
}

// The SCU of both kinds (plain, TLS), handing C-STOREs of a C-GET to `received`.
template <class Base>
class Scu : public Base {
  public:
    explicit Scu(ReceivedInstances* received) : received_(received) {}

    OFCondition handleSTORERequest(const T_ASC_PresentationContextID /*presID*/,
                                   DcmDataset* incoming, OFBool& continueSession,
                                   Uint16& status) override {
        std::unique_ptr<DcmDataset> dataset(incoming);
        if (!received_ || !dataset) {
            status = STATUS_STORE_Refused_OutOfResources;
            return EC_Normal;
        }
        status = received_->store(*dataset);
        // An instance refused as not asked for does not end the C-GET: the requested ones
        // still come. A cancel or a failure to write does.
        continueSession = received_->stopped() ? OFFalse : OFTrue;
        return EC_Normal;
    }

    // Each pending C-MOVE response is a chance to notice a cancel while the node is slow to
    // deliver (the stores themselves arrive on the receiver's association).
    OFCondition handleMOVEResponse(const T_ASC_PresentationContextID presID,
                                   RetrieveResponse* response,
                                   OFBool& waitForNextResponse) override {
        const OFCondition handled = Base::handleMOVEResponse(presID, response, waitForNextResponse);
        if (received_ && !received_->report())
            waitForNextResponse = OFFalse;
        return handled;
    }

    OFCondition handleCGETResponse(const T_ASC_PresentationContextID presID,
                                   RetrieveResponse* response, OFBool& continueSession) override {
        if (received_ && response)
            received_->expectAtLeast(
                response->m_numberOfCompletedSubops + response->m_numberOfRemainingSubops +
                response->m_numberOfFailedSubops + response->m_numberOfWarningSubops);
        return Base::handleCGETResponse(presID, response, continueSession);
    }

  private:
    ReceivedInstances* received_;
};

void configure(DcmSCU& scu, const DicomNode& node, const LocalEntity& local,
               const Timeouts& timeouts) {
    scu.setAETitle(local.aeTitle.c_str());
    scu.setPeerAETitle(node.aeTitle.c_str());
    scu.setPeerHostName(node.host.c_str());
    scu.setPeerPort(node.port);
    scu.setMaxReceivePDULength(ASC_DEFAULTMAXPDU);
    scu.setConnectionTimeout(timeouts.connectSeconds);
    scu.setACSETimeout(static_cast<Uint32>(timeouts.connectSeconds));
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setDIMSETimeout(static_cast<Uint32>(timeouts.responseSeconds));
    scu.setVerbosePCMode(OFFalse);
}

void configureTls(DcmTLSSCU& scu, const TlsOptions& tls) {
    scu.addTrustedCertFile(tls.trustedCertificates.c_str());
    scu.setPeerCertVerification(DCV_requireCertificate);
    if (tls.certificate.empty())
        scu.disableAuthentication();
    else
        scu.enableAuthentication(tls.privateKey.c_str(), tls.certificate.c_str());
}

bool mentions(const OFCondition& condition, const char* word) {
    std::string text = condition.text();
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find(word) != std::string::npos;
}

bool readable(const std::string& file) {
    std::FILE* handle = std::fopen(file.c_str(), "rb");
    if (handle)
        std::fclose(handle);
    return handle != nullptr;
}

// DCMTK's networking logs each association at INFO; the workstation reports errors itself.
void quietenNetworkLog() {
    static std::once_flag once;
    std::call_once(once, [] {
        OFLog::getLogger("dcmtk.dcmnet").setLogLevel(OFLogger::WARN_LOG_LEVEL);
        OFLog::getLogger("dcmtk.dcmtls").setLogLevel(OFLogger::WARN_LOG_LEVEL);
    });
}

}  // namespace

Uint16 ReceivedInstances::store(DcmDataset& dataset) {
    constexpr Uint16 kNotAuthorised = 0x0124;
    {
        std::lock_guard lock(mutex_);
        if (cancelled_ || error_)
            return STATUS_STORE_Refused_OutOfResources;
        if (text(dataset, DCM_StudyInstanceUID) != study_ ||
            std::find(series_.begin(), series_.end(), text(dataset, DCM_SeriesInstanceUID)) ==
                series_.end()) {
            ++unrequested_;
            return kNotAuthorised;
        }
    }
    if (!report())
        return STATUS_STORE_Refused_OutOfResources;
    try {
        const fs::path file = writeInstance(dataset, folder_);
        std::lock_guard lock(mutex_);
        files_.push_back(file);
    } catch (const PacsError& error) {
        std::lock_guard lock(mutex_);
        error_ = error;
        return STATUS_STORE_Refused_OutOfResources;
    }
    // Written and listed: the node hears success even when this report ends the retrieval
    // (the caller stops through stopped()).
    report();
    return STATUS_Success;
}

bool ReceivedInstances::report() {
    std::lock_guard reporting(reportMutex_);
    int done = 0, total = 0;
    {
        std::lock_guard lock(mutex_);
        if (cancelled_)
            return false;
        done = static_cast<int>(files_.size());
        total = std::max(expected_, done);
    }
    if (!progress_ || progress_(done, total))
        return true;
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    return false;
}

void ReceivedInstances::expectAtLeast(int total) {
    std::lock_guard lock(mutex_);
    expected_ = std::max(expected_, total);
}

std::vector<fs::path> ReceivedInstances::files() const {
    std::lock_guard lock(mutex_);
    return files_;
}

bool ReceivedInstances::cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

std::size_t ReceivedInstances::count() const {
    std::lock_guard lock(mutex_);
    return files_.size();
}

bool ReceivedInstances::stopped() const {
    std::lock_guard lock(mutex_);
    return cancelled_ || error_.has_value();
}

std::optional<PacsError> ReceivedInstances::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

int ReceivedInstances::unrequested() const {
    std::lock_guard lock(mutex_);
    return unrequested_;
}

std::vector<std::vector<std::string>> imageTransferSyntaxGroups() {
    return {{UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax},
            {UID_JPEGProcess1TransferSyntax},
            {UID_JPEGProcess2_4TransferSyntax},
            {UID_JPEGProcess14SV1TransferSyntax},
            {UID_JPEGProcess14TransferSyntax},
            {UID_RLELosslessTransferSyntax}};
}

std::vector<std::string> imageStorageClasses() {
    return {UID_VLPhotographicImageStorage, kDermoscopicPhotographyStorage,
            UID_VLMicroscopicImageStorage, UID_SecondaryCaptureImageStorage,
            UID_MultiframeTrueColorSecondaryCaptureImageStorage};
}

std::unique_ptr<DcmSCU> makeScu(const DicomNode& node, const LocalEntity& local,
                                const Timeouts& timeouts, ReceivedInstances* received) {
    quietenNetworkLog();
    std::unique_ptr<DcmSCU> scu;
    if (node.tls.enabled) {
        auto tls = std::make_unique<Scu<DcmTLSSCU>>(received);
        configureTls(*tls, node.tls);
        scu = std::move(tls);
    } else {
        scu = std::make_unique<Scu<DcmSCU>>(received);
    }
    configure(*scu, node, local, timeouts);
    return scu;
}

void open(DcmSCU& scu, const DicomNode& node, const LocalEntity& local, const Timeouts& timeouts) {
    if (const std::string problem = problemWith(node); !problem.empty())
        throw PacsError(PacsError::Kind::Configuration, node.describe() + ": " + problem);
    if (const std::string problem = problemWith(local); !problem.empty())
        throw PacsError(PacsError::Kind::Configuration, problem);
    for (const std::string& file :
         {node.tls.trustedCertificates, node.tls.certificate, node.tls.privateKey})
        if (node.tls.enabled && !file.empty() && !readable(file))
            throw PacsError(PacsError::Kind::Configuration,
                            node.describe() + ": TLS: cannot read " + file);
    OFCondition condition = scu.initNetwork();
    if (condition.bad())
        throw PacsError(PacsError::Kind::Configuration,
                        "cannot set up the connection to " + node.describe() + ": " +
                            condition.text() +
                            (node.tls.enabled ? " (check the TLS certificate files)" : ""));
    condition = scu.negotiateAssociation();
    if (condition.good())
        return;
    const std::string where = node.describe();
    if (condition == DUL_ASSOCIATIONREJECTED)
        throw PacsError(PacsError::Kind::Rejected,
                        where + " rejected the association: it does not accept us as '" +
                            local.aeTitle + "' calling '" + node.aeTitle +
                            "' (check both AE titles on the node and in Settings > PACS)");
    if (condition == NET_EC_NoAcceptablePresentationContexts)
        throw PacsError(PacsError::Kind::Rejected,
                        where + " accepted the association but none of the services asked for");
    if (condition == DUL_READTIMEOUT || mentions(condition, "timeout") ||
        mentions(condition, "timed out"))
        throw PacsError(
            PacsError::Kind::Timeout,
            where + " did not answer within " + std::to_string(timeouts.connectSeconds) + " s");
    if (condition == DUL_PEERABORTEDASSOCIATION || condition == DUL_NETWORKCLOSED)
        throw PacsError(PacsError::Kind::Rejected,
                        where + " closed the connection while it was being set up" +
                            (node.tls.enabled ? " (is TLS enabled on the node, and does it trust "
                                                "our certificate?)"
                                              : " (does the node expect TLS?)"));
    if (node.tls.enabled && mentions(condition, "tls"))
        throw PacsError(PacsError::Kind::Rejected,
                        "the secure connection to " + where + " failed: " + condition.text() +
                            " (check the node's certificate in Settings > PACS)");
    throw PacsError(PacsError::Kind::Unreachable,
                    "cannot connect to " + where + ": " + condition.text());
}

T_ASC_PresentationContextID contextFor(DcmSCU& scu, const DicomNode& node,
                                       const char* abstractSyntax, const char* service) {
    const T_ASC_PresentationContextID id = scu.findPresentationContextID(abstractSyntax, "");
    if (id == 0)
        throw PacsError(PacsError::Kind::Rejected,
                        node.describe() + " does not offer " + service + " to us");
    return id;
}

PacsError exchangeError(const DicomNode& node, const std::string& what,
                        const OFCondition& condition, const Timeouts& timeouts) {
    if (condition == DIMSE_NODATAAVAILABLE || condition == DUL_READTIMEOUT)
        return PacsError(PacsError::Kind::Timeout,
                         node.describe() + " did not answer " + what + " within " +
                             std::to_string(timeouts.responseSeconds) + " s");
    if (condition == DUL_PEERABORTEDASSOCIATION || condition == DUL_NETWORKCLOSED ||
        condition == DIMSE_READPDVFAILED)
        return PacsError(PacsError::Kind::Protocol,
                         node.describe() + " closed the connection during " + what);
    return PacsError(PacsError::Kind::Protocol,
                     what + " to " + node.describe() + " failed: " + condition.text());
}

void throwExchangeError(const DicomNode& node, const std::string& what,
                        const OFCondition& condition, const Timeouts& timeouts) {
    throw exchangeError(node, what, condition, timeouts);
}

std::string text(DcmItem& item, const DcmTagKey& tag) {
    OFString value;
    if (item.findAndGetOFStringArray(tag, value).bad())
        return {};
    std::string result = value.c_str();
    const auto end = result.find_last_not_of(' ');
    result.erase(end == std::string::npos ? 0 : end + 1);
    return result;
}

bool isFailureStatus(Uint16 status) {
    // Success, pending (0xFF00/0xFF01), warnings (0xB000-0xBFFF, 0x0001) and cancel are not.
    return !(status == STATUS_Success || status == STATUS_Pending || status == 0xFF01 ||
             (status & 0xF000) == 0xB000 || status == 0x0001 ||
             status == STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest);
}

std::string describeStatus(Uint16 status) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04X", status);
    const char* meaning = "failure";
    if ((status & 0xFF00) == 0xA700)
        meaning = "refused: out of resources";
    else if ((status & 0xFF00) == 0xA900)
        meaning = "the data set does not match the SOP class";
    else if ((status & 0xF000) == 0xC000)
        meaning = "the node could not process it";
    else if (status == 0x0122)
        meaning = "SOP class not supported";
    else if (status == 0x0124)
        meaning = "not authorised";
    else if (status == STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest)
        meaning = "cancelled";
    return std::string(hex) + " (" + meaning + ")";
}

}  // namespace dermreader::pacs::detail
