import AsyncHTTPClient
import Essentials
import Foundation

/// Calls the IdP's `/information` endpoint: `POST AUTH_API_URL` with `{"token": …}`.
public struct HTTPIdentityProvider: IdentityProvider {
    public let url: URL
    public var timeout: Duration { upstream.timeout }
    /// The IdP's answer is a small object; anything larger is refused as malformed.
    private let upstream: JSONUpstream

    public init(url: URL, timeout: Duration, httpClient: HTTPClient = UpstreamHTTPClient.shared) {
        self.url = url
        self.upstream = JSONUpstream(base: url.absoluteString, timeout: timeout, answerLimit: 1 << 20, http: httpClient)
    }

    public func identify(token: String) async throws -> UserIdentity {
        let answer: UpstreamAnswer
        do {
            answer = try await upstream.call(.POST, headers: [("Accept", "application/json")], json: ["token": .string(token)])
        } catch .timedOut {
            throw IdentityProviderError.timedOut
        } catch .answerTooLarge {
            throw IdentityProviderError.malformedResponse
        } catch .unreachable(let reason) {
            throw IdentityProviderError.unreachable(reason: reason)
        }
        switch answer.status {
        case 200: break
        case 401: throw IdentityProviderError.unauthorized
        case 403: throw IdentityProviderError.forbidden
        case 500: throw IdentityProviderError.internalError
        default: throw IdentityProviderError.unexpectedStatus(answer.status)
        }
        guard let object = answer.json?.objectValue else { throw IdentityProviderError.malformedResponse }
        if let reason = object["error"] {
            throw IdentityProviderError.tokenRejected(reason: reason.scalarDescription ?? String(decoding: reason.encoded(), as: UTF8.self))
        }
        return UserIdentity(idpObject: object)
    }
}
