/// Why a key could not be read, made or used.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongLength(expected: Int, actual: Int)
    case notBase64
    case notEd25519(algorithm: String)
    case encrypted
    case noKeyInPEM
    case openSSL(OpenSSLError)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual):
            return "an Ed25519 key has \(expected) bytes, this one has \(actual)"
        case .notBase64:
            return "the key is not valid base64 (expected base64 of a DER SubjectPublicKeyInfo)"
        case .notEd25519(let algorithm):
            return
                "the key is \(algorithm), Tocsin uses Ed25519 only (make one with `tocsin keygen` or `openssl genpkey -algorithm ed25519`)"
        case .encrypted:
            return "the private key is encrypted; Tocsin reads unencrypted PKCS#8 keys protected by file mode 0600"
        case .noKeyInPEM:
            return
                "no PEM private key found (expected an unencrypted PKCS#8 PEM block, as `openssl genpkey -algorithm ed25519` writes)"
        case .openSSL(let error):
            return error.description
        }
    }
}
