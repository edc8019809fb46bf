import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// CKAN's answer around every action: `{help, success: true, result}`, or
/// `{help, success: false, error}` with CKAN's status. `help` points at `help_show` for the
/// action, under the path the caller used (root path included).
enum ActionEnvelope {
    static func success(_ result: JSONValue, action: String, request: Request, context: some ServiceRequestContext) -> Response {
        let body: JSONValue = ["help": .string(help(action, request: request, context: context)), "success": true, "result": result]
        return body.response(status: .ok)
    }

    static func failure(_ error: ActionError, request: Request, context: some ServiceRequestContext) -> Response {
        let action = context.requestPath.split(separator: "/").last.map(String.init) ?? ""
        let body: JSONValue = ["help": .string(help(action, request: request, context: context)), "success": false, "error": error.errorObject]
        return body.response(status: error.status)
    }

    /// `http(s)://host`, as the caller reached this endpoint (`X-Forwarded-Proto` honoured).
    static func origin(_ request: Request, context: some ServiceRequestContext) -> String {
        let scheme = request.headers[.init("X-Forwarded-Proto")!]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
        let host = request.head.authority ?? "localhost"
        return "\(scheme == "https" ? "https" : "http")://\(host)"
    }

    static func help(_ action: String, request: Request, context: some ServiceRequestContext) -> String {
        let path = context.requestPath
        let base = path.range(of: "/action/", options: .backwards).map { String(path[..<$0.lowerBound]) } ?? "/api/3"
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "name", value: action)]
        return origin(request, context: context) + base + "/action/help_show" + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// Answers every error of the action routes, the access check's included, in the envelope.
    struct Middleware: RouterMiddleware {
        typealias Context = IdentityRequestContext

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch {
                let failure = ActionError(error)
                if failure.status.code >= 500 {
                    context.logger.warning(
                        "action failed", metadata: ["http.status": "\(failure.status.code)", "error": "\(String(reflecting: error))"])
                }
                return ActionEnvelope.failure(failure, request: request, context: context)
            }
        }
    }
}
