import Foundation
import ServiceKit

/// The MCP server at `<ROOT_PATH>/mcp` (docs/mcp.md): `MCP_ENABLED` and its bounds.
struct MCPSettings: Sendable, Equatable {
    var enabled = true
    /// Browser origins allowed besides the endpoint's own; `*` for any.
    var allowedOrigins: [String] = []
    var maxSessionsPerUser = 16
    var sessionLifetime: Duration = .seconds(86_400)
    var toolsPageSize = 100
    /// The deploy API's kbatch prefix as this endpoint reaches it: the batch-job tools.
    var kbatchURL: URL?
    /// The user-pods-backend as this endpoint reaches it: the pod tools.
    var podsURL: URL?

    static let standard = MCPSettings()

    static let enabledSetting = Setting<Bool>.boolean(
        "MCP_ENABLED", default: true, help: "The MCP server at <ROOT_PATH>/mcp: the API's operations as tools for AI agents, under the access policy."
    )
    static let allowedOrigins = Setting<[String]>.list(
        "MCP_ALLOWED_ORIGINS",
        help: "Browser origins (https://host:port) that may call /mcp besides the endpoint's own, or * for any; agents send no Origin.")
    static let maxSessions = Setting<Int>.integer(
        "MCP_MAX_SESSIONS_PER_USER", default: 16, range: 1...1000, help: "Open MCP sessions a user may hold; a new one ends their oldest.")
    static let lifetime = Setting<Int>.integer(
        "MCP_SESSION_LIFETIME_SECONDS", default: 86_400, range: 60...2_592_000, help: "How long an MCP session lasts from its initialize.")
    static let pageSize = Setting<Int>.integer(
        "MCP_TOOLS_PAGE_SIZE", default: 100, range: 1...1000, help: "Tools per tools/list page (a nextCursor leads to the next).")
    static let kbatchURL = Setting<URL?>.optionalURL(
        "KBATCH_INTERNAL_URL",
        help: "The deploy API's kbatch prefix as this endpoint reaches it (e.g. http://rexec-deployment-api:8000/kbatch): MCP's batch-job tools.")

    static let podsURL = Setting<URL?>.optionalURL(
        "PODS_INTERNAL_URL", help: "The user-pods-backend as this endpoint reaches it (e.g. http://user-pods-backend:8080): MCP's pod tools.")

    static let settings = SettingGroup("MCP server", [enabledSetting, allowedOrigins, maxSessions, lifetime, pageSize, kbatchURL, podsURL])

    static func load(from source: ConfigurationSource) throws -> MCPSettings {
        MCPSettings(
            enabled: try source.value(enabledSetting),
            allowedOrigins: try source.value(allowedOrigins).map(\.withoutTrailingSlashes),
            maxSessionsPerUser: try source.value(maxSessions), sessionLifetime: .seconds(try source.value(lifetime)),
            toolsPageSize: try source.value(pageSize), kbatchURL: try source.value(kbatchURL), podsURL: try source.value(podsURL))
    }
}
