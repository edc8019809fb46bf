import Foundation

/// The EP's three access tiers, highest wins; `none` when no role matches.
public enum RoleTier: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case none = 0
    case viewer = 1
    case writer = 2
    case admin = 3

    public static func < (lhs: RoleTier, rhs: RoleTier) -> Bool { lhs.rawValue < rhs.rawValue }

    /// As reported in `effective_role`.
    public var description: String {
        switch self {
        case .none: "none"
        case .viewer: "viewer"
        case .writer: "writer"
        case .admin: "admin"
        }
    }
}

enum RoleName {
    /// Lower-cased, whitespace-free; in `group:<path>:<tier>` the path is normalised like a group.
    static func normalize(_ role: String) -> String {
        // The usual role, a plain lower-case name (`ndp_writer`), is already normal; this runs
        // for every role on every request, and Foundation's trimming is slow on Linux.
        if role.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }) { return role }
        let folded = role.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = folded.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].trimmingCharacters(in: .whitespaces) == "group" else {
            return folded.filter { !$0.isWhitespace }
        }
        let tier = parts[2].trimmingCharacters(in: .whitespaces)
        return "group:\(GroupName.normalize(String(parts[1]))):\(tier)"
    }
}

/// Which role names grant which tier, derived from `GROUP_NAMES` and `AFFINITIES_EP_UUID`.
///
/// - admin: `ndp_admin`, `group:<G>:admin`
/// - writer: `ndp_writer`, `ndp_editor`, `group:<G>:writer`, `group:<G>:editor`
/// - viewer: `ndp_viewer`, `group:<G>:viewer`
///
/// where G is each allowed group and, for the endpoint UUID U, also `U`, `ndp_ep/U`,
/// `ndp_ep/ep-U`; the legacy `U_<tier>` roles count too.
public struct RoleTiers: Sendable {
    private let grants: [String: RoleTier]

    public init(settings: AccessSettings) {
        var groups = settings.groupNames.map(GroupName.normalize).filter { !$0.isEmpty }
        var legacyPrefixes: [String] = []
        if let uuid = settings.endpointUUID.map(GroupName.normalize), !uuid.isEmpty {
            groups += [uuid, "ndp_ep/\(uuid)", "ndp_ep/ep-\(uuid)"]
            legacyPrefixes.append(uuid)
        }
        let tierWords: [(String, RoleTier)] = [("admin", .admin), ("writer", .writer), ("editor", .writer), ("viewer", .viewer)]
        var grants: [String: RoleTier] = [
            "ndp_admin": .admin, "ndp_writer": .writer, "ndp_editor": .writer, "ndp_viewer": .viewer,
        ]
        for group in groups {
            for (word, tier) in tierWords { grants["group:\(group):\(word)"] = tier }
        }
        for prefix in legacyPrefixes {
            for (word, tier) in tierWords { grants["\(prefix)_\(word)"] = tier }
        }
        self.grants = grants
    }

    public func tier(for user: UserIdentity) -> RoleTier {
        user.roles.reduce(RoleTier.none) { best, role in
            max(best, grants[RoleName.normalize(role)] ?? .none)
        }
    }
}
