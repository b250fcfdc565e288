import TocsinCrypto

extension ConsultationMachine {
    /// The decision `reference` as held, with the proposal it decides.
    public func heldDecision(_ reference: EntryReference) -> ConsultationBook.Item<Tocsin_V1_Decision>? {
        for decisions in book.decisions.values {
            if let decision = decisions.first(where: { $0.reference == reference }) { return decision }
        }
        return nil
    }

    /// Why `referral` does not count (PROTOCOL.md §2, "referral"): empty when it does; nil while
    /// it cannot be judged yet (its decision held but not yet audited, or neither held nor
    /// provable from its dossier).
    ///
    /// Where this node holds the decision, its own audit speaks; elsewhere (an observer outside
    /// the proposal's group) the dossier the referral carries proves the decision, the proposal
    /// and the audit's verdict.
    func referralFindings(_ referral: ConsultationBook.Item<Tocsin_V1_Referral>) -> [String]? {
        let decisionReference = ConsultationBook.reference(referral.payload.decision)
        // Verified only when needed: it costs a dossier's worth of signature checks.
        lazy var dossier = configuration.referralDossierCheck.map {
            $0(Array(referral.payload.dossier), decisionReference, configuration.chain)
        }
        let decision: ConsultationBook.Item<Tocsin_V1_Decision>
        let proposal: ConsultationBook.Item<Tocsin_V1_Proposal>?
        let holds: Bool
        if let held = heldDecision(decisionReference) {
            guard let findings = verdicts[held.reference] else { return nil }
            decision = held
            proposal = book.proposals[ConsultationBook.reference(held.payload.proposal)]
            holds = findings.isEmpty
        } else if !hasConvened(referral.reference.author, group: decisionReference.group) {
            // Checked before the dossier, which costs a dossier's worth of signature checks: a
            // referral by anyone else counts for nothing whatever it carries.
            return [
                "written by \(referral.reference.author), who convenes \(decisionReference.group) under no version of the charter"
            ]
        } else if case .success(let proven) = dossier {
            decision = proven.decision
            proposal = proven.proposal
            holds = proven.holds
        } else if case .failure(let failure) = dossier {
            return ["its dossier does not hold: \(failure.reason)"]
        } else {
            return nil
        }
        guard decision.leafHash.bytes == Array(referral.payload.decision.leafHash) else {
            return ["names \(decisionReference) with another leaf hash than the decision"]
        }
        guard holds else { return ["names \(decisionReference), a decision that does not hold"] }
        guard decision.payload.outcome == .adopted else {
            return ["names \(decisionReference), which does not adopt its proposal"]
        }
        let proposalReference = ConsultationBook.reference(decision.payload.proposal)
        guard let proposal, proposal.reference == proposalReference,
            proposal.leafHash.bytes == Array(decision.payload.proposal.leafHash),
            proposal.payload.action == .referralToUn
        else {
            return ["names \(decisionReference), whose proposal \(proposalReference) is not a referral to the UN"]
        }
        guard let charter = charter(ofProposal: proposal.payload, authorTimeMs: proposal.authorTimeMs),
            let group = charter.group(proposalReference.group)
        else { return ["names a proposal of no group of the charter"] }
        var problems: [String] = []
        if referral.reference.author != group.convener {
            problems.append("written by \(referral.reference.author), not by the convener \(group.convener)")
        }
        if group.referralObservers.isEmpty {
            problems.append("group \(group.id) names no referral observers")
        } else {
            if referral.reference.group != group.referralGroup {
                problems.append(
                    "written in \(referral.reference.group), not in the referral group \(group.referralGroup)")
            }
            if referral.payload.observers != group.referralObservers {
                problems.append(
                    "addressed to \(referral.payload.observers.joined(separator: ", ")), not to the group's referral observers \(group.referralObservers.joined(separator: ", "))"
                )
            }
        }
        if problems.isEmpty, case .failure(let failure) = dossier {
            problems.append("its dossier does not hold: \(failure.reason)")
        }
        if problems.isEmpty,
            let first = book.referrals[decisionReference]?.first(where: {
                referralVerdicts[$0.reference]?.isEmpty == true
            }),
            first.reference != referral.reference
        {
            problems.append("\(decisionReference) is already referred by \(first.reference)")
        }
        return problems
    }

