import Foundation
import Testing
import TocsinCrypto

/// Two TLS connections talking through memory: the handshake rules without sockets.
@Suite struct TLSConnectionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    struct Identity {
        let key: Ed25519PrivateKey
        let certificate: Certificate
    }

    static func identity(_ id: String, issuer: CertificateIssuer, notAfter: Date = now + 30 * day) throws -> Identity {
        let key = try Ed25519PrivateKey.generate()
        return Identity(
            key: key,
            certificate: try issuer.issue(
                nodeID: id, publicKey: key.publicKey, notBefore: now - day, notAfter: notAfter, serial: 9))
    }

    static func authority(_ name: String = "Fictional network authority") throws -> CertificateIssuer {
        try CertificateIssuer.authority(
            name: name, key: Ed25519PrivateKey.generate(), notBefore: now - day, notAfter: now + 365 * day, serial: 1)
    }

    static func connection(
        _ identity: Identity, trusting authority: CertificateIssuer, role: TLSConnection.Role, at time: Date = now
    )
        throws -> TLSConnection
    {
        TLSConnection(
            context: try TLSContext(
                certificateChain: [identity.certificate], key: identity.key, authority: authority.certificate,
                verificationTime: time),
            role: role)
    }

    /// Moves bytes both ways until neither side has anything to say; returns what each read.
    @discardableResult
    static func pump(_ client: TLSConnection, _ server: TLSConnection) throws -> (client: [UInt8], server: [UInt8]) {
        var toClient: [UInt8] = []
        var toServer: [UInt8] = []
        for _ in 0..<20 {
            let clientOutput = client.takeOutput()
            if !clientOutput.isEmpty { toServer += try server.receive(clientOutput) }
            let serverOutput = server.takeOutput()
            if !serverOutput.isEmpty { toClient += try client.receive(serverOutput) }
            if clientOutput.isEmpty && serverOutput.isEmpty { break }
        }
        return (toClient, toServer)
    }

    @Test func nodesOfOneNetworkHandshakeOverTLS13AndExchangeData() throws {
        let authority = try Self.authority()
        let relay = try Self.identity("RN", issuer: authority)
        let state = try Self.identity("XA", issuer: authority)
        let client = try Self.connection(state, trusting: authority, role: .client)
        let server = try Self.connection(relay, trusting: authority, role: .server)
        try client.start()
        try Self.pump(client, server)
        #expect(client.isHandshakeComplete && server.isHandshakeComplete)
        #expect(client.protocolVersion == "TLSv1.3")
        #expect(try server.peerIdentity().nodeID == "XA")
        #expect(try server.peerIdentity().publicKey == state.key.publicKey)
        #expect(try client.peerIdentity().nodeID == "RN")

        try client.send(Array("hello relay".utf8))
        try server.send(Array(repeating: 0x42, count: 40_000))
        let received = try Self.pump(client, server)
        #expect(received.server == Array("hello relay".utf8))
        #expect(received.client == Array(repeating: 0x42, count: 40_000))

        client.close()
        try Self.pump(client, server)
        #expect(server.receivedCloseNotify)
    }

    /// Plaintext is encrypted from the caller's memory and decrypted into it: megabytes cross
    /// whole whatever the sizes of the pieces the network and the reader take.
    @Test func megabytesCrossInPlaceWhateverThePiecesTheNetworkAndTheReaderTake() throws {
        let authority = try Self.authority()
        let client = try Self.connection(try Self.identity("XA", issuer: authority), trusting: authority, role: .client)
        let server = try Self.connection(try Self.identity("RN", issuer: authority), trusting: authority, role: .server)
        try client.start()
        try Self.pump(client, server)
        var random = SystemRandomNumberGenerator()
        let sent = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        try sent.withUnsafeBytes { try server.send($0) }
        var network = [UInt8](repeating: 0, count: server.pendingOutputCount)
        var taken = 0
        while server.pendingOutputCount > 0 {
            let piece = min(Int.random(in: 1...200_000, using: &random), network.count - taken)
            taken += network.withUnsafeMutableBytes {
                server.takeOutput(into: UnsafeMutableRawBufferPointer(rebasing: $0[taken..<taken + piece]))
            }
        }
        #expect(taken == network.count)
        #expect(server.takeOutput(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) == 0)
        var received: [UInt8] = []
        var delivered = 0
        while delivered < network.count {
            let piece = min(Int.random(in: 1...70_000, using: &random), network.count - delivered)
            try network.withUnsafeBytes {
                try client.receive(ciphertext: UnsafeRawBufferPointer(rebasing: $0[delivered..<delivered + piece]))
            }
            delivered += piece
            var buffer = [UInt8](repeating: 0, count: Int.random(in: 1...40_000, using: &random))
            while true {
                let count = try buffer.withUnsafeMutableBytes { try client.readPlaintext(into: $0) }
                if count == 0 { break }
                received += buffer[0..<count]
            }
        }
        #expect(received.count == sent.count)
        #expect(received == sent)
    }

    @Test func aClientFromAnotherAuthorityIsRefused() throws {
        let ours = try Self.authority()
        let theirs = try Self.authority("Another authority")
        let server = try Self.connection(try Self.identity("RN", issuer: ours), trusting: ours, role: .server)
        let client = try Self.connection(try Self.identity("XA", issuer: theirs), trusting: ours, role: .client)
        try client.start()
        #expect {
            try Self.pump(client, server)
        } throws: { error in
            guard case .handshakeFailed(let reason) = error as? TLSError else { return false }
            return reason.contains("peer certificate")
        }
        #expect(!server.isHandshakeComplete)
    }

    @Test func aServerFromAnotherAuthorityIsRefusedByTheClient() throws {
        let ours = try Self.authority()
        let theirs = try Self.authority("Another authority")
        let server = try Self.connection(try Self.identity("RN", issuer: theirs), trusting: theirs, role: .server)
        let client = try Self.connection(try Self.identity("XA", issuer: ours), trusting: ours, role: .client)
        try client.start()
        #expect(throws: TLSError.self) { try Self.pump(client, server) }
        #expect(!client.isHandshakeComplete)
    }

    @Test func anExpiredCertificateIsRefused() throws {
        let authority = try Self.authority()
        let expired = try Self.identity("XA", issuer: authority, notAfter: Self.now - 60)
        let server = try Self.connection(try Self.identity("RN", issuer: authority), trusting: authority, role: .server)
        let client = try Self.connection(expired, trusting: authority, role: .client)
        try client.start()
        #expect {
            try Self.pump(client, server)
        } throws: { error in
            guard case .handshakeFailed(let reason) = error as? TLSError else { return false }
            return reason.contains("expired")
        }
    }

    @Test func garbageInsteadOfAHandshakeIsRefused() throws {
        let authority = try Self.authority()
        let server = try Self.connection(try Self.identity("RN", issuer: authority), trusting: authority, role: .server)
        #expect(throws: TLSError.self) { try server.receive(Array("GET / HTTP/1.1\r\nHost: relay\r\n\r\n".utf8)) }
        #expect(!server.isHandshakeComplete)
    }

    @Test func dataCannotBeSentBeforeTheHandshake() throws {
        let authority = try Self.authority()
        let client = try Self.connection(try Self.identity("XA", issuer: authority), trusting: authority, role: .client)
        #expect(throws: TLSError.notHandshaken) { try client.send([1]) }
        #expect(throws: TLSError.notHandshaken) { try client.peerIdentity() }
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRefusedAtConfiguration() throws {
        let authority = try Self.authority()
        let identity = try Self.identity("XA", issuer: authority)
        #expect(throws: TLSError.self) {
            try TLSContext(
                certificateChain: [identity.certificate], key: try Ed25519PrivateKey.generate(),
                authority: authority.certificate)
        }
    }
}
