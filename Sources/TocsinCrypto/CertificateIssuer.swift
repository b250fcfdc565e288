import COpenSSL
import COpenSSLShims
import Foundation

/// Issues the X.509 certificates of a Tocsin network with OpenSSL, as `Certs/tocsin-pki` does
/// with the `openssl` command: a self-signed Ed25519 authority, and node certificates whose
/// CN is the node id.
public struct CertificateIssuer: Sendable {
    public let key: Ed25519PrivateKey
    public let certificate: Certificate

    public init(key: Ed25519PrivateKey, certificate: Certificate) {
        self.key = key
        self.certificate = certificate
    }

    /// Creates a network authority: a self-signed CA certificate for `key`.
    public static func authority(
        name: String, key: Ed25519PrivateKey, notBefore: Date, notAfter: Date, serial: UInt64
    ) throws(CertificateError) -> CertificateIssuer {
        let certificate = try build(
            subject: name, subjectKey: key.key, issuer: nil, signer: key, notBefore: notBefore, notAfter: notAfter,
            serial: serial, isAuthority: true)
        return CertificateIssuer(key: key, certificate: certificate)
    }

    /// Issues a node certificate (CN = `nodeID`) for `publicKey`.
    public func issue(
        nodeID: String, publicKey: Ed25519PublicKey, notBefore: Date, notAfter: Date, serial: UInt64
    ) throws(CertificateError) -> Certificate {
        let subjectKey = publicKey.rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(tocsin_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let subjectKey else { throw CertificateError.openSSL(.drain(operation: "Reading the node's public key")) }
        defer { EVP_PKEY_free(subjectKey) }
        return try Self.build(
            subject: nodeID, subjectKey: subjectKey, issuer: certificate, signer: key, notBefore: notBefore,
            notAfter: notAfter, serial: serial, isAuthority: false)
    }

    private static func build(
        subject: String, subjectKey: OpaquePointer, issuer: Certificate?, signer: Ed25519PrivateKey, notBefore: Date,
        notAfter: Date, serial: UInt64, isAuthority: Bool
    ) throws(CertificateError) -> Certificate {
        guard let x509 = X509_new() else { fatalError("OpenSSL could not allocate a certificate") }
        var owned = true
        defer { if owned { X509_free(x509) } }
        func check(_ status: Int32, _ operation: String) throws(CertificateError) {
            guard status == 1 else { throw CertificateError.openSSL(.drain(operation: operation)) }
        }
        try check(X509_set_version(x509, 2), "Setting the certificate version")
        guard let serialNumber = ASN1_INTEGER_new() else { fatalError("OpenSSL could not allocate an integer") }
        defer { ASN1_INTEGER_free(serialNumber) }
        try check(ASN1_INTEGER_set_uint64(serialNumber, serial), "Setting the serial number")
        try check(X509_set_serialNumber(x509, serialNumber), "Setting the serial number")
        guard ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore.timeIntervalSince1970)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter.timeIntervalSince1970)) != nil
        else { throw CertificateError.openSSL(.drain(operation: "Setting the validity period")) }
        try check(X509_set_pubkey(x509, subjectKey), "Setting the subject key")
        guard let name = X509_NAME_new() else { fatalError("OpenSSL could not allocate a name") }
        defer { X509_NAME_free(name) }
        let utf8 = Array(subject.utf8)
        try check(
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, utf8, Int32(utf8.count), -1, 0),
            "Setting the common name")
        try check(X509_set_subject_name(x509, name), "Setting the subject")
        try check(
            X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.certificate) } ?? name),
            "Setting the issuer")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate ?? x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] =
            isAuthority
            ? [
                (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"), (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ]
            : [
                (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth,clientAuth"), (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ]
        for (nid, value) in extensions {
            guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw CertificateError.openSSL(.drain(operation: "Making certificate extension \(value)"))
            }
            defer { X509_EXTENSION_free(extensionValue) }
            try check(X509_add_ext(x509, extensionValue, -1), "Adding certificate extension \(value)")
        }
        // Ed25519 signs the certificate as a whole: no separate digest.
        guard X509_sign(x509, signer.key, nil) > 0 else {
            throw CertificateError.openSSL(.drain(operation: "Signing the certificate"))
        }
        owned = false
        return Certificate(owning: x509)
    }
}
