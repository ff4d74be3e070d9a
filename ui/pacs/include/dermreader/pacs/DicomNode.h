#pragma once
// A DICOM node (a PACS) the workstation queries, retrieves from and sends results to, and the
// workstation's own application entity. Plain values: Settings stores them, PacsClient uses them.

#include <cstdint>
#include <string>

namespace dermreader::pacs {

// How images come back: C-GET on the query's own association (no inbound connection, works
// through firewalls), or C-MOVE to the workstation's own C-STORE SCP (what most PACS support;
// the PACS must know our AE title, host and port).
enum class RetrieveMethod { Get, Move };

struct TlsOptions {
    bool enabled = false;
    std::string trustedCertificates;  // PEM file: the node's certificate or its CA
    // Our own certificate and key (PEM), for nodes that require client certificates: both or
    // neither.
    std::string certificate, privateKey;
};

struct DicomNode {
    std::string name;     // what people call it ("Dermatology PACS")
    std::string aeTitle;  // the node's (called) AE title
    std::string host;
    std::uint16_t port = 104;
    RetrieveMethod retrieve = RetrieveMethod::Get;
    TlsOptions tls;
    // "Dermatology PACS (ORTHANC@pacs.example.org:4242)": how errors name the node.
    std::string describe() const;
};

// The workstation's own application entity.
struct LocalEntity {
    std::string aeTitle = "DERMREADER";
    std::uint16_t storePort = 11112;  // where our C-STORE SCP listens during a C-MOVE
};

struct Timeouts {
    int connectSeconds = 10;   // TCP connect and association negotiation
    int responseSeconds = 30;  // each DIMSE response
};

bool operator==(const TlsOptions& a, const TlsOptions& b);
bool operator==(const DicomNode& a, const DicomNode& b);
bool operator==(const LocalEntity& a, const LocalEntity& b);
inline bool operator!=(const DicomNode& a, const DicomNode& b) {
    return !(a == b);
}
inline bool operator!=(const LocalEntity& a, const LocalEntity& b) {
    return !(a == b);
}

// Empty when usable; otherwise what is wrong, naming the field ("AE title: longer than 16
// characters").
std::string problemWith(const DicomNode& node);
std::string problemWith(const LocalEntity& local);
// An AE title is 1-16 characters of printable ASCII other than backslash, not all spaces.
bool isValidAeTitle(const std::string& aeTitle);

}  // namespace dermreader::pacs
