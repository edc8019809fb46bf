/// What a route declares about itself: the entity and operation it performs, and where the
/// object's mode and owner come from. Every route of a policy-governed service has one
/// (``RouteAccessTable`` records it; the services' route tests read them back).
public struct PolicyBinding: Hashable, Sendable, CustomStringConvertible {
    /// Where the route's object comes from.
    public enum ObjectSource: Hashable, Sendable {
        /// A fixed mode, no creator or owner: the endpoint's status, its rexec deployment.
        case fixed(PolicyMode)
        /// The caller's own object (their rexec server, their account): `private`, owned by
        /// the caller.
        case callersOwn
        /// Found in the request or loaded by the handler, which asks the policy itself once
        /// it knows the owner (a pod named in the body). The mode is the object's.
        case inHandler(PolicyMode)

        public var mode: PolicyMode {
            switch self {
            case .fixed(let mode), .inHandler(let mode): mode
            case .callersOwn: .private
            }
        }
    }

    public let entity: PolicyEntity
    public let operation: PolicyOperation
    public let object: ObjectSource

    public init(_ entity: PolicyEntity, _ operation: PolicyOperation, _ object: ObjectSource) {
        self.entity = entity
        self.operation = operation
        self.object = object
    }

    /// `rexec read (protected)`, `pod delete (private, in handler)`.
    public var description: String {
        switch object {
        case .fixed(let mode): "\(entity.rawValue) \(operation.rawValue) (\(mode.rawValue))"
        case .callersOwn: "\(entity.rawValue) \(operation.rawValue) (private, own)"
        case .inHandler(let mode): "\(entity.rawValue) \(operation.rawValue) (\(mode.rawValue), in handler)"
        }
    }
}
