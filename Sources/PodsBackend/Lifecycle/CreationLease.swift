import Foundation

/// Which replica finishes a pod's creation, and until when: annotation
/// `sciencedata.dk/lease: <replica> <unix seconds>`. The replica that created the pod holds
/// it until the creation deadline plus `leaseMargin`; a restarted replica (same id) takes its
/// own leases back at once, others take over only expired ones, through an update
/// conditional on the pod's resourceVersion so exactly one wins.
struct CreationLease: Sendable, Equatable {
    static let annotation = "sciencedata.dk/lease"

    let holder: String
    let expires: Date

    init(holder: String, expires: Date) {
        self.holder = holder
        self.expires = expires
    }

    init?(_ text: String?) {
        guard let parts = text?.split(separator: " "), parts.count == 2, let seconds = TimeInterval(parts[1]) else { return nil }
        holder = String(parts[0])
        expires = Date(timeIntervalSince1970: seconds)
    }

    var text: String { "\(holder) \(Int(expires.timeIntervalSince1970.rounded(.up)))" }

    /// May `replica` run the job now?
    func canBeTaken(by replica: String, at now: Date) -> Bool {
        holder == replica || expires <= now
    }
}
