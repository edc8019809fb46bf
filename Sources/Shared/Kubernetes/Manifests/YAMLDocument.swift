import Essentials
import Foundation
import Yams

/// YAML (a superset of JSON) read into ``JSONValue``, as Kubernetes reads manifests: quoted
/// scalars stay strings (`"8888"`), plain ones resolve to numbers, booleans and null.
public enum YAMLDocument {
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Exactly one document; an empty stream or several documents are errors.
    public static func decodeSingle(_ text: String) throws -> JSONValue {
        // The parser directly: `load_all`'s sequence ends quietly at a syntax error.
        let root: Node?
        do {
            root = try Parser(yaml: text).singleRoot()
        } catch {
            throw Invalid(description: "\(error)")
        }
        guard let root else { throw Invalid(description: "no document") }
        return try convert(root.any)
    }

    static func convert(_ value: Any) throws -> JSONValue {
        switch value {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .number(Double(int))
        case let double as Double:
            guard double.isFinite else { throw Invalid(description: "non-finite number") }
            return .number(double)
        case let date as Date: return .string(ISO8601DateFormatter().string(from: date))
        case let data as Data: return .string(data.base64EncodedString())
        case is NSNull: return .null
        case let array as [Any]: return .array(try array.map(convert))
        case let mapping as [String: Any]: return .object(try mapping.mapValues(convert))
        case let mapping as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, element) in mapping { object["\(key)"] = try convert(element) }
            return .object(object)
        default:
            throw Invalid(description: "unsupported YAML value \(type(of: value))")
        }
    }
}
