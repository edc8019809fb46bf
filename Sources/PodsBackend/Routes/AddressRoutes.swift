import Essentials
import Foundation
import Hummingbird
import Kubernetes
import ServiceKit

/// `GET /get_podip_owner?ip=…`: which user's pod has this IP, for silos that let their own
/// users' pods in without a password (docs/specs/pods-backend.md §2.3.8). Only Running pods that
/// are not being deleted count (a finished pod keeps its IP, which another pod may now use,
/// docs/specs/pods-backend.md W5). It is `pod read` of every user's pods (mode protected),
/// which the default policy leaves to silos and the admin: the answer maps addresses to users.
struct AddressRoutes: Sendable {
    let cluster: PodsCluster
    let podSubnet: IPAddressRange
    let lookupWindow: Duration
    /// Answers at once when the watch-fed copy knows the address.
    var cache: PodsCache?

    var collection: RouteCollection<PodsRequestContext> {
        let routes = RouteCollection(context: PodsRequestContext.self)
        routes.get("get_podip_owner") { request, _ in await owner(request) }
        return routes
    }

    func owner(_ request: Request) async -> Response {
        guard let text = request.uri.queryParameters["ip"].map(String.init), let ip = IPAddress(text), podSubnet.contains(ip) else {
            return Self.text("", status: .badRequest)
        }
        if let cache, cache.hasSynced,
            let pod = cache.pods(withIP: ip.description).first(where: { $0.phase == "Running" && !$0.isBeingDeleted }), let owner = pod.owner
        {
            return Self.text(owner.description)
        }
        // Not (yet) in the copy: a pod just started may get its address any moment.
        let selector = "status.podIP=\(ip.description)"
        let owner = try? await withDeadline(lookupWindow) { () -> String? in
            let events = cluster.client.events(.pods, namespace: cluster.namespace, fieldSelector: selector)
            for try await event in events where event.kind != .deleted {
                let pod = event.object
                if pod.phase == "Running", !pod.isBeingDeleted, pod["status"]?["podIP"]?.stringValue == ip.description, let owner = pod.owner {
                    return owner.description
                }
            }
            return nil
        }
        return Self.text(owner ?? "")
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
