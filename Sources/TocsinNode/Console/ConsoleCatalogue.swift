/// Every text the console shows, in English and French (the working languages of the regional
/// organisations concerned): one catalogue, so a page never mixes languages and a missing
/// translation cannot compile. Values of the log (severities, states, levels) are translated
/// through `word(_:)`.
public enum ConsoleCatalogue {
    public enum Language: String, Sendable, CaseIterable {
        case english = "en"
        case french = "fr"
    }

    public enum Key: String, CaseIterable, Sendable {
        case title, inbox, issue, signOut, language, languageName, skipToContent, live, liveLost
        case filters, group, stateConcerned, severity, status, any, apply, noBulletins
        case headline, author, issued, acknowledgements, unread, read, actedOn, received, latest
        case bulletin, description, urgency, certainty, areas, riskFactors, sources, actions, expires
        case revisions, refusedRevisions, timeline, member, notYet, notAcknowledged, markRead, markActedOn
        case importTitle, importLink, importHint, alertFile, importSubmit, importedTitle, importNotes, alertMissing
        case alertReaderMissing, stateNotNamed, countryIfMissing, infoLanguage
        case issueTitle, issueSubmit, issued201, fieldError, cancelled, updated, asIssued, reference
        case signInNeeded, signInHow, forbidden, csrfRefused, notFound, notReady, mapCaption, noAreas
        case exercise, countryHint, languageSwitched
        case proposals, propose, noProposals, proposalTitle, action, policy, deadline, closesIn, closed,
            deliberationNotStarted
        case standing, votes, voter, position, statement, witnessed, counted, yes, no, vote, voteSubmit, decisions
        case verified, flagged, notJudged, rationale, proposer, deadlineHint, endorse, object, abstain, priority
        case decidedBy, outcome, open
        case network, peers, node, role, address, connection, connected, notConnected, unanswered, lag, lastContact,
            never, feeds, feed
        case entries, witnesses, frozen, forks, none, charterInForce, version, notificationsFailing, undelivered
        case attempts, log, kind, summary, leafHash, checkpoint, inclusion, authorSignature, verifyEntry, proofHolds
        case proofFails, exportCAP
    }

