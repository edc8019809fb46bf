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
        let slot = EncodedSlot()
        try value.encode(to: ValueEncoder(slot: slot, nilEncoding: nilEncoding))
        return slot.value
    }
}

/// Where one encoded value ends up: a scalar, or an object or array filled in by containers.
final class EncodedSlot {
    enum Content {
        case empty
        case scalar(JSONValue)
        case object([String: EncodedSlot])
        case array([EncodedSlot])
    }

    var content = Content.empty

    var value: JSONValue {
        switch content {
        case .empty: return .object([:])
        case .scalar(let value): return value
        case .object(let fields): return .object(fields.mapValues(\.value))
        case .array(let items): return .array(items.map(\.value))
        }
    }

    func field(_ key: String) -> EncodedSlot {
        var fields: [String: EncodedSlot] = [:]
        if case .object(let existing) = content { fields = existing }
        let slot = EncodedSlot()
        fields[key] = slot
        content = .object(fields)
        return slot
    }

    func appended() -> EncodedSlot {
        var items: [EncodedSlot] = []
        if case .array(let existing) = content { items = existing }
        let slot = EncodedSlot()
        items.append(slot)
        content = .array(items)
        return slot
    }
}

struct ValueEncoder: Encoder {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = slot.content { slot.content = .object([:]) }
        return KeyedEncodingContainer(KeyedWriter<Key>(slot: slot, nilEncoding: nilEncoding))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = slot.content { slot.content = .array([]) }
        return UnkeyedWriter(slot: slot, nilEncoding: nilEncoding)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleWriter(slot: slot, nilEncoding: nilEncoding) }

    /// A scalar, or a nested value through its own `encode(to:)`.
    static func write<T: Encodable>(_ value: T, into slot: EncodedSlot, nilEncoding: JSONValueEncoder.NilEncoding) throws {
        switch value {
        case let json as JSONValue: slot.content = .scalar(json)
        case let text as String: slot.content = .scalar(.string(text))
        case let flag as Bool: slot.content = .scalar(.bool(flag))
        case let number as Double: slot.content = .scalar(.number(number))
        case let number as Float: slot.content = .scalar(.number(Double(number)))
        case let number as any BinaryInteger: slot.content = .scalar(.number(Double(number)))
        case let date as Date: slot.content = .scalar(.string(Timestamp.isoUTC(date)))
        case let url as URL: slot.content = .scalar(.string(url.absoluteString))
        default: try value.encode(to: ValueEncoder(slot: slot, nilEncoding: nilEncoding))
        }
    }
}

struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { slot.field(key.stringValue).content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try ValueEncoder.write(value, into: slot.field(key.stringValue), nilEncoding: nilEncoding)
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
        nested.content = .object([:])
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(slot: nested, nilEncoding: nilEncoding))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = slot.field(key.stringValue)
        nested.content = .array([])
        return UnkeyedWriter(slot: nested, nilEncoding: nilEncoding)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(slot: slot, nilEncoding: nilEncoding) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(slot: slot.field(key.stringValue), nilEncoding: nilEncoding) }
}

struct UnkeyedWriter: UnkeyedEncodingContainer {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }
    var count: Int {
        if case .array(let items) = slot.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { slot.appended().content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try ValueEncoder.write(value, into: slot.appended(), nilEncoding: nilEncoding)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = slot.appended()
        nested.content = .object([:])
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(slot: nested, nilEncoding: nilEncoding))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = slot.appended()
        nested.content = .array([])
        return UnkeyedWriter(slot: nested, nilEncoding: nilEncoding)
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(slot: slot.appended(), nilEncoding: nilEncoding) }
}

struct SingleWriter: SingleValueEncodingContainer {
    let slot: EncodedSlot
    let nilEncoding: JSONValueEncoder.NilEncoding

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { slot.content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try ValueEncoder.write(value, into: slot, nilEncoding: nilEncoding)
    }
}
