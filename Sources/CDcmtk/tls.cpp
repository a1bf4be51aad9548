// DICOM TLS (DCMTK dcmtls, OpenSSL): builds the transport layer that the SCP (and,
// later, SCUs) hand to ASC_setTransportLayer. BCP 195 profile, PEM files only.
#include "internal.h"

#include "dcmtk/dcmtls/tlslayer.h"
#include "dcmtk/dcmtls/tlsciphr.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

// A file that cannot be opened gives a clearer reason than OpenSSL's "system lib".
bool checkReadable(const char *role, const char *path, dk_status *out) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::string why = std::string("TLS ") + role + " '" + path + "': " + strerror(errno);
        *out = dk_error(why.c_str());
        return false;
    }
    ::close(fd);
    return true;
}

// "TLS <role> '<path>': <problem>: <OpenSSL's reason>"
dk_status failure(const char *role, const char *path, const char *problem, const OFCondition &cond) {
    std::string why = std::string("TLS ") + role + " '" + (path ? path : "") + "': " + problem;
    if (cond.bad() && cond.text() && cond.text()[0]) why += std::string(" (") + cond.text() + ")";
    dk_status s = dk_error(why.c_str());
    if (cond.bad()) {
        s.module = cond.module();
        s.code = cond.code();
    }
    return s;
}

} // namespace

void dk_tls_global_init() {
    // Not thread-safe (DCMTK_NOTES §5): called once from dk_global_init.
    DcmTLSTransportLayer::initializeOpenSSL();
}

dk_status dk_tls_make_layer(const dk_tls_config *config, bool acceptor, DcmTLSTransportLayer **out) {
    *out = nullptr;
    if (!config || !config->cert_file || !config->cert_file[0] || !config->key_file || !config->key_file[0])
        return dk_error("TLS needs a certificate file and a private key file");
    dk_status st;
    if (!checkReadable("private key file", config->key_file, &st)) return st;
    if (!checkReadable("certificate file", config->cert_file, &st)) return st;
    bool haveCAFile = config->ca_file && config->ca_file[0];
    bool haveCADir = config->ca_dir && config->ca_dir[0];
    if (haveCAFile && !checkReadable("CA file", config->ca_file, &st)) return st;

    DcmTLSTransportLayer *layer = new DcmTLSTransportLayer(acceptor ? NET_ACCEPTOR : NET_REQUESTOR, NULL, OFFalse);
    if (!*layer) {
        delete layer;
        return dk_error("cannot create the TLS transport layer (OpenSSL context)");
    }
    // An encrypted key must fail here, never prompt on the console.
    layer->setPrivateKeyPasswd("");
    OFCondition cond = layer->setPrivateKeyFile(config->key_file, DCF_Filetype_PEM);
    if (cond.bad()) {
        delete layer;
        return failure("private key file", config->key_file, "not an unencrypted PEM private key", cond);
    }
    cond = layer->setCertificateFile(config->cert_file, DCF_Filetype_PEM);
    if (cond.bad()) {
        delete layer;
        return failure("certificate file", config->cert_file, "not a PEM certificate", cond);
    }
    if (!layer->checkPrivateKeyMatchesCertificate()) {
        std::string why = std::string("TLS private key file '") + config->key_file +
                          "': does not match the certificate in '" + config->cert_file + "'";
        delete layer;
        return dk_error(why.c_str());
    }
    // BCP 195 non-downgrading: TLS 1.2 or newer only, the profile DCMTK's own tools default to.
    cond = layer->setTLSProfile(TSP_Profile_BCP195_ND);
    if (cond.good()) cond = layer->activateCipherSuites();
    if (cond.bad()) {
        delete layer;
        return failure("certificate file", config->cert_file, "cannot be used with the BCP 195 profile", cond);
    }
    if (haveCAFile) {
        cond = layer->addTrustedCertificateFile(config->ca_file, DCF_Filetype_PEM);
        if (cond.bad()) {
            delete layer;
            return failure("CA file", config->ca_file, "no PEM certificate could be loaded", cond);
        }
    }
    if (haveCADir) {
        cond = layer->addTrustedCertificateDir(config->ca_dir, DCF_Filetype_PEM);
        if (cond.bad()) {
            delete layer;
            return failure("CA directory", config->ca_dir, "cannot be used", cond);
        }
    }
    if (haveCAFile || haveCADir)
        layer->setCertificateVerification(config->require_peer_cert ? DCV_requireCertificate : DCV_checkCertificate);
    else
        layer->setCertificateVerification(DCV_ignoreCertificate);
    *out = layer;
    return dk_ok();
}

extern "C" dk_status dk_tls_check(const dk_tls_config *config, int acceptor) {
    try {
        DcmTLSTransportLayer *layer = nullptr;
        dk_status st = dk_tls_make_layer(config, acceptor != 0, &layer);
        delete layer;
        return st;
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_tls_check");
    }
}
