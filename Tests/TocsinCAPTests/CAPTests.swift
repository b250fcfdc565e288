import Foundation
import Testing
import TocsinCAP
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// CAP 1.2 export validates against the official OASIS schema (with `xmllint`); alerts made by
/// other software import; what Tocsin cannot carry is refused with the reason.
struct CAPTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Docs/cap/CAP-v1.2.xsd")
    static let network = NetworkID(digest: SHA256.hash(Array("a fictional charter".utf8)))

    /// Validates `xml` with `xmllint --schema`; returns its complaints, or nil when valid.
    static func schemaErrors(_ xml: String) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-cap-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ExternalCommand.onPath("xmllint", ["--noout", "--schema", schema.path, file.path]).run()
        return result.status == 0 ? nil : result.errorOutput + result.output
    }

    static func fullBulletin() throws -> Tocsin_V1_Bulletin {
        var draft = BulletinDraft(
            headline: "Exercise: militias & \"self-defence\" groups <forming> in XA", severity: "severe", country: "XA",
            description: "Fictional exercise.\nSecond line.", urgency: "expected", certainty: "likely",
            status: "exercise", language: "en")
        draft.areas = [
            .init(
                description: "Eastern valleys of XA", geocodes: [.init(name: "ISO3166-2", value: "XA-EV")],
                polygons: ["10.5,20.1 10.9,20.1 10.9,20.6 10.5,20.1"], circles: ["10.7,20.3 15"])
        ]
        draft.riskFactors = ["8.3", "10", "9.1"]
        draft.sources = [.init(name: "Field office (fictional)", uri: "https://example.org/report")]
        draft.recommendedActions = ["Monitor broadcasts", "Prepare a fact-finding mission"]
        draft.expires = "2099-01-01T00:00:00Z"
        return try draft.bulletin()
    }

    @Test func anExportedBulletinValidatesAgainstTheOfficialSchema() throws {
        let bulletin = try Self.fullBulletin()
        let reference = EntryReference(group: "nro", author: "XA", index: 7)
        let alert = CAPAlert(
            bulletin: bulletin, reference: reference, network: Self.network, authorTimeMs: 1_800_000_000_123,
            senderName: "National focal point of XA (fictional state)", referenced: [:])
        let xml = alert.xml()
        #expect(try Self.schemaErrors(xml) == nil)
        #expect(xml.contains("<sent>2027-01-15T08:00:00+00:00</sent>"))
        #expect(xml.contains("<valueName>urn:tocsin:risk-factor</valueName>"))
        #expect(xml.contains("&amp; &quot;self-defence&quot; groups &lt;forming&gt;"))

        // An update refers to what it updates by CAP's sender,identifier,sent.
        var update = bulletin
        update.messageType = .update
        update.references = [ConsultationBook.message(reference, leafHash: SHA256.hash([1]))]
        let updateXML = CAPAlert(
            bulletin: update, reference: EntryReference(group: "nro", author: "XA", index: 9), network: Self.network,
            authorTimeMs: 1_800_000_100_000, senderName: "XA", referenced: [reference: 1_800_000_000_123]
        ).xml()
        #expect(try Self.schemaErrors(updateXML) == nil)
        #expect(updateXML.contains("<msgType>Update</msgType>"))
        #expect(
            updateXML.contains(
                "<references>XA@tocsin-\(Self.network.shortHex),tocsin:\(Self.network.shortHex):nro:XA:7,2027-01-15T08:00:00+00:00</references>"
            ))
    }

    @Test func anExportedBulletinImportsBackToTheSameBulletin() throws {
        let bulletin = try Self.fullBulletin()
        let xml = CAPAlert(
            bulletin: bulletin, reference: EntryReference(group: "nro", author: "XA", index: 7), network: Self.network,
            authorTimeMs: 1_800_000_000_000, senderName: "XA", referenced: [:]
        ).xml()
        let read = try CAPReader.read(Data(xml.utf8))
        #expect(read.notes.isEmpty)
        let imported = try read.alert.bulletinDraft(network: Self.network)
        #expect(imported.notes.isEmpty)
        #expect(try imported.draft.bulletin() == bulletin)
    }

    /// A CAP alert as other software writes it: prefixed namespace, two languages, polygons,
    /// circles, geocodes, parameters and elements Tocsin has no field for.
    static let foreignAlert = """
        <?xml version="1.0" encoding="UTF-8"?>
        <cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
          <cap:identifier>FREWS-2026-0042</cap:identifier>
          <cap:sender>desk@frews.example</cap:sender>
          <cap:sent>2026-11-20T09:30:00-03:00</cap:sent>
          <cap:status>Exercise</cap:status>
          <cap:msgType>Alert</cap:msgType>
          <cap:source>Desk officer</cap:source>
          <cap:scope>Public</cap:scope>
          <cap:info>
            <cap:language>en-GB</cap:language>
            <cap:category>Security</cap:category>
            <cap:event>Incitement to violence</cap:event>
            <cap:urgency>Immediate</cap:urgency>
            <cap:severity>Extreme</cap:severity>
            <cap:certainty>Observed</cap:certainty>
            <cap:eventCode><cap:valueName>FREWS</cap:valueName><cap:value>INC</cap:value></cap:eventCode>
            <cap:expires>2099-11-27T09:30:00-03:00</cap:expires>
            <cap:headline>Radio broadcasts incite violence against a minority in XB</cap:headline>
            <cap:description>Broadcasts since Monday (fictional exercise).</cap:description>
            <cap:instruction>Alert the national focal point
        Document the broadcasts</cap:instruction>
            <cap:web>https://frews.example/2026-0042</cap:web>
            <cap:parameter><cap:valueName>urn:tocsin:risk-factor</cap:valueName><cap:value>9.1</cap:value></cap:parameter>
            <cap:parameter><cap:valueName>FREWS-LEVEL</cap:valueName><cap:value>3</cap:value></cap:parameter>
            <cap:area>
              <cap:areaDesc>Capital district</cap:areaDesc>
              <cap:polygon>1.0,2.0 1.5,2.0 1.5,2.5 1.0,2.0</cap:polygon>
              <cap:circle>1.2,2.2 5.5</cap:circle>
              <cap:geocode><cap:valueName>ISO3166-1</cap:valueName><cap:value>XB</cap:value></cap:geocode>
            </cap:area>
            <cap:area>
              <cap:areaDesc>Northern border</cap:areaDesc>
              <cap:circle>3.0,4.0 20</cap:circle>
            </cap:area>
          </cap:info>
          <cap:info>
            <cap:language>fr</cap:language>
            <cap:category>Security</cap:category>
            <cap:event>Incitation à la violence</cap:event>
            <cap:urgency>Immediate</cap:urgency>
            <cap:severity>Extreme</cap:severity>
            <cap:certainty>Observed</cap:certainty>
            <cap:headline>Des émissions de radio incitent à la violence contre une minorité en XB</cap:headline>
            <cap:area><cap:areaDesc>District de la capitale</cap:areaDesc></cap:area>
          </cap:info>
        </cap:alert>
        """

    @Test func anAlertFromOtherSoftwareImportsWithNotesOnWhatIsNotKept() throws {
        #expect(try Self.schemaErrors(Self.foreignAlert) == nil, "the fixture itself is valid CAP 1.2")
        let read = try CAPReader.read(Data(Self.foreignAlert.utf8))
        #expect(read.alert.infos.count == 2)
        #expect(read.notes.contains { $0.contains("<source>") })
        #expect(read.notes.contains { $0.contains("<eventCode>") })
        let imported = try read.alert.bulletinDraft(network: Self.network)
        let bulletin = try imported.draft.bulletin()
        #expect(bulletin.headline == "Radio broadcasts incite violence against a minority in XB")
        #expect(bulletin.situation.country == "XB")
        #expect(bulletin.status == .exercise)
        #expect(bulletin.severity == .extreme && bulletin.urgency == .immediate && bulletin.certainty == .observed)
        #expect(bulletin.situation.areas.count == 2)
        #expect(bulletin.situation.areas[0].polygons == ["1.0,2.0 1.5,2.0 1.5,2.5 1.0,2.0"])
        #expect(bulletin.situation.areas[0].circles == ["1.2,2.2 5.5"])
        #expect(bulletin.situation.areas[0].geocodes.map(\.value) == ["XB"])
        #expect(bulletin.riskFactors.map(\.factor) == [9])
        #expect(bulletin.recommendedActions == ["Alert the national focal point", "Document the broadcasts"])
        #expect(bulletin.sources.map(\.uri) == ["https://frews.example/2026-0042"])
        #expect(bulletin.language == "en-GB")
        let expires = try #require(ISO8601DateFormatter().date(from: "2099-11-27T12:30:00Z"))
        #expect(bulletin.expiresMs == Int64(expires.timeIntervalSince1970 * 1000))
        #expect(imported.notes.contains { $0.contains("FREWS-LEVEL") })
        #expect(imported.notes.contains { $0.contains("--language fr") })
        // The French block on request: it names no country, so the importer asks for one.
        #expect(throws: CAPError.self) { try read.alert.bulletinDraft(network: Self.network, language: "fr") }
        let french = try read.alert.bulletinDraft(network: Self.network, language: "fr", country: "XB")
        #expect(try french.draft.bulletin().headline.hasPrefix("Des émissions"))
        #expect(french.draft.country == "XB")
    }

    @Test func whatTocsinCannotCarryIsRefusedWithTheReason() throws {
        func refusal(_ replace: String, _ with: String, language: String? = nil) -> String {
            let xml = Self.foreignAlert.replacingOccurrences(of: replace, with: with)
            do {
                let read = try CAPReader.read(Data(xml.utf8))
                _ = try read.alert.bulletinDraft(network: Self.network, language: language)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal("<cap:status>Exercise</cap:status>", "<cap:status>Draft</cap:status>").contains("status Draft"))
        #expect(refusal("<cap:msgType>Alert</cap:msgType>", "<cap:msgType>Ack</cap:msgType>").contains("msgType Ack"))
        #expect(
            refusal(
                "<cap:msgType>Alert</cap:msgType>",
                "<cap:msgType>Update</cap:msgType><cap:references>desk@frews.example,FREWS-2026-0041,2026-11-19T09:30:00-03:00</cap:references>"
            ).contains("not a bulletin of this Tocsin network"))
        #expect(
            refusal("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1").contains(
                "not a CAP 1.2 alert"))
        #expect(refusal("<cap:value>XB</cap:value>", "<cap:value>XBB</cap:value>").contains("--country"))
        #expect(refusal("2026-11-20T09:30:00-03:00", "20 November 2026").contains("not a CAP time"))
        #expect(
            refusal("<cap:severity>Extreme</cap:severity>", "<cap:severity>Catastrophic</cap:severity>") == "accepted")
        #expect(refusal("</cap:alert>", "").contains("not a CAP 1.2 alert"))
        #expect(refusal("", "", language: "de").contains("no info block in language de"))
        // A severity CAP does not know is refused when the bulletin is checked, naming the field.
        let odd = Self.foreignAlert.replacingOccurrences(of: ">Extreme<", with: ">Catastrophic<")
        let imported = try CAPReader.read(Data(odd.utf8)).alert.bulletinDraft(network: Self.network)
        #expect(throws: BulletinError.self) { try imported.draft.bulletin() }
    }

    @Test func externalEntitiesAreNeverResolved() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-secret-\(UUID().uuidString)")
        try Data("TOPSECRETMARKER".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        let xml = Self.foreignAlert.replacingOccurrences(
            of: #"<?xml version="1.0" encoding="UTF-8"?>"#,
            with:
                #"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE alert [<!ENTITY leak SYSTEM "file://\#(secret.path)">]>"#
        ).replacingOccurrences(of: "Broadcasts since Monday", with: "&leak;")
        // The document is refused for its DOCTYPE, before any parsing.
        #expect(throws: CAPError.notCAP("the document declares a DOCTYPE, which CAP 1.2 alerts never carry")) {
            try CAPReader.read(Data(xml.utf8))
        }
        // An internal entity that would multiply itself is refused the same way.
        let bomb = Self.foreignAlert.replacingOccurrences(
            of: #"<?xml version="1.0" encoding="UTF-8"?>"#,
            with: #"<?xml version="1.0" encoding="UTF-8"?><!doctype alert [<!ENTITY a "aaaaaaaaaa">]>"#)
        #expect(throws: CAPError.self) { try CAPReader.read(Data(bomb.utf8)) }
    }

    /// Found by fuzzing: Foundation's XML parser traps on an element name that is not valid
    /// UTF-8. Such a file is refused before it reaches the parser.
    @Test func anAlertThatIsNotUTF8IsRefusedBeforeParsing() throws {
        var bytes = Array(Self.foreignAlert.utf8)
        let name = try #require(Self.foreignAlert.range(of: "<cap:identifier>"))
        bytes[Self.foreignAlert.utf8.distance(from: Self.foreignAlert.startIndex, to: name.lowerBound) + 7] = 0xE6
        #expect(throws: CAPError.notCAP("the document is not valid UTF-8 (Tocsin reads UTF-8 CAP alerts only)")) {
            try CAPReader.read(Data(bytes))
        }
    }

    /// Found by fuzzing: Foundation's XML parser reads a null pointer on an empty processing
    /// instruction. None but the leading XML declaration is let through.
    @Test func processingInstructionsAreRefusedBeforeParsing() throws {
        for instruction in ["<?xml?>", "<?php echo 1 ?>"] {
            let xml = Self.foreignAlert.replacingOccurrences(
                of: "<cap:sender>", with: "\(instruction)<cap:sender>")
            #expect(
                throws: CAPError.notCAP("the document holds a processing instruction, which CAP 1.2 alerts never carry")
            ) { try CAPReader.read(Data(xml.utf8)) }
        }
        // The declaration itself is fine, and required to be one when the document starts with `<?`.
        #expect(throws: Never.self) { try CAPReader.read(Data(Self.foreignAlert.utf8)) }
        #expect(throws: CAPError.self) { try CAPReader.read(Data(("<?xml?>" + Self.foreignAlert).utf8)) }
    }

    /// Found by fuzzing: on Linux, Foundation's XML parser goes on past a well-formedness error,
    /// reporting every later one (each leaking memory), and may return success. The first
    /// error ends the reading, and the document is refused.
    @Test(arguments: [
        ("</cap:headline>", "</cap:hedline>"), ("<cap:sender>", "<cap:sender>&undefined;"),
        ("<cap:sender>", "<cap:sender>a < b"), ("</cap:alert>", "</cap:alert><cap:alert>"),
    ])
    func aDocumentThatIsNotWellFormedIsRefusedAtTheFirstError(replace: String, with: String) throws {
        // (Warnings are not errors: see `warningsDoNotRefuseADocument`.)
        let xml = Self.foreignAlert.replacingOccurrences(of: replace, with: with)
        #expect {
            try CAPReader.read(Data(xml.utf8))
        } throws: { error in
            "\(error)".contains("not well-formed XML")
        }
    }

    /// libxml2 reports warnings through the error callback too; they do not refuse an alert.
    @Test func warningsDoNotRefuseADocument() throws {
        let relative = Self.foreignAlert.replacingOccurrences(
            of: "<cap:alert ", with: "<cap:alert xmlns:extra=\"relative/uri\" ")
        #expect(relative != Self.foreignAlert)
        #expect(throws: Never.self) { try CAPReader.read(Data(relative.utf8)) }
    }
}

extension CAPTests {
    /// Alerts from other software rarely carry Tocsin's country parameter: the import takes the
    /// state from the ISO 3166-1 or ISO 3166-2 geocodes the alert does carry, whatever their
    /// spelling, and asks only when nothing names one state.
    @Test(
        arguments: [
            ([("ISO3166-1", "XA")], "XA"), ([("ISO 3166-1 alpha-2", "xb")], "XB"), ([("ISO3166-2", "XC-07")], "XC"),
            ([("iso3166-2", "XD-NORTH"), ("FIPS6", "12345")], "XD"),
            ([("ISO3166-2", "XA-01"), ("ISO3166-1", "XA")], "XA"),
            ([("ISO3166-2", "XA-01"), ("ISO3166-2", "XB-02")], nil), ([("ISO3166-2", "XA")], nil),
            ([("SAME", "006037")], nil),
            ([("ISO3166-1", "X1")], nil),
        ] as [([(String, String)], String?)])
    func theStateConcernedIsReadFromISO3166Geocodes(geocodes: [(String, String)], state: String?) {
        #expect(CAPAlert.state(fromGeocodes: geocodes.map { CAPAlert.Parameter($0.0, $0.1) }) == state)
    }
}