    static let entries: [Key: (english: String, french: String)] = [
        .title: ("Tocsin console", "Console Tocsin"),
        .inbox: ("Inbox", "Boîte de réception"),
        .issue: ("Issue a bulletin", "Émettre un bulletin"),
        .signOut: ("Sign out", "Se déconnecter"),
        .language: ("Language", "Langue"),
        .languageName: ("English", "Français"),
        .skipToContent: ("Skip to the content", "Aller au contenu"),
        .live: ("Live: this page updates by itself.", "En direct : cette page se met à jour d’elle-même."),
        .liveLost: (
            "Connection to the node lost; reconnecting…", "Connexion au nœud perdue ; reconnexion en cours…"
        ),
        .filters: ("Filters", "Filtres"),
        .group: ("Group", "Groupe"),
        .stateConcerned: ("State concerned", "État concerné"),
        .severity: ("Severity", "Gravité"),
        .status: ("Status", "Statut"),
        .any: ("any", "tous"),
        .apply: ("Apply", "Appliquer"),
        .noBulletins: ("No bulletin matches.", "Aucun bulletin ne correspond."),
        .headline: ("Headline", "Titre"),
        .author: ("Author", "Auteur"),
        .issued: ("Issued", "Émis le"),
        .acknowledgements: ("Acknowledgements", "Accusés"),
        .unread: ("unread", "non lu"),
        .read: ("read", "lu"),
        .actedOn: ("acted on", "suite donnée"),
        .received: ("received", "reçu"),
        .latest: ("Latest", "Dernière version"),
        .bulletin: ("Bulletin", "Bulletin"),
        .description: ("Description", "Description"),
        .urgency: ("Urgency", "Urgence"),
        .certainty: ("Certainty", "Certitude"),
        .areas: ("Areas", "Zones"),
        .riskFactors: ("Risk factors", "Facteurs de risque"),
        .sources: ("Sources", "Sources"),
        .actions: ("Recommended actions", "Actions recommandées"),
        .expires: ("Expires", "Expire le"),
        .revisions: ("Revisions", "Révisions"),
        .refusedRevisions: ("Refused revisions", "Révisions refusées"),
        .timeline: ("Who received, read and acted on it", "Qui l’a reçu, lu et y a donné suite"),
        .member: ("Member", "Membre"),
        .notYet: ("—", "—"),
        .notAcknowledged: ("Not yet acknowledged by", "Pas encore accusé par"),
        .markRead: ("Mark as read", "Marquer comme lu"),
        .markActedOn: ("Mark as acted on", "Marquer comme suivi d’effet"),
        .issueTitle: ("Issue a bulletin", "Émettre un bulletin"),
        .issueSubmit: ("Issue", "Émettre"),
        .importTitle: ("Import a CAP 1.2 alert", "Importer une alerte CAP 1.2"),
        .importLink: ("Or import a CAP 1.2 file", "Ou importer un fichier CAP 1.2"),
        .importHint: (
            "The alert is issued as a bulletin as it stands: its areas, risk factors and sources are kept; what a bulletin has no field for is listed afterwards.",
            "L’alerte est émise telle quelle comme bulletin : ses zones, facteurs de risque et sources sont conservés ; ce qu’un bulletin ne peut porter est indiqué ensuite."
        ),
        .alertFile: ("CAP file (XML)", "Fichier CAP (XML)"),
        .importSubmit: ("Import and issue", "Importer et émettre"),
        .importedTitle: ("Bulletin issued from the CAP alert", "Bulletin émis depuis l’alerte CAP"),
        .importNotes: ("Not kept from the alert", "Non repris de l’alerte"),
        .alertMissing: ("Choose the CAP file to import.", "Choisissez le fichier CAP à importer."),
        .alertReaderMissing: (
            "CAP import needs the tocsin command installed next to tocsind, and it is not there.",
            "L’import CAP nécessite la commande tocsin installée à côté de tocsind, et elle n’y est pas."
        ),
        .stateNotNamed: (
            "The alert names no state concerned (no urn:tocsin:country parameter, no ISO 3166 geocode): give it here.",
            "L’alerte ne nomme aucun État concerné (ni paramètre urn:tocsin:country, ni géocode ISO 3166) : indiquez-le ici."
        ),
        .countryIfMissing: (
            "Only if the alert names none: ISO 3166-1 alpha-2 code; fictional states use XA–XZ",
            "Seulement si l’alerte n’en nomme aucun : code ISO 3166-1 alpha-2 ; les États fictifs utilisent XA–XZ"
        ),
        .infoLanguage: (
            "Language of the info block (if the alert has several)", "Langue du bloc info (si l’alerte en a plusieurs)"
        ),
        .issued201: ("Bulletin issued.", "Bulletin émis."),
        .fieldError: ("Please correct the field marked.", "Veuillez corriger le champ signalé."),
        .cancelled: ("cancelled", "annulé"),
        .updated: ("updated", "mis à jour"),
        .asIssued: ("as issued", "tel qu’émis"),
        .reference: ("Reference", "Référence"),
        .signInNeeded: ("Sign-in needed", "Connexion nécessaire"),
        .signInHow: (
            "Open the link that `tocsin console` prints on the node's machine. Each link works once.",
            "Ouvrez le lien qu’affiche `tocsin console` sur la machine du nœud. Chaque lien ne sert qu’une fois."
        ),
        .forbidden: ("Refused", "Refusé"),
        .csrfRefused: (
            "This form is out of date or did not come from the console: reload the page and try again.",
            "Ce formulaire est périmé ou ne vient pas de la console : rechargez la page et réessayez."
        ),
        .notFound: ("Not held here", "Absent de ce nœud"),
        .notReady: (
            "The node is not ready yet; try again in a few seconds.",
            "Le nœud n’est pas encore prêt ; réessayez dans quelques secondes."
        ),
        .mapCaption: (
            "Areas as the bulletin draws them (no map)", "Zones telles que le bulletin les trace (sans carte)"
        ),
        .noAreas: ("No polygon or circle.", "Aucun polygone ni cercle."),
        .exercise: ("exercise", "exercice"),
        .countryHint: (
            "ISO 3166-1 alpha-2 code; fictional states use XA–XZ",
            "Code ISO 3166-1 alpha-2 ; les États fictifs utilisent XA–XZ"
        ),
        .languageSwitched: ("Langue : français", "Language: English"),
        .proposals: ("Proposals", "Propositions"),
        .propose: ("Open a proposal", "Ouvrir une proposition"),
        .noProposals: ("No proposal.", "Aucune proposition."),
        .proposalTitle: ("Title", "Intitulé"),
        .action: ("Action", "Action"),
        .policy: ("Policy", "Règle"),
        .deadline: ("Deadline", "Échéance"),
        .closesIn: ("closes in", "se clôt dans"),
        .closed: ("closed", "close"),
        .deliberationNotStarted: (
            "deliberation not started (the convener has not witnessed it yet)",
            "délibération non commencée (l’organisateur ne l’a pas encore attestée)"
        ),
        .standing: ("Standing", "Décompte actuel"),
        .votes: ("Votes", "Votes"),
        .voter: ("Voter", "Votant"),
        .position: ("Position", "Position"),
        .statement: ("Statement", "Déclaration"),
        .witnessed: ("Witnessed by the convener", "Attesté par l’organisateur"),
        .counted: ("Counted", "Compté"),
        .yes: ("yes", "oui"),
        .no: ("no", "non"),
        .vote: ("Your vote", "Votre vote"),
        .voteSubmit: ("Vote", "Voter"),
        .decisions: ("Decision", "Décision"),
        .verified: (
            "verified: it follows from the votes and the charter", "vérifiée : elle découle des votes et de la charte"
        ),
        .flagged: ("FLAGGED", "SIGNALÉE"),
        .notJudged: ("not judged yet", "pas encore jugée"),
        .rationale: ("Rationale", "Motif"),
        .proposer: ("Proposer", "Auteur"),
        .deadlineHint: (
            "A time (2026-12-01T12:00:00Z) or a duration from now: 90s, 30m, 2h, 7d",
            "Une date (2026-12-01T12:00:00Z) ou une durée à partir de maintenant : 90s, 30m, 2h, 7d"
        ),
        .endorse: ("Endorse", "Pour"),
        .object: ("Object", "Contre"),
        .abstain: ("Abstain", "Abstention"),
        .priority: ("Priority", "Priorité"),
        .decidedBy: ("recorded by", "enregistrée par"),
        .outcome: ("Outcome", "Résultat"),
        .open: ("open", "ouverte"),
        .network: ("Network", "Réseau"),
        .peers: ("Peers", "Pairs"),
        .node: ("Node", "Nœud"),
        .role: ("Role", "Rôle"),
        .address: ("Address", "Adresse"),
        .connection: ("Connection", "Connexion"),
        .connected: ("connected", "connecté"),
        .notConnected: ("NOT CONNECTED", "NON CONNECTÉ"),
        .unanswered: ("Requests unanswered", "Demandes sans réponse"),
        .lag: ("Entries behind", "Entrées en retard"),
        .lastContact: ("Last contact", "Dernier contact"),
        .never: ("never", "jamais"),
        .feeds: ("Feeds and their witnesses", "Flux et leurs témoins"),
        .feed: ("Feed", "Flux"),
        .entries: ("Entries", "Entrées"),
        .witnesses: ("Witnessed by (needed / witnesses)", "Attesté par (requis / témoins)"),
        .frozen: ("frozen (fork proof)", "gelé (preuve de fourche)"),
        .forks: ("Fork proofs", "Preuves de fourche"),
        .none: ("None.", "Aucune."),
        .charterInForce: ("The charter in force", "La charte en vigueur"),
        .version: ("version", "version"),
        .notificationsFailing: ("Notifications that fail", "Notifications en échec"),
        .undelivered: ("undelivered", "non remises"),
        .attempts: ("attempts", "tentatives"),
        .log: ("Log", "Journal"),
        .kind: ("Kind", "Type"),
        .summary: ("Summary", "Résumé"),
        .leafHash: ("Leaf hash", "Empreinte de feuille"),
        .checkpoint: ("Checkpoint", "Point de contrôle"),
        .inclusion: ("Inclusion proof", "Preuve d’inclusion"),
        .authorSignature: ("author's signature", "signature de l’auteur"),
        .verifyEntry: ("Verify this entry", "Vérifier cette entrée"),
        .proofHolds: (
            "Verified: this entry is in its author's signed log.",
            "Vérifiée : cette entrée figure dans le journal signé de son auteur."
        ),
        .proofFails: ("DOES NOT VERIFY.", "NE SE VÉRIFIE PAS."),
        .exportCAP: ("Export as a CAP 1.2 alert", "Exporter en alerte CAP 1.2"),
    ]

