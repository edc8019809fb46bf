import Access
import AccessPolicy
import Identity

extension EndpointAccess {
    /// Which private datasets `user` may see in a listing of `entity` (datasets or their
    /// resources), asked of the policy once so that the database filters and the count and
    /// pages are right: all (an admin), the user's own (the usual creator rule), or none.
    func privateVisibility(_ user: UserIdentity?, _ entity: PolicyEntity) -> PrivateVisibility {
        if permits(user, entity, .read, PolicyObject(mode: .private, creator: "\u{0}someone else")) { return .all }
        guard let user, permits(user, entity, .read, PolicyObject(mode: .private, creator: user.ndpUserID)) else { return .none }
        return .createdBy(user.ndpUserID)
    }

    /// Whether a listing may show `dataset` to `user`: public ones always, private ones when
    /// the policy lets `user` read them (checked per result after the query's visibility).
    func mayList(_ user: UserIdentity?, _ dataset: CatalogDataset) -> Bool {
        !dataset.isPrivate || permits(user, .dataset, .read, dataset.policyObject)
    }
}
