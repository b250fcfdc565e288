import Foundation

/// One webhook delivery, as `tocsind` hands it to `tocsin notify deliver` on standard input:
/// the daemon, which holds the node's key, links no HTTP client library; the POST runs in a
/// short-lived child process.
public struct WebhookRequest: Codable, Sendable, Equatable {
    /// The webhook's URL (http or https).
    public var url: String
    /// Header fields to send besides `Content-Type: application/json`.
    public var headers: [String: String]
    /// The body, base64.
    public var body: String
    /// How long the whole request may take.
    public var timeoutSeconds: Int

    public init(url: String, headers: [String: String], body: [UInt8], timeoutSeconds: Int) {
        self.url = url
        self.headers = headers
        self.body = Data(body).base64EncodedString()
        self.timeoutSeconds = timeoutSeconds
    }

    /// Only scheme, host and port: a path or query may carry a token, and is never shown.
    public static func shown(_ url: URL) -> String {
        "\(url.scheme ?? "http")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")"
    }
}
