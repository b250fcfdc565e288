import TocsinCore

/// What `tocsin cap draft` writes on its standard output: the bulletin a CAP 1.2 alert makes,
/// or why it makes none. The console imports alerts through it, so that the daemon never
/// parses XML itself.
public struct CAPDraft: Codable, Sendable, Equatable {
    /// The bulletin to issue; nil when the alert was refused.
    public var draft: BulletinDraft?
    /// What the alert carries that a bulletin has no place for.
    public var notes: [String]
    /// Why the alert makes no bulletin; nil when it makes one.
    public var refusal: String?
    /// True when the only thing missing is the state concerned: the alert names none, and
    /// none was given.
    public var stateNotNamed: Bool

    public init(draft: BulletinDraft?, notes: [String], refusal: String?, stateNotNamed: Bool) {
        self.draft = draft
        self.notes = notes
        self.refusal = refusal
        self.stateNotNamed = stateNotNamed
    }
}
