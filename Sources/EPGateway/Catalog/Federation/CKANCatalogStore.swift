import Essentials
import Foundation
import NIOConcurrencyHelpers

/// A catalog kept in a CKAN, or in another ndp-ep-api, through its action API: what
/// `server=global` and `server=pre_ckan` read and write, and the local catalog with
/// `LOCAL_CATALOG_BACKEND=ckan`.
///
/// CKAN has no transactions: an update is `package_show` then `package_update`, so two
/// concurrent updates of one dataset through different endpoints may lose one (each endpoint's
/// own database stores do not). A remote catalog shows what its API key may see; this
/// endpoint's policy then decides what its caller sees.
final class CKANCatalogStore: CatalogStore {
    let client: CKANClient
    /// Whether the remote is another ndp-ep-api (its `status_show` says so), asked once: it
    /// keeps extras' JSON types and takes `text:` in `resource_search`; CKAN itself does not.
    private let endpoint = NIOLockedValueBox<Bool?>(nil)

    init(client: CKANClient) {
        self.client = client
    }

    private func remoteIsEndpoint() async throws -> Bool {
        if let known = endpoint.withLockedValue({ $0 }) { return known }
        let answer = try await client.call("status_show")["ndp_ep_api_version"] != nil
        endpoint.withLockedValue { $0 = answer }
        return answer
    }

    /// CKAN's page sizes: `package_search` rows and `organization_list` with all fields.
    static let searchPage = 1000
    static let organizationPage = 25

    // MARK: Organizations

    private func allOrganizations() async throws -> [(organization: CatalogOrganization, publicDatasets: Int)] {
        var found: [(CatalogOrganization, Int)] = []
        while true {
            let page =
                try await client.call(
                    "organization_list",
                    [
                        "all_fields": true, "include_extras": true, "limit": .number(Double(Self.organizationPage)),
                        "offset": .number(Double(found.count)), "sort": "name asc",
                    ]
                ).arrayValue ?? []
            found += page.compactMap { entry in
                PackageDictionary.organization(from: entry).map { ($0, Int(entry["package_count"]?.doubleValue ?? 0)) }
            }
            if page.count < Self.organizationPage { return found }
        }
    }

    func organizationNames(containing: String?, createdBy: String?) async throws -> [String] {
        try await allOrganizations().map(\.organization).filter { organization in
            if let containing, !containing.isEmpty, !organization.name.lowercased().contains(containing.lowercased()) { return false }
            if let createdBy, organization.creator?.userID != createdBy { return false }
            return true
        }.map(\.name).sorted()
    }

    func organizationSummaries() async throws -> [OrganizationSummary] {
        try await allOrganizations().map { OrganizationSummary(organization: $0.organization, publicDatasets: $0.publicDatasets) }
            .sorted { $0.organization.name < $1.organization.name }
    }

    func createOrganization(_ organization: NewOrganization) async throws -> CatalogOrganization {
        var data: [String: JSONValue] = [
            "name": .string(organization.name), "title": .string(organization.title), "description": .string(organization.description),
        ]
        if let creator = organization.creator {
            data["extras"] = [["key": "ndp_user_id", "value": .string(creator.userID)], ["key": "ndp_creator_md5", "value": .string(creator.md5)]]
        }
        do {
            let created = try await client.call("organization_create", data)
            guard let result = PackageDictionary.organization(from: created) else {
                throw CKANClientError.unreachable(client.settings.label, reason: "organization_create answered no organization")
            }
            return result
        } catch let error as CKANClientError where error.messages(for: "name").contains(where: { $0.contains("already exists") }) {
            throw CatalogError.organizationExists(organization.name)
        }
    }

    func organization(named name: String) async throws -> CatalogOrganization? {
        try await client.callUnlessMissing("organization_show", ["id": .string(name), "include_extras": true]).flatMap(
            PackageDictionary.organization(from:))
    }

    func deleteOrganization(named name: String, cascade: Bool) async throws {
        guard let organization = try await organization(named: name) else { throw CatalogError.organizationNotFound }
        let datasets = try await searchDatasets(
            DatasetQuery(filters: [.organization(organization.id)], visibility: .all, limit: Int(Int32.max), counting: true))
        if let count = datasets.count, count > 0 {
            guard cascade else { throw CatalogError.organizationHasDatasets(name, count: count) }
            for dataset in datasets.datasets { _ = try await deleteDataset(dataset.id) }
        }
        guard try await client.callUnlessMissing("organization_delete", ["id": .string(organization.id)]) != nil else {
            throw CatalogError.organizationNotFound
        }
        // CKAN keeps a deleted organization's name until it is purged (a sysadmin's right).
        _ = try? await client.call("organization_purge", ["id": .string(organization.id)])
    }

