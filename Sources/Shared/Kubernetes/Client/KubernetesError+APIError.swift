import ServiceKit

/// A Kubernetes failure no handler turned into its own answer is the platform's dependency
/// failing, not the caller's mistake: 502 with what the API server said (never a bare 500),
/// 504 when the call timed out.
extension KubernetesError: APIErrorConvertible {
    public var apiError: APIError {
        if isTransport, message.contains("deadlineExceeded") || message.contains("timed out") {
            return APIError(.gatewayTimeout, detail: "The Kubernetes API did not answer in time: \(message)")
        }
        if isTransport || code >= 500 {
            return APIError(.badGateway, detail: "The Kubernetes API is unavailable: \(message)")
        }
        return APIError(.badGateway, detail: "The Kubernetes API refused a call of this service (\(code) \(reason)): \(message)")
    }
}
