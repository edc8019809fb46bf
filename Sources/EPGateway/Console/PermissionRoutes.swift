import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `GET /user/permissions`: what the access policy lets the caller do to an entity (a new one,
/// or the named dataset, organization or service), decided by the same policy and the same
/// objects the routes themselves use. The console asks it so that a page never offers an
/// action the policy would refuse; it changes nothing and reveals nothing the caller cannot
/// read (an object they may not read is 404, as the routes answer).
struct PermissionRoutes: ServiceFeature {
    let access: EndpointAccess
    let catalog: (any CatalogStore)?

    struct Query: QueryRequest {
        /// The policy entity: `dataset`, `organization`, `service`, `storage`, `staging`, …
        var entity: String
        /// A dataset, organization or service by name (or id); without it, a new one.
        var id: String?
        /// The visibility of the new one (`public` unless given): routes that act on a fixed
        /// visibility (the access-request queue is `private`) are asked about with it.
        var visibility: PolicyMode?
    }

    struct Permissions: JSONAnswer {
        var entity: String
        var id: String?
        var create: Bool
        var read: Bool
        var update: Bool
        var delete: Bool
    }

    var routes: [Route<IdentityRequestContext>] {
        [
            Route.get(
                "/user/permissions", "What the access policy lets the caller do to an entity, or to one dataset, organization or service.",
                access: .policy(.user, .read, .callersOwn)
            )
            .tags("user").query(Query.self).responds(404, "No such object (or not one the caller may read)")
            .handle { call in try await permissions(call.query, user: try call.context.requireIdentity()) }
        ]
    }

    func permissions(_ query: Query, user: UserIdentity) async throws -> Permissions {
        guard let entity = PolicyEntity(rawValue: query.entity) else {
            throw APIError.validation("must be one of \(PolicyEntity.allCases.map(\.rawValue).joined(separator: ", "))", field: "entity")
        }
        if query.id != nil, query.visibility != nil {
            throw APIError.validation("a named object has its own visibility; give id or visibility, not both", field: "visibility")
        }
        let object = try await object(entity, id: query.id, visibility: query.visibility ?? .public)
        guard query.id == nil || access.permits(user, entity, .read, object) else {
            throw APIError(.notFound, detail: "\(query.id ?? "") not found")
        }
        return Permissions(
            entity: entity.rawValue, id: query.id, create: access.permits(user, entity, .create, object),
            read: access.permits(user, entity, .read, object), update: access.permits(user, entity, .update, object),
            delete: access.permits(user, entity, .delete, object))
    }

    /// The object the routes decide on: the stored one when named, else a new one.
    private func object(_ entity: PolicyEntity, id: String?, visibility: PolicyMode) async throws -> PolicyObject {
        guard let id else { return PolicyObject(mode: visibility) }
        switch entity {
        case .dataset, .service:
            guard let dataset = try await catalog?.dataset(id) else { throw APIError(.notFound, detail: "\(id) not found") }
            return dataset.policyObject
        case .organization:
            guard let organization = try await catalog?.organization(named: id) else { throw APIError(.notFound, detail: "\(id) not found") }
            return organization.policyObject
        default:
            throw APIError.validation("only a dataset, organization or service is named by id", field: "id")
        }
    }
}
