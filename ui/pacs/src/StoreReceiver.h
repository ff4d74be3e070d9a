#pragma once
// The workstation's own C-STORE SCP, listening only while a C-MOVE runs: it accepts the node's
// associations (calling AE = the node, called AE = us), writes each instance into the
// retrieval folder, and stops when the move is over.

#include <atomic>
#include <memory>
#include <thread>

#include "Association.h"

namespace dermreader::pacs::detail {

class StoreReceiver {
  public:
    // Listens on local.storePort at once; Configuration error when the port cannot be opened.
    StoreReceiver(const DicomNode& node, const LocalEntity& local, ReceivedInstances& received);
    ~StoreReceiver();  // stops and joins
    // Stops listening after the association in progress, if any, and waits for that.
    void finish();

  private:
    class Scp;
    std::unique_ptr<Scp> scp_;
    std::thread thread_;
};

}  // namespace dermreader::pacs::detail
