import TocsinCrypto

extension Charter {
    /// The largest charter file read (a few hundred nodes need far less).
    public static let maximumByteCount = 1024 * 1024

    /// Parses and validates a charter's TOML text.
    public init(toml bytes: [UInt8]) throws(CharterError) {
        try self.init(toml: bytes, draftOnly: false)
    }

    /// `draftOnly`: an amendment's draft may name `replaces` without `takes-effect` or neither.
    init(toml bytes: [UInt8], draftOnly: Bool) throws(CharterError) {
        guard bytes.count <= Self.maximumByteCount else {
            throw CharterError.tooLarge(byteCount: bytes.count, limit: Self.maximumByteCount)
        }
        guard let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") else {
            throw CharterError.notUTF8
        }
        let table: TOMLTable
        do throws(TOMLError) {
            table = try TOMLTable(parsing: text)
        } catch {
            throw CharterError.syntax(line: error.line, column: error.column, reason: error.reason)
        }
        let top = TableReader(table: table, place: "charter")
        try top.onlyKeys(["network", "version", "replaces", "takes-effect", "nodes", "groups"])
        let network = try top.string("network")
        let version = try top.integer("version")
        guard version >= 1 else { throw CharterError.invalid(where: "charter", reason: "`version` must be 1 or more") }
        var replaces: SHA256Digest?
        if let text = try top.optionalString("replaces") {
            guard text.utf8.count == 64, let digest = SHA256Digest(hex: text), digest.hex == text else {
                throw CharterError.invalid(
                    where: "charter",
                    reason: "`replaces` is the SHA-256 of the charter file replaced, 64 lower-case hex digits")
            }
            replaces = digest
        }
        var takesEffectMs: Int64?
        if let text = try top.optionalString("takes-effect") {
            guard let milliseconds = UTCTime.milliseconds(parsing: text) else {
                throw CharterError.invalid(
                    where: "charter", reason: "`takes-effect` is a UTC time written YYYY-MM-DDTHH:MM:SSZ")
            }
            takesEffectMs = milliseconds
        }
        guard draftOnly || (replaces == nil) == (takesEffectMs == nil) else {
            throw CharterError.invalid(
                where: "charter",
                reason: "an amendment names both `replaces` and `takes-effect`; the genesis charter neither")
        }

        var nodes: [Node] = []
        var nodeIDs: Set<String> = []
        var keys: Set<Ed25519PublicKey> = []
        for (position, nodeTable) in try top.tables("nodes").enumerated() {
            let reader = TableReader(table: nodeTable, place: "node \(position + 1)")
            try reader.onlyKeys(["id", "name", "role", "public-key", "previous-keys"])
            let id = try reader.string("id")
            let place = "node \(id)" + (nodeTable.line(of: "id").map { " (line \($0))" } ?? "")
            guard Identifier.isValid(id) else {
                throw CharterError.invalid(
                    where: place, reason: "ids are 1–64 of A–Z a–z 0–9 . _ - starting with a letter or digit")
            }
            guard id != AuthorityFeed.author else {
                throw CharterError.invalid(where: place, reason: "the id `\(id)` is reserved for the network authority")
            }
            guard nodeIDs.insert(id).inserted else {
                throw CharterError.duplicateID(kind: "node", id: id, line: nodeTable.line(of: "id"))
            }
            let roleText = try reader.string("role", place: place)
            guard let role = Role(rawValue: roleText) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "role \(roleText.debugDescription) is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let publicKey = try reader.publicKey("public-key", place: place)
            guard keys.insert(publicKey).inserted else {
                throw CharterError.invalid(
                    where: place, reason: "public-key is already the key of another node; every node has its own key")
            }
            var previousKeys: [PreviousKey] = []
            for (position, keyTable) in try reader.optionalTables("previous-keys", place: place).enumerated() {
                let keyPlace = "\(place), previous key \(position + 1)"
                let keyReader = TableReader(table: keyTable, place: keyPlace)
                try keyReader.onlyKeys(["public-key", "valid-through"])
                let previous = try keyReader.publicKey("public-key", place: keyPlace)
                guard keys.insert(previous).inserted else {
                    throw CharterError.invalid(
                        where: keyPlace, reason: "public-key is already a key of this or another node in the charter")
                }
                var validThrough: [String: UInt64]?
                if let value = keyTable["valid-through"] {
                    guard let sizes = value.table else {
                        throw CharterError.wrongType(
                            where: keyPlace, key: "valid-through", expected: "a table of group ids and checkpoint sizes"
                        )
                    }
                    var limits: [String: UInt64] = [:]
                    for group in sizes.keys {
                        guard let size = sizes[group]?.int, size >= 0, UInt64(size) <= Checkpoint.maximumSize else {
                            throw CharterError.invalid(
                                where: keyPlace, reason: "valid-through.\(group) is a checkpoint size from 0 to 2^40")
                        }
                        limits[group] = UInt64(size)
                    }
                    validThrough = limits
                }
                previousKeys.append(PreviousKey(publicKey: previous, validThrough: validThrough))
            }
            nodes.append(
                Node(
                    id: id, name: try reader.string("name", place: place), role: role, publicKey: publicKey,
                    previousKeys: previousKeys))
        }

