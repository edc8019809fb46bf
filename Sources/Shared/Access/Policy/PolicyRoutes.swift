import AccessPolicy
import Essentials
import Hummingbird
import Identity
import ServiceKit

/// `GET /policy`: the policy in force, its SHA-256 and when it was loaded (bound to `policy
/// read`; the default lets any valid credential read it), in every governed service.
public enum PolicyRoutes {
    public static func route<Context: ServiceRequestContext>(store: PolicyStore) -> Route<Context> where Context.Access == PolicyAccess {
        Route.get("/policy", "The access policy in force, its SHA-256 and when it was loaded.", access: .policy(.policy, .read, .fixed(.public)))
            .tags("policy")
            .answers(
                200, "The policy",
                schema: JSONSchema.object([
                    "source": JSONSchema.string, "sha256": JSONSchema.string, "loaded_at": ["type": "string", "format": "date-time"],
                    "policy": ["type": "object", "description": "entity → mode → operation → roles"],
                ])
            )
            .handle { _ in store.current.json }
    }
}
