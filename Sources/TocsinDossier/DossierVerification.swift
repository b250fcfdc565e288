import TocsinCore

/// The result of verifying a dossier: each check in the order PROTOCOL.md §11 gives, with its
/// verdict, and the story the dossier proves.
public struct DossierVerification: Sendable {
    /// One check: the element it concerns (an archive path, `archive` or `manifest.json`),
    /// whether it passed, and what it found, in words.
    public struct Check: Sendable, Equatable {
        public let element: String
        public let passed: Bool
        public let text: String
    }

    public internal(set) var checks: [Check] = []
    public internal(set) var manifest: DossierManifest?
    /// The charter chain the dossier holds, checked against its own authority certificate
    /// (nil when that check failed): whose authority it is, only the reader can tell.
    public internal(set) var chain: CharterChain?
    /// What the dossier tells, as far as its checks got (nil when they stopped before the
    /// consultation: an unreadable archive, manifest or charter).
    public internal(set) var story: DossierStory?

    /// The first check that failed: it names the first element that fails.
    public var firstFailure: Check? { checks.first { !$0.passed } }

    /// Whether every check passed.
    public var isVerified: Bool { firstFailure == nil && story != nil }

    mutating func pass(_ element: String, _ text: String) {
        checks.append(Check(element: element, passed: true, text: text))
    }

    mutating func fail(_ element: String, _ text: String) {
        checks.append(Check(element: element, passed: false, text: text))
    }
}
