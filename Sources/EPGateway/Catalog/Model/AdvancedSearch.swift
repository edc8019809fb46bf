import Essentials
import Foundation
import ServiceKit

/// `POST /search`'s body (upstream's SearchRequest, docs/specs/ndp-ep.md §2.9) and the rules it
/// applies to a dataset: field clauses, `key:value` filters, keywords that must all appear, a
/// time condition on `created`, and resource filters (a dataset none of whose resources
/// matches, or that has none, is left out, as upstream).
struct AdvancedSearch: Sendable {
    var name: String?
    var title: String?
    var organization: String?
    var description: String?
    var resourceURL: String?
    var resourceName: String?
    var resourceDescription: String?
    var resourceFormat: String?
    var keywords: [String]
    var filters: [(key: String, value: String)]
    var time: TimeCondition?
    var server: CatalogServer

    enum TimeCondition: Sendable, Equatable {
        /// The one dataset created first at or after / last at or before this instant.
        case nearestAfter(Date)
        case nearestBefore(Date)
        /// Created within, either end open.
        case range(Date?, Date?)
    }

    /// The body as clients send it (empty texts count as not given).
    struct Body: JSONRequest {
        var dataset_name: String?
        var dataset_title: String?
        var owner_org: String?
        var dataset_description: String?
        var resource_url: String?
        var resource_name: String?
        var resource_description: String?
        var resource_format: String?
        /// Keywords, comma-separated; every one must appear.
        var search_term: String?
        /// `key:value` filters.
        var filter_list: [String]?
        /// `>2024-01-01T00:00:00Z`, `<…`, or `start/end` with either end empty.
        var timestamp: String?
        var server: AnyCatalog?
    }

    init(_ body: Body) throws {
        func text(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }
        name = text(body.dataset_name)
        title = text(body.dataset_title)
        organization = text(body.owner_org)
        description = text(body.dataset_description)
        resourceURL = text(body.resource_url)
        resourceName = text(body.resource_name)
        resourceDescription = text(body.resource_description)
        resourceFormat = text(body.resource_format)
        keywords = text(body.search_term)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        filters = try (body.filter_list ?? []).map { text in
            guard let colon = text.firstIndex(of: ":") else {
                throw APIError.validation("filter_list entries are \"key:value\" strings", field: "filter_list")
            }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        time = try text(body.timestamp).map(Self.time)
        server = body.server?.server ?? .global
    }

    /// `>2024-01-01T00:00:00Z`, `<…`, or `start/end` with either end empty.
    static func time(_ text: String) throws -> TimeCondition {
        func instant(_ text: String) throws -> Date {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
                if let date = try? Date(trimmed, strategy: style) { return date }
            }
            if let day = try? Date(trimmed + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()) { return day }
            throw APIError.validation("timestamp must be an ISO 8601 time, >time, <time or start/end", field: "timestamp")
        }
        if text.hasPrefix(">") { return .nearestAfter(try instant(String(text.dropFirst()))) }
        if text.hasPrefix("<") { return .nearestBefore(try instant(String(text.dropFirst()))) }
        if let slash = text.firstIndex(of: "/") {
            let start = String(text[..<slash])
            let end = String(text[text.index(after: slash)...])
            return .range(start.isEmpty ? nil : try instant(start), end.isEmpty ? nil : try instant(end))
        }
        return .nearestAfter(try instant(text))
    }

    /// Words the full-text index can narrow the candidates with. The organization is not
    /// among them: it is matched whole by the store (``organizationName``), cheaper than the
    /// index's prefix lists of a name every dataset of a big organization holds.
    var words: [String] {
        ([name, title, description].compactMap { $0 } + keywords + filters.filter { !Self.organizationKeys.contains($0.key) }.map(\.value))
            .flatMap(CatalogText.words)
    }

    static let organizationKeys: Set<String> = ["organization", "owner_org"]

    /// The organization every result must belong to, from `owner_org` or an organization
    /// filter; organization names are lowercase, and the match is exact in any case.
    var organizationName: String? {
        (organization ?? filters.first { Self.organizationKeys.contains($0.key) }?.value)?.lowercased()
    }

    func matches(_ dataset: CatalogDataset) -> Bool {
        func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }
        func within(_ text: String, _ part: String) -> Bool { text.lowercased().contains(part.lowercased()) }
        if let name, !same(dataset.name, name) { return false }
        if let title, !within(dataset.title, title) { return false }
        if let organization, !same(dataset.organization, organization) { return false }
        if let description, !within(dataset.notes, description) { return false }
        for (key, value) in filters {
            switch key {
            case "name": if !same(dataset.name, value) { return false }
            case "organization", "owner_org": if !same(dataset.organization, value) { return false }
            case "title": if !within(dataset.title, value) { return false }
            case "notes": if !within(dataset.notes, value) { return false }
            case "tags": if !dataset.tags.contains(where: { same($0, value) }) { return false }
            default:
                guard let extra = dataset.extra(key), same(extra.scalarDescription ?? String(decoding: extra.bytes(), as: UTF8.self), value) else {
                    return false
                }
            }
        }
        let resourceMatches = dataset.resources.contains { resource in
            (resourceURL.map { resource.url == $0 } ?? true) && (resourceName.map { resource.name == $0 } ?? true)
                && (resourceDescription.map { resource.description == $0 } ?? true) && (resourceFormat.map { same(resource.format, $0) } ?? true)
        }
        guard resourceMatches else { return false }
        if !keywords.isEmpty {
            let text = String(decoding: dataset.searchResult.bytes(), as: UTF8.self).lowercased()
            guard keywords.allSatisfy({ text.contains($0.lowercased()) }) else { return false }
        }
        if case .range(let start, let end) = time {
            if let start, dataset.created < start { return false }
            if let end, dataset.created > end { return false }
        }
        return true
    }

    /// `>t` and `<t` keep the one nearest dataset; a range keeps all.
    func pick(_ datasets: [CatalogDataset]) -> [CatalogDataset] {
        switch time {
        case .nearestAfter(let instant): return datasets.filter { $0.created >= instant }.min { $0.created < $1.created }.map { [$0] } ?? []
        case .nearestBefore(let instant): return datasets.filter { $0.created <= instant }.max { $0.created < $1.created }.map { [$0] } ?? []
        case .range, nil: return datasets
        }
    }
}
