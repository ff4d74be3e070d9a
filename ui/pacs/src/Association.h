#pragma once
// One DCMTK association with a node (plain TCP or TLS), and what both the C-GET and the C-MOVE
// paths do with an instance that arrives: write it whole into the retrieval folder.

#include <dcmtk/config/osconfig.h>  // first, as DCMTK wants
#include <dcmtk/dcmnet/scu.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/pacs/PacsClient.h"

namespace dermreader::pacs::detail {

// What a retrieval has received so far; shared with the thread of the C-MOVE receiver.
class ReceivedInstances {
  public:
    // Only instances of `study` and one of `series` are taken: a node (or anyone on the network
    // during a C-MOVE) cannot put other images into the retrieval folder.
    ReceivedInstances(std::filesystem::path folder, Progress progress, int expected,
                      std::string study, std::vector<std::string> series)
        : folder_(std::move(folder)),
          progress_(std::move(progress)),
          expected_(expected),
          study_(std::move(study)),
          series_(std::move(series)) {}

    // Writes one instance (the DIMSE status to answer with); after a cancel or a failure it
    // refuses the rest.
    Uint16 store(DcmDataset& dataset);
    // Reports progress; false once the caller cancelled.
    bool report();
    void expectAtLeast(int total);

    std::vector<std::filesystem::path> files() const;
    std::size_t count() const;
    bool cancelled() const;
    // Cancelled, or a file could not be written: nothing more will be taken.
    bool stopped() const;
    // Why receiving stopped (a file that could not be written, an invalid UID), if it did.
    std::optional<PacsError> error() const;
    int unrequested() const;  // instances refused as not asked for

  private:
    std::filesystem::path folder_;
    const Progress progress_;
    mutable std::mutex mutex_;
    // During a C-MOVE both the receiver's thread and the SCU's report: one at a time, so the
    // counts reach the caller in order.
    std::mutex reportMutex_;
    int expected_;
    std::string study_;
    std::vector<std::string> series_;
    std::vector<std::filesystem::path> files_;
    bool cancelled_ = false;
    std::optional<PacsError> error_;
    int unrequested_ = 0;
};

// The transfer syntaxes the workstation proposes and accepts for images: uncompressed, and the
// compressed ones its DICOM reader decodes (JPEG baseline/extended/lossless, RLE).
std::vector<std::vector<std::string>> imageTransferSyntaxGroups();
// The storage SOP classes of images the workstation reads.
std::vector<std::string> imageStorageClasses();

// A configured, not yet connected SCU for `node`; `received` (may be null) takes C-STOREs that
// arrive on this association during a C-GET.
std::unique_ptr<DcmSCU> makeScu(const DicomNode& node, const LocalEntity& local,
                                const Timeouts& timeouts, ReceivedInstances* received);
// initNetwork + negotiateAssociation; throws PacsError naming the node (unreachable, rejected,
// timeout, TLS set-up).
void open(DcmSCU& scu, const DicomNode& node, const LocalEntity& local, const Timeouts& timeouts);
// The presentation context for `abstractSyntax`, or Rejected naming `service`.
T_ASC_PresentationContextID contextFor(DcmSCU& scu, const DicomNode& node,
                                       const char* abstractSyntax, const char* service);
// The PacsError for a failed DIMSE exchange (`what`: "the query"), and throwing it.
PacsError exchangeError(const DicomNode& node, const std::string& what,
                        const OFCondition& condition, const Timeouts& timeouts);
[[noreturn]] void throwExchangeError(const DicomNode& node, const std::string& what,
                                     const OFCondition& condition, const Timeouts& timeouts);
// A string attribute (all its values, backslash-separated), trailing spaces removed; "" when
// absent.
std::string text(DcmItem& item, const DcmTagKey& tag);
// "0xA700 (refused: out of resources)".
std::string describeStatus(Uint16 status);
bool isFailureStatus(Uint16 status);

}  // namespace dermreader::pacs::detail
