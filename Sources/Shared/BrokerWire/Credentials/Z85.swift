/// ZeroMQ's Base-85 (RFC 32, "Z85"): how CURVE keys are written as text (40 characters for
/// 32 bytes) in certificates, settings and annotations.
public enum Z85 {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
    static let values: [Int16] = {
        var table = [Int16](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int16(index) }
        return table
    }()

    /// Text for `bytes`, whose length must be a multiple of 4.
    public static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes whole 4-byte groups")
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count / 4 * 5)
        for start in stride(from: 0, to: bytes.count, by: 4) {
            var value = bytes[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var group = [UInt8](repeating: 0, count: 5)
            for index in (0..<5).reversed() {
                group[index] = alphabet[Int(value % 85)]
                value /= 85
            }
            text += group
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `text` encodes, nil if it is not Z85 (a length not a multiple of 5, a
    /// character outside the alphabet, a group above 2³²−1).
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 5 * 4)
        for start in stride(from: 0, to: characters.count, by: 5) {
            var value: UInt64 = 0
            for character in characters[start..<start + 5] {
                let digit = values[Int(character)]
                guard digit >= 0 else { return nil }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else { return nil }
            bytes += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        return bytes
    }
}
