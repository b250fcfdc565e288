import Foundation
import TocsinCore

/// Signed notes, checkpoints and cosignatures: the input as a note (first byte 0), or a
/// genuine cosigned checkpoint with bytes changed (otherwise); parsed, authenticated as XA's
/// checkpoint, every cosignature read and verified against the relay's key.
enum NoteFuzzing {
    static func run(_ bytes: [UInt8]) {
        let fixture = FuzzFixture.shared
        var input = FuzzInput(bytes)
        var note: [UInt8]
        if input.byte() % 2 == 0 {
            note = input.rest()
        } else {
            note = Array(fixture.cosigned[Int(input.byte()) % fixture.cosigned.count].note.formatted.utf8)
            for _ in 0..<Int(input.byte() % 8) where !note.isEmpty {
                note[input.uint16() % note.count] = input.byte()
            }
            note += input.rest()
        }
        _ = try? SignedNote(parsing: note)
        _ = try? Checkpoint(text: String(decoding: note, as: UTF8.self))
        guard let checkpoint = try? SignedCheckpoint(parsing: note) else { return }
        _ = checkpoint.note.formatted
        let verifier = FeedVerifier(
            origin: fixture.batches[0].origin, author: fixture.network.member("XA")!.key.publicKey)
        _ = try? verifier.authenticate(checkpointNote: note)
        let relay = fixture.network.member("RN")!.key.publicKey
        for cosignature in checkpoint.cosignatures {
            _ = try? cosignature.verify(checkpoint: checkpoint.checkpoint, publicKey: relay)
            _ = Witnessing(timestamp: cosignature.timestamp, checkpoint: checkpoint).milliseconds
        }
        for line in checkpoint.note.signatures { _ = try? Cosignature(signature: line) }
    }
}
