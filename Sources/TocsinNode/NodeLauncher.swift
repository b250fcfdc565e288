import Foundation
import Logging
import NIOCore
import TocsinCore
import TocsinCrypto
import TocsinStore

/// Turns a configuration into a ready `NodeRuntime`, checking everything an operator can get
/// wrong before the node talks to anyone: files, key permissions, the certificate against
/// the authority and the key, the charter's signature and pin, the data directory's network.
public enum NodeLauncher {
    /// - Parameter clock: the node's time (the system's, but in fault tests).
    public static func prepare(
        _ configuration: NodeConfiguration, group: any EventLoopGroup, logger: Logger, now: Date,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> NodeRuntime {
        let key: Ed25519PrivateKey
        do {
            key = try KeyFile.read(from: configuration.key.path)
        } catch {
            throw ConfigurationError.file(key: "key", path: configuration.key.path, reason: error.description)
        }
        let chain = try read("certificate", configuration.certificate) { pem throws -> [Certificate] in
            try Certificate.chain(pem: pem)
        }
        let authority = try read("ca", configuration.authority) { pem throws -> Certificate in try Certificate(pem: pem)
        }
        do {
            try Certificate.verify(chain: chain, authority: authority, at: now)
        } catch {
            throw ConfigurationError.file(
                key: "certificate", path: configuration.certificate.path, reason: error.description)
        }
        guard chain[0].subjectCommonName == configuration.nodeID else {
            throw ConfigurationError.mismatch(
                "the certificate is for \(chain[0].subjectCommonName ?? "no CN"), the configuration says node-id = \(configuration.nodeID)"
            )
        }
        guard (try? chain[0].publicKey()) == key.publicKey else {
            throw ConfigurationError.mismatch(
                "the certificate \(configuration.certificate.path) is not for the key \(configuration.key.path)")
        }
        let signed: SignedCharter
        do {
            let authorityKey = try authority.publicKey()
            signed = try SignedCharter(
                toml: try bytes("charter", configuration.charter),
                signatureFile: try bytes("charter-signature", configuration.charterSignature), authority: authorityKey)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError.file(
                key: "charter", path: configuration.charter.path, reason: String(describing: error))
        }
        guard signed.charter.pins(nodeID: configuration.nodeID, publicKey: key.publicKey) else {
            throw ConfigurationError.mismatch(
                "the charter does not pin this node's key for \(configuration.nodeID): ask the authority to add it, or check `key`"
            )
        }

        let store: FeedStore
        let databasePath = configuration.dataDirectory.appendingPathComponent(FeedStore.databaseFileName).path
        if FileManager.default.fileExists(atPath: databasePath) {
            store = try FeedStore.open(directory: configuration.dataDirectory)
            guard store.networkID == signed.networkID else {
                throw ConfigurationError.mismatch(
                    "the data directory \(configuration.dataDirectory.path) belongs to network \(store.networkID.shortHex), the charter founds \(signed.networkID.shortHex)"
                )
            }
        } else {
            store = try FeedStore.create(
                at: configuration.dataDirectory, genesis: signed, authorityCertificatePEM: authority.pem, now: now)
            logger.notice("created data directory", metadata: ["path": "\(configuration.dataDirectory.path)"])
        }
        return try NodeRuntime(
            nodeID: configuration.nodeID, key: key, certificateChain: chain, authority: authority, store: store,
            group: group,
            logger: logger, witness: configuration.witness, trustLocalLog: configuration.trustLocalLog,
            maximumClockSkewSeconds: UInt64(configuration.maximumClockSkewSeconds), clock: clock)
    }

    private static func bytes(_ key: String, _ url: URL) throws(ConfigurationError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError.file(key: key, path: url.path, reason: "cannot read the file")
        }
        return Array(data)
    }

    private static func read<Value>(_ key: String, _ url: URL, _ parse: (String) throws -> Value) throws -> Value {
        let text = String(decoding: try bytes(key, url), as: UTF8.self)
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError.file(key: key, path: url.path, reason: String(describing: error))
        }
    }
}
