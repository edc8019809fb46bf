/// One thing wrong with a request's input, in the words FastAPI (pydantic v2) uses: a
/// machine-readable `type` (`missing`, `int_parsing`), where it is (`["body", "kafka_port"]`),
/// a message, and the input that was refused.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    /// A step of a location: a field's name or a list's index.
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        case key(String)
        case index(Int)

        public var json: JSONValue {
            switch self {
            case .key(let key): .string(key)
            case .index(let index): .number(Double(index))
            }
        }

        public var description: String {
            switch self {
            case .key(let key): key
            case .index(let index): String(index)
            }
        }
    }

    public var type: String
    public var location: [Step]
    public var message: String
    /// What was refused; nil when there was nothing (a missing body).
    public var input: JSONValue?
    /// pydantic's `ctx` (what was expected).
    public var context: [String: JSONValue]?

    public init(type: String, location: [Step], message: String, input: JSONValue? = nil, context: [String: JSONValue]? = nil) {
        self.type = type
        self.location = location
        self.message = message
        self.input = input
        self.context = context
    }

    /// FastAPI's `{type, loc, msg, input}` (and `ctx` when there is one).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string(type), "loc": .array(location.map(\.json)), "msg": .string(message), "input": input ?? .null,
        ]
        if let context { fields["ctx"] = .object(context) }
        return .object(fields)
    }

    /// `body.kafka_port: Input should be a valid integer`.
    public var description: String {
        location.map(\.description).joined(separator: ".") + ": " + message
    }
}

/// What a request's input failed: every issue found, not only the first, as FastAPI reports them.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ValidationIssue]

    public init(_ issues: [ValidationIssue]) {
        self.issues = issues
    }

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

/// A Decodable enum decoded by its raw value, reported as pydantic reports an enum
/// (`Input should be 'local', 'global' or 'pre_ckan'`) and listed in schemas.
public protocol ChoiceDecodable: Decodable, Sendable {
    static var choiceValues: [String] { get }
    init?(choiceValue: String)
}

extension ChoiceDecodable where Self: CaseIterable & RawRepresentable, RawValue == String {
    public static var choiceValues: [String] { allCases.map(\.rawValue) }
    public init?(choiceValue: String) { self.init(rawValue: choiceValue) }
}

/// A type whose JSON schema is not the one its Decodable conformance shows (JSONValue: any
/// value; a type with hand-written coding).
public protocol SchemaDescribing {
    static var jsonSchema: JSONValue { get }
}

extension JSONValue: SchemaDescribing {
    public static var jsonSchema: JSONValue { [:] }
}

/// A decoded value with rules beyond its fields' types (a pattern, a length, a range, one
/// field or another): ``LenientDecoder`` asks it after decoding, with the value's location.
public protocol Validatable {
    func validate(_ checks: inout FieldChecks)
}

/// The issues ``Validatable/validate(_:)`` finds, located under the value checked.
public struct FieldChecks: Sendable {
    let base: [ValidationIssue.Step]
    public private(set) var issues: [ValidationIssue] = []

    public init(base: [ValidationIssue.Step]) {
        self.base = base
    }

    /// An issue at `field` (a dotted path below the value: `resources.0.url`).
    public mutating func fail(_ field: String, _ message: String, type: String = "value_error", input: JSONValue? = nil) {
        let steps: [ValidationIssue.Step] = field.split(separator: ".").map { part in Int(part).map { .index($0) } ?? .key(String(part)) }
        issues.append(ValidationIssue(type: type, location: base + steps, message: message, input: input))
    }

    /// pydantic's `string_pattern_mismatch`.
    public mutating func pattern(_ value: String?, _ field: String, _ pattern: String, message: String? = nil) {
        guard let value, value.range(of: pattern, options: .regularExpression) == nil else { return }
        fail(field, message ?? "String should match pattern '\(pattern)'", type: "string_pattern_mismatch", input: .string(value))
    }

    /// pydantic's `string_too_short` / `string_too_long`.
    public mutating func length(_ value: String?, _ field: String, _ bounds: ClosedRange<Int>) {
        guard let value else { return }
        if value.count < bounds.lowerBound {
            let unit = bounds.lowerBound == 1 ? "character" : "characters"
            fail(field, "String should have at least \(bounds.lowerBound) \(unit)", type: "string_too_short", input: .string(value))
        } else if value.count > bounds.upperBound {
            let unit = bounds.upperBound == 1 ? "character" : "characters"
            fail(field, "String should have at most \(bounds.upperBound) \(unit)", type: "string_too_long", input: .string(value))
        }
    }

    /// pydantic's `greater_than_equal` / `less_than_equal`.
    public mutating func range<Number: BinaryInteger>(_ value: Number?, _ field: String, _ bounds: ClosedRange<Number>) {
        guard let value else { return }
        if value < bounds.lowerBound {
            fail(field, "Input should be greater than or equal to \(bounds.lowerBound)", type: "greater_than_equal", input: .number(Double(value)))
        } else if value > bounds.upperBound {
            fail(field, "Input should be less than or equal to \(bounds.upperBound)", type: "less_than_equal", input: .number(Double(value)))
        }
    }
}
