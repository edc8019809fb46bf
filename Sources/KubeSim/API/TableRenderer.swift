import Essentials
import Foundation
import Hummingbird

/// Server-side printing (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.
enum TableRenderer {
    static func wantsTable(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("as=Table") ?? false
    }

    /// One printed column: `priority` 1 columns show with `-o wide` only.
    struct Column {
        var name: String
        var type = "string"
        var priority = 0
        var cell: (JSONValue) -> JSONValue
    }

    /// The columns the API server prints for the kinds people `get` most; Name and Age for
    /// the others.
    static func columns(for plural: String) -> [Column] {
        let name = Column(name: "Name") { .string(ObjectMeta.name($0) ?? "") }
        let age = Column(name: "Age") { .string(Self.age($0)) }
        func text(_ path: String...) -> (JSONValue) -> JSONValue {
            { object in .string(object[path: path]?.scalarDescription ?? "<none>") }
        }
        func count(_ path: String...) -> (JSONValue) -> Int {
            { object in Int(object[path: path]?.doubleValue ?? 0) }
        }
        switch plural {
        case "pods":
            return [
                name, Column(name: "Ready") { .string(podReady($0)) }, Column(name: "Status") { .string(podStatus($0)) },
                Column(name: "Restarts", type: "integer") { _ in .number(0) }, age,
                Column(name: "IP", priority: 1, cell: text("status", "podIP")), Column(name: "Node", priority: 1, cell: text("spec", "nodeName")),
            ]
        case "deployments":
            let ready = count("status", "readyReplicas")
            let wanted = count("spec", "replicas")
            return [
                name, Column(name: "Ready") { .string("\(ready($0))/\(wanted($0))") },
                Column(name: "Up-to-date", type: "integer") { .number(Double(count("status", "updatedReplicas")($0))) },
                Column(name: "Available", type: "integer") { .number(Double(count("status", "availableReplicas")($0))) }, age,
                Column(name: "Containers", priority: 1) { .string(containerField($0, "name")) },
                Column(name: "Images", priority: 1) { .string(containerField($0, "image")) },
            ]
        case "jobs":
            return [
                name,
                Column(name: "Status") { job in
                    let conditions = job["status"]?["conditions"]?.arrayValue ?? []
                    let done = conditions.first { $0["status"] == "True" && ["Complete", "Failed"].contains($0["type"]?.stringValue ?? "") }
                    return .string(done?["type"]?.stringValue ?? "Running")
                },
                Column(name: "Completions") { .string("\(count("status", "succeeded")($0))/\(max(1, count("spec", "completions")($0)))") }, age,
            ]
        case "services":
            return [
                name, Column(name: "Type", cell: text("spec", "type")), Column(name: "Cluster-IP", cell: text("spec", "clusterIP")),
                Column(name: "Port(s)") { service in
                    .string(
                        (service["spec"]?["ports"]?.arrayValue ?? []).map { port in
                            let number = port["port"]?.scalarDescription ?? ""
                            let node = port["nodePort"]?.scalarDescription.map { ":\($0)" } ?? ""
                            return "\(number)\(node)/\(port["protocol"]?.stringValue ?? "TCP")"
                        }.joined(separator: ","))
                }, age,
            ]
        default:
            return [name, age]
        }
    }

    static func containerField(_ workload: JSONValue, _ field: String) -> String {
        (workload["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0[field]?.stringValue }.joined(separator: ",")
    }

    static func table(type: ResourceType, items: [JSONValue], metadata: JSONValue) -> JSONValue {
        let columns = columns(for: type.plural)
        let definitions: [JSONValue] = columns.map { column in
            [
                "name": .string(column.name), "type": .string(column.type), "format": .string(column.name == "Name" ? "name" : ""),
                "description": "", "priority": .number(Double(column.priority)),
            ]
        }
        let rows: [JSONValue] = items.map { item in
            ["cells": .array(columns.map { $0.cell(item) }), "object": item]
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
