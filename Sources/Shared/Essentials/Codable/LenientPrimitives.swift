import Foundation

/// pydantic v2's lax conversions of JSON (or text) to the scalar types, with its words for
/// what it refuses.
enum Primitive {
    /// nil: `Value` is not a scalar. `.some(nil)`: a scalar that could not be made (logged).
    static func convert<Value>(_ type: Value.Type, _ value: JSONValue, path: [ValidationIssue.Step], log: IssueLog) -> Value?? {
        switch type {
        case is String.Type:
            guard case .string(let text) = value else {
                log.add("string_type", path, "Input should be a valid string", input: value)
                return .some(nil)
            }
            return .some(text as? Value)
        case is Bool.Type:
            return .some(boolean(value, path: path, log: log) as? Value)
        case is Double.Type:
            return .some(number(value, path: path, log: log) as? Value)
        case is Float.Type:
            return .some(number(value, path: path, log: log).map(Float.init) as? Value)
        case let integer as any FixedWidthInteger.Type:
            return .some(self.integer(integer, value, path: path, log: log) as? Value)
        default:
            return nil
        }
    }

    static let trueWords: Set<String> = ["1", "on", "t", "true", "y", "yes"]
    static let falseWords: Set<String> = ["0", "off", "f", "false", "n", "no"]

    static func boolean(_ value: JSONValue, path: [ValidationIssue.Step], log: IssueLog) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .number(let number) where number == 0 || number == 1: return number == 1
        case .string(let text):
            let word = text.lowercased()
            if trueWords.contains(word) { return true }
            if falseWords.contains(word) { return false }
            log.add("bool_parsing", path, "Input should be a valid boolean, unable to interpret input", input: value)
            return nil
        case .number:
            log.add("bool_parsing", path, "Input should be a valid boolean, unable to interpret input", input: value)
            return nil
        default:
            log.add("bool_type", path, "Input should be a valid boolean", input: value)
            return nil
        }
    }

    static func number(_ value: JSONValue, path: [ValidationIssue.Step], log: IssueLog) -> Double? {
        switch value {
        case .number(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text):
            guard let number = parseFloat(text) else {
                log.add("float_parsing", path, "Input should be a valid number, unable to parse string as a number", input: value)
                return nil
            }
            return number
        default:
            log.add("float_type", path, "Input should be a valid number", input: value)
            return nil
        }
    }

    static func integer<Integer: FixedWidthInteger>(
        _ type: Integer.Type, _ value: JSONValue, path: [ValidationIssue.Step], log: IssueLog
    ) -> Integer? {
        let whole: Double
        switch value {
        case .number(let number):
            guard number.rounded() == number, number.isFinite else {
                log.add("int_from_float", path, "Input should be a valid integer, got a number with a fractional part", input: value)
                return nil
            }
            whole = number
        case .bool(let flag):
            whole = flag ? 1 : 0
        case .string(let text):
            guard let parsed = parseInteger(text) else {
                log.add("int_parsing", path, "Input should be a valid integer, unable to parse string as an integer", input: value)
                return nil
            }
            guard let exact = Integer(exactly: parsed) else {
                log.add("int_parsing_size", path, "Unable to parse input string as an integer, exceeded maximum size", input: value)
                return nil
            }
            return exact
        default:
            log.add("int_type", path, "Input should be a valid integer", input: value)
            return nil
        }
        guard let exact = Integer(exactly: whole) else {
            log.add("int_parsing_size", path, "Unable to parse input string as an integer, exceeded maximum size", input: value)
            return nil
        }
        return exact
    }

    /// `" 42 "`, `"+7"`, `"1_000"`, `"4.0"`: pydantic's integers written as text.
    static func parseInteger(_ text: String) -> Int64? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        if let point = digits.firstIndex(of: ".") {
            let fraction = digits[digits.index(after: point)...]
            guard fraction.allSatisfy({ $0 == "0" }) else { return nil }
            digits = digits[..<point]
        }
        guard let first = digits.first, first.isASCII, first.isNumber, digits.last?.isNumber == true, !digits.contains("__") else { return nil }
        let plain = digits.filter { $0 != "_" }
        guard plain.allSatisfy({ $0.isASCII && $0.isNumber }), let magnitude = Int64(plain) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float()` texts: `"1.5"`, `" 2e3 "`, `"inf"`, `"1_000.5"`.
    static func parseFloat(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch trimmed {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard !trimmed.isEmpty, !trimmed.hasPrefix("_"), !trimmed.hasSuffix("_"), !trimmed.contains("__"),
            trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.e_".contains($0)) })
        else { return nil }
        return Double(trimmed.replacingOccurrences(of: "_", with: ""))
    }
}

/// Stand-ins for values that could not be decoded, so decoding goes on and finds every issue.
enum Placeholder {
    static func make<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try Value(from: PlaceholderReader())
    }
}

/// A decoder that answers every question with an empty value: `""`, `0`, `false`, `[]`, the
/// first of an enum's choices, nil for optionals.
struct PlaceholderReader: Decoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(PlaceholderKeyed<Key>())
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { PlaceholderUnkeyed() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { PlaceholderSingle() }

    static func value<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return "" as! T
        case is Bool.Type: return false as! T
        case is Double.Type: return 0.0 as! T
        case is Float.Type: return Float(0) as! T
        case let integer as any FixedWidthInteger.Type: return integer.init(0) as! T
        case is JSONValue.Type: return JSONValue.null as! T
        default:
            if let choices = type as? any ChoiceDecodable.Type, let first = choices.choiceValues.first,
                let choice = choices.init(choiceValue: first)
            {
                return choice as! T
            }
            return try T(from: PlaceholderReader())
        }
    }
}

struct PlaceholderKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { false }
    func decodeNil(forKey key: Key) throws -> Bool { true }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try PlaceholderReader.value(type) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { nil }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(PlaceholderKeyed<NestedKey>())
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { PlaceholderUnkeyed() }
    func superDecoder() throws -> any Decoder { PlaceholderReader() }
    func superDecoder(forKey key: Key) throws -> any Decoder { PlaceholderReader() }
}

struct PlaceholderUnkeyed: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }
    mutating func decodeNil() throws -> Bool { true }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try PlaceholderReader.value(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(PlaceholderKeyed<NestedKey>())
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { PlaceholderUnkeyed() }
    mutating func superDecoder() throws -> any Decoder { PlaceholderReader() }
}

struct PlaceholderSingle: SingleValueDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { true }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try PlaceholderReader.value(type) }
}
