import ArgumentParser
import Foundation
import TocsinCore
import TocsinCrypto

struct CharterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charter", abstract: "Inspect, amend and publish the network's charter.",
        subcommands: [
            VerifyCharter.self, AmendCharter.self, PublishAmendment.self, CharterHistoryCommand.self,
            CharterDiffCommand.self,
        ])
}

struct VerifyCharter: ParsableCommand {
    /// The `--json` output.
    struct Report: Encodable {
        struct Node: Encodable {
            let id: String
            let name: String
            let role: String
            let groups: [String]
            let publicKey: String
        }

        struct Group: Encodable {
            let id: String
            let name: String
            let members: [String]
            let convener: String
            let policy: String
            let quorum: Int?
        }

        let valid: Bool
        let network: String
        let version: UInt64
        let networkId: String
        let networkIdShort: String
        let nodes: [Node]
        let groups: [Group]
    }

    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a charter's signature with the authority's certificate, validate it, and summarise it.")

    @Argument(help: "The charter TOML file.")
    var charter: String

    @Option(help: "The detached signature (64 raw bytes, as `openssl pkeyutl -sign -rawin` writes, or base64).")
    var signature: String

    @Option(help: "The network authority's certificate (PEM).")
    var ca: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let authority: Certificate
        do {
            authority = try Certificate(
                pem: String(decoding: readFile(ca, what: "authority certificate"), as: UTF8.self))
        } catch let error as CertificateError {
            throw CommandFailure("\(ca): \(error)")
        }
        let signed: SignedCharter
        do {
            signed = try SignedCharter(
                toml: readFile(charter, what: "charter"), signatureFile: readFile(signature, what: "signature"),
                authority: authority.publicKey())
        } catch let error as CharterError {
            throw CommandFailure("\(charter): \(error)")
        }
        let value = signed.charter
        if json {
            try printJSON(
                Report(
                    valid: true, network: value.network, version: value.version,
                    networkId: signed.networkID.description, networkIdShort: signed.networkID.shortHex,
                    nodes: value.nodes.map {
                        .init(
                            id: $0.id, name: $0.name, role: $0.role.rawValue, groups: value.groups(of: $0.id).map(\.id),
                            publicKey: $0.publicKey.spkiBase64)
                    },
                    groups: value.groups.map {
                        .init(
                            id: $0.id, name: $0.name, members: $0.members, convener: $0.convener,
                            policy: $0.policy.rawValue, quorum: $0.quorumPercent)
                    }))
            return
        }
        printLine(
            "charter OK: signed by the network authority, \(value.nodes.count) nodes, \(value.groups.count) groups")
        printLine("network   \(value.network)")
        printLine("version   \(value.version)")
        printLine(
            "id        \(signed.networkID) (origins use \(signed.networkID.shortHex) if this is the genesis charter)")
        printLine("")
        printLine("nodes")
        for node in value.nodes {
            let groups = value.groups(of: node.id).map(\.id).joined(separator: ", ")
            printLine(
                "  \(node.id.padding(toLength: 8, withPad: " ", startingAt: 0)) \(node.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(node.name)  [\(groups)]"
            )
        }
        printLine("")
        printLine("groups")
        for group in value.groups {
            let quorum = group.quorumPercent.map { ", quorum \($0)%" } ?? ""
            printLine(
                "  \(group.id.padding(toLength: 8, withPad: " ", startingAt: 0)) \(group.name): convener \(group.convener), \(group.policy.rawValue)\(quorum)"
            )
            printLine("           members \(group.members.joined(separator: ", "))")
        }
    }
}
