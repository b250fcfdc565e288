import Foundation

extension CAPAlert {
    /// A Tocsin bulletin's CAP identifier: `tocsin:<network-id-16-hex>:<group>:<author>:<index>`.
    public static func identifier(network: NetworkID, reference: EntryReference) -> String {
        "tocsin:\(network.shortHex):\(reference.group):\(reference.author):\(reference.index)"
    }

    /// A Tocsin node as a CAP sender: `<node>@tocsin-<network-id-16-hex>`.
    public static func sender(network: NetworkID, author: String) -> String {
        "\(author)@tocsin-\(network.shortHex)"
    }

    /// The Tocsin reference a CAP identifier of this network names, if it is one.
    public static func reference(identifier: String, network: NetworkID) -> EntryReference? {
        let parts = identifier.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "tocsin", parts[1] == network.shortHex else { return nil }
        return try? EntryReference(parsing: "\(parts[2])/\(parts[3])/\(parts[4])")
    }

    static func capitalized(_ word: String) -> String { word.prefix(1).uppercased() + word.dropFirst() }

    /// The CAP alert of a bulletin. `referenced` gives the author time of each bulletin it
    /// updates or cancels (CAP references carry the referenced alert's `sent`).
    public init(
        bulletin: Tocsin_V1_Bulletin, reference: EntryReference, network: NetworkID, authorTimeMs: Int64,
        senderName: String, referenced: [EntryReference: Int64]
    ) {
        self.init()
        identifier = Self.identifier(network: network, reference: reference)
        sender = Self.sender(network: network, author: reference.author)
        sent = Self.time(milliseconds: authorTimeMs)
        status = Self.capitalized(ConsultationTerms.name(bulletin.status, in: BulletinDraft.statuses))
        messageType = Self.capitalized(ConsultationTerms.name(bulletin.messageType, in: BulletinDraft.messageTypes))
        scope = "Restricted"
        restriction = "Members of group \(reference.group) of Tocsin network \(network.shortHex) only"
        references = bulletin.references.map { target in
            let targetReference = ConsultationBook.reference(target)
            return [
                Self.sender(network: network, author: targetReference.author),
                Self.identifier(network: network, reference: targetReference),
                Self.time(milliseconds: referenced[targetReference] ?? authorTimeMs),
            ].joined(separator: ",")
        }
        var info = Info()
        info.language = bulletin.language.isEmpty ? "en" : bulletin.language
        info.categories = ["Security"]
        info.event = "Risk of atrocity crimes"
        info.urgency = Self.capitalized(ConsultationTerms.name(bulletin.urgency, in: BulletinDraft.urgencies))
        info.severity = Self.capitalized(ConsultationTerms.name(bulletin.severity, in: BulletinDraft.severities))
        info.certainty = Self.capitalized(ConsultationTerms.name(bulletin.certainty, in: BulletinDraft.certainties))
        if bulletin.expiresMs > 0 { info.expires = Self.time(milliseconds: bulletin.expiresMs) }
        info.senderName = senderName
        info.headline = bulletin.headline
        if !bulletin.description_p.isEmpty { info.description = bulletin.description_p }
        if !bulletin.recommendedActions.isEmpty {
            info.instruction = bulletin.recommendedActions.joined(separator: "\n")
        }
        info.parameters.append(Parameter(Self.referenceParameter, reference.description))
        info.parameters.append(Parameter(Self.countryParameter, bulletin.situation.country))
        for factor in bulletin.riskFactors {
            for value in factor.indicators.isEmpty ? ["\(factor.factor)"] : factor.indicators {
                info.parameters.append(Parameter(Self.riskFactorParameter, value))
            }
        }
        for source in bulletin.sources {
            info.parameters.append(
                Parameter(Self.sourceParameter, source.uri.isEmpty ? source.name : "\(source.name) <\(source.uri)>"))
        }
        info.areas = bulletin.situation.areas.map { area in
            Area(
                description: area.description_p, polygons: area.polygons, circles: area.circles,
                geocodes: area.geocodes.map { Parameter($0.name, $0.value) })
        }
        if info.areas.isEmpty {
            info.areas = [
                Area(
                    description: bulletin.situation.country,
                    geocodes: [Parameter(Self.countryGeocode, bulletin.situation.country)])
            ]
        }
        infos = [info]
    }

    /// What an imported alert becomes: the bulletin draft, the Tocsin bulletins it updates or
    /// cancels, and notes on what was not kept.
    public struct Import: Sendable {
        public var draft: BulletinDraft
        public var references: [EntryReference]
        public var notes: [String]
    }

