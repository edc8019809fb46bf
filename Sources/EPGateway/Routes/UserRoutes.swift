import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `/user/*` routes (`user read`, the caller's own account; the default policy asks for
/// the endpoint gate). For now `GET /user/info`: the IdP
/// object plus `ndp_user_id` and `effective_role`.
struct UserRoutes: ServiceFeature {
    let tiers: RoleTiers

    var routes: [Route<IdentityRequestContext>] {
        [
            Route.get("/user/info", "The caller's identity with ndp_user_id and effective_role.", access: .policy(.user, .read, .callersOwn))
                .tags("user").answers(200, "The identity provider's user object, with ndp_user_id and effective_role", schema: JSONSchema.anyObject)
                .responds(502, "Identity provider failure")
                .handle { call in info(try call.context.requireIdentity()) }
        ]
    }

    func info(_ user: UserIdentity) -> JSONValue {
        var body = user.attributes
        if body["ndp_user_id"] == nil { body["ndp_user_id"] = .string(user.ndpUserID) }
        if body["effective_role"] == nil { body["effective_role"] = .string(tiers.tier(for: user).description) }
        return .object(body)
    }
}
