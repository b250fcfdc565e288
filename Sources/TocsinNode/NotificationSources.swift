import Foundation
import TocsinAdmin
import TocsinCore

/// The events a node's state holds for its operators, derived from what it reports (the
/// admin API's own models): pure, so the same state always gives the same events with the
/// same ids.
enum NotificationSources {
    /// Bulletins and decisions made before notifications were set up on this node (the
    /// outbox's creation, less this slack) are not rung: a node catching up a group's history
    /// does not page anyone for last year's warnings. What was made since rings, however late
    /// it arrives (a node back from a week offline rings for that week).
    static let slackMs: Int64 = 3_600_000

    struct State {
        var node: String
        var nowMs: Int64
        /// When notifications were first set up here (the outbox's creation).
        var sinceMs: Int64 = 0
        var bulletins: [BulletinSummary] = []
        var proposals: [ProposalSummary] = []
        var forks: [ForkReport] = []
        /// Peers this node dials, with since when each has been unreachable.
        var unreachableSince: [String: Int64] = [:]
        var certificateNotAfterMs: Int64?
    }

    static func events(_ state: State, policy: NotificationPolicy) -> [NotificationEvent] {
        let node = state.node
        let now = state.nowMs
        let oldest = state.sinceMs - slackMs
        func event(
            _ id: String, _ kind: NotificationEvent.Kind, _ summary: String, reference: String? = nil,
            group: String? = nil, severity: String? = nil, stateCode: String? = nil, peer: String? = nil,
            threshold: Int64? = nil
        ) -> NotificationEvent {
            NotificationEvent(
                id: id, kind: kind, node: node, timeMs: now, summary: plain(summary), reference: reference,
                group: group,
                severity: severity, state: stateCode, peer: peer, thresholdMs: threshold)
        }
        var events: [NotificationEvent] = []
        for bulletin in state.bulletins where bulletin.author != node && bulletin.issuedMs >= oldest {
            events.append(
                event(
                    "bulletin:\(bulletin.reference)", .bulletin,
                    "\(bulletin.severity) bulletin \(bulletin.reference) by \(bulletin.author) in \(bulletin.group) about \(bulletin.country): \(bulletin.headline)",
                    reference: bulletin.reference, group: bulletin.group, severity: bulletin.severity,
                    stateCode: bulletin.country))
        }
        let deadlineRules = policy.rules(of: .deadline)
        for proposal in state.proposals {
            if proposal.state == "open" && proposal.standing.notVoted.contains(node) {
                events.append(
                    event(
                        "proposal-awaiting-vote:\(proposal.reference)", .proposalAwaitingVote,
                        "proposal \(proposal.reference) in \(proposal.group) awaits \(node)'s vote: \(proposal.title)",
                        reference: proposal.reference, group: proposal.group))
                // Only the nearest offset that has come: a proposal first seen an hour before
                // its deadline rings "within 1 h", not "within 24 h" too.
                let closes = proposal.closesMs ?? proposal.deadlineMs
                let offsets = Set(deadlineRules.flatMap(\.before)).sorted()
                if now < closes, let offset = offsets.first(where: { now >= closes - $0 }) {
                    events.append(
                        event(
                            "deadline:\(proposal.reference):\(offset)", .deadline,
                            "voting on \(proposal.reference) in \(proposal.group) closes within \(offset / 60_000) min and \(node) has not voted: \(proposal.title)",
                            reference: proposal.reference, group: proposal.group, threshold: offset))
                }
            }
            for decision in proposal.decisions {
                if decision.closedMs >= oldest {
                    events.append(
                        event(
                            "decision:\(decision.reference)", .decision,
                            "decision \(decision.reference) on \(proposal.reference) in \(proposal.group): \(decision.outcome)",
                            reference: decision.reference, group: proposal.group))
                }
                // A flagged decision always rings: a convener cannot backdate it out of sight.
                if decision.holds == false {
                    events.append(
                        event(
                            "decision-flagged:\(decision.reference)", .decisionFlagged,
                            "decision \(decision.reference) on \(proposal.reference) does not follow from the votes: \(decision.findings.joined(separator: "; "))",
                            reference: decision.reference, group: proposal.group))
                }
            }
        }
        for fork in state.forks {
            events.append(
                event(
                    "fork:\(fork.origin)", .fork,
                    "fork proof for \(fork.origin): its author signed two histories (sizes \(fork.firstSize) and \(fork.secondSize)); the feed is frozen"
                ))
        }
        for rule in policy.rules(of: .peerUnreachable) {
            for (peer, since) in state.unreachableSince.sorted(by: { $0.key < $1.key }) where now - since >= rule.after
            {
                events.append(
                    event(
                        "peer-unreachable:\(peer):\(since):\(rule.after)", .peerUnreachable,
                        "\(node) has had no session with \(peer) for \((now - since) / 60_000) min", peer: peer,
                        threshold: rule.after))
            }
        }
        if let notAfter = state.certificateNotAfterMs {
            for rule in policy.rules(of: .certificateExpiring) where notAfter - now <= rule.within {
                events.append(
                    event(
                        "certificate-expiring:\(node):\(notAfter):\(rule.within)", .certificateExpiring,
                        "\(node)'s certificate expires in \(max(0, notAfter - now) / 86_400_000) days: ask the authority for a new one",
                        threshold: rule.within))
            }
        }
        return events
    }

    /// Text from other members (headlines, titles, findings) with every control character
    /// made a space: a summary is one line, and a mail header made of it gets no new header.
    static func plain(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map {
                    [.control, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) ? " " : $0
                }))
    }
}
