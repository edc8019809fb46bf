import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `POST /kafka`, `/url`, `/s3`, `/services` and their `PUT`/`PATCH /{kind}/{id}` (docs/specs/
/// ndp-ep.md §2.7): one route set per ``RegistrationKind``. Kafka topics, URLs and S3 links are
/// `dataset`s for the policy; services are `service`s, `protected` when `requires_auth` is set.
struct RegistrationRoutes<Fields: RegistrationFields>: Sendable {
    let kind: RegistrationKind
    let catalogs: CatalogServers
    let access: EndpointAccess
    let endpointOrganization: String

    var entity: PolicyEntity { kind.path == "services" ? .service : .dataset }

    /// Creating is `create` in the mode the body asks for; updating is decided on the stored
    /// registration: its mode and its creator.
    var routes: [Route<IdentityRequestContext>] {
        let noun = kind.path == "services" ? "service" : "dataset"
        let update = { (method: HTTPRequest.Method) in
            Route<IdentityRequestContext>.on(
                method, "/\(kind.path)/{id}", "Update the registration of \(kind.what): given fields replace, extras merge.",
                access: .policy(entity, .update, .inHandler(.public))
            ).tags("catalog").catalogErrors().query(LocalCatalogQuery.self).body(RegistrationUpdate<Fields>.self)
                .responds(404, kind.notFound)
                .handle { call in
                    try await self.update(call.body.fields, server: call.query.server, id: try call.parameter("id"), context: call.context)
                }
        }
        return [
            Route.post(
                "/\(kind.path)", "Register \(kind.what) as a \(noun) with one resource.", access: .policy(entity, .create, .inHandler(.public))
            )
            .tags("catalog").catalogErrors().query(LocalCatalogQuery.self).body(NewRegistration<Fields>.self)
            .responds(409, "The name is taken (\(kind.duplicate))")
            .handle(status: .created) { call in try await create(call.body.fields, server: call.query.server, context: call.context) },
            update(.put), update(.patch),
        ]
    }

    /// The mode of a registration: a service that asks for authentication is `protected`.
    func mode(_ dataset: CatalogDataset) -> PolicyMode {
        entity == .service ? RegisteredService.mode(of: dataset) : CatalogDataset.mode(isPrivate: dataset.isPrivate)
    }

    /// 201 `{id}`: the dataset's id.
    func create(_ fields: Fields, server: LocalCatalog?, context: IdentityRequestContext) async throws -> RegisteredID {
        let store = try catalogs.store(server)
        let body = try JSONValueEncoder().encode(fields).objectValue ?? [:]
        let name = body[kind.nameField]?.stringValue ?? ""
        let title = body[kind.titleField]?.stringValue ?? ""
        let organization = body["owner_org"]?.stringValue ?? ""
        try kind.validate(body)
        let now = Date()
        var dataset = CatalogDataset(
            id: CatalogID.make(), name: name, title: title, organization: organization,
            notes: body[kind.notesField]?.stringValue ?? (kind.path == "services" ? "Service: \(title)" : ""), tags: [], groups: [],
            extras: try extras(body), resources: [], isPrivate: false, licenseID: nil, version: nil, creator: context.identity?.ndpUserID,
            created: now, modified: now)
        Self.applyFields(kind, body, to: &dataset)
        dataset.stamp(endpointOrganization: endpointOrganization, user: context.identity)
        try access.authorize(context.identity, entity, .create, PolicyObject(mode: mode(dataset), id: name), logger: context.logger)
        do {
            dataset = try await store.createDataset(dataset)
        } catch CatalogError.datasetExists(let taken) {
            let noun = kind.path == "services" ? "service" : "dataset"
            throw APIError(.conflict, detail: .string("\(kind.duplicate): a \(noun) named '\(taken)' already exists"))
        }
        return RegisteredID(id: dataset.id)
    }

    /// Given fields replace, extras merge; the resource follows.
    func update(_ fields: Fields, server: LocalCatalog?, id: String, context: IdentityRequestContext) async throws -> Message {
        let store = try catalogs.store(server)
        let body = try JSONValueEncoder().encode(fields).objectValue ?? [:]
        try kind.validate(body)
        let added = try extras(body)
        guard let current = try await store.dataset(id), current.resources.contains(where: { $0.format == kind.format }) else {
            throw APIError(.notFound, detail: .string(kind.notFound))
        }
        try access.authorize(
            context.identity, entity, .update, PolicyObject(mode: mode(current), id: current.name, creator: current.creator), logger: context.logger)
        _ = try await store.updateDataset(current.id) { [kind] dataset in
            if let title = body[kind.titleField]?.stringValue { dataset.title = title }
            if let notes = body[kind.notesField]?.stringValue { dataset.notes = notes }
            if let organization = body["owner_org"]?.stringValue { dataset.organization = organization }
            for extra in added { dataset.setExtra(extra.key, extra.value) }
            Self.applyFields(kind, body, to: &dataset)
        }
        return Message(message: kind.updated)
    }

    /// The caller's `extras`, refused when one is a reserved key.
    private func extras(_ body: [String: JSONValue]) throws -> [CatalogDataset.Extra] {
        switch body["extras"] {
        case nil, .null: return []
        case .object(let fields):
            if let reserved = fields.keys.sorted().first(where: kind.reservedKeys.contains) {
                throw APIError(.badRequest, detail: "Reserved key error: '\(reserved)' is a field of this registration and cannot be an extra")
            }
            return fields.keys.sorted().map { CatalogDataset.Extra(key: $0, value: fields[$0]!) }
        default: throw APIError.validation("Input should be a valid dictionary", field: "extras")
        }
    }

    /// The kind's own fields into extras (`mapping`/`processing` as JSON text, as upstream),
    /// then its one resource made or updated from the result.
    static func applyFields(_ kind: RegistrationKind, _ body: [String: JSONValue], to dataset: inout CatalogDataset) {
        for (field, key) in kind.extraFields {
            if let value = body[field], value != .null { dataset.setExtra(key, .string(value.scalarDescription ?? "")) }
        }
        for field in kind.jsonExtraFields {
            if let value = body[field], value != .null { dataset.setExtra(field, .string(String(decoding: value.bytes(), as: UTF8.self))) }
        }
        let made = kind.resource(body, dataset)
        if let index = dataset.resources.firstIndex(where: { $0.format == kind.format }) {
            dataset.resources[index].url = made.url
            dataset.resources[index].name = made.name
            dataset.resources[index].description = made.description
        } else {
            dataset.resources.append(
                CatalogResource(
                    id: CatalogID.make(), url: made.url, name: made.name, format: kind.format, description: made.description,
                    created: dataset.created))
        }
    }
}
