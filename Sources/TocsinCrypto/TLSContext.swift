import COpenSSL
import COpenSSLShims
import Foundation

/// An OpenSSL TLS context for a Tocsin node: TLS 1.3 only, mutual authentication against the
/// network authority alone, no session tickets, no renegotiation.
///
/// The node's certificate and key are its identity; peers must present a certificate issued
/// by `authority` and valid at the verification time. Whether the certificate's key is the
/// one the charter pins for its CN is checked by the caller after the handshake
/// (`TLSConnection.peerIdentity`).
public final class TLSContext: @unchecked Sendable {
    // Immutable once configured; OpenSSL allows sharing an SSL_CTX between connections.
    let context: OpaquePointer

    /// - Parameter verificationTime: the instant at which peer certificates must be valid;
    ///   nil for the system clock at each handshake (tests inject a time).
    public init(
        certificateChain: [Certificate], key: Ed25519PrivateKey, authority: Certificate, verificationTime: Date? = nil
    ) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_method()) else {
            throw TLSError.configuration(.drain(operation: "Creating a TLS context"))
        }
        self.context = context
        func check(_ status: Int32, _ operation: String) throws(TLSError) {
            guard status == 1 else { throw TLSError.configuration(.drain(operation: operation)) }
        }
        try check(tocsin_ssl_ctx_harden(context), "Restricting TLS to version 1.3")
        guard let leaf = certificateChain.first else {
            throw TLSError.configuration(
                OpenSSLError(operation: "Loading the node certificate", reasons: ["no certificate"]))
        }
        try check(SSL_CTX_use_certificate(context, leaf.certificate), "Using the node certificate")
        for intermediate in certificateChain.dropFirst() {
            X509_up_ref(intermediate.certificate)
            guard
                SSL_CTX_ctrl(context, SSL_CTRL_EXTRA_CHAIN_CERT, 0, UnsafeMutableRawPointer(intermediate.certificate))
                    == 1
            else { throw TLSError.configuration(.drain(operation: "Adding an intermediate certificate")) }
        }
        try check(SSL_CTX_use_PrivateKey(context, key.key), "Using the node key")
        try check(SSL_CTX_check_private_key(context), "Matching the node key with its certificate")

        // Only the network authority is trusted; the system's trust store is never loaded.
        guard let store = X509_STORE_new() else { fatalError("OpenSSL could not allocate a certificate store") }
        guard X509_STORE_add_cert(store, authority.certificate) == 1 else {
            X509_STORE_free(store)
            throw TLSError.configuration(.drain(operation: "Trusting the network authority"))
        }
        SSL_CTX_set_cert_store(context, store)
        if let verificationTime {
            X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(context), time_t(verificationTime.timeIntervalSince1970))
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        // Clients are asked for a certificate from this authority.
        try check(SSL_CTX_add_client_CA(context, authority.certificate), "Naming the authority to clients")
    }

    deinit { SSL_CTX_free(context) }
}
