import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `/user/*` routes (`user read`, the caller's own account; the default policy asks for
/// the endpoint gate). For now `GET /user/info`: the IdP
/// object plus `ndp_user_id` and `effective_role`.
struct UserRoutes: Sendable {
    let tiers: RoleTiers

    var collection: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("user/info") { _, context in info(try context.requireIdentity()) }
        return routes
    }

    func info(_ user: UserIdentity) -> JSONValue {
        var body = user.attributes
        if body["ndp_user_id"] == nil { body["ndp_user_id"] = .string(user.ndpUserID) }
        if body["effective_role"] == nil { body["effective_role"] = .string(tiers.tier(for: user).description) }
        return .object(body)
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/user/info", summary: "The caller's identity with ndp_user_id and effective_role.", tags: ["user"],
            security: .bearer,
            responses: [
                200: .init("User object", schema: OpenAPIDocument.anyObject),
                401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
                403: .init("Outside the allowed groups", schema: OpenAPIDocument.errorDetail),
                502: .init("Identity provider failure", schema: OpenAPIDocument.errorDetail),
            ]
        )
    ]
}
