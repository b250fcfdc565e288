/// What changed from one charter version to another: nodes, keys, roles, groups, members,
/// conveners, policies and witnesses, in charter order.
public struct CharterDiff: Hashable, Sendable {
    public struct Change: Hashable, Sendable, Codable, CustomStringConvertible {
        /// `node` or `group` (or `charter` for the network's name).
        public let subject: String
        /// The node or group id.
        public let id: String
        /// What changed, e.g. `added`, `removed`, `key`, `role`, `members`, `convener`, `policy`.
        public let aspect: String
        public let before: String?
        public let after: String?

        public init(subject: String, id: String, aspect: String, before: String?, after: String?) {
            self.subject = subject
            self.id = id
            self.aspect = aspect
            self.before = before
            self.after = after
        }

        public var description: String {
            switch (before, after) {
            case (nil, let after?): return "\(subject) \(id): \(aspect) \(after)"
            case (let before?, nil): return "\(subject) \(id): \(aspect) (was \(before))"
            case (let before?, let after?): return "\(subject) \(id): \(aspect) \(before) → \(after)"
            case (nil, nil): return "\(subject) \(id): \(aspect)"
            }
        }
    }

    public let from: UInt64
    public let to: UInt64
    public let changes: [Change]

    public init(from old: Charter, to new: Charter) {
        from = old.version
        to = new.version
        var changes: [Change] = []
        func change(_ subject: String, _ id: String, _ aspect: String, _ before: String?, _ after: String?) {
            changes.append(Change(subject: subject, id: id, aspect: aspect, before: before, after: after))
        }
        if old.network != new.network { change("charter", "network", "name", old.network, new.network) }
        for node in old.nodes where new.node(node.id) == nil {
            change("node", node.id, "removed", "\(node.role.rawValue), \(node.name)", nil)
        }
        for node in new.nodes {
            guard let before = old.node(node.id) else {
                change("node", node.id, "added", nil, "\(node.role.rawValue), \(node.name)")
                continue
            }
            if before.name != node.name { change("node", node.id, "name", before.name, node.name) }
            if before.role != node.role { change("node", node.id, "role", before.role.rawValue, node.role.rawValue) }
            if before.publicKey != node.publicKey {
                let revoked = node.previousKeys.first { $0.publicKey == before.publicKey }?.validThrough
                let how =
                    revoked.map { limits in
                        "revoked, valid through "
                            + (limits.isEmpty
                                ? "nothing"
                                : limits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                                    separator: ", "))
                    } ?? "rotated"
                change(
                    "node", node.id, "key (\(how))", Self.short(before.publicKey.spkiBase64),
                    Self.short(node.publicKey.spkiBase64))
            }
        }
        for group in old.groups where new.group(group.id) == nil {
            change("group", group.id, "removed", group.name, nil)
        }
        for group in new.groups {
            guard let before = old.group(group.id) else {
                change(
                    "group", group.id, "added", nil,
                    "\(group.name): members \(group.members.joined(separator: ", ")), convener \(group.convener), \(group.policy.rawValue)"
                )
                continue
            }
            if before.name != group.name { change("group", group.id, "name", before.name, group.name) }
            let joined = group.members.filter { !before.members.contains($0) }
            let left = before.members.filter { !group.members.contains($0) }
            if !joined.isEmpty { change("group", group.id, "members admitted", nil, joined.joined(separator: ", ")) }
            if !left.isEmpty { change("group", group.id, "members removed", nil, left.joined(separator: ", ")) }
            if before.convener != group.convener {
                change("group", group.id, "convener", before.convener, group.convener)
            }
            if before.policy != group.policy {
                change("group", group.id, "policy", before.policy.rawValue, group.policy.rawValue)
            }
            if before.quorumPercent != group.quorumPercent {
                change(
                    "group", group.id, "quorum", before.quorumPercent.map { "\($0)%" } ?? "none",
                    group.quorumPercent.map { "\($0)%" } ?? "none")
            }
            if before.deliberationMinutes != group.deliberationMinutes {
                change(
                    "group", group.id, "deliberation", "\(before.deliberationMinutes) min",
                    "\(group.deliberationMinutes) min")
            }
            if before.history != group.history {
                change("group", group.id, "history", before.history.rawValue, group.history.rawValue)
            }
            let witnessesBefore = before.namedWitnesses?.joined(separator: ", ") ?? "convener and relays"
            let witnessesAfter = group.namedWitnesses?.joined(separator: ", ") ?? "convener and relays"
            if witnessesBefore != witnessesAfter || before.witnessQuorum != group.witnessQuorum {
                change(
                    "group", group.id, "witnesses", "\(witnessesBefore) (\(before.witnessQuorum) needed)",
                    "\(witnessesAfter) (\(group.witnessQuorum) needed)")
            }
            func referrals(_ group: Charter.Group) -> String {
                group.referralObservers.isEmpty
                    ? "none" : "\(group.referralObservers.joined(separator: ", ")) in \(group.referralGroup)"
            }
            if referrals(before) != referrals(group) {
                change("group", group.id, "referrals", referrals(before), referrals(group))
            }
        }
        self.changes = changes
    }

    /// The first characters of a key's base64 (the DER prefix skipped), to tell keys apart.
    static func short(_ base64: String) -> String {
        String(base64.dropFirst(16).prefix(12)) + "…"
    }
}
