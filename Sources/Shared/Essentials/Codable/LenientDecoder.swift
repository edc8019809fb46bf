import Foundation

/// Decodes a `Decodable` type from parsed JSON the way pydantic v2 validates a FastAPI body in
/// its lax mode, so clients written for upstream's services send what they always sent:
/// numeric text for numbers (`"kafka_port": "9092"`), `"true"`/`"no"`/`1` for booleans, whole
/// floats for integers. What cannot be taken is reported as pydantic reports it, every issue
/// at once (``ValidationFailure``), not only the first. Unknown fields are ignored, as
/// pydantic's models ignore them.
///
/// Query strings and form fields (`.text`) are read the same way; a repeated parameter is a
/// list where the type wants one, else its last value counts (Starlette's rule).
public struct LenientDecoder: Sendable {
    public enum Input: Sendable {
        /// A JSON document.
        case json
        /// Texts: query parameters and form fields, each a string or a list of strings.
        case text
    }

    public var input: Input

    public init(input: Input = .json) {
        self.input = input
    }

    /// `type` from `value` (nil: nothing was sent) at `location` (`["body"]`, `["query"]`).
    public func decode<Value: Decodable>(_ type: Value.Type, from value: JSONValue?, at location: [ValidationIssue.Step]) throws -> Value {
        let log = IssueLog()
        let reader = LenientReader(value: value, path: location, log: log, input: input)
        let decoded: Value
        do {
            decoded = try reader.decodeValue(Value.self, value, at: location)
        } catch {
            // A type that could not be stood in for: report what was found so far.
            if log.issues.isEmpty { throw ValidationFailure([ValidationIssue(type: "value_error", location: location, message: "\(error)")]) }
            throw ValidationFailure(log.issues)
        }
        if !log.issues.isEmpty { throw ValidationFailure(log.issues) }
        return decoded
    }
}

/// The issues found while one value is decoded (decoding is synchronous and single-threaded).
final class IssueLog {
    var issues: [ValidationIssue] = []

    func add(_ type: String, _ path: [ValidationIssue.Step], _ message: String, input: JSONValue?, context: [String: JSONValue]? = nil) {
        issues.append(ValidationIssue(type: type, location: path, message: message, input: input, context: context))
    }
}

/// Thrown by a container request whose value is of another shape; the issue is already logged.
struct ShapeMismatch: Error {}

struct LenientReader: Decoder {
    let value: JSONValue?
    let path: [ValidationIssue.Step]
    let log: IssueLog
    let input: LenientDecoder.Input

    var codingPath: [any CodingKey] { path.map(StepKey.init) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let fields) = value else {
            log.add("model_type", path, "Input should be a valid dictionary or object to extract fields from", input: value)
            throw ShapeMismatch()
        }
        return KeyedDecodingContainer(KeyedReader(fields: fields, reader: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let items): return UnkeyedReader(items: items, reader: self)
        case .string where input == .text: return UnkeyedReader(items: [value!], reader: self)
        default:
            log.add("list_type", path, "Input should be a valid list", input: value)
            throw ShapeMismatch()
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleReader(reader: self) }

    func child(_ value: JSONValue?, _ step: ValidationIssue.Step) -> LenientReader {
        LenientReader(value: value, path: path + [step], log: log, input: input)
    }

    // MARK: Values

    /// `type` from `value`, or a stand-in after logging why it could not be.
    func decodeValue<Value: Decodable>(_ type: Value.Type, _ value: JSONValue?, at path: [ValidationIssue.Step]) throws -> Value {
        guard var value else {
            log.add("missing", path, "Field required", input: nil)
            return try Placeholder.make(Value.self)
        }
        if Value.self == JSONValue.self { return value as! Value }
        // Texts: a repeated parameter counts once, by its last value, unless a list is wanted.
        if input == .text, case .array(let items) = value, !(Value.self is any ListDecodable.Type), let last = items.last { value = last }
        if let converted = Primitive.convert(Value.self, value, path: path, log: log) {
            if let scalar = converted { return scalar }
            return try Placeholder.make(Value.self)
        }
        if let choices = Value.self as? any ChoiceDecodable.Type {
            guard case .string(let text) = value, let choice = choices.init(choiceValue: text) else {
                let expected = Self.quotedList(choices.choiceValues)
                log.add("enum", path, "Input should be \(expected)", input: value, context: ["expected": .string(expected)])
                return try Placeholder.make(Value.self)
            }
            return choice as! Value
        }
        let decoded: Value
        let issuesBefore = log.issues.count
        do {
            decoded = try Value(from: LenientReader(value: value, path: path, log: log, input: input))
        } catch is ShapeMismatch {
            return try Placeholder.make(Value.self)
        }
        // Rules beyond types judge whole values, as pydantic's validators run on valid fields only.
        if log.issues.count == issuesBefore, let checked = decoded as? any Validatable {
            var checks = FieldChecks(base: path)
            checked.validate(&checks)
            log.issues += checks.issues
        }
        return decoded
    }

