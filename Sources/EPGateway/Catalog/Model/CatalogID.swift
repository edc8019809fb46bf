import Essentials
import Foundation

/// Ids of organizations, datasets and resources: lower-case UUIDs as upstream's, made time
/// ordered (version 7), so both stores' indexes grow at their end.
enum CatalogID {
    static func make() -> String { UUID.timeOrdered().uuidString.lowercased() }
}
