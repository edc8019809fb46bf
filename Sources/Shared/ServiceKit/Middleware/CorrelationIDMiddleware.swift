import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Reads `X-Correlation-ID` (or makes a UUID), makes it the request's ``RequestMetadata``
/// (so every log line of the request carries it) and echoes it on every response, errors
/// included.
public struct CorrelationIDMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[CorrelationIDHeader.name].flatMap(CorrelationIDHeader.acceptable) ?? UUID().uuidString.lowercased()
        context.correlationID = id
        var response = try await RequestMetadata.$correlationID.withValue(id) { try await next(request, context) }
        response.headers[CorrelationIDHeader.name] = id
        return response
    }
}

/// The `X-Correlation-ID` header: its name, and which received values are kept.
public enum CorrelationIDHeader {
    public static let name = HTTPField.Name("X-Correlation-ID")!

    /// Ids are echoed into headers and logs, so only short, printable, header-safe ones are kept.
    public static func acceptable(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.utf8.count),
            trimmed.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
        else { return nil }
        return trimmed
    }
}
