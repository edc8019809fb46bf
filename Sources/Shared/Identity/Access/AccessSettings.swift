import ServiceKit

/// The endpoint access gate and role settings (`ENABLE_GROUP_BASED_ACCESS`, `GROUP_NAMES`,
/// `AFFINITIES_EP_UUID`).
public struct AccessSettings: Sendable, Equatable {
    public var groupBasedAccess: Bool
    public var groupNames: [String]
    public var endpointUUID: String?

    public init(groupBasedAccess: Bool = false, groupNames: [String] = [], endpointUUID: String? = nil) {
        self.groupBasedAccess = groupBasedAccess
        self.groupNames = groupNames
        self.endpointUUID = endpointUUID
    }

    public static func load(from source: ConfigurationSource) throws -> AccessSettings {
        AccessSettings(
            groupBasedAccess: try source.bool("ENABLE_GROUP_BASED_ACCESS", default: false),
            groupNames: source.list("GROUP_NAMES"),
            endpointUUID: source.optionalString("AFFINITIES_EP_UUID")
        )
    }
}
