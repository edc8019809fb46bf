import Foundation
import Shared
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
    @Test("compact, sorted keys, escapes as RFC 8259 asks, round-trips through JSONDecoder")
    func writes() throws {
        let value: JSONValue = ["b": [1, .number(2.5), -3, true, nil], "a": "quote \" slash / back \\ nl \n tab \t bell \u{07} é 🚀", "c": ["z": .number(1e20), "y": .number(0.1)]]
        #expect(String(decoding: value.bytes(), as: UTF8.self)
            == #"{"a":"quote \" slash / back \\ nl \n tab \t bell \u0007 é 🚀","b":[1,2.5,-3,true,null],"c":{"y":0.1,"z":1e+20}}"#)
        #expect(try JSONValue.decode(value.encoded()) == value)
        #expect(String(decoding: JSONValue.number(.nan).bytes(), as: UTF8.self) == "null")
    }
}
