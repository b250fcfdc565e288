import Foundation

extension Charter {
    /// The charter as TOML in the documented layout (Docs/PROTOCOL.md, "Charter").
    ///
    /// Parsing the result gives back an equal charter. The authority signs these exact bytes.
    public func renderTOML() -> String {
        var text = """
            # Tocsin network charter, version \(version).
            # Signed by the network authority: `Certs/tocsin-pki sign-charter`.
            network = \(quoted(network))
            version = \(version)

            """
        for node in nodes {
            text += """

                [[nodes]]
                id = \(quoted(node.id))
                name = \(quoted(node.name))
                role = \(quoted(node.role.rawValue))
                public-key = \(quoted(node.publicKey.spkiBase64))

                """
        }
        for group in groups {
            text += """

                [[groups]]
                id = \(quoted(group.id))
                name = \(quoted(group.name))
                convener = \(quoted(group.convener))
                policy = \(quoted(group.policy.rawValue))
                members = [\(group.members.map(quoted).joined(separator: ", "))]

                """
            if let quorum = group.quorumPercent { text += "quorum = \(quorum)\n" }
            if group.deliberationMinutes != Group.defaultDeliberationMinutes {
                text += "deliberation-minutes = \(group.deliberationMinutes)\n"
            }
        }
        return text
    }

    private func quoted(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    escaped += String(format: "\\u%04X", scalar.value)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }
}
