import Foundation

/// Encodes an `Encodable` value as a ``JSONValue``, which then writes the same bytes as every
/// other answer of ours (keys sorted, integers without a fraction).
///
/// `nilEncoding` says what an optional field that is nil becomes: left out (Swift's usual
/// rule), or `null`, as FastAPI's `response_model` writes every field.
public struct JSONValueEncoder: Sendable {
    public enum NilEncoding: Sendable {
        case omit, null
    }

    public var nilEncoding: NilEncoding

    public init(nilEncoding: NilEncoding = .omit) {
        self.nilEncoding = nilEncoding
    }

    public func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        return try ValueEncoder.node(value, nilEncoding: nilEncoding).value
    }

    /// The JSON text ``encode(_:)``'s value would write, written straight from what the value
    /// encoded: an answer's fields are sorted and written without first becoming a ``JSONValue``.
    public func encodedBytes<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        try ValueEncoder.node(value, nilEncoding: nilEncoding).write(into: &output)
        return output
    }
}

/// Where one encoded value ends up: a scalar, or an object or array filled in by containers.
/// Fields and items are kept in the slot itself and grown in place (an answer of a thousand
/// datasets is encoded in linear time); a scalar field needs no slot of its own.
final class EncodedSlot {
    enum Shape {
        case empty, scalar, object, array
    }

    /// A field or an item: a finished scalar, or a slot a nested container fills.
    enum Node {
        case value(JSONValue)
        case nested(EncodedSlot)

        var value: JSONValue {
            switch self {
            case .value(let value): value
            case .nested(let slot): slot.value
            }
        }

        func write(into output: inout [UInt8]) {
            switch self {
            case .value(let value): value.write(into: &output)
            case .nested(let slot): slot.write(into: &output)
            }
        }
    }

    var shape = Shape.empty
    var scalar = JSONValue.null
    /// In the order encoded; a key encoded twice keeps its last value, as a dictionary would.
    var fields: [(key: String, node: Node)] = []
    var items: [Node] = []

    var value: JSONValue {
        switch shape {
        case .empty: .object([:])
        case .scalar: scalar
        case .object: .object(Dictionary(fields.map { ($0.key, $0.node.value) }, uniquingKeysWith: { $1 }))
        case .array: .array(items.map(\.value))
        }
    }

    /// The same text as `value.bytes()`: keys sorted, each once.
    func write(into output: inout [UInt8]) {
        switch shape {
        case .empty:
            output.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
        case .scalar:
            scalar.write(into: &output)
        case .array:
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object:
            // By key, then by when encoded, so that the last of a repeated key is the one kept.
            let order = fields.indices.sorted { fields[$0].key != fields[$1].key ? fields[$0].key < fields[$1].key : $0 < $1 }
            output.append(UInt8(ascii: "{"))
            var first = true
            for (position, index) in order.enumerated() {
                if position + 1 < order.count, fields[order[position + 1]].key == fields[index].key { continue }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(fields[index].key, into: &output)
                output.append(UInt8(ascii: ":"))
                fields[index].node.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    func add(_ key: String, _ node: Node) {
        fields.append((key, node))
    }

    func set(_ value: JSONValue) {
        shape = .scalar
        scalar = value
    }

    /// A new slot for `key`'s value (which replaces an earlier one).
    func field(_ key: String) -> EncodedSlot {
        let slot = EncodedSlot()
        add(key, .nested(slot))
        return slot
    }

    func appended() -> EncodedSlot {
        let slot = EncodedSlot()
        items.append(.nested(slot))
        return slot
    }
}

struct ValueEncoder: Encoder {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if slot.shape == .empty { slot.shape = .object }
        return KeyedEncodingContainer(KeyedWriter<Key>(slot: slot, nilEncoding: nilEncoding))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if slot.shape == .empty { slot.shape = .array }
        return UnkeyedWriter(slot: slot, nilEncoding: nilEncoding)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleWriter(slot: slot, nilEncoding: nilEncoding) }

    /// A scalar's JSON, nil for a value that encodes itself through containers.
    static func scalar<T: Encodable>(_ value: T) -> JSONValue? {
        switch value {
        case let json as JSONValue: json
        case let text as String: .string(text)
        case let flag as Bool: .bool(flag)
        case let number as Double: .number(number)
        case let number as Float: .number(Double(number))
        case let number as any BinaryInteger: .number(Double(number))
        case let date as Date: .string(Timestamp.isoUTC(date))
        case let url as URL: .string(url.absoluteString)
        default: nil
        }
    }

    /// `value` as a node: a scalar at once, anything else through its own `encode(to:)`.
    static func node<T: Encodable>(_ value: T, nilEncoding: JSONValueEncoder.NilEncoding) throws -> EncodedSlot.Node {
        if let scalar = scalar(value) { return .value(scalar) }
        let slot = EncodedSlot()
        try value.encode(to: ValueEncoder(slot: slot, nilEncoding: nilEncoding))
        return .nested(slot)
    }
}

struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { slot.add(key.stringValue, .value(.null)) }

    // The common scalars directly: no dynamic cast, no slot.
    mutating func encode(_ value: String, forKey key: Key) throws { slot.add(key.stringValue, .value(.string(value))) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { slot.add(key.stringValue, .value(.bool(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot.add(key.stringValue, .value(.number(Double(value)))) }
    mutating func encode(_ value: Double, forKey key: Key) throws { slot.add(key.stringValue, .value(.number(value))) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        slot.add(key.stringValue, try ValueEncoder.node(value, nilEncoding: nilEncoding))
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if nilEncoding == .null {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as Bool }, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as String }, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as Double }, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as Int }, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as Int64 }, key) }

    private mutating func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
        try encodeIfPresent(value, forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = slot.field(key.stringValue)
        nested.shape = .object
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(slot: nested, nilEncoding: nilEncoding))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = slot.field(key.stringValue)
        nested.shape = .array
        return UnkeyedWriter(slot: nested, nilEncoding: nilEncoding)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(slot: slot, nilEncoding: nilEncoding) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(slot: slot.field(key.stringValue), nilEncoding: nilEncoding) }
}

struct UnkeyedWriter: UnkeyedEncodingContainer {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }
    var count: Int { slot.items.count }

    mutating func encodeNil() throws { slot.items.append(.value(.null)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        slot.items.append(try ValueEncoder.node(value, nilEncoding: nilEncoding))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = slot.appended()
        nested.shape = .object
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(slot: nested, nilEncoding: nilEncoding))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = slot.appended()
        nested.shape = .array
        return UnkeyedWriter(slot: nested, nilEncoding: nilEncoding)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(slot: slot.appended(), nilEncoding: nilEncoding) }
}

struct SingleWriter: SingleValueEncodingContainer {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { slot.set(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let scalar = ValueEncoder.scalar(value) {
            slot.set(scalar)
        } else {
            try value.encode(to: ValueEncoder(slot: slot, nilEncoding: nilEncoding))
        }
    }
}
