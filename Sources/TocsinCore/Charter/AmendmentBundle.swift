import Foundation
import SwiftProtobuf
import TocsinCrypto

/// An amendment as the authority hands it out: the authority feed from its first entry up to
/// and including the new amendment, with the authority's checkpoint over them.
///
/// The file is the protobuf `Entries` message of the authority feed with `first_index` 0 (the
/// message peers send each other), so any node can take it as a peer's answer: `tocsin charter
/// publish` gives it to a running node, and `tocsind` reads one named by `charter-amendments`
/// before it starts (a newly admitted node, which the genesis charter does not name).
public struct AmendmentBundle: Sendable {
    /// The authority feed's entries, from index 0.
    public let entries: [[UInt8]]
    /// The authority's checkpoint of size `entries.count`.
    public let checkpoint: SignedCheckpoint
    public let origin: FeedOrigin

    /// The largest bundle read: the amendments of a network's lifetime are far smaller.
    public static let maximumByteCount = 64 << 20

    public init(entries: [[UInt8]], checkpoint: SignedCheckpoint, origin: FeedOrigin) {
        self.entries = entries
        self.checkpoint = checkpoint
        self.origin = origin
    }

    /// Reads a bundle file. Nothing is verified here: `verify(genesis:authority:)` does.
    public init(serialized bytes: [UInt8]) throws(AmendmentBundleError) {
        guard bytes.count <= Self.maximumByteCount else {
            throw .malformed("the file has \(bytes.count) bytes, more than \(Self.maximumByteCount)")
        }
        let message: Tocsin_V1_Entries
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 8
            message = try Tocsin_V1_Entries(serializedBytes: bytes, options: options)
        } catch {
            throw .malformed("it is not a Tocsin amendment file (\(error))")
        }
        guard let origin = try? FeedOrigin(parsing: message.origin), AuthorityFeed.isAuthorityFeed(origin) else {
            throw .malformed("it is not of an authority feed (origin \(message.origin.prefix(100).debugDescription))")
        }
        guard message.firstIndex == 0, !message.entries.isEmpty else {
            throw .malformed("it must hold the authority feed from its first entry")
        }
        do {
            checkpoint = try SignedCheckpoint(parsing: Array(message.checkpoint))
        } catch {
            throw .malformed("its checkpoint: \(error)")
        }
        self.entries = message.entries.map { Array($0) }
        self.origin = origin
    }

    /// The file's bytes.
    public var serialized: [UInt8] {
        let message = Tocsin_V1_Entries.with {
            $0.origin = origin.description
            $0.firstIndex = 0
            $0.entries = entries.map { Data($0) }
            $0.checkpoint = Data(checkpoint.authorNote.formatted.utf8)
        }
        return (try? message.serializedBytes()) ?? []
    }

    /// Checks the authority's checkpoint over the entries and every amendment against the one
    /// before, from the genesis charter: the chain the bundle describes.
    public func verify(
        genesis: SignedCharter, authority: Ed25519PublicKey
    ) throws(AmendmentBundleError)
        -> CharterChain
    {
        guard origin == AuthorityFeed.origin(of: genesis.networkID) else {
            throw .malformed("it is of network \(origin.networkShortHex), not \(genesis.networkID.shortHex)")
        }
        let verifier = FeedVerifier(origin: origin, author: authority)
        do {
            _ = try verifier.verify(
                firstIndex: 0, entries: entries, checkpointNote: Array(checkpoint.note.formatted.utf8))
        } catch {
            throw .notSignedByAuthority("\(error)")
        }
        do {
            return try CharterChain(genesis: genesis, authority: authority, amendments: entries)
        } catch {
            throw .amendment(error)
        }
    }

    /// The entry carrying `signed` as an amendment.
    public static func entry(for signed: SignedCharter, authorTimeMs: Int64) -> [UInt8] {
        let entry = Tocsin_V1_Entry.with {
            $0.kind = .charter
            $0.authorTimeMs = max(0, authorTimeMs)
            $0.charter = .with {
                $0.version = signed.charter.version
                $0.charterToml = Data(signed.bytes)
                $0.signature = Data(signed.signature)
            }
        }
        return (try? entry.serializedBytes()) ?? []
    }

    /// The bundle `previous` (nil for the first amendment) extended with `signed`, the
    /// checkpoint signed with the authority's key.
    public static func extending(
        _ previous: AmendmentBundle?, with signed: SignedCharter, network: NetworkID, authorityKey: Ed25519PrivateKey,
        authorTimeMs: Int64
    ) throws(AmendmentBundleError) -> AmendmentBundle {
        let origin = AuthorityFeed.origin(of: network)
        let earlier = previous?.entries ?? []
        var author = FeedAuthor(origin: origin, key: authorityKey)
        do {
            if !earlier.isEmpty { _ = try author.append(earlier) }
            let batch = try author.append([entry(for: signed, authorTimeMs: authorTimeMs)])
            return AmendmentBundle(entries: earlier + batch.entries, checkpoint: batch.checkpoint, origin: origin)
        } catch {
            throw .malformed("cannot sign the authority feed: \(error)")
        }
    }
}

/// Why an amendment file was refused.
public enum AmendmentBundleError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case notSignedByAuthority(String)
    case amendment(AmendmentError)

    public var description: String {
        switch self {
        case .malformed(let reason): return "not a usable amendment file: \(reason)"
        case .notSignedByAuthority(let reason):
            return "the amendment file's checkpoint is not the network authority's over its entries: \(reason)"
        case .amendment(let error): return error.description
        }
    }
}
