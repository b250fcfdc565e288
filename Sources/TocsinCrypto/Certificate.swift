import COpenSSL
import COpenSSLShims
import Foundation

/// An X.509 certificate held by OpenSSL.
public final class Certificate: @unchecked Sendable {
    // Immutable after init; read-only use of an X509 is thread-safe.
    let certificate: OpaquePointer

    init(owning certificate: OpaquePointer) {
        self.certificate = certificate
    }

    deinit { X509_free(certificate) }

    /// Reads every certificate of a PEM file, in order (leaf first for a chain).
    public static func chain(pem: String) throws(CertificateError) -> [Certificate] {
        guard pem.contains("-----BEGIN CERTIFICATE-----") else { throw CertificateError.noCertificateInPEM }
        var certificates: [Certificate] = []
        let failure: OpenSSLError? = MemoryBIO.withReadable(Array(pem.utf8)) { bio in
            while true {
                guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else {
                    // The loop ends with "no start line" once the input is used up.
                    let reasons = OpenSSLError.drainQueue()
                    if BIO_ctrl(bio, BIO_CTRL_PENDING, 0, nil) > 0 || certificates.isEmpty,
                        !reasons.allSatisfy({ $0.contains("no start line") })
                    {
                        return OpenSSLError(
                            operation: "Reading PEM certificate \(certificates.count + 1)", reasons: reasons)
                    }
                    return nil
                }
                certificates.append(Certificate(owning: certificate))
            }
        }
        if let failure { throw CertificateError.openSSL(failure) }
        guard !certificates.isEmpty else { throw CertificateError.noCertificateInPEM }
        return certificates
    }

    /// Reads exactly one PEM certificate.
    public convenience init(pem: String) throws(CertificateError) {
        let chain = try Certificate.chain(pem: pem)
        guard chain.count == 1 else { throw CertificateError.expectedOneCertificate(found: chain.count) }
        X509_up_ref(chain[0].certificate)
        self.init(owning: chain[0].certificate)
    }

    /// The subject's common name (CN), which for a Tocsin node is its node id.
    public var subjectCommonName: String? {
        guard let name = X509_get_subject_name(certificate) else { return nil }
        let position = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard position >= 0, let entry = X509_NAME_get_entry(name, position),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { tocsin_openssl_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// The certificate's public key, which must be Ed25519.
    public func publicKey() throws(KeyError) -> Ed25519PublicKey {
        guard let key = X509_get0_pubkey(certificate) else {
            throw KeyError.openSSL(.drain(operation: "Reading a certificate's public key"))
        }
        return try Ed25519PublicKey(evpKey: key)
    }

    /// The start of the validity period.
    public var notBefore: Date? { Self.date(X509_get0_notBefore(certificate)) }
    /// The end of the validity period.
    public var notAfter: Date? { Self.date(X509_get0_notAfter(certificate)) }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var calendarTime = tm()
        guard ASN1_TIME_to_tm(time, &calendarTime) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&calendarTime)))
    }

    /// The certificate as PEM.
    public var pem: String {
        let bytes = MemoryBIO.written { PEM_write_bio_X509($0, certificate) == 1 } ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The certificate's DER encoding (what its fingerprint is the SHA-256 of).
    public var der: [UInt8] {
        MemoryBIO.written { i2d_X509_bio($0, certificate) == 1 } ?? []
    }

    /// Verifies that `chain` (leaf first, then any intermediates) leads to `authority`, at `time`.
    ///
    /// `authority` is the only trust anchor: the system's trust store is never consulted.
    public static func verify(chain: [Certificate], authority: Certificate, at time: Date) throws(CertificateError) {
        guard let leaf = chain.first else { throw CertificateError.noCertificateInPEM }
        guard let store = X509_STORE_new() else { fatalError("OpenSSL could not allocate a certificate store") }
        defer { X509_STORE_free(store) }
        guard X509_STORE_add_cert(store, authority.certificate) == 1 else {
            throw CertificateError.openSSL(.drain(operation: "Adding the network authority to a trust store"))
        }
        guard let intermediates = OPENSSL_sk_new_null() else { fatalError("OpenSSL could not allocate a stack") }
        defer { OPENSSL_sk_free(intermediates) }
        for certificate in chain.dropFirst() {
            OPENSSL_sk_push(intermediates, UnsafeRawPointer(certificate.certificate))
        }
        guard let context = X509_STORE_CTX_new() else {
            fatalError("OpenSSL could not allocate a verification context")
        }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.certificate, intermediates) == 1 else {
            throw CertificateError.openSSL(.drain(operation: "Preparing certificate verification"))
        }
        // The caller's clock, not the system's: tests and audits verify at a chosen instant.
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
        if X509_verify_cert(context) != 1 {
            let code = X509_STORE_CTX_get_error(context)
            let reason = String(cString: X509_verify_cert_error_string(Int(code)))
            _ = OpenSSLError.drainQueue()
            throw CertificateError.untrusted(code: Int(code), reason: reason, subject: leaf.subjectCommonName)
        }
    }
}
