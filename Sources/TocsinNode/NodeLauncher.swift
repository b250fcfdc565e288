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
        if let file = configuration.charterAmendments {
            try importAmendments(
                from: file, into: store, genesis: signed, authority: authority, now: now, logger: logger)
        }
        let held = try store.charterChain()
        let inForce = held.inForce(atMs: NodeRuntime.milliseconds(since1970: now))
        guard
            inForce.charter.pins(nodeID: configuration.nodeID, publicKey: key.publicKey)
                || held.latest.charter.pins(nodeID: configuration.nodeID, publicKey: key.publicKey)
        else {
            throw ConfigurationError.mismatch(
                "charter version \(held.latest.version) does not pin this node's key for \(configuration.nodeID): ask the authority to add it (an amendment), or check `key`"
            )
        }
        return try NodeRuntime(
            nodeID: configuration.nodeID, key: key, certificateChain: chain, authority: authority, store: store,
            group: group,
            logger: logger, witness: configuration.witness, trustLocalLog: configuration.trustLocalLog,
            maximumClockSkewSeconds: UInt64(configuration.maximumClockSkewSeconds), clock: clock)
    }

    /// Stores the amendments of `file` the data directory does not hold yet, after checking
    /// them as a peer's (the authority's checkpoint, then each amendment against the one before).
    /// A file that holds no more than the data directory changes nothing.
    static func importAmendments(
        from file: URL, into store: FeedStore, genesis: SignedCharter, authority: Certificate, now: Date,
        logger: Logger
    ) throws {
        let bundle: AmendmentBundle
        let chain: CharterChain
        do {
            bundle = try AmendmentBundle(serialized: try bytes("charter-amendments", file))
            chain = try bundle.verify(genesis: genesis, authority: try authority.publicKey())
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError.file(key: "charter-amendments", path: file.path, reason: String(describing: error))
        }
        let origin = AuthorityFeed.origin(of: genesis.networkID)
        let verifier = try store.verifier(for: origin, author: chain.authority)
        let held = Int(verifier.frontier.size)
        guard bundle.entries.count > held else { return }
        do {
            let batch = try verifier.verify(
                firstIndex: UInt64(held), entries: Array(bundle.entries[held...]),
                checkpointNote: Array(bundle.checkpoint.note.formatted.utf8))
            try store.append(batch, now: now)
        } catch {
            throw ConfigurationError.file(
                key: "charter-amendments", path: file.path,
                reason: "it does not continue the amendments this data directory holds: \(error)")
        }
        logger.notice(
            "stored charter amendments",
            metadata: ["file": "\(file.path)", "version": "\(chain.latest.version)"])
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
