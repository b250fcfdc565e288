import Testing
import TocsinCore

/// Which of two sessions with one peer survives, as a table: the same answer on both sides.
struct PeerSessionsTests {
    /// (this node, peer, the session held was opened here, the new one is opened here, outcome).
    static let table: [(String, String, Bool, Bool, String)] = [
        // The peer came back (restart, dead path): same side as the one held, the new one wins.
        ("RN", "XA", false, false, "replaced"),
        ("RN", "XA", true, true, "replaced"),
        ("XA", "RN", true, true, "replaced"),
        // Both sides dialled: the session the smaller id opened is kept.
        ("RN", "XA", true, false, "refused"),
        ("RN", "XA", false, true, "replaced"),
        ("XA", "RN", true, false, "replaced"),
        ("XA", "RN", false, true, "refused"),
    ]

    @Test(arguments: 0..<table.count) func theSessionKeptFollowsTheRule(row: Int) {
        let (node, peer, heldHere, newHere, expected) = Self.table[row]
        var sessions = PeerSessions<Int>(nodeID: node)
        let first = sessions.established(peer: peer, session: 1, openedHere: heldHere)
        #expect(first == .accepted)
        let outcome = sessions.established(peer: peer, session: 2, openedHere: newHere)
        switch expected {
        case "replaced":
            #expect(outcome == .replaced(old: 1))
            #expect(sessions.session(of: peer) == 2)
        default:
            #expect(outcome == .refused)
            #expect(sessions.session(of: peer) == 1)
        }
    }

    @Test func bothSidesKeepTheSameSessionWhenTheyDialAtOnce() {
        // RN dials XA (session A) while XA dials RN (session B); each side sees both, in
        // either order: both keep A, the one RN (the smaller id) opened.
        for firstOnRN in [true, false] {
            var atRN = PeerSessions<String>(nodeID: "RN")
            var atXA = PeerSessions<String>(nodeID: "XA")
            let orderRN: [(String, Bool)] = firstOnRN ? [("A", true), ("B", false)] : [("B", false), ("A", true)]
            for (session, openedHere) in orderRN {
                _ = atRN.established(peer: "XA", session: session, openedHere: openedHere)
            }
            for (session, openedHere) in [("B", true), ("A", false)] {
                _ = atXA.established(peer: "RN", session: session, openedHere: openedHere)
            }
            #expect(atRN.session(of: "XA") == "A")
            #expect(atXA.session(of: "RN") == "A")
        }
    }

    @Test func onlyTheSessionHeldEndsThePeersConnection() {
        var sessions = PeerSessions<Int>(nodeID: "RN")
        _ = sessions.established(peer: "XA", session: 1, openedHere: false)
        _ = sessions.established(peer: "XA", session: 2, openedHere: false)
        let replacedEnded = sessions.ended(peer: "XA", session: 1)
        #expect(!replacedEnded, "the replaced session ending changes nothing")
        #expect(sessions.peers == ["XA"])
        let heldEnded = sessions.ended(peer: "XA", session: 2)
        #expect(heldEnded)
        #expect(sessions.peers == [])
        let again = sessions.established(peer: "XA", session: 1, openedHere: false)
        #expect(again == .accepted)
        let same = sessions.established(peer: "XA", session: 1, openedHere: false)
        #expect(same == .accepted, "the same session again")
    }
}
