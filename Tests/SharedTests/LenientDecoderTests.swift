import Essentials
import Foundation
import Testing

/// The request decoder behaves as pydantic v2's lax mode behind FastAPI: what upstream's
/// clients send is taken, the rest is refused with every issue in FastAPI's words.
@Suite("Lenient decoding, schemas and encoding")
struct LenientDecoderTests {
    struct Topic: Decodable, Equatable, Validatable {
        var name: String
        var port: Int
        var ratio: Double?
        var enabled: Bool?
        var tags: [String]?
        var server: Server?

        func validate(_ checks: inout FieldChecks) {
            checks.range(port, "port", 0...65535)
            checks.pattern(name, "name", "^[a-z0-9_-]{2,100}$")
        }
    }

    enum Server: String, CaseIterable, ChoiceDecodable {
        case local, global
        case preCkan = "pre_ckan"
    }

    struct Outer: Decodable {
        var topics: [Topic]
    }

    func decode<T: Decodable>(_ type: T.Type, _ json: JSONValue?, input: LenientDecoder.Input = .json) throws -> T {
        try LenientDecoder(input: input).decode(type, from: json, at: [.key("body")])
    }

    func issues<T: Decodable>(_ type: T.Type, _ json: JSONValue?, input: LenientDecoder.Input = .json) -> [ValidationIssue] {
        do {
            _ = try decode(type, json, input: input)
            return []
        } catch let failure as ValidationFailure {
            return failure.issues
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    @Test("numeric text is a number, as pydantic's lax mode takes it: \"kafka_port\": \"9092\"")
    func numericText() throws {
        let topic = try decode(Topic.self, ["name": "ab", "port": "9092", "ratio": " 2.5 ", "enabled": "yes"])
        #expect(topic == Topic(name: "ab", port: 9092, ratio: 2.5, enabled: true))
        #expect(try decode(Topic.self, ["name": "ab", "port": "4.0"]).port == 4)
        #expect(try decode(Topic.self, ["name": "ab", "port": .number(80.0), "enabled": 0]).enabled == false)
        #expect(try decode(Topic.self, ["name": "ab", "port": "1_000"]).port == 1000)
    }

    @Test("what cannot be taken is refused in pydantic's words, every issue at once")
    func refusals() {
        let found = issues(Topic.self, ["port": "ninety", "ratio": "x", "enabled": "maybe", "tags": "a", "server": "remote"])
        #expect(found.map(\.type) == ["missing", "int_parsing", "float_parsing", "bool_parsing", "list_type", "enum"])
        #expect(found[0].location == [.key("body"), .key("name")])
        #expect(found[0].message == "Field required")
        #expect(found[1].message == "Input should be a valid integer, unable to parse string as an integer")
        #expect(found[1].input == "ninety")
        #expect(found[5].message == "Input should be 'local', 'global' or 'pre_ckan'")
        #expect(issues(Topic.self, ["name": "ab", "port": .number(1.5)]).map(\.type) == ["int_from_float"])
        #expect(issues(Topic.self, ["name": 7, "port": 1]).map(\.type) == ["string_type"])
    }

    @Test("rules beyond types run after decoding, located under the value")
    func validation() {
        let found = issues(Outer.self, ["topics": [["name": "ab", "port": 1], ["name": "A B", "port": 70000]]])
        #expect(found.map(\.type) == ["less_than_equal", "string_pattern_mismatch"])
        #expect(found[0].location == [.key("body"), .key("topics"), .index(1), .key("port")])
        #expect(found[0].message == "Input should be less than or equal to 65535")
    }

    @Test("no body, and a body of the wrong shape")
    func shapes() {
        #expect(issues(Topic.self, nil).map(\.json) == [["type": "missing", "loc": ["body"], "msg": "Field required", "input": nil]])
        #expect(issues(Topic.self, ["a"]).map(\.type) == ["model_type"])
        #expect(issues(Outer.self, ["topics": "x"]).map(\.type) == ["list_type"])
    }

    @Test("query texts: a repeated parameter is its last value, or a list where one is wanted")
    func texts() throws {
        let topic = try decode(Topic.self, ["name": ["xx", "yy"], "port": "8", "tags": "one"], input: .text)
        #expect(topic.name == "yy")
        #expect(topic.tags == ["one"])
        #expect(try decode(Topic.self, ["name": "zz", "port": "8", "tags": ["a", "b"]], input: .text).tags == ["a", "b"])
    }

    @Test("the schema of a type is read from its decoding")
    func schema() {
        let schema = JSONSchema.of(Topic.self)
        #expect(schema["type"] == "object")
        #expect(schema["required"] == ["name", "port"])
        #expect(schema["properties"]?["port"] == ["type": "integer"])
        // Optional fields may be null, as pydantic's Optional.
        #expect(schema["properties"]?["tags"] == ["type": ["array", "null"], "items": ["type": "string"]])
        #expect(schema["properties"]?["server"] == ["type": ["string", "null"], "enum": ["local", "global", "pre_ckan", nil]])
        #expect(JSONSchema.of(Outer.self)["properties"]?["topics"]?["items"]?["required"] == ["name", "port"])
    }

    struct Answer: Encodable {
        var id: String
        var size: Int?
        var nested: [String: Int]
    }

    @Test("answers encode to JSON values; a nil field is left out or null as the type asks")
    func encoding() throws {
        let answer = Answer(id: "x", size: nil, nested: ["a": 1])
        #expect(try JSONValueEncoder().encode(answer) == ["id": "x", "nested": ["a": 1]])
        #expect(try JSONValueEncoder(nilEncoding: .null).encode(answer) == ["id": "x", "size": nil, "nested": ["a": 1]])
    }

    /// A key written twice (a custom `encode(to:)`): the last value stands, as in a dictionary.
    struct Twice: Encodable {
        enum Keys: String, CodingKey { case b, a }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("first", forKey: .b)
            try container.encode(1, forKey: .a)
            try container.encode("last", forKey: .b)
        }
    }

    struct Mixed: Encodable {
        var text = "quote \" backslash \\ tab \t é"
        var when = Date(timeIntervalSince1970: 0)
        var numbers: [Double] = [1, 2.5, -0.0, 1e20]
        var flags: [String: Bool] = ["z": true, "a": false]
        var answers = [Answer(id: "1", size: 2, nested: [:]), Answer(id: "2", size: nil, nested: ["k": 3])]
        var twice = Twice()
        var raw: JSONValue = ["x": [1, nil, "y"]]
        var nothing: String? = nil
    }

    @Test("answers written straight to bytes are the same text as their JSON value writes", arguments: [false, true])
    func encodedBytes(nullForNil: Bool) throws {
        let encoder = JSONValueEncoder(nilEncoding: nullForNil ? .null : .omit)
        for value in [Mixed(), Mixed(text: "", numbers: [], flags: [:], answers: [], nothing: "here")] {
            #expect(try encoder.encodedBytes(value) == encoder.encode(value).bytes())
        }
        #expect(try encoder.encode(Twice()) == ["a": 1, "b": "last"])
        #expect(String(decoding: try encoder.encodedBytes(Twice()), as: UTF8.self) == #"{"a":1,"b":"last"}"#)
        #expect(try encoder.encodedBytes([1, 2]) == Array("[1,2]".utf8))
        #expect(try encoder.encodedBytes("a\nb") == Array(#""a\nb""#.utf8))
    }
}
