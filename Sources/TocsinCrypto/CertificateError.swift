/// Why a certificate could not be read or was not trusted.
public enum CertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    case noCertificateInPEM
    case expectedOneCertificate(found: Int)
    /// OpenSSL refused the chain; `code` is the `X509_V_ERR_*` value.
    case untrusted(code: Int, reason: String, subject: String?)
    case openSSL(OpenSSLError)

    /// `X509_V_ERR_CERT_HAS_EXPIRED`.
    public static let expiredCode = 10
    /// `X509_V_ERR_CERT_NOT_YET_VALID`.
    public static let notYetValidCode = 9

    public var description: String {
        switch self {
        case .noCertificateInPEM:
            return "no PEM certificate found (expected a `-----BEGIN CERTIFICATE-----` block)"
        case .expectedOneCertificate(let found):
            return "expected one certificate, found \(found)"
        case .untrusted(_, let reason, let subject):
            let who = subject.map { "certificate of \($0)" } ?? "certificate"
            return
                "\(who) is not trusted: \(reason) (it must be issued by this network's authority and be within its validity)"
        case .openSSL(let error):
            return error.description
        }
    }
}
