import Foundation
import Testing
import TocsinCore
import TocsinCrypto

/// An update is merged into the bulletin as stored: the message itself, not a report of it.
struct BulletinChangesTests {
    static let original = EntryReference(group: "nro", author: "XA", index: 0)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A stored bulletin with every field set, some as only another implementation would write
    /// them: a note on a risk factor, an empty language.
    static var stored: Tocsin_V1_Bulletin {
        var draft = BulletinDraft(
            headline: "Exercise: militias forming", severity: "severe", country: "XA", description: "Fictional.",
            urgency: "expected", certainty: "likely", status: "exercise", language: "fr")
        draft.areas = [
            .init(
                description: "Eastern valleys", geocodes: [.init(name: "ISO3166-2", value: "XA-EV")],
                polygons: ["1.0,2.0 1.0,3.0 2.0,3.0 1.0,2.0"], circles: ["1.5,2.5 10"])
        ]
        draft.riskFactors = ["8.3", "10"]
        draft.sources = [.init(name: "Field office", uri: "https://example.org/r", description: "Weekly")]
        draft.recommendedActions = ["Monitor"]
        draft.expires = "2099-12-31T00:00:00Z"
        var bulletin = try! draft.bulletin(now: now)
        bulletin.riskFactors[0].note = "seen in three districts"
        bulletin.language = ""
        return bulletin
    }

    @Test func anUpdateChangesOnlyTheFieldsItGivesAndKeepsTheRestAsStored() throws {
        let current = Self.stored
        let leafHash = SHA256.hash([1, 2, 3])
        let updated = try BulletinChanges(severity: "extreme").update(
            of: current, original: (Self.original, leafHash), now: Self.now)
        var expected = current
        expected.severity = .extreme
        expected.messageType = .update
        expected.references = [ConsultationBook.message(Self.original, leafHash: leafHash)]
        #expect(updated == expected)
        #expect(updated.riskFactors[0].note == "seen in three districts")
        #expect(updated.language == "", "a held value is not judged again when it is not changed")
    }

    @Test func aChangedFieldIsCheckedAsInAnyBulletinAndAListReplacesTheList() throws {
        let changes = BulletinChanges(riskFactors: ["15"])
        #expect(
            throws: BulletinError.invalid(
                field: "risk_factors",
                reason: "factors 1–14 or indicators such as 8.3 (UN Framework of Analysis for Atrocity Crimes)")
        ) {
            try changes.update(of: Self.stored, original: (Self.original, SHA256.hash([1])), now: Self.now)
        }
        let replaced = try BulletinChanges(areas: [.init(description: "Capital")], expires: "2098-01-01T00:00:00Z")
            .update(of: Self.stored, original: (Self.original, SHA256.hash([1])), now: Self.now)
        #expect(replaced.situation.areas.map(\.description_p) == ["Capital"])
        #expect(replaced.expiresMs == 4_039_372_800_000)
        #expect(throws: BulletinError.self) {
            try BulletinChanges(expires: "2000-01-01T00:00:00Z").update(
                of: Self.stored, original: (Self.original, SHA256.hash([1])), now: Self.now)
        }
    }

    @Test func aCancelKeepsEveryFieldAndTakesTheReasonAsItsDescription() throws {
        let cancel = try BulletinChanges.cancel(
            of: Self.stored, original: (Self.original, SHA256.hash([1])), reason: "Exercise over")
        var expected = Self.stored
        expected.messageType = .cancel
        expected.description_p = "Exercise over"
        expected.references = cancel.references
        #expect(cancel == expected)
    }
}
