import Essentials
import Hummingbird

/// `GET /policy`: the policy in force, its SHA-256 and when it was loaded (bound to
/// `policy read`; the default lets any valid credential read it).
public struct PolicyRoutes<Context: RequestContext>: Sendable {
    let store: PolicyStore

    public init(store: PolicyStore) {
        self.store = store
    }

    public static var binding: PolicyBinding { PolicyBinding(.policy, .read, .fixed(.public)) }

    public func register(on routes: some RouterMethods<Context>) {
        routes.get("policy") { _, _ in
            let body = store.current.json.bytes()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
