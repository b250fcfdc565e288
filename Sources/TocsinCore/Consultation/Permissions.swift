/// Who may do what in a network, under one charter: the one place each rule is written.
///
/// The admin API asks it before it writes an entry for its operator, the sync machine asks
/// it before it shows a peer a feed, and every node's interpretation of the log (the
/// consultation book, the tally, the decision audit) asks it of entries written by others,
/// so a node that writes an entry it may not write gains nothing by it.
///
/// | act | permitted to |
/// | --- | --- |
/// | see a group | its members and its convener (the authority's feed: every node of the charter) |
/// | issue a bulletin | those who see the group |
/// | revise (update or cancel) a bulletin | its author, in the bulletin's own group |
/// | acknowledge a bulletin | those who see its group, other than its author, in its group |
/// | propose | the group's members |
/// | vote | the group's national members |
/// | decide | the group's convener |
public struct Permissions: Sendable {
    /// Something a node may want to do.
    public enum Act: Hashable, Sendable, CustomStringConvertible {
        /// Hold and receive the feeds of a group.
        case see(group: String)
        /// Issue a new bulletin in a group.
        case issue(group: String)
        /// Update or cancel `bulletin` with an entry written in `group`.
        case revise(bulletin: EntryReference, group: String)
        /// Acknowledge `bulletin` with an entry written in `group`.
        case acknowledge(bulletin: EntryReference, group: String)
        /// Table a proposal in a group.
        case propose(group: String)
        /// Vote on the proposals of a group.
        case vote(group: String)
        /// Record the decisions on the proposals of a group.
        case decide(group: String)

        public var description: String {
            switch self {
            case .see(let group): return "see group \(group)"
            case .issue(let group): return "issue bulletins in \(group)"
            case .revise(let bulletin, _): return "update or cancel \(bulletin)"
            case .acknowledge(let bulletin, _): return "acknowledge \(bulletin)"
            case .propose(let group): return "propose in \(group)"
            case .vote(let group): return "vote in \(group)"
            case .decide(let group): return "record decisions in \(group)"
            }
        }
    }

    /// The answer: permitted, or refused with the reason.
    public enum Verdict: Hashable, Sendable, CustomStringConvertible {
        case permitted
        case refused(Refusal)

        public var isPermitted: Bool { self == .permitted }

        public var description: String {
            switch self {
            case .permitted: return "permitted"
            case .refused(let refusal): return refusal.description
            }
        }
    }

    /// Why an act is refused. Made cheaply (the words only when printed): the sync machine
    /// asks on every message.
    public enum Refusal: Hashable, Sendable, CustomStringConvertible {
        case noGroup(String)
        case notMember(node: String, group: String)
        case notAuthor(bulletin: EntryReference)
        case otherGroup(bulletin: EntryReference, group: String)
        case acknowledgedElsewhere(bulletin: EntryReference, group: String)
        case ownBulletin(node: String, bulletin: EntryReference)
        case cannotPropose(node: String, group: String)
        case notVoter(node: String, group: String)
        case notConvener(node: String, group: String, convener: String)
        /// What the log holds forbids it: a cancelled bulletin changes no more.
        case cancelled(bulletin: EntryReference, by: EntryReference)
        /// A vote now would not count: a decision that holds closed the proposal.
        case decided(proposal: EntryReference, by: EntryReference)
        /// A proposal may only make its group's policy stricter.
        case laxerPolicy(group: String, asked: Charter.Policy, policy: Charter.Policy)
        /// A proposal's quorum is a percentage, no lower than its group's.
        case quorum(group: String, asked: Int, minimum: Int)
        /// A proposal must give the members the group's time to deliberate.
        case deliberation(group: String, minutes: Int)
        /// A proposal's deadline falls after its own time, within 366 days.
        case deadline(authorTimeMs: Int64, deadlineMs: Int64)

        public var description: String {
            switch self {
            case .noGroup(let group):
                return "there is no group \(group)"
            case .notMember(let node, let group):
                return "\(node) is not a member of group \(group) in the charter"
            case .notAuthor(let bulletin):
                return "\(bulletin) was issued by \(bulletin.author): only its author may update or cancel it"
            case .otherGroup(let bulletin, let group):
                return "\(bulletin) is in group \(bulletin.group), not \(group)"
            case .acknowledgedElsewhere(let bulletin, let group):
                return "\(bulletin) is acknowledged in its own group \(bulletin.group), not in \(group)"
            case .ownBulletin(let node, let bulletin):
                return "\(bulletin) was issued by \(node): an author does not acknowledge its own bulletin"
            case .cannotPropose(let node, let group):
                return "\(node) is not a voting member of \(group): it cannot propose there (national members propose)"
            case .notVoter(let node, let group):
                return "\(node) is not a voting member of \(group) (national members vote)"
            case .notConvener(let node, let group, let convener):
                return "\(node) is not the convener of \(group) (\(convener) is)"
            case .cancelled(let bulletin, let cancel):
                return "\(bulletin) was cancelled by \(cancel): it changes no more"
            case .decided(let proposal, let decision):
                return "\(proposal) was decided by \(decision): a vote now would not count"
            case .laxerPolicy(let group, let asked, let policy):
                return
                    "policy: \(group) decides by \(policy.rawValue); a proposal may make that stricter, not \(asked.rawValue) (silence may become consensus, majority may become two-thirds)"
            case .quorum(let group, let asked, let minimum):
                return "quorum_percent: \(asked) is not a quorum for \(group): from \(minimum) to 100"
            case .deliberation(let group, let minutes):
                return
                    "deadline: \(group) gives its members at least \(minutes) minutes between a proposal and its deadline"
            case .deadline(let authorTimeMs, let deadlineMs):
                return
                    "deadline: \(deadlineMs) ms must fall after the proposal's own time \(authorTimeMs) ms, within 366 days of it"
            }
        }
    }

