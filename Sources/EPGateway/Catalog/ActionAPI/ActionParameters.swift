import Essentials
import Foundation
import Hummingbird
import ServiceKit

/// An action's data dictionary: the JSON object a POST carries (what `ckanapi` sends), a
/// form-encoded POST's fields, or a GET's query parameters (all strings, so every reader here
/// also takes a number or a boolean spelled as text, as CKAN's validators do).
struct ActionParameters: Sendable {
    var values: [String: JSONValue]

    static func read(_ request: Request) async throws -> ActionParameters {
        guard request.method == .post else {
            return ActionParameters(values: request.uri.queryParameters.lastValues.mapValues(JSONValue.string))
        }
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("multipart/") {
            throw ActionError.badRequest("file uploads are not supported here: give the resource a url (upload the file through /s3/objects/)")
        }
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            var values: [String: JSONValue] = [:]
            for field in FormBody(parsing: String(buffer: buffer)).fields { values[field.name] = .string(field.value) }
            return ActionParameters(values: values)
        }
        guard buffer.readableBytes > 0 else { return ActionParameters(values: [:]) }
        guard let decoded = try? JSONValue.decode(Data(buffer: buffer)) else {
            throw ActionError.badRequest("JSON Error: the body is not valid JSON")
        }
        guard let object = decoded.objectValue else {
            throw ActionError.badRequest("JSON Error: the body must be a JSON object (the action's data dictionary)")
        }
        return ActionParameters(values: object)
    }

    subscript(_ key: String) -> JSONValue? {
        switch values[key] {
        case nil, .null: nil
        case let value?: value
        }
    }

    func string(_ key: String) throws -> String? {
        switch self[key] {
        case nil: return nil
        case .string(let text): return text
        case .number, .bool: return self[key]?.scalarDescription
        default: throw ActionError.validation(key, "Must be a string")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key), !text.isEmpty else { throw ActionError.validation(key, "Missing value") }
        return text
    }

    /// An integer in `range`; CKAN's row limits are caps, so `capped` values above it are
    /// lowered instead of refused.
    func integer(_ key: String, default value: Int, range: ClosedRange<Int>, capped: Bool = false) throws -> Int {
        let number: Int?
        switch self[key] {
        case nil: return value
        case .number(let double): number = double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
        case .string(let text): number = Int(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else { throw ActionError.validation(key, "Invalid integer") }
        if capped, number > range.upperBound { return range.upperBound }
        guard range.contains(number) else {
            throw ActionError.validation(key, "Must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        switch self[key] {
        case nil: return value
        case .bool(let flag): return flag
        case .number(let number) where number == 0 || number == 1: return number == 1
        case .string(let text):
            switch text.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: break
            }
        default: break
        }
        throw ActionError.validation(key, "Must be true or false")
    }

    /// The data dictionary without `key` (the fields an update applies).
    func removing(_ keys: String...) -> ActionParameters {
        var copy = values
        for key in keys { copy[key] = nil }
        return ActionParameters(values: copy)
    }
}
