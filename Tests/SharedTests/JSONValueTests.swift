import Essentials
import Foundation
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test("unknown fields round-trip untouched, with types kept")
    func roundTrip() throws {
        let text = #"{"a":[1,2.5,"x",true,null,{"b":false}],"big":12345678901,"s":"/ndp_ep/ep-1"}"#
        let value = try JSONValue.decode(Data(text.utf8))
        #expect(value["a"]?.arrayValue?[3] == .bool(true))
        #expect(value["a"]?.arrayValue?[0] == .number(1))
        #expect(String(decoding: value.encoded(), as: UTF8.self) == text)
    }

    @Test("scalars print as Python's str() would for ids")
    func scalarDescription() {
        #expect(JSONValue.number(42).scalarDescription == "42")
        #expect(JSONValue.number(1.5).scalarDescription == "1.5")
        #expect(JSONValue.bool(true).scalarDescription == "True")
        #expect(JSONValue.array([]).scalarDescription == nil)
    }
}

@Suite("JSON writing")
struct JSONWritingTests {
    @Test("indented as Python's json.dumps(indent=2, sort_keys=True) writes it; empty containers stay on one line")
    func indented() {
        let value: JSONValue = ["b": [1, ["c": "x"], []], "a": [:], "d": "é \" \n"]
        #expect(
            String(decoding: value.indentedBytes(), as: UTF8.self) == """
                {
                  "a": {},
                  "b": [
                    1,
                    {
                      "c": "x"
                    },
                    []
                  ],
                  "d": "é \\" \\n"
                }
                """)
    }

    @Test("compact, sorted keys, escapes as RFC 8259 asks, round-trips through JSONDecoder")
    func writes() throws {
        let value: JSONValue = [
            "b": [1, .number(2.5), -3, true, nil], "a": "quote \" slash / back \\ nl \n tab \t bell \u{07} é 🚀",
            "c": ["z": .number(1e20), "y": .number(0.1)],
        ]
        #expect(
            String(decoding: value.bytes(), as: UTF8.self)
                == #"{"a":"quote \" slash / back \\ nl \n tab \t bell \u0007 é 🚀","b":[1,2.5,-3,true,null],"c":{"y":0.1,"z":1e+20}}"#)
        #expect(try JSONValue.decode(value.encoded()) == value)
        #expect(String(decoding: JSONValue.number(.nan).bytes(), as: UTF8.self) == "null")
    }
}

@Suite("JSON reading")
struct JSONReadingTests {
    /// The Codable path (Foundation's decoder), as the reference for the direct reader.
    static func foundation(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test(
        "reads what Foundation's decoder reads, to the same values",
        arguments: [
            #"{"a":1}"#, #"[]"#, #"{}"#, #"  [ 1 , -2.5e3 , 0 , 0.001 , 1E+2, -0 ]  "#, #""plain""#, "true", "null",
            #"{"esc":"\"\\\/\b\f\n\r\t","u":"\u00e9\u4e2d\ud83d\ude80","raw":"é🚀"}"#,
            #"{"nested":{"list":[{"k":[[],[{}]]}],"n":null,"b":false}}"#, "12345678901234", "-1.5e-7",
        ])
    func agreesWithFoundation(text: String) throws {
        #expect(try JSONValue.decode(Data(text.utf8)) == Self.foundation(text))
    }

    @Test(
        "refuses malformed JSON with the offset",
        arguments: [
            "", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"",
            "[1] 2", "{'a':1}", "\"tab\there\"", "nan", "1e999", "[-1e400]",
            "[" + String(repeating: "[", count: 600) + String(repeating: "]", count: 601),
        ])
    func refuses(text: String) {
        #expect(throws: (any Error).self) { try JSONValue.decode(Data(text.utf8)) }
    }

    @Test("a repeated key keeps its last value, as Python and Go read it")
    func repeatedKey() throws {
        #expect(try JSONValue.decode(Data(#"{"dup":1,"dup":2}"#.utf8)) == ["dup": 2])
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: (any Error).self) { try JSONValue.decode(Data([0x22, 0xFF, 0xFE, 0x22])) }
    }
}