    /// `'a', 'b' or 'c'`, as pydantic lists an enum's values.
    static func quotedList(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        guard quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }
}

/// Arrays and sets: a single text is a list of one where a list is wanted.
protocol ListDecodable {}
extension Array: ListDecodable {}
extension Set: ListDecodable {}

struct StepKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ step: ValidationIssue.Step) {
        switch step {
        case .key(let key): (stringValue, intValue) = (key, nil)
        case .index(let index): (stringValue, intValue) = (String(index), index)
        }
    }

    init?(stringValue: String) { (self.stringValue, self.intValue) = (stringValue, nil) }
    init?(intValue: Int) { (self.stringValue, self.intValue) = (String(intValue), intValue) }
}

struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: JSONValue]
    let reader: LenientReader

    var codingPath: [any CodingKey] { reader.codingPath }
    var allKeys: [Key] { fields.keys.sorted().compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        switch fields[key.stringValue] {
        case nil, .null?: true
        default: false
        }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let path = reader.path + [.key(key.stringValue)]
        guard let value = fields[key.stringValue] else {
            reader.log.add("missing", path, "Field required", input: .object(fields))
            return try Placeholder.make(T.self)
        }
        return try reader.decodeValue(T.self, value, at: path)
    }

    /// Missing or null is nil, as pydantic's `Optional[X] = None`.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        switch fields[key.stringValue] {
        case nil, .null?: nil
        case let value?: try reader.decodeValue(T.self, value, at: reader.path + [.key(key.stringValue)])
        }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type as Int8.Type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type as Int16.Type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type as UInt8.Type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type as UInt16.Type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type as UInt32.Type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type as UInt64.Type, key) }

    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try decode(type, forKey: key)
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try present(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try present(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try present(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try present(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try present(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try present(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try present(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try present(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try present(type, key) }

    private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        try decodeIfPresent(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try reader.child(fields[key.stringValue], .key(key.stringValue)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try reader.child(fields[key.stringValue], .key(key.stringValue)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { reader }
    func superDecoder(forKey key: Key) throws -> any Decoder { reader.child(fields[key.stringValue], .key(key.stringValue)) }
}

struct UnkeyedReader: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let reader: LenientReader
    var currentIndex = 0

    init(items: [JSONValue], reader: LenientReader) {
        self.items = items
        self.reader = reader
    }

    var codingPath: [any CodingKey] { reader.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let index = currentIndex
        currentIndex += 1
        return try reader.decodeValue(T.self, index < items.count ? items[index] : nil, at: reader.path + [.index(index)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        defer { currentIndex += 1 }
        return try reader.child(items[currentIndex], .index(currentIndex)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        defer { currentIndex += 1 }
        return try reader.child(items[currentIndex], .index(currentIndex)).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        defer { currentIndex += 1 }
        return reader.child(items[currentIndex], .index(currentIndex))
    }
}

struct SingleReader: SingleValueDecodingContainer {
    let reader: LenientReader

    var codingPath: [any CodingKey] { reader.codingPath }

    func decodeNil() -> Bool {
        switch reader.value {
        case nil, .null?: true
        default: false
        }
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try reader.decodeValue(T.self, reader.value, at: reader.path)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    func decode(_ type: String.Type) throws -> String { try value(type) }
    func decode(_ type: Double.Type) throws -> Double { try value(type) }
    func decode(_ type: Float.Type) throws -> Float { try value(type) }
    func decode(_ type: Int.Type) throws -> Int { try value(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }

    private func value<T: Decodable>(_ type: T.Type) throws -> T {
        try reader.decodeValue(T.self, reader.value, at: reader.path)
    }
}
