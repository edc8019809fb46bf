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
