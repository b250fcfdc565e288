/// Which session with each peer the node keeps: one per pair of nodes.
///
/// Two sessions with one peer arise when both sides dial at once, and when a peer comes back
/// while its old session still looks alive here (it restarted, or a path died without a FIN).
/// The rule, the same on both sides so that they keep the same session:
/// - a new session opened from the same side as the one held replaces it at once: its opener
///   gave the old one up;
/// - otherwise both sides dialled: the session opened by the node with the smaller id is kept.
///
/// `Session` identifies a connection (the node uses its channel's identity).
public struct PeerSessions<Session: Hashable & Sendable>: Sendable {
    /// What to do with a session that has just been authenticated.
    public enum Outcome: Hashable, Sendable {
        /// Keep it: no other session with the peer was held.
        case accepted
        /// Keep it and close `old`, which it replaces.
        case replaced(old: Session)
        /// Close it: the session held wins.
        case refused
    }

    struct Held: Sendable {
        let session: Session
        let openedHere: Bool
    }

    /// This node's id.
    public let nodeID: String
    private var held: [String: Held] = [:]

    public init(nodeID: String) {
        self.nodeID = nodeID
    }

    /// A session with `peer` was authenticated; `openedHere` when this node dialled it.
    public mutating func established(peer: String, session: Session, openedHere: Bool) -> Outcome {
        guard let current = held[peer], current.session != session else {
            held[peer] = Held(session: session, openedHere: openedHere)
            return .accepted
        }
        let sameSide = current.openedHere == openedHere
        let openedBySmallerID = openedHere == (nodeID < peer)
        guard sameSide || openedBySmallerID else { return .refused }
        held[peer] = Held(session: session, openedHere: openedHere)
        return .replaced(old: current.session)
    }

    /// A session ended; true when it was the one held for `peer` (the peer is now disconnected).
    public mutating func ended(peer: String, session: Session) -> Bool {
        guard held[peer]?.session == session else { return false }
        held[peer] = nil
        return true
    }

    /// The session held with `peer`.
    public func session(of peer: String) -> Session? { held[peer]?.session }

    /// Whether `session` is the one held with `peer`.
    public func isHeld(_ session: Session, for peer: String) -> Bool { held[peer]?.session == session }

    /// The peers with a session, sorted.
    public var peers: [String] { held.keys.sorted() }

    /// Every session held.
    public var sessions: [Session] { held.values.map(\.session) }

    /// Forgets every session (the node stops, or starts over after a store failure).
    public mutating func removeAll() { held = [:] }
}
