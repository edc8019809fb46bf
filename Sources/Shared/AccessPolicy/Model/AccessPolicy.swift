/// A policy compiled for lookups: one slot per (entity, mode, operation), each holding the
/// rule's entries in the file's order. A decision is an array index
/// and a few role checks; nothing is parsed or allocated per call.
public struct AccessPolicy: Sendable {
    /// The entries of one rule; any one that holds allows the call.
    public struct Rule: Sendable, Equatable {
        public let roles: [PolicyRole]
        /// Allows callers without a credential (worked out once, asked on every request).
        public let allowsAnyone: Bool

        public init(_ roles: [PolicyRole]) {
            self.roles = roles
            self.allowsAnyone = roles.contains(.anyone)
        }
    }

    /// The rules as written, for `GET /policy`: entity → mode → operation → entries.
    public let rules: [PolicyEntity: [PolicyMode: [PolicyOperation: Rule]]]
    private let table: [Rule?]

    public init(rules: [PolicyEntity: [PolicyMode: [PolicyOperation: Rule]]]) {
        self.rules = rules
        var table = [Rule?](repeating: nil, count: PolicyEntity.allCases.count * Self.slotsPerEntity)
        for (entity, modes) in rules {
            for (mode, operations) in modes {
                for (operation, rule) in operations { table[Self.slot(entity, mode, operation)] = rule }
            }
        }
        self.table = table
    }

    private static let slotsPerEntity = PolicyMode.allCases.count * PolicyOperation.allCases.count

    private static func slot(_ entity: PolicyEntity, _ mode: PolicyMode, _ operation: PolicyOperation) -> Int {
        entity.index * slotsPerEntity + mode.index * PolicyOperation.allCases.count + operation.index
    }

    /// The rule for one slot; nil (deny) when the file does not mention it.
    public func rule(_ entity: PolicyEntity, _ mode: PolicyMode, _ operation: PolicyOperation) -> Rule? {
        table[Self.slot(entity, mode, operation)]
    }

    /// Whether `subject` (nil: no credential) may perform `operation` on `object`.
    public func decide(
        _ subject: (any PolicySubject)?, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject
    ) -> PolicyDecision {
        let rule = rule(entity, object.mode, operation)
        var granted: PolicyRole?
        if let rule {
            if rule.allowsAnyone {
                granted = .anyone
            } else if let subject {
                granted = rule.roles.first { subject.holds($0, on: object) }
            }
        }
        return PolicyDecision(entity: entity, operation: operation, object: object, rule: rule, grantedBy: granted)
    }

    /// The (entity, mode, operation) slots the file leaves out, which are denied.
    public var missingSlots: [(PolicyEntity, PolicyMode, PolicyOperation)] {
        PolicyEntity.allCases.flatMap { entity in
            PolicyMode.allCases.flatMap { mode in
                PolicyOperation.allCases.compactMap { operation in rule(entity, mode, operation) == nil ? (entity, mode, operation) : nil }
            }
        }
    }
}

/// The outcome of one check, with what the audit log and the error message need.
public struct PolicyDecision: Sendable {
    public let entity: PolicyEntity
    public let operation: PolicyOperation
    public let object: PolicyObject
    /// nil when the policy has no rule here (denied).
    public let rule: AccessPolicy.Rule?
    /// The entry that allowed the call; nil when denied.
    public let grantedBy: PolicyRole?

    public var allowed: Bool { grantedBy != nil }

    /// `You may not read rexec (protected): the access policy allows Endpoint.Writer.`
    public var denialMessage: String {
        let what = "\(operation.rawValue) \(entity.rawValue) (\(object.mode.rawValue))"
        guard let rule, !rule.roles.isEmpty else { return "The access policy does not allow anyone to \(what)." }
        return "The access policy does not allow you to \(what); it allows \(rule.roles.map(\.rawValue).joined(separator: " or "))."
    }
}