    /// Maps the alert to a bulletin draft of `network`; refuses what Tocsin cannot carry.
    ///
    /// - Parameters:
    ///   - language: which `info` block to import (its language tag, or a prefix such as
    ///     `fr`); default the first. Tocsin bulletins carry one language.
    ///   - country: the state concerned, when the alert names none (parameter
    ///     `urn:tocsin:country` or an `ISO3166-1` geocode).
    public func bulletinDraft(
        network: NetworkID, language: String? = nil, country: String? = nil
    ) throws(CAPError)
        -> Import
    {
        var notes: [String] = []
        guard ["Actual", "Exercise", "Test"].contains(status) else {
            throw CAPError.refused(
                "status \(status): Tocsin carries Actual, Exercise and Test alerts only (System and Draft messages stay with their sender)"
            )
        }
        guard ["Alert", "Update", "Cancel"].contains(messageType) else {
            throw CAPError.refused(
                "msgType \(messageType): Tocsin imports Alert, Update and Cancel (an Ack or Error answers another message)"
            )
        }
        var targets: [EntryReference] = []
        for triple in references {
            let parts = triple.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else {
                throw CAPError.refused("references: \(triple.prefix(200)) is not sender,identifier,sent")
            }
            guard let target = Self.reference(identifier: parts[1], network: network) else {
                throw CAPError.refused(
                    "references: \(parts[1].prefix(200)) (from \(parts[0].prefix(100))) is not a bulletin of this Tocsin network; an update or cancel must refer to one (export it with tocsin cap export)"
                )
            }
            targets.append(target)
        }
        if messageType != "Alert" && targets.isEmpty {
            throw CAPError.refused("an \(messageType) must name the bulletins it refers to in references")
        }
        guard !infos.isEmpty else { throw CAPError.refused("the alert has no info block: nothing to warn of") }
        let chosen: Int
        if let language {
            guard
                let found = infos.firstIndex(where: {
                    $0.language.lowercased() == language.lowercased()
                        || $0.language.lowercased().hasPrefix(language.lowercased() + "-")
                })
            else {
                throw CAPError.refused(
                    "no info block in language \(language); the alert has \(infos.map(\.language).joined(separator: ", "))"
                )
            }
            chosen = found
        } else {
            chosen = 0
        }
        for (position, other) in infos.enumerated() where position != chosen {
            notes.append(
                "info block \(position + 1) (\(other.language)) not imported: a bulletin carries one language; import it with --language \(other.language)"
            )
        }
        let info = infos[chosen]

        var riskFactors: [String] = []
        var sources: [BulletinDraft.Source] = []
        var named: String?
        for parameter in info.parameters {
            switch parameter.name {
            case Self.riskFactorParameter: riskFactors.append(parameter.value)
            case Self.countryParameter: named = parameter.value
            case Self.sourceParameter:
                if let open = parameter.value.lastIndex(of: "<"), parameter.value.hasSuffix(">") {
                    let name = parameter.value[..<open].trimmingCharacters(in: .whitespaces)
                    let uri = parameter.value[
                        parameter.value.index(after: open)..<parameter.value.index(before: parameter.value.endIndex)]
                    sources.append(BulletinDraft.Source(name: name, uri: String(uri)))
                } else {
                    sources.append(BulletinDraft.Source(name: parameter.value))
                }
            case Self.referenceParameter: continue
            default:
                notes.append("parameter \(parameter.name.prefix(100)) not kept: Tocsin has no field for it")
            }
        }
        if let web = info.web { sources.append(BulletinDraft.Source(name: "web", uri: web)) }
        guard let state = named ?? Self.state(fromGeocodes: info.areas.flatMap(\.geocodes)) ?? country else {
            throw CAPError.stateNotNamed
        }
        var headline = info.headline.map { Whitespace.trimmed($0) } ?? ""
        if headline.isEmpty {
            headline = info.event
            notes.append("no headline: the event (\(info.event.prefix(100))) is the headline")
        }
        var draft = BulletinDraft(
            headline: headline, severity: info.severity.lowercased(), country: state,
            description: info.description ?? "", urgency: info.urgency.lowercased(),
            certainty: info.certainty.lowercased(), status: status.lowercased(), language: info.language)
        draft.messageType = messageType.lowercased()
        draft.references = targets.isEmpty ? nil : targets.map(\.description)
        draft.riskFactors = riskFactors.isEmpty ? nil : riskFactors
        draft.sources = sources.isEmpty ? nil : sources
        let actions = (info.instruction ?? "").split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        draft.recommendedActions = actions.isEmpty ? nil : actions
        if let expires = info.expires {
            guard let milliseconds = Self.milliseconds(expires) else {
                throw CAPError.refused("expires: \(expires.prefix(40)) is not a CAP time (2026-12-31T00:00:00+00:00)")
            }
            draft.expires = ISO8601DateFormatter().string(
                from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
        let areas = info.areas.map { area in
            BulletinDraft.Area(
                description: area.description,
                geocodes: area.geocodes.isEmpty ? nil : area.geocodes.map { .init(name: $0.name, value: $0.value) },
                polygons: area.polygons.isEmpty ? nil : area.polygons,
                circles: area.circles.isEmpty ? nil : area.circles)
        }
        draft.areas = areas.isEmpty ? nil : areas
        return Import(draft: draft, references: targets, notes: notes)
    }
}

extension CAPAlert {
    /// The state an alert's geocodes name, as software that writes CAP writes it: an ISO 3166-1
    /// alpha-2 code (`ISO3166-1`, `ISO 3166-1 alpha-2`, …) or the country part of an
    /// ISO 3166-2 subdivision (`ISO3166-2` `XA-07` → `XA`). Nil when none does, or when they
    /// name different states (the operator then says which).
    public static func state(fromGeocodes geocodes: [Parameter]) -> String? {
        var states: Set<String> = []
        for geocode in geocodes {
            let name = geocode.name.uppercased().filter { !$0.isWhitespace && $0 != "_" }
            let value = geocode.value.trimmingCharacters(in: .whitespaces).uppercased()
            if name.hasPrefix("ISO3166-1") || name == "ISO3166" || name == "ISO3166ALPHA2" {
                if value.count == 2, value.allSatisfy({ $0.isASCII && $0.isLetter }) { states.insert(value) }
            } else if name.hasPrefix("ISO3166-2") {
                let country = value.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
                if country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }), value.contains("-") {
                    states.insert(country)
                }
            }
        }
        return states.count == 1 ? states.first : nil
    }
}
