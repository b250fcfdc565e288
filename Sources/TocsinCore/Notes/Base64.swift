/// Standard base64 (RFC 4648 §4) with padding, decoded from bytes, as Go's `StdEncoding`
/// decodes it: the length a multiple of four, at most two `=` and only at the end, no white
/// space; unused bits of the last character are ignored.
enum Base64 {
    /// Each byte's 6-bit value, or 0xFF for a byte outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// The decoded bytes; with `canonical`, nil unless the unused bits are zero too (so that
    /// one value has one text, as a checkpoint's root hash must).
    static func decode(_ encoded: some Collection<UInt8>, canonical: Bool = false) -> [UInt8]? {
        let input = Array(encoded)
        guard input.count % 4 == 0 else { return nil }
        var padding = 0
        if input.last == UInt8(ascii: "=") { padding += 1 }
        if input.count >= 2, input[input.count - 2] == UInt8(ascii: "=") { padding += 1 }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var group = 0
        while group < input.count {
            let last = group + 4 == input.count
            let significant = last ? 4 - padding : 4
            var bits: UInt32 = 0
            for offset in 0..<4 {
                var value: UInt8 = 0
                if offset < significant {
                    value = values[Int(input[group + offset])]
                    guard value != 0xFF else { return nil }
                }
                bits = bits << 6 | UInt32(value)
            }
            if canonical, significant == 2, bits & 0xFFFF != 0 { return nil }
            if canonical, significant == 3, bits & 0xFF != 0 { return nil }
            output.append(UInt8(truncatingIfNeeded: bits >> 16))
            if significant > 2 { output.append(UInt8(truncatingIfNeeded: bits >> 8)) }
            if significant > 3 { output.append(UInt8(truncatingIfNeeded: bits)) }
            group += 4
        }
        return output
    }
}
