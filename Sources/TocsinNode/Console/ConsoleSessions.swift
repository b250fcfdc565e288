import Foundation

/// The console's sign-in: one-time tokens, handed out by `tocsin console` through the admin
/// socket (only the node's operator can reach it), each turning into one session held in
/// memory. A session carries its CSRF token and the language chosen in the page.
///
/// Randomness and time are injected; tokens and session ids are 32 random bytes, hex.
public actor ConsoleSessions {
    public struct Session: Sendable, Equatable {
        public let id: String
        /// Sent back with every state-changing request (a form field or a header).
        public let csrfToken: String
        public var language: ConsoleCatalogue.Language
        var lastSeen: Date
    }

    /// How long a sign-in link stays good, and how long an idle session lasts.
    public static let tokenLifetime: TimeInterval = 10 * 60
    public static let idleLifetime: TimeInterval = 12 * 60 * 60
    /// At most this many tokens and sessions are kept (the oldest go first).
    static let maximumCount = 64

    let clock: @Sendable () -> Date
    let random: @Sendable () -> [UInt8]
    var tokens: [String: Date] = [:]
    var sessions: [String: Session] = [:]

    public init(
        clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> [UInt8] = {
            var generator = SystemRandomNumberGenerator()
            return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    ) {
        self.clock = clock
        self.random = random
    }

    /// A new one-time sign-in token.
    public func issueToken() -> String {
        let now = clock()
        tokens = tokens.filter { now.timeIntervalSince($0.value) < Self.tokenLifetime }
        if tokens.count >= Self.maximumCount, let oldest = tokens.min(by: { $0.value < $1.value }) {
            tokens[oldest.key] = nil
        }
        let token = Self.hex(random())
        tokens[token] = now
        return token
    }

    /// The session a token turns into; nil for a token unknown, used or expired.
    public func signIn(token: String) -> Session? {
        let now = clock()
        guard let issued = tokens.removeValue(forKey: token), now.timeIntervalSince(issued) < Self.tokenLifetime else {
            return nil
        }
        sessions = sessions.filter { now.timeIntervalSince($0.value.lastSeen) < Self.idleLifetime }
        if sessions.count >= Self.maximumCount, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen })
        {
            sessions[oldest.key] = nil
        }
        let session = Session(id: Self.hex(random()), csrfToken: Self.hex(random()), language: .english, lastSeen: now)
        sessions[session.id] = session
        return session
    }

    /// The live session `id` names, its idle time restarted; nil otherwise.
    public func session(_ id: String) -> Session? {
        let now = clock()
        guard var session = sessions[id] else { return nil }
        guard now.timeIntervalSince(session.lastSeen) < Self.idleLifetime else {
            sessions[id] = nil
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    public func setLanguage(_ language: ConsoleCatalogue.Language, for id: String) {
        sessions[id]?.language = language
    }

    public func signOut(_ id: String) {
        sessions[id] = nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
