import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import Kubernetes
import ServiceKit

/// `GET /get_podip_owner?ip=…`: which user's pod has this IP, for silos that let their own
/// users' pods in without a password (docs/specs/pods-backend.md §2.3.8). Only Running pods that
/// are not being deleted count (a finished pod keeps its IP, which another pod may now use,
/// docs/specs/pods-backend.md W5). It is `pod read` of every user's pods (mode protected),
/// which the default policy leaves to silos and the admin: the answer maps addresses to users.
struct AddressRoutes: ServiceFeature {
    let cluster: PodsCluster
    let podSubnet: IPAddressRange
    let lookupWindow: Duration
    /// Answers at once when the watch-fed copy knows the address.
    var cache: PodsCache?

    /// Upstream's silo clients read this route's refusals as text: empty, as its answers.
    var routes: [Route<PodsRequestContext>] {
        let text = "text/plain"
        return [
            Route.get(
                "/get_podip_owner", "The owner of the Running pod with this IP (empty when none); silos and admins only.",
                access: .policy(PolicyBinding(.pod, .read, .fixed(.protected)), plainTextRefusal: true)
            ).tags("silo").parameter("ip", required: true)
                .answers(200, "The owner's user id, or empty", schema: JSONSchema.string, contentType: text)
                .responds(400, "Missing ip, not an IP, or outside podSubnetCidr", schema: JSONSchema.string, contentType: text)
                .responds(401, "No or invalid credential")
                .responds(403, "Neither a silo nor an admin (empty)", schema: JSONSchema.string, contentType: text)
                .handleRequest { request, _ in await owner(request) }
        ]
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
