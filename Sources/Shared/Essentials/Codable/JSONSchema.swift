/// The JSON schema of a `Decodable` type, read from its own decoding: the fields it asks
/// for, which of them it may go without, and their types. The OpenAPI documents of the
/// services are written from the request and answer types this way, so a schema cannot say
/// something the type does not.
///
/// Types whose decoding does not show their shape (hand-written coding, any JSON) conform to
/// ``SchemaDescribing``; string enums conform to ``ChoiceDecodable`` and list their values.
public enum JSONSchema {
    public static let string: JSONValue = ["type": "string"]
    public static let integer: JSONValue = ["type": "integer"]
    public static let number: JSONValue = ["type": "number"]
    public static let boolean: JSONValue = ["type": "boolean"]
    public static let anyObject: JSONValue = ["type": "object"]

    public static func of<Value: Decodable>(_ type: Value.Type) -> JSONValue {
        SchemaRecorder().schema(of: type)
    }

    /// `{type: object, properties, required}`.
    public static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.sorted().map(JSONValue.string)) }
        return .object(schema)
    }

    public static func array(of items: JSONValue) -> JSONValue {
        ["type": "array", "items": items]
    }

    /// `schema`, or null: an optional field, which pydantic takes as null and our answers may
    /// write as null. A schema with a single `type` gets `[type, "null"]`; others an `anyOf`.
    public static func nullable(_ schema: JSONValue) -> JSONValue {
        if case .string(let type)? = schema["type"] {
            var copy = schema
            copy["type"] = [.string(type), "null"]
            if let values = schema["enum"]?.arrayValue { copy["enum"] = .array(values + [.null]) }
            return copy
        }
        if schema == [:] { return schema }
        return ["anyOf": [schema, ["type": "null"]]]
    }
}

extension Optional: SchemaDescribing where Wrapped: Decodable {
    public static var jsonSchema: JSONValue { JSONSchema.nullable(JSONSchema.of(Wrapped.self)) }
}

extension Array: SchemaDescribing where Element: Decodable {
    public static var jsonSchema: JSONValue { JSONSchema.array(of: JSONSchema.of(Element.self)) }
}

extension Set: SchemaDescribing where Element: Decodable {
    public static var jsonSchema: JSONValue { JSONSchema.array(of: JSONSchema.of(Element.self)) }
}

extension Dictionary: SchemaDescribing where Key == String, Value: Decodable {
    public static var jsonSchema: JSONValue { ["type": "object", "additionalProperties": JSONSchema.of(Value.self)] }
}

/// Walks a type's `init(from:)` with a decoder that notes what is asked for.
final class SchemaRecorder {
    /// Types being described, so a type that contains itself ends instead of recursing.
    private var visiting: Set<ObjectIdentifier> = []

    func schema<Value: Decodable>(of type: Value.Type) -> JSONValue {
        switch type {
        case let described as any SchemaDescribing.Type: return described.jsonSchema
        case let choices as any ChoiceDecodable.Type: return ["type": "string", "enum": .array(choices.choiceValues.map(JSONValue.string))]
        case is String.Type: return JSONSchema.string
        case is Bool.Type: return JSONSchema.boolean
        case is Double.Type, is Float.Type: return JSONSchema.number
        case is any FixedWidthInteger.Type: return JSONSchema.integer
        default: break
        }
        let identity = ObjectIdentifier(type)
        guard visiting.insert(identity).inserted else { return [:] }
        defer { visiting.remove(identity) }
        let shape = RecordedShape()
        _ = try? Value(from: RecordingDecoder(recorder: self, shape: shape))
        return shape.schema
    }
}

/// What one type's decoding asked for.
final class RecordedShape {
    var properties: [String: JSONValue] = [:]
    var required: Set<String> = []
    /// Set when the type decodes one value (a wrapper) or a list.
    var single: JSONValue?

    var schema: JSONValue {
        if let single { return single }
        return JSONSchema.object(properties, required: Array(required))
    }
}

struct RecordingDecoder: Decoder {
    let recorder: SchemaRecorder
    let shape: RecordedShape

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordingKeyed<Key>(recorder: recorder, shape: shape))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        RecordingUnkeyed(recorder: recorder, shape: shape)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        RecordingSingle(recorder: recorder, shape: shape)
    }
}

struct RecordingKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    let shape: RecordedShape

    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        shape.properties[key.stringValue] = recorder.schema(of: type)
        shape.required.insert(key.stringValue)
        return try PlaceholderReader.value(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        shape.properties[key.stringValue] = JSONSchema.nullable(recorder.schema(of: type))
        return nil
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        try decodeIfPresent(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let nested = RecordedShape()
        defer { shape.properties[key.stringValue] = nested.schema }
        return KeyedDecodingContainer(RecordingKeyed<NestedKey>(recorder: recorder, shape: nested))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        shape.properties[key.stringValue] = JSONSchema.array(of: [:])
        return PlaceholderUnkeyed()
    }

    func superDecoder() throws -> any Decoder { RecordingDecoder(recorder: recorder, shape: shape) }
    func superDecoder(forKey key: Key) throws -> any Decoder { PlaceholderReader() }
}

struct RecordingUnkeyed: UnkeyedDecodingContainer {
    let recorder: SchemaRecorder
    let shape: RecordedShape
    var currentIndex = 0

    var codingPath: [any CodingKey] { [] }
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex > 0 }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        shape.single = JSONSchema.array(of: recorder.schema(of: type))
        return try PlaceholderReader.value(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return KeyedDecodingContainer(PlaceholderKeyed<NestedKey>())
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return PlaceholderUnkeyed()
    }

    mutating func superDecoder() throws -> any Decoder { PlaceholderReader() }
}

struct RecordingSingle: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    let shape: RecordedShape

    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        shape.single = recorder.schema(of: type)
        return try PlaceholderReader.value(type)
    }
}
