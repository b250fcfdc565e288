import Foundation
import Testing
import TocsinCrypto

@Suite struct CertificateTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    static func authority(name: String = "Fictional network authority") throws -> CertificateIssuer {
        try CertificateIssuer.authority(
            name: name, key: Ed25519PrivateKey.generate(), notBefore: now - day, notAfter: now + 365 * day, serial: 1)
    }

    @Test func aNodeCertificateChainsToItsAuthorityAndCarriesItsIDAndKey() throws {
        let authority = try Self.authority()
        let nodeKey = try Ed25519PrivateKey.generate()
        let certificate = try authority.issue(
            nodeID: "XA", publicKey: nodeKey.publicKey, notBefore: Self.now - Self.day,
            notAfter: Self.now + 30 * Self.day, serial: 7)
        try Certificate.verify(chain: [certificate], authority: authority.certificate, at: Self.now)
        #expect(certificate.subjectCommonName == "XA")
        #expect(try certificate.publicKey() == nodeKey.publicKey)
        #expect(certificate.notAfter == Self.now + 30 * Self.day)
        // PEM round trip, and a chain file with several certificates.
        let chain = try Certificate.chain(pem: certificate.pem + authority.certificate.pem)
        #expect(chain.count == 2)
        #expect(chain[0].subjectCommonName == "XA")
        #expect(try Certificate(pem: certificate.pem).subjectCommonName == "XA")
    }

    @Test func validityIsJudgedAtTheGivenTime() throws {
        let authority = try Self.authority()
        let certificate = try authority.issue(
            nodeID: "XB", publicKey: try Ed25519PrivateKey.generate().publicKey, notBefore: Self.now,
            notAfter: Self.now + Self.day, serial: 2)
        #expect(
            throws: CertificateError.untrusted(
                code: CertificateError.expiredCode, reason: "certificate has expired", subject: "XB")
        ) {
            try Certificate.verify(chain: [certificate], authority: authority.certificate, at: Self.now + 2 * Self.day)
        }
        #expect {
            try Certificate.verify(chain: [certificate], authority: authority.certificate, at: Self.now - Self.day / 2)
        } throws: { error in
            guard case .untrusted(let code, _, _) = error as? CertificateError else { return false }
            return code == CertificateError.notYetValidCode
        }
    }

    @Test func aCertificateFromAnotherAuthorityIsRefused() throws {
        let ours = try Self.authority()
        let theirs = try Self.authority(name: "Another authority")
        let certificate = try theirs.issue(
            nodeID: "XA", publicKey: try Ed25519PrivateKey.generate().publicKey, notBefore: Self.now - Self.day,
            notAfter: Self.now + Self.day, serial: 3)
        #expect(throws: CertificateError.self) {
            try Certificate.verify(chain: [certificate], authority: ours.certificate, at: Self.now)
        }
        // A node certificate cannot act as an authority for another.
        let node = try ours.issue(
            nodeID: "XC", publicKey: try Ed25519PrivateKey.generate().publicKey, notBefore: Self.now - Self.day,
            notAfter: Self.now + Self.day, serial: 4)
        #expect(throws: CertificateError.self) {
            try Certificate.verify(chain: [ours.certificate], authority: node, at: Self.now)
        }
    }

    @Test func badPEMIsRefusedWithATypedError() throws {
        #expect(throws: CertificateError.noCertificateInPEM) { try Certificate.chain(pem: "") }
        #expect(throws: CertificateError.noCertificateInPEM) { try Certificate.chain(pem: "garbage") }
        let pem = try Self.authority().certificate.pem
        let truncated = String(pem.prefix(pem.count / 2))
        #expect(throws: CertificateError.self) { try Certificate.chain(pem: truncated) }
        let corrupted = pem.replacingOccurrences(of: "MII", with: "XYZ")
        #expect(throws: CertificateError.self) { try Certificate.chain(pem: corrupted) }
        #expect(throws: CertificateError.expectedOneCertificate(found: 2)) { try Certificate(pem: pem + pem) }
    }
}

@Suite struct KeyFileTests {
    @Test func keyFilesAreWrittenPrivateAndNeverOverwritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tocsin-keyfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.key").path
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.write(key, to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try KeyFile.read(from: path).publicKey == key.publicKey)
        #expect(throws: KeyFileError.exists(path: path)) {
            try KeyFile.write(try Ed25519PrivateKey.generate(), to: path)
        }
        #expect(try KeyFile.read(from: path).publicKey == key.publicKey)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: KeyFileError.insecurePermissions(path: path, mode: 0o644)) { try KeyFile.read(from: path) }
        #expect(throws: KeyFileError.missing(path: path + ".absent")) { try KeyFile.read(from: path + ".absent") }
    }
}

@Suite struct CertificatePEMLimitsTests {
    @Test func anOversizedOrMislabelledPEMIsRefused() throws {
        let huge =
            "-----BEGIN CERTIFICATE-----\n" + String(repeating: "QUFB\n", count: 200_000)
            + "-----END CERTIFICATE-----\n"
        #expect(throws: CertificateError.self) { try Certificate.chain(pem: huge) }
        // A private key where a certificate belongs.
        let key = try Ed25519PrivateKey.generate().pemRepresentation
        #expect(throws: CertificateError.noCertificateInPEM) { try Certificate.chain(pem: key) }
        let mislabelled = key.replacingOccurrences(of: "PRIVATE KEY", with: "CERTIFICATE")
        #expect(throws: CertificateError.self) { try Certificate.chain(pem: mislabelled) }
    }
}
