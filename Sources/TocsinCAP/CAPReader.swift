import Foundation
import TocsinCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads CAP 1.2 XML into a `CAPAlert`, noting what Tocsin does not keep.
///
/// A target of its own so that the daemon never links an XML parser: alerts are read by the
/// `tocsin` command, which sends the node a bulletin. External entities are never resolved.
public enum CAPReader {
    public struct Result: Sendable {
        public let alert: CAPAlert
        /// Elements present in the alert that a bulletin has no place for.
        public let notes: [String]
    }

    /// The largest alert read (CAP alerts with embedded resources can be large; Tocsin keeps none).
    public static let maximumByteCount = 1 << 20

    /// Refuses `<?` anywhere but a leading `<?xml version=…?>` declaration.
    static func refuseProcessingInstructions(_ data: Data) throws(CAPError) {
        let bytes = [UInt8](data)
        var start = 0
        // A byte order mark and white space may come first.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        var rest = bytes[start...]
        if rest.starts(with: Array("<?".utf8)) {
            guard rest.starts(with: Array("<?xml version=".utf8)), rest.firstRange(of: Array("?>".utf8)) != nil else {
                throw CAPError.notCAP("the document does not start with an XML declaration of its version")
            }
            rest = rest.dropFirst(2)
        }
        if rest.firstRange(of: Array("<?".utf8)) != nil {
            throw CAPError.notCAP("the document holds a processing instruction, which CAP 1.2 alerts never carry")
        }
    }

