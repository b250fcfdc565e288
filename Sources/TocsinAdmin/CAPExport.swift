/// `GET /v1/bulletins/{group}/{author}/{index}/cap`: that bulletin entry as a CAP 1.2 alert.
public struct CAPExport: Codable, Sendable, Equatable {
    public var reference: String
    public var xml: String

    public init(reference: String, xml: String) {
        self.reference = reference
        self.xml = xml
    }
}
