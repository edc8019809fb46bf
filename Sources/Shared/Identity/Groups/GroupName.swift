import Foundation

/// Group paths as the gate compares them: `/NDP_EP/EP-Demo/ ` and `ndp_ep/ep-demo` are equal.
public enum GroupName {
    public static func normalize(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines)
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .lowercased()
    }
}