    // MARK: Datasets

    func createDataset(_ dataset: CatalogDataset) async throws -> CatalogDataset {
        do {
            let data = PackageDictionary.packageData(dataset, includingID: false, stringExtras: !(try await remoteIsEndpoint()))
            let created = try await client.call("package_create", data)
            guard let result = PackageDictionary.dataset(created) else {
                throw CKANClientError.unreachable(client.settings.label, reason: "package_create answered no package")
            }
            return result
        } catch let error as CKANClientError {
            throw Self.datasetError(error, dataset)
        }
    }

    private static func datasetError(_ error: CKANClientError, _ dataset: CatalogDataset) -> any Error {
        if error.messages(for: "name").contains(where: { $0.contains("already in use") }) { return CatalogError.datasetExists(dataset.name) }
        if error.messages(for: "owner_org").contains(where: { $0.contains("does not exist") }) {
            return CatalogError.organizationMissing(dataset.organization)
        }
        return error
    }

    func dataset(_ idOrName: String) async throws -> CatalogDataset? {
        try await client.callUnlessMissing("package_show", ["id": .string(idOrName)]).flatMap(PackageDictionary.dataset)
    }

    func updateDataset(_ idOrName: String, _ change: @escaping @Sendable (inout CatalogDataset) throws -> Void) async throws -> CatalogDataset {
        guard let current = try await dataset(idOrName) else { throw CatalogError.datasetNotFound }
        var changed = current
        try change(&changed)
        changed.modified = Date()
        do {
            let data = PackageDictionary.packageData(changed, includingID: true, stringExtras: !(try await remoteIsEndpoint()))
            let updated = try await client.call("package_update", data)
            return PackageDictionary.dataset(updated) ?? changed
        } catch let error as CKANClientError {
            if error.isNotFound { throw CatalogError.datasetNotFound }
            throw Self.datasetError(error, changed)
        }
    }

    func deleteDataset(_ idOrName: String) async throws -> CatalogDataset? {
        guard let dataset = try await dataset(idOrName) else { return nil }
        guard try await client.callUnlessMissing("package_delete", ["id": .string(dataset.id)]) != nil else { return nil }
        // CKAN keeps a deleted dataset's name until it is purged (a sysadmin's right).
        _ = try? await client.call("dataset_purge", ["id": .string(dataset.id)])
        return dataset
    }

    func searchDatasets(_ query: DatasetQuery) async throws -> DatasetPage {
        var data: [String: JSONValue] = [
            "q": .string(query.words.isEmpty ? "*:*" : query.words.joined(separator: " ")),
            "sort": .string(query.order.map { "\(Self.sortField($0.field)) \($0.descending ? "desc" : "asc")" }.joined(separator: ", ")),
            "include_private": .bool(query.visibility != .none),
        ]
        let clauses = query.filters.map(Self.clause)
        if !clauses.isEmpty { data["fq"] = .string(clauses.joined(separator: " ")) }
        var datasets: [CatalogDataset] = []
        var count: Int?
        var start = query.offset
        var hidden = 0
        // At least one call, so that `limit: 0` still brings the count.
        repeat {
            data["start"] = .number(Double(start))
            data["rows"] = .number(Double(min(Self.searchPage, query.limit - datasets.count)))
            let answer = try await client.call("package_search", data)
            let page = (answer["results"]?.arrayValue ?? []).compactMap(PackageDictionary.dataset)
            count = answer["count"]?.doubleValue.map { Int($0) }
            let kept = page.filter { dataset in
                guard dataset.isPrivate, case .createdBy(let creator) = query.visibility else { return true }
                return dataset.creator == creator
            }
            hidden += page.count - kept.count
            datasets += kept
            start += page.count
            if page.count == 0 || start >= (count ?? 0) { break }
        } while datasets.count < query.limit
        return DatasetPage(count: query.counting ? max(0, (count ?? 0) - hidden) : nil, datasets: datasets)
    }

    private static func sortField(_ field: DatasetOrder.Field) -> String {
        switch field {
        case .name: "name"
        case .title: "title_string"
        case .created: "metadata_created"
        case .modified: "metadata_modified"
        }
    }

