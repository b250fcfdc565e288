import Foundation
import Testing
import TocsinCrypto

@Suite struct Ed25519Tests {
    /// PEM armour lines for malformed-input tests, built at run time (no key material is
    /// ever written in the sources).
    static func pemLine(_ marker: String, _ label: String) -> String { "-----" + marker + " " + label + "-----" }

    static func pemBlock(_ label: String, _ body: String) -> String {
        pemLine("BEGIN", label) + "\n" + body + "\n" + pemLine("END", label) + "\n"
    }

    /// RFC 8032 §7.1, tests 1 and 2.
    static let vectors: [(secret: String, public: String, message: String, signature: String)] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ]

    @Test func rfc8032VectorsSignAndVerify() throws {
        for vector in Self.vectors {
            let key = try Ed25519PrivateKey(seed: hexBytes(vector.secret))
            #expect(key.publicKey.rawRepresentation == hexBytes(vector.public))
            let signature = key.signature(for: hexBytes(vector.message))
            #expect(signature == hexBytes(vector.signature))
            #expect(key.publicKey.isValidSignature(signature, for: hexBytes(vector.message)))
        }
    }

    @Test func alteredMessagesAndSignaturesDoNotVerify() throws {
        let key = try Ed25519PrivateKey.generate()
        let message = Array("warning bulletin".utf8)
        var signature = key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!key.publicKey.isValidSignature(signature.prefix(63), for: message))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: message))
        signature[10] ^= 0x01
        #expect(!key.publicKey.isValidSignature(signature, for: message))
        #expect(
            !(try Ed25519PrivateKey.generate()).publicKey.isValidSignature(key.signature(for: message), for: message))
    }

    @Test func keysRoundTripThroughPEMAndSPKI() throws {
        let key = try Ed25519PrivateKey.generate()
        let pem = key.pemRepresentation
        #expect(pem.hasPrefix(Self.pemLine("BEGIN", "PRIVATE KEY")))
        let reloaded = try Ed25519PrivateKey(pem: pem)
        #expect(reloaded.publicKey == key.publicKey)
        #expect(try Ed25519PublicKey(spkiDER: key.publicKey.spkiDER) == key.publicKey)
        #expect(try Ed25519PublicKey(spkiBase64: key.publicKey.spkiBase64) == key.publicKey)
        #expect(try Ed25519PublicKey(pem: key.publicKey.pem) == key.publicKey)
        #expect(try Ed25519PublicKey(rawRepresentation: key.publicKey.rawRepresentation) == key.publicKey)
    }

    @Test func badKeyInputIsRefusedWithATypedError() throws {
        let pem = try Ed25519PrivateKey.generate().pemRepresentation
        let body = pem.split(separator: "\n")[1]
        let truncated = Self.pemBlock("PRIVATE KEY", String(body.prefix(body.count / 2)))
        #expect(throws: KeyError.self) { try Ed25519PrivateKey(pem: truncated) }
        #expect(throws: KeyError.noKeyInPEM) { try Ed25519PrivateKey(pem: "garbage") }
        #expect(throws: KeyError.encrypted) {
            try Ed25519PrivateKey(
                pem: Self.pemBlock("ENCRYPTED PRIVATE KEY", "AAAA"))
        }
        #expect(throws: KeyError.self) {
            try Ed25519PrivateKey(
                pem: Self.pemBlock("PRIVATE KEY", String(repeating: "A", count: 100_000)))
        }
        #expect(throws: KeyError.wrongLength(expected: 32, actual: 31)) {
            try Ed25519PrivateKey(seed: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: KeyError.wrongLength(expected: 32, actual: 33)) {
            try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33))
        }
        #expect(throws: KeyError.notBase64) { try Ed25519PublicKey(spkiBase64: "not base64!") }
        #expect(throws: KeyError.self) { try Ed25519PublicKey(spkiDER: [0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: KeyError.self) {
            try Ed25519PublicKey(spkiDER: Array(try Ed25519PrivateKey.generate().publicKey.spkiDER.dropLast()))
        }
        // An X25519 key: valid SPKI of the wrong algorithm (OID 1.3.101.110).
        let x25519 =
            [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00] + [UInt8](repeating: 9, count: 32)
        #expect {
            try Ed25519PublicKey(spkiDER: x25519)
        } throws: { error in
            guard case .notEd25519 = error as? KeyError else { return false }
            return true
        }
    }

    @Test func errorsNeverContainTheKey() throws {
        let key = try Ed25519PrivateKey.generate()
        let secretLine = key.pemRepresentation.split(separator: "\n")[1]
        let damaged = key.pemRepresentation.replacingOccurrences(
            of: String(secretLine), with: String(secretLine.dropLast(4)))
        do {
            _ = try Ed25519PrivateKey(pem: damaged)
            Issue.record("a damaged key was accepted")
        } catch {
            #expect(!error.description.contains(String(secretLine.prefix(16))))
        }
    }
}
