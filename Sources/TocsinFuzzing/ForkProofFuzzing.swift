import Foundation
import TocsinCore

/// Fork proofs: the input as a serialized proof (first byte 0), or a genuine proof with bytes
/// changed (otherwise); parsed and verified against the author's key, as a peer's would be.
enum ForkProofFuzzing {
    static func run(_ bytes: [UInt8]) {
        let fixture = FuzzFixture.shared
        var input = FuzzInput(bytes)
        var proof: [UInt8]
        if input.byte() % 2 == 0 {
            proof = input.rest()
        } else {
            proof = fixture.fork.serialized
            for _ in 0..<Int(input.byte() % 8) where !proof.isEmpty {
                proof[input.uint16() % proof.count] = input.byte()
            }
            proof += input.rest()
        }
        guard let parsed = try? ForkProof(serialized: proof) else { return }
        _ = try? parsed.verify(author: fixture.network.member("XC")!.key.publicKey)
        _ = try? parsed.verify(author: fixture.network.member("XA")!.key.publicKey)
        _ = try? FeedOrigin(parsing: parsed.origin)
        _ = parsed.message
    }
}
