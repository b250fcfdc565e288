extension DossierReport {
    /// Every text the report shows, in each language: one catalogue, so that English and
    /// French say the same thing.
    struct Catalogue {
        let title: String
        let verified: String
        let notVerified: String
        let firstFailing: String
        let exportedBy: String
        let subjects: String
        let network: String
        let networkID: String
        let authority: String
        let charterVersions: String
        let nodes: String
        let nodeName: String
        let genesis: String
        let version: String
        let takesEffect: String
        let warning: String
        let issued: String
        let revised: String
        let state: String
        let severity: String
        let witnessedAt: String
        let notWitnessed: String
        let by: String
        let receipts: String
        let member: String
        let bulletin: String
        let received: String
        let read: String
        let actedOn: String
        let proposal: String
        let proposedBy: String
        let action: String
        let deadline: String
        let convenerWitnessed: String
        let votes: String
        let voter: String
        let position: String
        let statement: String
        let counted: String
        let yes: String
        let no: String
        let tally: String
        let underCharter: String
        let policy: String
        let votingMembers: String
        let endorse: String
        let object: String
        let abstain: String
        let outcomeGiven: String
        let open: String
        let decision: String
        let recordedBy: String
        let outcome: String
        let closed: String
        let holds: String
        let flagged: String
        let referrals: String
        let referredTo: String
        let evidence: String
        let evidenceIntro: String
        let leafHash: String
        let checkpoint: String
        let proofHashes: String
        let entryFile: String
        let proofLink: String
        let none: String
        let words: [String: String]

        /// A value's word (`adopted`, `endorse`, `severe`, …) in this language.
        func word(_ value: String) -> String { words[value] ?? value }
    }

    static let english = Catalogue(
        title: "Dossier",
        verified: "This dossier verifies: every statement below is proven by the entries and proofs it holds.",
        notVerified: "This dossier does NOT verify.", firstFailing: "First failing element",
        exportedBy: "According to its manifest, exported by", subjects: "Subjects",
        network: "1. The network and its charter",
        networkID: "Network id", authority: "Authority certificate (SHA-256)", charterVersions: "Charter versions",
        nodes: "Nodes of the charter", nodeName: "Name", genesis: "from the start (genesis)",
        version: "Version", takesEffect: "Takes effect", warning: "2. The warning", issued: "issued",
        revised: "revises", state: "State concerned", severity: "severity", witnessedAt: "witnessed at",
        notWitnessed: "not witnessed", by: "by", receipts: "3. Receipt, reading and action by each member",
        member: "Member", bulletin: "Bulletin", received: "Received", read: "Read", actedOn: "Acted on",
        proposal: "4. The proposal", proposedBy: "proposed by", action: "Action", deadline: "Deadline",
        convenerWitnessed: "Witnessed by the convener", votes: "5. The votes", voter: "Voter", position: "Position",
        statement: "Statement", counted: "Counted", yes: "yes", no: "no", tally: "6. The tally",
        underCharter: "under charter version", policy: "Policy", votingMembers: "Voting members",
        endorse: "Endorsements", object: "Objections", abstain: "Abstentions", outcomeGiven: "Outcome the votes give",
        open: "open", decision: "7. The decision", recordedBy: "recorded by", outcome: "Outcome",
        closed: "Closed at", holds: "It follows from the votes and the charter (audit: holds).",
        flagged: "The audit flags it:", referrals: "Referral", referredTo: "referred to",
        evidence: "Appendix: the evidence",
        evidenceIntro:
            "Each entry, its leaf hash, and the checkpoint its inclusion proof leads to. The entry files hold the entry bytes; `tocsin dossier verify` or any verifier of PROTOCOL.md §11 checks them.",
        leafHash: "Leaf hash", checkpoint: "Checkpoint (size, root)", proofHashes: "Inclusion proof",
        entryFile: "entry file", proofLink: "proof", none: "none",
        words: [:])

    static let french = Catalogue(
        title: "Dossier",
        verified:
            "Ce dossier est vérifié : chaque énoncé ci-dessous est prouvé par les entrées et les preuves qu’il contient.",
        notVerified: "Ce dossier N’EST PAS vérifié.", firstFailing: "Premier élément en défaut",
        exportedBy: "Selon son manifeste, exporté par", subjects: "Objets", network: "1. Le réseau et sa charte",
        networkID: "Identifiant du réseau", authority: "Certificat de l’autorité (SHA-256)",
        charterVersions: "Versions de la charte", nodes: "Nœuds de la charte", nodeName: "Nom",
        genesis: "dès l’origine (genèse)", version: "Version", takesEffect: "Entrée en vigueur",
        warning: "2. L’alerte", issued: "a émis", revised: "révise", state: "État concerné", severity: "gravité",
        witnessedAt: "attesté le", notWitnessed: "non attesté", by: "par",
        receipts: "3. Réception, lecture et suite donnée par chaque membre", member: "Membre", bulletin: "Bulletin",
        received: "Reçu", read: "Lu", actedOn: "Suite donnée", proposal: "4. La proposition",
        proposedBy: "proposée par", action: "Action", deadline: "Échéance",
        convenerWitnessed: "Attestée par l’organisateur", votes: "5. Les votes", voter: "Votant", position: "Position",
        statement: "Déclaration", counted: "Compté", yes: "oui", no: "non", tally: "6. Le décompte",
        underCharter: "selon la version de la charte", policy: "Règle", votingMembers: "Membres votants",
        endorse: "Pour", object: "Contre", abstain: "Abstentions", outcomeGiven: "Résultat donné par les votes",
        open: "ouverte", decision: "7. La décision", recordedBy: "enregistrée par", outcome: "Résultat",
        closed: "Clôturée le", holds: "Elle découle des votes et de la charte (audit : valide).",
        flagged: "L’audit la signale :", referrals: "Saisine", referredTo: "transmise à",
        evidence: "Annexe : les preuves",
        evidenceIntro:
            "Chaque entrée, son empreinte de feuille et le point de contrôle auquel mène sa preuve d’inclusion. Les fichiers d’entrée contiennent les octets ; `tocsin dossier verify` ou tout vérificateur conforme à PROTOCOL.md §11 les vérifie.",
        leafHash: "Empreinte de feuille", checkpoint: "Point de contrôle (taille, racine)",
        proofHashes: "Preuve d’inclusion", entryFile: "fichier de l’entrée", proofLink: "preuve", none: "aucun",
        words: [
            "adopted": "adoptée", "rejected": "rejetée", "lapsed": "caduque", "endorse": "pour", "object": "contre",
            "abstain": "abstention", "extreme": "extrême", "severe": "grave", "moderate": "modérée", "minor": "mineure",
            "unknown": "inconnue", "alert": "alerte", "update": "mise à jour", "cancel": "annulation",
            "majority": "majorité", "two-thirds": "deux tiers", "consensus": "consensus", "silence": "silence",
            "referral-to-un": "saisine de l’ONU", "regional-consultation": "consultation régionale",
            "fact-finding-mission": "mission d’établissement des faits", "good-offices": "bons offices",
            "public-statement": "déclaration publique", "peer-review": "examen par les pairs", "other": "autre",
        ])
}
