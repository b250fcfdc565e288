import Foundation
import TocsinAdmin
import TocsinCore

extension DossierVerifier {
    /// What the dossier a referral carries proves of the decision it refers: the decision
    /// and its proposal, and whether the decision holds; or why the dossier does not hold (it
    /// does not verify, is of another network or another authority, names a charter version
    /// `chain` does not have, or is not about that decision).
    ///
    /// A dossier's charter is checked against its own authority certificate; only `chain`
    /// (the versions the node holds, signed by the authority it trusts) makes it the network's.
    public static func referredDecision(
        in dossier: [UInt8], decision: EntryReference, network: NetworkID, chain: CharterChain?
    ) -> Result<ConsultationMachine.ReferredDecision, ConsultationMachine.ReferralDossierFailure> {
        let verification = verify(dossier, followReferrals: false)
        if let failure = verification.firstFailure {
            return .failure(.init("\(failure.element): \(failure.text)"))
        }
        guard verification.isVerified, let story = verification.story else {
            return .failure(.init("it does not verify"))
        }
        guard verification.manifest?.network == network.description else {
            return .failure(.init("it is a dossier of another network"))
        }
        if let chain {
            guard verification.chain?.authority == chain.authority else {
                return .failure(.init("its charter is signed by another authority than this network's"))
            }
            let held = Set(chain.versions.map(\.sha256))
            if let unknown = verification.chain?.versions.first(where: { !held.contains($0.sha256) }) {
                return .failure(
                    .init(
                        "it names charter version \(unknown.version) (\(unknown.sha256.hex.prefix(16))…), which is not one this node holds"
                    ))
            }
        }
        guard verification.manifest?.subjects.contains(decision.description) == true else {
            return .failure(.init("it is not the dossier of \(decision)"))
        }
        guard let archive = try? TarArchive(reading: dossier),
            let decisionItem = item(decision, in: archive, as: \.decision),
            let proposalReference = Optional(ConsultationBook.reference(decisionItem.payload.proposal)),
            let proposalItem = item(proposalReference, in: archive, as: \.proposal)
        else { return .failure(.init("it does not hold the decision \(decision) and its proposal")) }
        let holds =
            story.proposals.first { $0.reference == proposalReference.description }?.decisions.first {
                $0.reference == decision.description
            }?.findings.isEmpty == true
        return .success(.init(decision: decisionItem, proposal: proposalItem, holds: holds))
    }

    /// The entry `reference` of a verified dossier, decoded as the payload `payload` picks.
    static func item<Payload>(
        _ reference: EntryReference, in archive: TarArchive, as payload: KeyPath<Tocsin_V1_Entry, Payload>
    ) -> ConsultationBook.Item<Payload>? {
        guard let file = archive["entries/\(reference).json"],
            let document = try? AdminJSON.decode(EntryProofDocument.self, from: Data(file)),
            let bytes = Data(base64Encoded: document.bytesBase64), let entry = try? EntryDecoder.decode(Array(bytes))
        else { return nil }
        let expectedKind: Tocsin_V1_EntryKind = Payload.self == Tocsin_V1_Decision.self ? .decision : .proposal
        guard entry.kind == expectedKind else { return nil }
        return ConsultationBook.Item(
            reference: reference, leafHash: MerkleHash.leaf(Array(bytes)), authorTimeMs: entry.authorTimeMs,
            payload: entry[keyPath: payload])
    }
}
