/// Decodes the address columns of `/proc/net/tcp{,6}`.
enum KernelHexAddress {
    /// Network-order bytes of an address printed as `%08X` words of the kernel's memory.
    ///
    /// Each word is the kernel's in-memory `u32` printed as a number; reading the number
    /// back and taking its bytes in this machine's order yields the bytes as they were in
    /// memory, which is network order. That is right on little- and big-endian machines
    /// alike, as long as the table was read on the machine that wrote it.
    static func bytes(_ hex: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard !utf8.isEmpty, utf8.count % 8 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            var word: UInt32 = 0
            for byte in utf8[index..<(index + 8)] {
                guard let digit = hexValue(byte) else { return nil }
                word = word << 4 | UInt32(digit)
            }
            withUnsafeBytes(of: word) { out.append(contentsOf: $0) }
            index += 8
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