    static let words: [String: (english: String, french: String)] = [
        "extreme": ("extreme", "extrême"), "severe": ("severe", "grave"), "moderate": ("moderate", "modérée"),
        "minor": ("minor", "mineure"), "unknown": ("unknown", "inconnue"), "actual": ("actual", "réel"),
        "exercise": ("exercise", "exercice"), "test": ("test", "test"), "active": ("active", "en vigueur"),
        "updated": ("updated", "mis à jour"), "cancelled": ("cancelled", "annulé"),
        "immediate": ("immediate", "immédiate"), "expected": ("expected", "attendue"), "future": ("future", "future"),
        "past": ("past", "passée"), "observed": ("observed", "observée"), "likely": ("likely", "probable"),
        "possible": ("possible", "possible"), "unlikely": ("unlikely", "improbable"),
        "adopted": ("adopted", "adoptée"), "rejected": ("rejected", "rejetée"), "lapsed": ("lapsed", "caduque"),
        "endorse": ("endorse", "pour"), "object": ("object", "contre"), "abstain": ("abstain", "abstention"),
        "majority": ("majority", "majorité"), "two-thirds": ("two-thirds", "deux tiers"),
        "consensus": ("consensus", "consensus"), "silence": ("silence", "silence"), "decided": ("decided", "décidée"),
        "fact-finding-mission": ("fact-finding mission", "mission d’établissement des faits"),
        "good-offices": ("good offices", "bons offices"),
        "regional-consultation": ("regional consultation", "consultation régionale"),
        "public-statement": ("public statement", "déclaration publique"),
        "peer-review": ("peer review", "examen par les pairs"),
        "referral-to-un": ("referral to the UN", "saisine de l’ONU"), "other": ("other", "autre"),
        "urgent": ("urgent", "urgente"), "high": ("high", "haute"), "normal": ("normal", "normale"),
        "low": ("low", "basse"),
    ]

    /// The text of `key` in `language`.
    public static func text(_ key: Key, _ language: Language) -> String {
        guard let entry = entries[key] else { return key.rawValue }
        return language == .english ? entry.english : entry.french
    }

    /// A value of the log (`severe`, `cancelled`, …) in `language`; itself when not listed.
    public static func word(_ value: String, _ language: Language) -> String {
        guard let entry = words[value] else { return value }
        return language == .english ? entry.english : entry.french
    }
}
