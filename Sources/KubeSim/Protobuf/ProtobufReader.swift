/// Reads the protobuf wire format (varints, length-delimited fields, fixed 32/64-bit values)
/// from a byte buffer, one field at a time. Every read is bounds-checked: a truncated or
/// malformed body is a ``ProtobufError``, never a crash.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)

        /// Zero or empty: what Go writes for an unset non-pointer field.
        var isEmpty: Bool {
            switch self {
            case .varint(let value), .fixed64(let value): value == 0
            case .fixed32(let value): value == 0
            case .bytes(let bytes): bytes.isEmpty
            }
        }
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var isAtEnd: Bool { index >= bytes.endIndex }

    /// The next field's number and value, or nil at the end.
    mutating func next() throws -> (number: Int, value: Value)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let number = Int(key >> 3)
        guard number > 0, number <= 536_870_911 else { throw ProtobufError.malformed("field number \(number)") }
        guard let wire = WireType(rawValue: UInt8(key & 7)) else { throw ProtobufError.malformed("wire type \(key & 7) of field \(number)") }
        switch wire {
        case .varint: return (number, .varint(try varint()))
        case .fixed64: return (number, .fixed64(try fixed(8)))
        case .fixed32: return (number, .fixed32(UInt32(try fixed(4))))
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - index) else { throw ProtobufError.malformed("field \(number) runs past the end") }
            let start = index
            index += Int(length)
            return (number, .bytes(bytes[start..<index]))
        }
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard index < bytes.endIndex else { throw ProtobufError.malformed("a varint runs past the end") }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw ProtobufError.malformed("a varint longer than 10 bytes") }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        throw ProtobufError.malformed("a varint longer than 10 bytes")
    }

    private mutating func fixed(_ size: Int) throws -> UInt64 {
        guard bytes.endIndex - index >= size else { throw ProtobufError.malformed("a fixed-size value runs past the end") }
        var value: UInt64 = 0
        for offset in 0..<size { value |= UInt64(bytes[index + offset]) << UInt64(8 * offset) }
        index += size
        return value
    }
}

/// Why a protobuf body could not be read; kube-sim answers 400 (or 415 for a kind it has no
/// table for) with the text, as the API server does for an undecodable body.
enum ProtobufError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case notKubernetesProtobuf
    case unknownKind(apiVersion: String, kind: String)
    case unknownField(message: String, number: Int)
    case wrongWireType(message: String, field: String)

    var description: String {
        switch self {
        case .malformed(let what): "the protobuf body is malformed: \(what)"
        case .notKubernetesProtobuf: "the body does not start with the Kubernetes protobuf magic number"
        case .unknownKind(let apiVersion, let kind): "kube-sim cannot read \(kind) of \(apiVersion) as protobuf; send it as JSON"
        case .unknownField(let message, let number): "field \(number) of \(message) is not known to kube-sim"
        case .wrongWireType(let message, let field): "field \(field) of \(message) has the wrong wire type"
        }
    }
}
