import BrokerWire
import Kubernetes
import Logging
import ServiceLifecycle

/// Registrations as annotations of the users' server namespaces (the deploy API's
/// Kubernetes runtime writes them with the server's Secret), kept current by an informer:
/// a broker restart or another replica lists them again, and a namespace being deleted
/// (a terminated server) revokes its key as soon as its deletion is seen.
///
/// Needs `get`, `list` and `watch` on namespaces, nothing else: the keys are public.
final class KubernetesServerKeys: ServerKeys, Service {
    private let informer: Informer<ServerKeyRegistration>

    init(client: KubernetesClient) {
        informer = Informer(
            client: client, resource: .namespaces, labelSelector: ServerKeyRegistration.managedBySelector,
            project: { object in
                // A namespace being deleted is a terminated server: its key is withdrawn now.
                guard !object.isBeingDeleted else { return nil }
                return ServerKeyRegistration.from(annotations: object.annotations)
            },
            index: { ["key:" + $0.publicKey, "sub:" + $0.sub] }
        )
    }

    func owner(of publicKey: String) -> String? { informer.items(indexedBy: "key:" + publicKey).first?.sub }
    func hasKey(for sub: String) -> Bool { !informer.items(indexedBy: "sub:" + sub).isEmpty }
    var generation: UInt64 { informer.changes }
    var isSynced: Bool { informer.hasSynced }
    func refresh(immediately: Bool) {}
    var sourceDescription: String { "Kubernetes namespaces (\(ServerKeyRegistration.managedBySelector))" }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.informer.run() }
    }
}
