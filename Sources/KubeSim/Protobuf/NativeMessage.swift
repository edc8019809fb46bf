import Essentials
import Foundation

/// apimachinery types whose JSON is not the shape of their protobuf message.
enum NativeMessage: String {
    case quantity = "api.resource.Quantity"
    case intOrString = "util.intstr.IntOrString"
    case time = "apis.meta.v1.Time"
    case microTime = "apis.meta.v1.MicroTime"
    case duration = "apis.meta.v1.Duration"
    case rawExtension = "runtime.RawExtension"
    case fieldsV1 = "apis.meta.v1.FieldsV1"

    func decode(_ bytes: ArraySlice<UInt8>) throws -> JSONValue {
        var fields: [Int: ProtobufReader.Value] = [:]
        var reader = ProtobufReader(bytes)
        while let (number, value) = try reader.next() { fields[number] = value }
        switch self {
        case .quantity:
            return .string(Self.text(fields[1]))
        case .intOrString:
            if Self.integer(fields[1]) == 1 { return .string(Self.text(fields[3])) }
            return .number(Double(Self.integer(fields[2])))
        case .time, .microTime:
            let seconds = Self.integer(fields[1])
            let nanos = Self.integer(fields[2])
            guard seconds != 0 || nanos != 0 else { return .null }
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: self == .microTime, timeZone: .gmt)
            return .string(date.formatted(style))
        case .duration:
            return .string("\(Double(Self.integer(fields[1])) / 1e9)s")
        case .rawExtension, .fieldsV1:
            guard case .bytes(let raw) = fields[1], !raw.isEmpty else { return .null }
            guard let value = try? JSONValue.decode(Data(raw)) else { throw ProtobufError.malformed("an embedded object is not JSON") }
            return value
        }
    }

    private static func text(_ value: ProtobufReader.Value?) -> String {
        if case .bytes(let bytes) = value { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    private static func integer(_ value: ProtobufReader.Value?) -> Int64 {
        if case .varint(let raw) = value { return Int64(bitPattern: raw) }
        return 0
    }
}
