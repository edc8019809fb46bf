import Hummingbird
import Logging
import Shared

/// What the routes share: settings, the cluster and the lifecycle pieces, and one way to
/// turn a handler's result or failure into upstream's answers.
struct PodsContext: Sendable {
    let settings: PodsSettings
    let cluster: PodsCluster
    let storage: UserStorage
    let companions: PodCompanions
    let tokens: PodTokens
    let lifecycle: PodLifecycle
    let creator: PodCreator
    let authenticator: CallerAuthenticator
    let address: CallerAddress
    let metrics: PodsMetrics
    let logger: Logger

    /// Authenticates, runs `body`, and answers 200 with its JSON; a ``PodsError`` answers
    /// with `defaults` (upstream's failure body, e.g. `{"pod_name": ""}`) plus `detail`.
    /// Authentication failures stay 401 `{detail}`.
    func handle(
        _ request: Request, _ requestContext: ServiceRequestContext, defaults: JSONValue?,
        _ body: (PodRequest) async throws -> JSONValue
    ) async throws -> Response {
        let call = try await PodRequest.read(request, context: requestContext, authenticator: authenticator, address: address)
        do {
            return try await body(call).response()
        } catch let error as PodsError {
            return error.response(defaults: defaults?.objectValue ?? [:])
        } catch let error as APIError {
            throw error
        } catch {
            let failure = PodsError.kubernetes(error)
            logger.warning("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return failure.response(defaults: defaults?.objectValue ?? [:])
        }
    }
}