    public static func read(_ data: Data) throws(CAPError) -> Result {
        guard data.count <= maximumByteCount else {
            throw CAPError.notCAP("\(data.count) bytes, more than the limit of \(maximumByteCount)")
        }
        // UTF-8 only (as the alerts Tocsin exchanges are): Foundation's XML parser traps on an
        // element name that is not valid UTF-8, so such bytes never reach it.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw CAPError.notCAP("the document is not valid UTF-8 (Tocsin reads UTF-8 CAP alerts only)")
        }
        // No processing instruction but the XML declaration at the start: CAP alerts carry
        // none, and Foundation's parser fails on an empty one (`<?xml?>` further on).
        try refuseProcessingInstructions(data)
        // CAP has no document type: a declaration could only define entities to expand.
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil || data.range(of: Data("<!doctype".utf8)) != nil {
            throw CAPError.notCAP("the document declares a DOCTYPE, which CAP 1.2 alerts never carry")
        }
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), builder.failure == nil, builder.stack.isEmpty, let root = builder.root else {
            let reason =
                builder.failure ?? parser.parserError.map { "\($0.localizedDescription)" }
                ?? (builder.stack.isEmpty ? "unreadable XML" : "the document ends inside <\(builder.stack.last!.name)>")
            throw CAPError.notCAP("line \(parser.lineNumber): \(reason)")
        }
        guard root.name == "alert", root.namespace == CAPAlert.namespace else {
            throw CAPError.notCAP(
                "the root element is {\(root.namespace)}\(root.name), not {\(CAPAlert.namespace)}alert")
        }
        var notes: [String] = []
        var alert = CAPAlert()
        func required(_ element: Element, _ name: String) throws(CAPError) -> String {
            guard let value = element.child(name)?.text else {
                throw CAPError.notCAP("<\(element.name)> lacks <\(name)>")
            }
            return value
        }
        alert.identifier = try required(root, "identifier")
        alert.sender = try required(root, "sender")
        alert.sent = try required(root, "sent")
        guard CAPAlert.milliseconds(alert.sent) != nil else {
            throw CAPError.notCAP("sent: \(alert.sent.prefix(40)) is not a CAP time (2026-11-26T20:25:28+00:00)")
        }
        alert.status = try required(root, "status")
        alert.messageType = try required(root, "msgType")
        alert.scope = try required(root, "scope")
        alert.restriction = root.child("restriction")?.text
        alert.references = (root.child("references")?.text ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        for name in ["source", "addresses", "code", "note", "incidents"] where root.child(name) != nil {
            notes.append("<\(name)> not kept: a bulletin has no field for it")
        }
        for block in root.children where block.name == "info" {
            var info = CAPAlert.Info()
            info.language = block.child("language")?.text ?? "en-US"
            info.categories = block.children(named: "category").map(\.text)
            info.event = try required(block, "event")
            info.urgency = try required(block, "urgency")
            info.severity = try required(block, "severity")
            info.certainty = try required(block, "certainty")
            info.expires = block.child("expires")?.text
            info.senderName = block.child("senderName")?.text
            info.headline = block.child("headline")?.text
            info.description = block.child("description")?.text
            info.instruction = block.child("instruction")?.text
            info.web = block.child("web")?.text
            info.parameters = block.children(named: "parameter").map {
                CAPAlert.Parameter($0.child("valueName")?.text ?? "", $0.child("value")?.text ?? "")
            }
            info.areas = block.children(named: "area").map { area in
                CAPAlert.Area(
                    description: area.child("areaDesc")?.text ?? "",
                    polygons: area.children(named: "polygon").map(\.text),
                    circles: area.children(named: "circle").map(\.text),
                    geocodes: area.children(named: "geocode").map {
                        CAPAlert.Parameter($0.child("valueName")?.text ?? "", $0.child("value")?.text ?? "")
                    })
            }
            for name in ["responseType", "audience", "eventCode", "effective", "onset", "contact", "resource"]
            where block.child(name) != nil {
                notes.append("<\(name)> of info (\(info.language)) not kept: a bulletin has no field for it")
            }
            if block.children(named: "area").contains(where: {
                $0.child("altitude") != nil || $0.child("ceiling") != nil
            }) {
                notes.append("<altitude> and <ceiling> of areas not kept")
            }
            alert.infos.append(info)
        }
        return Result(alert: alert, notes: notes)
    }

    /// One XML element: local name, namespace, text and children.
    final class Element {
        let name: String
        let namespace: String
        var text = ""
        var children: [Element] = []

        init(name: String, namespace: String) {
            self.name = name
            self.namespace = namespace
        }

        func child(_ name: String) -> Element? {
            children.first { $0.name == name && $0.namespace == namespace }
        }

        func children(named name: String) -> [Element] {
            children.filter { $0.name == name && $0.namespace == namespace }
        }
    }

    /// Builds the element tree; refuses documents deeper or larger than any CAP alert.
    final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: Element?
        var stack: [Element] = []
        var elements = 0
        var failure: String?
        private var stopped = false

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            guard continues(parser) else { return }
            elements += 1
            guard stack.count < 16, elements < 20_000 else {
                failure = "nested deeper or with more elements than a CAP alert"
                _ = continues(parser)
                return
            }
            let element = Element(name: elementName, namespace: namespaceURI ?? "")
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            stack.append(element)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            guard continues(parser) else { return }
            if let element = stack.popLast() {
                element.text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard continues(parser) else { return }
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard continues(parser) else { return }
            stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
        }

        /// The first error ends the reading. On Linux the parser otherwise goes on past
        /// well-formedness errors, reports each (and leaks memory for each, about 100 bytes,
        /// found by fuzzing), and can return success for a document that is not well-formed.
        /// It is stopped at the next callback: stopping it inside the error callback makes
        /// libxml2 read freed memory (found by fuzzing too).
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            let code = (parseError as NSError).code
            guard failure == nil, !Self.libxml2Warnings.contains(code) else { return }
            failure = "not well-formed XML (libxml2 error \(code)), column \(parser.columnNumber)"
        }

        /// libxml2's warning codes (`XML_WAR_*` in xmlerror.h): reported through the same
        /// callback, they do not make a document ill-formed (a relative namespace URI, an
        /// unknown XML version, an `xml:lang` value).
        static let libxml2Warnings: Set<Int> = [27, 93, 97, 98, 99, 100, 102, 106, 107]

        // The other callbacks stop the parser too, so that a run of errors among comments or
        // namespace declarations ends at the first.
        func parser(_ parser: XMLParser, foundComment comment: String) { _ = continues(parser) }
        func parser(_ parser: XMLParser, foundIgnorableWhitespace whitespaceString: String) { _ = continues(parser) }
        func parser(_ parser: XMLParser, didStartMappingPrefix prefix: String, toURI namespaceURI: String) {
            _ = continues(parser)
        }
        func parser(_ parser: XMLParser, didEndMappingPrefix prefix: String) { _ = continues(parser) }

        /// False, having stopped the parser, once an error was reported.
        private func continues(_ parser: XMLParser) -> Bool {
            guard failure != nil else { return true }
            if !stopped {
                stopped = true
                parser.abortParsing()
            }
            return false
        }
    }
}
