#include "dermreader/pacs/DicomNode.h"

#include <algorithm>
#include <tuple>

namespace dermreader::pacs {

bool operator==(const TlsOptions& a, const TlsOptions& b) {
    return std::tie(a.enabled, a.trustedCertificates, a.certificate, a.privateKey) ==
           std::tie(b.enabled, b.trustedCertificates, b.certificate, b.privateKey);
}

bool operator==(const DicomNode& a, const DicomNode& b) {
    return std::tie(a.name, a.aeTitle, a.host, a.port, a.retrieve, a.tls) ==
           std::tie(b.name, b.aeTitle, b.host, b.port, b.retrieve, b.tls);
}

bool operator==(const LocalEntity& a, const LocalEntity& b) {
    return std::tie(a.aeTitle, a.storePort) == std::tie(b.aeTitle, b.storePort);
}

std::string DicomNode::describe() const {
    const std::string address = aeTitle + "@" + host + ":" + std::to_string(port);
    return name.empty() ? address : name + " (" + address + ")";
}

bool isValidAeTitle(const std::string& aeTitle) {
    if (aeTitle.empty() || aeTitle.size() > 16)
        return false;
    const bool printable = std::all_of(aeTitle.begin(), aeTitle.end(),
                                       [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; });
    return printable && aeTitle.find_first_not_of(' ') != std::string::npos;
}

std::string problemWith(const DicomNode& node) {
    if (node.name.empty())
        return "name: empty";
    if (!isValidAeTitle(node.aeTitle))
        return "AE title: 1 to 16 printable characters (no backslash) are needed, not '" +
               node.aeTitle + "'";
    if (node.host.empty() || node.host.find_first_of(" \t/") != std::string::npos)
        return "host: a host name or IP address is needed, not '" + node.host + "'";
    if (node.port == 0)
        return "port: 1 to 65535";
    if (node.tls.enabled && node.tls.trustedCertificates.empty())
        return "TLS: the node's certificate (or its CA) is needed to trust it";
    // Our C-MOVE receiver is plain DICOM: the images would come back unencrypted.
    if (node.tls.enabled && node.retrieve == RetrieveMethod::Move)
        return "TLS: retrieve by C-GET, which brings the images back on the secure connection "
               "(C-MOVE would send them to us unencrypted)";
    if (node.tls.certificate.empty() != node.tls.privateKey.empty())
        return "TLS: our certificate and private key go together (both or neither)";
    return {};
}

std::string problemWith(const LocalEntity& local) {
    if (!isValidAeTitle(local.aeTitle))
        return "our AE title: 1 to 16 printable characters (no backslash) are needed, not '" +
               local.aeTitle + "'";
    if (local.storePort == 0)
        return "our C-STORE port: 1 to 65535";
    return {};
}

}  // namespace dermreader::pacs
