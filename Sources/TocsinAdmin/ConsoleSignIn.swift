/// `POST /v1/console/sign-in`: a one-time link that opens the node's web console.
public struct ConsoleSignIn: Codable, Sendable, Equatable {
    /// `http://<console address>/signin?token=<one-time token>`.
    public var url: String
    /// After this (milliseconds since 1970) the link no longer works.
    public var expiresMs: Int64

    public init(url: String, expiresMs: Int64) {
        self.url = url
        self.expiresMs = expiresMs
    }
}