    /// A filter as a Solr clause, its value quoted.
    static func clause(_ filter: DatasetFilter) -> String {
        func quoted(_ value: String) -> String {
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        switch filter {
        case .id(let id): return "id:\(quoted(id))"
        case .name(let name): return "name:\(quoted(name))"
        case .organization(let organization): return "organization:\(quoted(organization))"
        case .tag(let tag): return "tags:\(quoted(tag))"
        case .group(let group): return "groups:\(quoted(group))"
        case .resourceFormat(let format): return "res_format:\(quoted(format))"
        case .license(let license): return "license_id:\(quoted(license))"
        case .extra(let key, let value): return "extras_\(key):\(quoted(value))"
        case .isPrivate(let isPrivate): return "capacity:\(isPrivate ? "private" : "public")"
        }
    }

    func publicDatasetNames(limit: Int, offset: Int) async throws -> [String] {
        try await client.call("package_list", ["limit": .number(Double(limit)), "offset": .number(Double(offset))]).arrayValue?
            .compactMap(\.stringValue) ?? []
    }

    // MARK: Resources

    func resource(_ id: String) async throws -> (resource: CatalogResource, dataset: CatalogDataset)? {
        guard let found = try await client.callUnlessMissing("resource_show", ["id": .string(id)]),
            let packageID = found["package_id"]?.stringValue, let dataset = try await dataset(packageID),
            let resource = dataset.resources.first(where: { $0.id == id })
        else { return nil }
        return (resource, dataset)
    }

    /// CKAN's `resource_search`: `field:term` clauses, all required, each a substring match.
    /// `text` (any of name, url, description) is this endpoint's addition to it; a plain CKAN
    /// has no such field, so there the text is looked for in the name only. The dataset's
    /// name, title, mode and creator come with each hit from an endpoint, and from
    /// `package_show` otherwise.
    func searchResources(_ query: ResourceQuery) async throws -> (count: Int, hits: [ResourceHit]) {
        var clauses: [String] = []
        let textField = query.text == nil ? "text" : try await remoteIsEndpoint() ? "text" : "name"
        for (field, value) in [
            (textField, query.text), ("name", query.name), ("url", query.url), ("description", query.description), ("format", query.format),
        ] {
            if let value, !value.isEmpty { clauses.append("\(field):\(value)") }
        }
        let answer = try await client.call(
            "resource_search",
            [
                "query": .array(clauses.map(JSONValue.string)), "offset": .number(Double(query.offset)), "limit": .number(Double(query.limit)),
                "include_private": .bool(query.privateVisibility != .none),
            ])
        var hits: [ResourceHit] = []
        var hidden = 0
        var datasets: [String: CatalogDataset] = [:]
        for entry in answer["results"]?.arrayValue ?? [] {
            guard let resource = PackageDictionary.resource(entry), let datasetID = entry["package_id"]?.stringValue else { continue }
            var name = entry["dataset_name"]?.stringValue
            var title = entry["dataset_title"]?.stringValue
            var isPrivate = entry["dataset_private"]?.boolValue
            var creator = entry["dataset_creator"]?.stringValue
            if name == nil || isPrivate == nil {
                if datasets[datasetID] == nil { datasets[datasetID] = try await dataset(datasetID) }
                let dataset = datasets[datasetID]
                (name, title, isPrivate, creator) = (dataset?.name, dataset?.title, dataset?.isPrivate, dataset?.creator)
            }
            if isPrivate == true {
                switch query.privateVisibility {
                case .none:
                    hidden += 1
                    continue
                case .createdBy(let user) where creator != user:
                    hidden += 1
                    continue
                default: break
                }
            }
            hits.append(
                ResourceHit(
                    resource: resource, datasetID: datasetID, datasetName: name ?? "", datasetTitle: title ?? "",
                    datasetIsPrivate: isPrivate ?? false,
                    datasetCreator: creator))
        }
        return (max(0, Int(answer["count"]?.doubleValue ?? 0) - hidden), hits)
    }

    // MARK: The store's housekeeping

    func datasetCount() async throws -> Int {
        Int(try await client.call("package_search", ["rows": 0, "include_private": true])["count"]?.doubleValue ?? 0)
    }

    func refreshStatistics() async throws {}

    func ping() async throws {
        _ = try await client.call("status_show")
    }

    func close() async throws {}
}