    public let charter: Charter

    public init(charter: Charter) {
        self.charter = charter
    }

    /// Whether `node` may do `act`, and if not, why.
    public func verdict(_ node: String, _ act: Act) -> Verdict {
        switch act {
        case .see(AuthorityFeed.group):
            // The authority's feed (the charter's amendments): every node of the charter.
            guard charter.node(node) != nil else { return .refused(.notMember(node: node, group: AuthorityFeed.group)) }
            return .permitted
        case .issue(AuthorityFeed.group), .propose(AuthorityFeed.group), .vote(AuthorityFeed.group),
            .decide(AuthorityFeed.group):
            return .refused(.noGroup(AuthorityFeed.group))
        case .revise(_, AuthorityFeed.group), .acknowledge(_, AuthorityFeed.group):
            return .refused(.noGroup(AuthorityFeed.group))
        case .see(let groupID):
            guard let group = charter.group(groupID) else { return .refused(.noGroup(groupID)) }
            guard group.members.contains(node) || group.convener == node else {
                return .refused(.notMember(node: node, group: groupID))
            }
            return .permitted
        case .issue(let group):
            return verdict(node, .see(group: group))
        case .revise(let bulletin, let group):
            let revision = Self.revision(by: node, in: group, of: bulletin)
            guard revision == .permitted else { return revision }
            return verdict(node, .see(group: group))
        case .acknowledge(let bulletin, let group):
            let acknowledgement = Self.acknowledgement(by: node, in: group, of: bulletin)
            guard acknowledgement == .permitted else { return acknowledgement }
            return verdict(node, .see(group: group))
        case .propose(let groupID):
            guard let group = charter.group(groupID) else { return .refused(.noGroup(groupID)) }
            guard group.members.contains(node), charter.node(node)?.role == .national else {
                return .refused(.cannotPropose(node: node, group: groupID))
            }
            return .permitted
        case .vote(let groupID):
            guard let group = charter.group(groupID) else { return .refused(.noGroup(groupID)) }
            guard group.members.contains(node), charter.node(node)?.role == .national else {
                return .refused(.notVoter(node: node, group: groupID))
            }
            return .permitted
        case .decide(let groupID):
            guard let group = charter.group(groupID) else { return .refused(.noGroup(groupID)) }
            guard group.convener == node else {
                return .refused(.notConvener(node: node, group: groupID, convener: group.convener))
            }
            return .permitted
        }
    }

    /// Whether `node` may do `act`.
    public func permits(_ node: String, _ act: Act) -> Bool {
        verdict(node, act) == .permitted
    }

    /// Whether `node` may table `proposal`, written at `authorTimeMs` in `group`: a voting
    /// member of the group; a policy of the group's family and no laxer (silence → consensus,
    /// majority → two-thirds) and a quorum no lower than the group's (50 when it names none); a
    /// deadline after the proposal's own time by at least the group's deliberation, and within
    /// 366 days of it. Every node applies this to every proposal it reads: a proposal that
    /// fails it is void everywhere.
    public func tabling(
        _ proposal: Tocsin_V1_Proposal, by node: String, authorTimeMs: Int64, in groupID: String
    ) -> Verdict {
        let may = verdict(node, .propose(group: groupID))
        guard may == .permitted, let group = charter.group(groupID) else { return may }
        if let asked = ConsultationTerms.policy(proposal.policy), !asked.isAtLeastAsStrict(as: group.policy) {
            return .refused(.laxerPolicy(group: groupID, asked: asked, policy: group.policy))
        }
        if proposal.quorumPercent > 0 {
            // The group's quorum, or the one a proposal gets when neither names one.
            let minimum = group.quorumPercent ?? Tally.defaultQuorumPercent
            guard (UInt32(minimum)...100).contains(proposal.quorumPercent) else {
                return .refused(.quorum(group: groupID, asked: Int(proposal.quorumPercent), minimum: minimum))
            }
        }
        let year: Int64 = 366 * 86_400_000
        guard proposal.deadlineMs > authorTimeMs, authorTimeMs >= 0,
            proposal.deadlineMs - authorTimeMs <= year
        else { return .refused(.deadline(authorTimeMs: authorTimeMs, deadlineMs: proposal.deadlineMs)) }
        guard proposal.deadlineMs - authorTimeMs >= Int64(group.deliberationMinutes) * 60_000 else {
            return .refused(.deliberation(group: groupID, minutes: group.deliberationMinutes))
        }
        return .permitted
    }

    /// The members of `group` whose votes count.
    public func votingMembers(of group: String) -> Set<String> {
        Set((charter.group(group)?.members ?? []).filter { permits($0, .vote(group: group)) })
    }

    /// The part of the revision rule that needs no charter (the consultation book applies it
    /// to entries as it reads them): only a bulletin's author revises it, in its own group.
    public static func revision(by author: String, in group: String, of bulletin: EntryReference) -> Verdict {
        guard author == bulletin.author else { return .refused(.notAuthor(bulletin: bulletin)) }
        guard group == bulletin.group else { return .refused(.otherGroup(bulletin: bulletin, group: group)) }
        return .permitted
    }

    /// The part of the acknowledgement rule that needs no charter: in the bulletin's own
    /// group, by someone other than its author.
    public static func acknowledgement(by node: String, in group: String, of bulletin: EntryReference) -> Verdict {
        guard group == bulletin.group else {
            return .refused(.acknowledgedElsewhere(bulletin: bulletin, group: group))
        }
        guard bulletin.author != node else { return .refused(.ownBulletin(node: node, bulletin: bulletin)) }
        return .permitted
    }
}
