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

    public static let groupBasedAccess = Setting<Bool>.boolean(
        "ENABLE_GROUP_BASED_ACCESS", default: false, help: "The endpoint group gate: only members of GROUP_NAMES get in (the Endpoint.Access role).")
    public static let groupNames = Setting<[String]>.list(
        "GROUP_NAMES", help: "The groups the gate lets in (case, whitespace and slashes ignored).")
    public static let endpointUUID = Setting<String?>.optionalText(
        "AFFINITIES_EP_UUID", help: "The endpoint's own group at the AAI; also feeds the role tiers (Endpoint.Writer, Endpoint.Admin).")

    public static let settings = SettingGroup("Endpoint access", [groupBasedAccess, groupNames, endpointUUID])

    public static func load(from source: ConfigurationSource) throws -> AccessSettings {
        AccessSettings(
            groupBasedAccess: try source.value(groupBasedAccess),
            groupNames: try source.value(groupNames),
            endpointUUID: try source.value(endpointUUID)
        )
    }
}
