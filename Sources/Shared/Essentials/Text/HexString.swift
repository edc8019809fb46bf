private let hexDigits = Array("0123456789abcdef")

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte (digests in names, ids and signatures).
    public var hexString: String {
        var output = ""
        output.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
        return output
    }
}
