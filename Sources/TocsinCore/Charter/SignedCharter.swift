import Foundation
import TocsinCrypto

/// A charter with the network authority's detached Ed25519 signature over its exact bytes.
public struct SignedCharter: Hashable, Sendable {
    /// The TOML file exactly as signed.
    public let bytes: [UInt8]
    public let signature: [UInt8]
    public let charter: Charter

    /// Checks the signature with the authority's key, then parses and validates the charter.
    ///
    /// `signatureFile` is what `openssl pkeyutl -sign -rawin` writes (64 raw bytes) or its
    /// base64 text.
    public init(toml bytes: [UInt8], signatureFile: [UInt8], authority: Ed25519PublicKey) throws(CharterError) {
        let signature = try Self.readSignature(signatureFile)
        guard authority.isValidSignature(signature, for: bytes) else { throw CharterError.badSignature }
        self.bytes = bytes
        self.signature = signature
        self.charter = try Charter(toml: bytes)
    }

    /// The id of the network this charter founds, if it is the genesis charter.
    public var networkID: NetworkID { NetworkID(genesisCharter: bytes) }

    static func readSignature(_ file: [UInt8]) throws(CharterError) -> [UInt8] {
        if file.count == Ed25519PublicKey.signatureByteCount { return file }
        guard file.count < 1024, let text = String(validating: file, as: UTF8.self),
            let decoded = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw CharterError.malformedSignature(
                reason: "expected 64 raw bytes or their base64, found \(file.count) bytes")
        }
        guard decoded.count == Ed25519PublicKey.signatureByteCount else {
            throw CharterError.malformedSignature(
                reason: "an Ed25519 signature has 64 bytes, this one \(decoded.count)")
        }
        return Array(decoded)
    }
}
