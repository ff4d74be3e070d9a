#include "StoreReceiver.h"

#include <dcmtk/dcmnet/scp.h>
#include <netdb.h>
#include <sys/socket.h>

namespace dermreader::pacs::detail {

namespace {

// Whether `address` (numeric, as the connection came from) is one of `host`'s addresses.
bool isAddressOf(const std::string& host, const std::string& address) {
    if (host == address)
        return true;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0)
        return false;
    bool match = false;
    for (const addrinfo* entry = found; entry && !match; entry = entry->ai_next) {
        char numeric[NI_MAXHOST];
        if (getnameinfo(entry->ai_addr, entry->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                        NI_NUMERICHOST) == 0)
            match = address == numeric;
    }
    freeaddrinfo(found);
    return match;
}

}  // namespace

class StoreReceiver::Scp : public DcmSCP {
  public:
    Scp(const DicomNode& node, const LocalEntity& local, ReceivedInstances& received)
        : node_(node), aeTitle_(local.aeTitle), received_(received) {
        DcmSCPConfig& config = getConfig();
        config.setPort(local.storePort);
        config.setAETitle(local.aeTitle.c_str());
        config.setConnectionBlockingMode(DUL_NOBLOCK);
        config.setConnectionTimeout(1);  // how often the stop flag is checked
        config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        config.setDIMSETimeout(30);
        config.setACSETimeout(30);
        config.setHostLookupEnabled(OFFalse);
        config.setVerbosePCMode(OFFalse);
        setEnableVerification();
        // An acceptor lists each SOP class once, with every syntax it takes.
        OFList<OFString> syntaxes;
        for (const auto& group : imageTransferSyntaxGroups())
            for (const std::string& syntax : group)
                syntaxes.push_back(syntax.c_str());
        for (const std::string& sopClass : imageStorageClasses())
            addPresentationContext(sopClass.c_str(), syntaxes);
    }

    void stop() { stop_ = true; }

  protected:
    OFBool stopAfterConnectionTimeout() override { return stop_.load() ? OFTrue : OFFalse; }
    OFBool stopAfterCurrentAssociation() override { return stop_.load() ? OFTrue : OFFalse; }
    // Only the node we moved from may store to us (its AE title, from its address), and only
    // to our own AE title.
    OFBool checkCallingAETitleAccepted(const OFString& callingAE) override {
        return callingAE == node_.aeTitle.c_str() ? OFTrue : OFFalse;
    }
    OFBool checkCalledAETitleAccepted(const OFString& calledAE) override {
        return calledAE == aeTitle_.c_str() ? OFTrue : OFFalse;
    }
    // (DcmSCP hands checkCallingHostAccepted no address in 3.6.7; the request has it.)
    void notifyAssociationRequest(const T_ASC_Parameters& params,
                                  DcmSCPActionType& action) override {
        if (!isAddressOf(node_.host, params.DULparams.callingPresentationAddress))
            action = DCMSCP_ACTION_REFUSE_ASSOCIATION;
    }

    OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                      const DcmPresentationContextInfo& info) override {
        if (message->CommandField != DIMSE_C_STORE_RQ)
            return DcmSCP::handleIncomingCommand(message, info);
        T_DIMSE_C_StoreRQ& request = message->msg.CStoreRQ;
        DcmDataset* dataset = nullptr;
        const OFCondition received =
            receiveSTORERequest(request, info.presentationContextID, dataset);
        std::unique_ptr<DcmDataset> owned(dataset);
        if (received.bad())
            return received;
        const Uint16 status = received_.store(*owned);
        return sendSTOREResponse(info.presentationContextID, request, status);
    }

  private:
    const DicomNode& node_;
    std::string aeTitle_;
    ReceivedInstances& received_;
    std::atomic<bool> stop_{false};
};

StoreReceiver::StoreReceiver(const DicomNode& node, const LocalEntity& local,
                             ReceivedInstances& received)
    : scp_(std::make_unique<Scp>(node, local, received)) {
    const OFCondition opened = scp_->openListenPort();
    if (opened.bad())
        throw PacsError(PacsError::Kind::Configuration,
                        "cannot receive images on port " + std::to_string(local.storePort) +
                            " (our C-STORE port in Settings > PACS): " + opened.text());
    thread_ = std::thread([this] { scp_->acceptAssociations(); });
}

StoreReceiver::~StoreReceiver() {
    finish();
}

void StoreReceiver::finish() {
    scp_->stop();
    if (thread_.joinable())
        thread_.join();
}

}  // namespace dermreader::pacs::detail
