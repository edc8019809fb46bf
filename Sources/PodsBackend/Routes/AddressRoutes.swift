import Foundation
import Hummingbird
import Shared

/// `GET /get_podip_owner?ip=…`: which user's pod has this IP, for silos that let their own
/// users' pods in without a password (specs/pods-backend.md §2.3.8). Only Running pods that
/// are not being deleted count (a finished pod keeps its IP, which another pod may now use,
/// W5), and only silos and admins may ask (the answer maps addresses to user ids).
struct AddressRoutes: Sendable {
    let context: PodsContext

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.get("get_podip_owner") { request, requestContext in
            try await owner(request, requestContext)
        }
        return routes
    }

    func owner(_ request: Request, _ requestContext: ServiceRequestContext) async throws -> Response {
        let call = try await PodRequest.read(request, context: requestContext, authenticator: context.authenticator, address: context.address)
        guard call.caller.mayResolveAddresses else {
            return Self.text("", status: .forbidden)
        }
        guard let text = request.uri.queryParameters["ip"].map(String.init), let ip = IPAddress(text), context.settings.podSubnet.contains(ip) else {
            return Self.text("", status: .badRequest)
        }
        let selector = "status.podIP=\(ip.description)"
        let owner = try? await withDeadline(context.settings.podIPLookupWindow) { () -> String? in
            let events = context.cluster.client.events(.pods, namespace: context.cluster.namespace, fieldSelector: selector)
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
