import Foundation
import Testing
import TocsinCore
import TocsinCrypto

/// Tocsin and the `openssl` command read each other's keys, signatures and certificates.
@Suite struct OpenSSLInteropTests {
    @Test func keysMadeByOpensslGenpkeyLoad() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let result = try await Commands.openssl("genpkey", "-algorithm", "ed25519", "-out", scratch.path("node.key"))
        #expect(result.status == 0, "\(result.errorOutput)")
        let key = try Ed25519PrivateKey(pem: String(contentsOfFile: scratch.path("node.key"), encoding: .utf8))
        let publicKey = try await Commands.openssl("pkey", "-in", scratch.path("node.key"), "-pubout")
        #expect(try Ed25519PublicKey(pem: publicKey.output) == key.publicKey)
    }

    @Test func tocsinSignaturesVerifyWithOpensslAndTheReverse() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.write(key, to: scratch.path("node.key"))
        try key.publicKey.pem.write(toFile: scratch.path("node.pub"), atomically: true, encoding: .utf8)
        let message = Array("tocsin/0123456789abcdef/nro/XA\n3\nAAAA\n".utf8)
        try Data(message).write(to: scratch.url.appendingPathComponent("message"))

        // Tocsin signs, openssl verifies.
        try Data(key.signature(for: message)).write(to: scratch.url.appendingPathComponent("tocsin.sig"))
        let verified = try await Commands.openssl(
            "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", scratch.path("node.pub"), "-in",
            scratch.path("message"),
            "-sigfile", scratch.path("tocsin.sig"))
        #expect(verified.status == 0, "\(verified.output) \(verified.errorOutput)")
        #expect(verified.output.contains("Signature Verified Successfully"))
        var altered = key.signature(for: message)
        altered[0] ^= 1
        try Data(altered).write(to: scratch.url.appendingPathComponent("altered.sig"))
        let refused = try await Commands.openssl(
            "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", scratch.path("node.pub"), "-in",
            scratch.path("message"),
            "-sigfile", scratch.path("altered.sig"))
        #expect(refused.status != 0)

        // openssl signs, Tocsin verifies.
        let signed = try await Commands.openssl(
            "pkeyutl", "-sign", "-rawin", "-inkey", scratch.path("node.key"), "-in", scratch.path("message"), "-out",
            scratch.path("openssl.sig"))
        #expect(signed.status == 0, "\(signed.errorOutput)")
        let signature = Array(try Data(contentsOf: scratch.url.appendingPathComponent("openssl.sig")))
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0x0a]))
    }

    @Test func certificatesFromThePKIScriptVerifyInTocsinAndTocsinsInOpenssl() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let authority = try await Commands.pki(
            "authority", "--dir", scratch.path("ca"), "--name", "Fictional network authority")
        #expect(authority.status == 0, "\(authority.errorOutput)")
        let node = try await Commands.pki(
            "node", "--ca-dir", scratch.path("ca"), "--id", "XA", "--out", scratch.path("nodes"))
        #expect(node.status == 0, "\(node.errorOutput)")
        let caPEM = try String(contentsOfFile: scratch.path("ca/ca.crt"), encoding: .utf8)
        let nodePEM = try String(contentsOfFile: scratch.path("nodes/XA.crt"), encoding: .utf8)
        let nodeKey = try KeyFile.read(from: scratch.path("nodes/XA.key"))
        let certificate = try Certificate(pem: nodePEM)
        try Certificate.verify(chain: [certificate], authority: Certificate(pem: caPEM), at: Date())
        #expect(certificate.subjectCommonName == "XA")
        #expect(try certificate.publicKey() == nodeKey.publicKey)
        #expect(node.output.contains("public-key = \"\(nodeKey.publicKey.spkiBase64)\""))
        // The script refuses to overwrite keys.
        let again = try await Commands.pki(
            "node", "--ca-dir", scratch.path("ca"), "--id", "XA", "--out", scratch.path("nodes"))
        #expect(again.status != 0)
        #expect(again.errorOutput.contains("refusing to overwrite"))

        // Tocsin's own issuer is accepted by `openssl verify`.
        let issuer = try CertificateIssuer.authority(
            name: "Fictional network authority", key: Ed25519PrivateKey.generate(), notBefore: Date() - 60,
            notAfter: Date() + 86_400, serial: 1)
        let issued = try issuer.issue(
            nodeID: "XB", publicKey: try Ed25519PrivateKey.generate().publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86_400, serial: 2)
        try issuer.certificate.pem.write(toFile: scratch.path("tocsin-ca.crt"), atomically: true, encoding: .utf8)
        try issued.pem.write(toFile: scratch.path("tocsin-node.crt"), atomically: true, encoding: .utf8)
        let verified = try await Commands.openssl(
            "verify", "-CAfile", scratch.path("tocsin-ca.crt"), scratch.path("tocsin-node.crt"))
        #expect(verified.status == 0, "\(verified.output) \(verified.errorOutput)")
        let foreign = try await Commands.openssl(
            "verify", "-CAfile", scratch.path("ca/ca.crt"), scratch.path("tocsin-node.crt"))
        #expect(foreign.status != 0)
    }

    @Test func aCharterSignedWithThePKIScriptVerifiesWithTocsin() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        #expect(try await Commands.pki("authority", "--dir", scratch.path("ca")).status == 0)
        var keys: [String: String] = [:]
        for id in ["RN", "XA", "XB"] {
            let node = try await Commands.pki(
                "node", "--ca-dir", scratch.path("ca"), "--id", id, "--out", scratch.path("nodes"))
            #expect(node.status == 0, "\(node.errorOutput)")
            keys[id] = try await Commands.pki("pubkey", scratch.path("nodes/\(id).key")).output.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        let charter = """
            network = "Fictional Early Warning Network"
            version = 1

            [[nodes]]
            id = "RN"
            name = "Northern Regional Organisation relay"
            role = "relay"
            public-key = "\(keys["RN"]!)"

            [[nodes]]
            id = "XA"
            name = "Focal point of XA"
            role = "national"
            public-key = "\(keys["XA"]!)"

            [[nodes]]
            id = "XB"
            name = "Focal point of XB"
            role = "national"
            public-key = "\(keys["XB"]!)"

            [[groups]]
            id = "nro"
            name = "Northern Regional Organisation"
            members = ["RN", "XA", "XB"]
            convener = "RN"
            policy = "two-thirds"

            """
        try charter.write(toFile: scratch.path("charter.toml"), atomically: true, encoding: .utf8)
        #expect(
            try await Commands.pki("sign-charter", "--ca-dir", scratch.path("ca"), scratch.path("charter.toml")).status
                == 0)
        #expect(
            try await Commands.pki(
                "verify-charter", "--ca-cert", scratch.path("ca/ca.crt"), scratch.path("charter.toml"),
                scratch.path("charter.sig")
            ).status == 0)

        let verified = try await Commands.tocsin(
            "charter", "verify", scratch.path("charter.toml"), "--signature", scratch.path("charter.sig"), "--ca",
            scratch.path("ca/ca.crt"), "--json")
        #expect(verified.status == 0, "\(verified.errorOutput)")
        let summary = try JSONSerialization.jsonObject(with: Data(verified.output.utf8)) as? [String: Any]
        #expect(summary?["valid"] as? Bool == true)
        #expect((summary?["nodes"] as? [[String: Any]])?.map { $0["id"] as? String } == ["RN", "XA", "XB"])
        #expect((summary?["groups"] as? [[String: Any]])?.first?["convener"] as? String == "RN")

        let human = try await Commands.tocsin(
            "charter", "verify", scratch.path("charter.toml"), "--signature", scratch.path("charter.sig"), "--ca",
            scratch.path("ca/ca.crt"))
        #expect(human.output.contains("charter OK"))

        // One changed byte, and the charter no longer verifies, with a reason.
        try charter.replacingOccurrences(of: "two-thirds", with: "majority").write(
            toFile: scratch.path("charter.toml"), atomically: true, encoding: .utf8)
        let refused = try await Commands.tocsin(
            "charter", "verify", scratch.path("charter.toml"), "--signature", scratch.path("charter.sig"), "--ca",
            scratch.path("ca/ca.crt"))
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("does not verify"))
    }
}
