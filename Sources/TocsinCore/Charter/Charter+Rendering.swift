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
        if let replaces, let takesEffectMs {
            text +=
                "replaces = \(quoted(replaces.hex))\ntakes-effect = \(quoted(UTCTime.text(milliseconds: takesEffectMs)))\n"
        }
        for node in nodes {
            text += """

                [[nodes]]
                id = \(quoted(node.id))
                name = \(quoted(node.name))
                role = \(quoted(node.role.rawValue))
                public-key = \(quoted(node.publicKey.spkiBase64))

                """
            if !node.previousKeys.isEmpty {
                let keys = node.previousKeys.map { key in
                    var table = "{ public-key = \(quoted(key.publicKey.spkiBase64))"
                    if let limits = key.validThrough {
                        let sizes = limits.sorted { $0.key < $1.key }.map { "\(quoted($0.key)) = \($0.value)" }
                        table += ", valid-through = { \(sizes.joined(separator: ", ")) }"
                    }
                    return table + " }"
                }
                text += "previous-keys = [\(keys.joined(separator: ", "))]\n"
            }
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
            if group.history != .full { text += "history = \(quoted(group.history.rawValue))\n" }
            if let witnesses = group.namedWitnesses {
                text += "witnesses = [\(witnesses.map(quoted).joined(separator: ", "))]\n"
            }
            if group.witnessQuorum != 1 { text += "witness-quorum = \(group.witnessQuorum)\n" }
            if !group.referralObservers.isEmpty {
                text += "referral-observers = [\(group.referralObservers.map(quoted).joined(separator: ", "))]\n"
                if group.referralGroup != group.id { text += "referral-group = \(quoted(group.referralGroup))\n" }
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
