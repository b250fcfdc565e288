import Testing
import TocsinCrypto

@Suite struct SHA256Tests {
    @Test func knownAnswers() {
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(million).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func prefixedAndIncrementalHashingAgreeWithOneShot() {
        let bytes = Array("tocsin".utf8)
        let prefixed = bytes.withUnsafeBytes { SHA256.hash(prefix: 0x00, $0) }
        #expect(prefixed == SHA256.hash([0x00] + bytes))
        let context = SHA256.Context()
        context.update(byte: 0x01)
        bytes.withUnsafeBytes { context.update($0) }
        #expect(context.finish() == SHA256.hash([0x01] + bytes))
        // The context starts over after finish.
        bytes.withUnsafeBytes { context.update($0) }
        #expect(context.finish() == SHA256.hash(bytes))
    }

    @Test func digestsReadOnlyThirtyTwoBytesAndHex() {
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(SHA256Digest(hex: "zz") == nil)
        #expect(SHA256Digest(hex: String(repeating: "g", count: 64)) == nil)
        let digest = SHA256.hash([1])
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(bytes: digest.bytes) == digest)
    }
}