        var groups: [Group] = []
        var groupIDs: Set<String> = []
        for (position, groupTable) in try top.tables("groups").enumerated() {
            let reader = TableReader(table: groupTable, place: "group \(position + 1)")
            try reader.onlyKeys([
                "id", "name", "members", "convener", "policy", "quorum", "deliberation-minutes", "history", "witnesses",
                "witness-quorum", "referral-observers", "referral-group",
            ])
            let id = try reader.string("id")
            let place = "group \(id)" + (groupTable.line(of: "id").map { " (line \($0))" } ?? "")
            guard Identifier.isValid(id) else {
                throw CharterError.invalid(
                    where: place, reason: "ids are 1–64 of A–Z a–z 0–9 . _ - starting with a letter or digit")
            }
            guard id != AuthorityFeed.group else {
                throw CharterError.invalid(where: place, reason: "the id `\(id)` is reserved for the authority's feed")
            }
            guard groupIDs.insert(id).inserted else {
                throw CharterError.duplicateID(kind: "group", id: id, line: groupTable.line(of: "id"))
            }
            let members = try reader.strings("members", place: place)
            guard !members.isEmpty else { throw CharterError.invalid(where: place, reason: "a group needs members") }
            guard Set(members).count == members.count else {
                throw CharterError.invalid(where: place, reason: "a member is listed twice")
            }
            for member in members where !nodeIDs.contains(member) {
                throw CharterError.unknownMember(group: id, member: member)
            }
            let convener = try reader.string("convener", place: place)
            guard members.contains(convener) else {
                throw CharterError.convenerNotMember(group: id, convener: convener)
            }
            let policyText = try reader.string("policy", place: place)
            guard let policy = Policy(rawValue: policyText) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "policy \(policyText.debugDescription) is not one of \(Policy.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let quorum = try reader.optionalInteger("quorum", place: place)
            if let quorum, !(1...100).contains(quorum) {
                throw CharterError.invalid(where: place, reason: "quorum is a percentage from 1 to 100")
            }
            let deliberation =
                try reader.optionalInteger("deliberation-minutes", place: place) ?? Group.defaultDeliberationMinutes
            guard (0...527_040).contains(deliberation) else {
                throw CharterError.invalid(where: place, reason: "deliberation-minutes is from 0 to 527040 (366 days)")
            }
            let historyText = try reader.optionalString("history", place: place) ?? History.full.rawValue
            guard let history = History(rawValue: historyText) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "history \(historyText.debugDescription) is not one of \(History.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            var witnesses: [String]?
            if groupTable["witnesses"] != nil {
                let named = try reader.strings("witnesses", place: place)
                guard !named.isEmpty, Set(named).count == named.count else {
                    throw CharterError.invalid(where: place, reason: "witnesses: name each witness once, at least one")
                }
                for witness in named where !members.contains(witness) {
                    throw CharterError.invalid(
                        where: place, reason: "witnesses: \(witness.debugDescription) is not a member of the group")
                }
                witnesses = named
            }
            let witnessQuorum = try reader.optionalInteger("witness-quorum", place: place) ?? 1
            var referralObservers: [String] = []
            if groupTable["referral-observers"] != nil {
                referralObservers = try reader.strings("referral-observers", place: place)
                guard !referralObservers.isEmpty, Set(referralObservers).count == referralObservers.count else {
                    throw CharterError.invalid(
                        where: place, reason: "referral-observers: name each observer once, at least one")
                }
            }
            let referralGroup = try reader.optionalString("referral-group", place: place)
            if referralGroup != nil, referralObservers.isEmpty {
                throw CharterError.invalid(
                    where: place, reason: "referral-group is given only with referral-observers (whom to refer to)")
            }
            let group = Group(
                id: id, name: try reader.string("name", place: place), members: members, convener: convener,
                policy: policy, quorumPercent: quorum, deliberationMinutes: deliberation, history: history,
                witnesses: witnesses, witnessQuorum: witnessQuorum, referralObservers: referralObservers,
                referralGroup: referralGroup)
            let eligible = Set(witnesses ?? Charter.defaultWitnesses(of: group, nodes: nodes))
            guard (1...max(1, eligible.count)).contains(witnessQuorum) else {
                throw CharterError.invalid(
                    where: place,
                    reason: "witness-quorum is from 1 to the number of the group's witnesses (\(eligible.count))")
            }
            groups.append(group)
        }
        // Referrals go to observers, in a group where they and the referring group's convener
        // are members (the convener writes the referral there, the observers read it).
        for group in groups where !group.referralObservers.isEmpty {
            let place = "group \(group.id)"
            guard let target = groups.first(where: { $0.id == group.referralGroup }) else {
                throw CharterError.invalid(
                    where: place,
                    reason: "referral-group \(group.referralGroup.debugDescription) is not a group of this charter")
            }
            for observer in group.referralObservers {
                guard nodes.first(where: { $0.id == observer })?.role == .observer else {
                    throw CharterError.invalid(
                        where: place,
                        reason: "referral-observers: \(observer.debugDescription) is not a node of role observer")
                }
                guard target.members.contains(observer) else {
                    throw CharterError.invalid(
                        where: place,
                        reason: "referral-observers: \(observer) is not a member of the referral group \(target.id)")
                }
            }
            guard target.members.contains(group.convener) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "the convener \(group.convener) is not a member of the referral group \(target.id), where it writes referrals"
                )
            }
        }
        // A revoked key's limits name groups of this charter: a misspelt group would silently
        // leave the key nothing to sign there, disowning the node's legitimate checkpoints.
        for node in nodes {
            for key in node.previousKeys {
                for group in (key.validThrough ?? [:]).keys.sorted() where !groupIDs.contains(group) {
                    throw CharterError.invalid(
                        where: "node \(node.id)",
                        reason:
                            "previous-keys: valid-through names \(group.debugDescription), which is not a group of this charter"
                    )
                }
            }
        }
        self.init(
            network: network, version: version, replaces: replaces, takesEffectMs: takesEffectMs, nodes: nodes,
            groups: groups)
    }
}