    /// The referral of this node's `decision` was put off: an entry its dossier must prove is
    /// not witnessed yet (a late acknowledgement, say). It is tried again some seconds later.
    public mutating func referralDeferred(_ decision: EntryReference, reason: String) -> [Action] {
        referralRetryAtMs[decision] = .some(nil)
        return [.log(LogLine(.debug, "referral deferred", ["decision": "\(decision)", "error": reason]))]
    }

    /// Whether `node` convenes `group` under some version of the charter held.
    func hasConvened(_ node: String, group: String) -> Bool {
        let versions = configuration.chain?.versions.map(\.charter) ?? [configuration.charter]
        return versions.contains { $0.group(group)?.convener == node }
    }

    /// Judges each referral held once its decision is; a referral addressed to this node is
    /// acknowledged as received, as members acknowledge a bulletin.
    mutating func judgeReferrals(nowMs: Int64) -> [Action] {
        var actions: [Action] = []
        for decision in book.referrals.keys.sorted() {
            for referral in book.referrals[decision]! where referralVerdicts[referral.reference] == nil {
                guard let findings = referralFindings(referral) else { continue }
                referralVerdicts[referral.reference] = findings
                let metadata = ["referral": "\(referral.reference)", "decision": "\(decision)"]
                if findings.isEmpty {
                    actions.append(.log(LogLine(.notice, "referral verified", metadata)))
                    if referral.payload.observers.contains(nodeID),
                        !book.acknowledgedReceipt(of: referral.reference, by: nodeID)
                    {
                        referralReceiptsDue.append(referral.reference)
                    }
                } else {
                    actions.append(
                        .log(
                            LogLine(
                                .warning, "referral does not count",
                                metadata.merging(["findings": findings.joined(separator: "; ")]) { a, _ in a })))
                }
            }
        }
        let due = referralReceiptsDue.filter { !book.acknowledgedReceipt(of: $0, by: nodeID) }
        referralReceiptsDue = []
        for (group, references) in Dictionary(grouping: due, by: \.group).sorted(by: { $0.key < $1.key }) {
            let entries = references.compactMap { reference -> [UInt8]? in
                guard let referral = book.referrals.values.joined().first(where: { $0.reference == reference }) else {
                    return nil
                }
                return ConsultationEntries.acknowledgement(
                    of: reference, leafHash: referral.leafHash, level: .received, authorTimeMs: nowMs)
            }
            actions.append(.append(group: group, entries: entries, purpose: .acknowledgeReceipt(references)))
        }
        return actions
    }

    /// Where this node convenes: each of its decisions that holds, adopts a referral to the UN
    /// and is witnessed (so that the dossier proves it to a witnessed checkpoint) is referred
    /// to the observers the charter names, once.
    mutating func referWhereConvening(nowMs: Int64, ledger: some ConsultationLedger) -> [Action] {
        var actions: [Action] = []
        for (decision, retryAtMs) in referralRetryAtMs {
            guard let retryAtMs else {
                referralRetryAtMs[decision] = nowMs &+ Self.referralRetryDelayMs
                continue
            }
            if nowMs >= retryAtMs {
                referralRetryAtMs[decision] = nil
                referring.remove(decision)
            }
        }
        for proposalReference in book.decisions.keys.sorted() {
            for decision in book.decisions(on: proposalReference)
            where decision.reference.author == nodeID && verdicts[decision.reference]?.isEmpty == true
                && decision.payload.outcome == .adopted && !referring.contains(decision.reference)
            {
                guard book.proposals[proposalReference]?.payload.action == .referralToUn,
                    let group = group(of: proposalReference), group.convener == nodeID,
                    !group.referralObservers.isEmpty,
                    !(book.referrals[decision.reference] ?? []).contains(where: { $0.reference.author == nodeID }),
                    let status = WitnessStatus(
                        entry: decision.reference, ledger: ledger, charter: configuration.charter,
                        network: configuration.network),
                    status.isWitnessed
                else { continue }
                referring.insert(decision.reference)
                actions.append(
                    .refer(
                        decision: decision.reference, leafHash: decision.leafHash, group: group.referralGroup,
                        observers: group.referralObservers))
            }
        }
        return actions
    }
}
