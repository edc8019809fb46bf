import Essentials
import Foundation
import Hummingbird

/// Server-side printing (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.
enum TableRenderer {
    static func wantsTable(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("as=Table") ?? false
    }

    static func table(type: ResourceType, items: [JSONValue], metadata: JSONValue) -> JSONValue {
        let columns: [(String, String)] =
            type.plural == "pods"
            ? [("Name", "name"), ("Ready", "string"), ("Status", "string"), ("Restarts", "integer"), ("Age", "string")]
            : [("Name", "name"), ("Age", "string")]
        let definitions: [JSONValue] = columns.map { name, format in
            [
                "name": .string(name), "type": .string(format == "integer" ? "integer" : "string"), "format": .string(format == "name" ? "name" : ""),
                "description": "", "priority": 0,
            ]
        }
        let rows: [JSONValue] = items.map { item in
            let name = JSONValue.string(ObjectMeta.name(item) ?? "")
            let age = JSONValue.string(Self.age(item))
            let cells: [JSONValue] =
                type.plural == "pods" ? [name, .string(podReady(item)), .string(podStatus(item)), .number(0), age] : [name, age]
            return ["cells": .array(cells), "object": item]
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": .array(definitions), "rows": .array(rows),
        ]
    }

    static func podStatus(_ pod: JSONValue) -> String {
        if pod["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        for status in pod["status"]?["containerStatuses"]?.arrayValue ?? [] {
            if let reason = status["state"]?["waiting"]?["reason"]?.stringValue { return reason }
            if let reason = status["state"]?["terminated"]?["reason"]?.stringValue { return reason }
        }
        return pod["status"]?["phase"]?.stringValue ?? "Unknown"
    }

    static func podReady(_ pod: JSONValue) -> String {
        let containers = pod["spec"]?["containers"]?.arrayValue?.count ?? 0
        let ready = (pod["status"]?["containerStatuses"]?.arrayValue ?? []).filter { $0["ready"] == .bool(true) }.count
        return "\(ready)/\(containers)"
    }

    static func age(_ object: JSONValue) -> String {
        guard let text = object["metadata"]?["creationTimestamp"]?.stringValue,
            let created = try? Date(text, strategy: Date.ISO8601FormatStyle())
        else { return "<unknown>" }
        let seconds = max(0, Int(Date().timeIntervalSince(created)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<7200: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86_400)d"
        }
    }
}
