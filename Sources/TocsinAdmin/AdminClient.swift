import Foundation
import TocsinCore

#if canImport(Glibc)
    import Glibc
#endif

/// A client of a node's admin API over its Unix socket: one HTTP/1.1 request per
/// connection, answers decoded into the shared models. It blocks its caller's thread while it
/// waits, so it is for command-line tools, tests and benchmarks, not for async code.
public struct AdminClient: Sendable {
    /// The admin socket.
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// An answer as received.
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
    }

    // MARK: - Typed requests

    /// The node, its network and what it holds.
    public func status() throws(AdminClientError) -> NodeStatus { try get("/v1/status") }
    /// A one-time link to the node's web console.
    public func consoleSignIn() throws(AdminClientError) -> ConsoleSignIn {
        try post("/v1/console/sign-in", [String: String]())
    }
    /// The peers it dials and those connected.
    public func peers() throws(AdminClientError) -> [PeerStatus] { try get("/v1/peers") }
    /// Every feed it holds, with its head.
    public func feeds() throws(AdminClientError) -> [FeedReport] { try get("/v1/feeds") }
    /// The fork proofs it holds.
    public func forks() throws(AdminClientError) -> [ForkReport] { try get("/v1/forks") }

    /// `POST /v1/notifications/test`: a test event through every notification channel.
    public func testNotifications() throws(AdminClientError) -> [NotificationTestResult] {
        try post("/v1/notifications/test", [String: String]())
    }

    /// `GET /v1/charter`: every version of the charter held.
    public func charterHistory() throws(AdminClientError) -> CharterHistory { try get("/v1/charter") }

    /// `POST /v1/charter/amendments`: publishes an amendment file (its bytes).
    public func publishAmendment(_ file: [UInt8]) throws(AdminClientError) -> CharterHistory {
        try post("/v1/charter/amendments", AmendmentRequest(amendment: Data(file).base64EncodedString()))
    }

    /// Entries, feed by feed, from `from` in each, at most `limit` (1–10,000).
    public func entries(
        group: String? = nil, author: String? = nil, from: UInt64 = 0, limit: Int = 1000
    ) throws(AdminClientError) -> [EntryReport] {
        var query = ["from=\(from)", "limit=\(limit)"]
        if let group { query.append("group=\(Self.queryValue(group))") }
        if let author { query.append("author=\(Self.queryValue(author))") }
        return try get("/v1/entries?" + query.joined(separator: "&"))
    }

    /// Bulletins, newest first, at most `limit` (1–10,000).
    public func bulletins(limit: Int = 100) throws(AdminClientError) -> [BulletinSummary] {
        try get("/v1/bulletins?limit=\(limit)")
    }

    /// One bulletin (named by its alert or any of its revisions), every field as it stands.
    public func bulletin(_ reference: String) throws(AdminClientError) -> BulletinDetail {
        try get("/v1/bulletins/\(try Self.path(of: reference))")
    }

    /// Issues a bulletin (or, every field given, an update or cancel); its reference.
    public func issue(_ request: BulletinRequest) throws(AdminClientError) -> Created {
        try post("/v1/bulletins", request)
    }

    /// Changes the fields given; the node keeps every other field of the bulletin as it stands.
    public func update(_ reference: String, _ changes: BulletinChanges) throws(AdminClientError) -> Created {
        try post("/v1/bulletins/\(try Self.path(of: reference))/update", changes)
    }

    /// Cancels one of the node's bulletins; `reason` becomes the cancel's description.
    public func cancel(_ reference: String, reason: String? = nil) throws(AdminClientError) -> Created {
        try post("/v1/bulletins/\(try Self.path(of: reference))/cancel", CancelRequest(reason: reason))
    }

    /// A bulletin entry as a CAP 1.2 alert.
    public func capExport(_ reference: String) throws(AdminClientError) -> CAPExport {
        try get("/v1/bulletins/\(try Self.path(of: reference))/cap")
    }

    /// The operator's acknowledgement (read, acted on) of a bulletin.
    public func acknowledge(_ request: AcknowledgementRequest) throws(AdminClientError) -> Created {
        try post("/v1/acknowledgements", request)
    }

    /// Every proposal, open ones first, with its standing and decisions.
    public func proposals() throws(AdminClientError) -> [ProposalSummary] { try get("/v1/proposals") }

    /// One proposal with its votes.
    public func proposal(_ reference: String) throws(AdminClientError) -> ProposalDetail {
        try get("/v1/proposals/\(try Self.path(of: reference))")
    }

    /// Tables a proposal; its reference.
    public func propose(_ request: ProposalRequest) throws(AdminClientError) -> Created {
        try post("/v1/proposals", request)
    }

    /// The node's vote on a proposal; its reference.
    public func vote(_ request: VoteRequest) throws(AdminClientError) -> Created {
        try post("/v1/votes", request)
    }

    // MARK: - HTTP

    /// `GET path`, its answer decoded.
    public func get<Answer: Decodable>(_ path: String) throws(AdminClientError) -> Answer {
        try decode(try exchange("GET", path, body: nil))
    }

    /// `POST path` with `body` as JSON, its answer decoded.
    public func post<Answer: Decodable>(_ path: String, _ body: some Encodable) throws(AdminClientError) -> Answer {
        let data: Data
        do {
            data = try AdminJSON.encode(body)
        } catch {
            throw AdminClientError.malformedRequest(String(describing: error))
        }
        return try decode(try exchange("POST", path, body: data))
    }

    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `<group>/<author>/<index>`, checked, for a path.
    static func path(of reference: String) throws(AdminClientError) -> String {
        do {
            return try EntryReference(parsing: reference).description
        } catch {
            throw AdminClientError.malformedRequest(error.description)
        }
    }

    func decode<Answer: Decodable>(_ response: Response) throws(AdminClientError) -> Answer {
        guard (200..<300).contains(response.status) else {
            let failure =
                (try? AdminJSON.decode(AdminFailure.self, from: response.body))
                ?? AdminFailure(error: "the node answered HTTP \(response.status)")
            throw AdminClientError.refused(status: response.status, failure)
        }
        do {
            return try AdminJSON.decode(Answer.self, from: response.body)
        } catch {
            throw AdminClientError.malformedAnswer(AdminJSON.describe(error))
        }
    }

    /// Sends one request and reads the whole answer.
    public func exchange(_ method: String, _ path: String, body: Data?) throws(AdminClientError) -> Response {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw AdminClientError.unreachable(socket: socketPath, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw AdminClientError.unreachable(socket: socketPath, reason: "the socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw AdminClientError.unreachable(socket: socketPath, reason: String(cString: strerror(errno)))
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: tocsind\r\nConnection: close\r\n"
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let bytes = Array(head.utf8) + Array(body ?? Data())
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            guard result > 0 else {
                throw AdminClientError.unreachable(socket: socketPath, reason: "writing the request failed")
            }
            sent += result
        }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        return try Self.parse(answer)
    }

    static func parse(_ data: Data) throws(AdminClientError) -> Response {
        guard let separator = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw AdminClientError.malformedAnswer("the node sent no HTTP response")
        }
        let lines = String(decoding: data[..<separator.lowerBound], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first,
            let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw AdminClientError.malformedAnswer("the node sent a malformed HTTP status line") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[separator.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var result = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            let end = rest.index(start, offsetBy: size)
            result.append(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return result
    }
}