/// Typed access to one TOML table, with errors that say where.
private struct TableReader {
    let table: TOMLTable
    let place: String

    func onlyKeys(_ allowed: Set<String>) throws(CharterError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw CharterError.unknownKey(where: place, key: key)
        }
    }

    func string(_ key: String, place: String? = nil) throws(CharterError) -> String {
        guard let value = table[key] else { throw CharterError.missingKey(where: place ?? self.place, key: key) }
        guard let string = value.string else {
            throw CharterError.wrongType(where: place ?? self.place, key: key, expected: "a string")
        }
        guard !string.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CharterError.invalid(where: place ?? self.place, reason: "`\(key)` is empty")
        }
        return string
    }

    func integer(_ key: String) throws(CharterError) -> UInt64 {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: key) }
        guard let integer = value.int, integer >= 0 else {
            throw CharterError.wrongType(where: place, key: key, expected: "a non-negative integer")
        }
        return UInt64(integer)
    }

    func optionalString(_ key: String, place: String? = nil) throws(CharterError) -> String? {
        guard table[key] != nil else { return nil }
        return try string(key, place: place)
    }

    func publicKey(_ key: String, place: String) throws(CharterError) -> Ed25519PublicKey {
        let text = try string(key, place: place)
        do {
            return try Ed25519PublicKey(spkiBase64: text)
        } catch {
            throw CharterError.invalid(where: place, reason: "\(key): \(error)")
        }
    }

    func optionalTables(_ key: String, place: String) throws(CharterError) -> [TOMLTable] {
        guard table[key] != nil else { return [] }
        return try tables(key)
    }

    func optionalInteger(_ key: String, place: String) throws(CharterError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let integer = value.int else {
            throw CharterError.wrongType(where: place, key: key, expected: "an integer")
        }
        return integer
    }

    func strings(_ key: String, place: String) throws(CharterError) -> [String] {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: key) }
        guard let array = value.array else {
            throw CharterError.wrongType(where: place, key: key, expected: "an array of strings")
        }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else {
                throw CharterError.wrongType(where: place, key: key, expected: "an array of strings")
            }
            strings.append(string)
        }
        return strings
    }

    func tables(_ key: String) throws(CharterError) -> [TOMLTable] {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: "[[\(key)]]") }
        guard let array = value.array else {
            throw CharterError.wrongType(where: place, key: key, expected: "an array of tables ([[\(key)]])")
        }
        var tables: [TOMLTable] = []
        for element in array {
            guard let table = element.table else {
                throw CharterError.wrongType(where: place, key: key, expected: "an array of tables ([[\(key)]])")
            }
            tables.append(table)
        }
        return tables
    }
}
