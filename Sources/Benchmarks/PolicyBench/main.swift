import AccessPolicy
import Foundation
import Logging

// Nanoseconds per access-policy decision (issue 16: goal under 2 µs), on the built-in policy
// or POLICY_FILE, against a reference measured in the same run: one dictionary lookup keyed
// by the same (entity, mode, operation) triple, the cheapest way a route could be checked
// against a table at all. `decision_ns` is the compiled policy alone; `enforcer_ns` what an
// allowed read pays: the policy in force read from its store, the decision, its counter (no
// audit line: only refusals and writes are logged). Prints one JSON line for scripts/bench/policy.sh.
//
//   swift run -c release policy-bench [iterations]

/// A caller holding the writer tier and owning the objects it names: rules of every shape
/// (tiers, Object roles, Any.Any) are decided on their usual path.
struct Writer: PolicySubject {
    var auditName: String { "bench" }

    func holds(_ role: PolicyRole, on object: PolicyObject) -> Bool {
        switch role {
        case .anyone, .authenticated, .endpointMember, .endpointViewer, .endpointWriter: true
        case .objectOwner, .objectCreator: object.owner == "bench"
        case .endpointAdmin, .endpointSilo: false
        }
    }
}

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5_000_000
let loaded = try ProcessInfo.processInfo.environment["POLICY_FILE"].map { try LoadedPolicy.read(file: $0) } ?? LoadedPolicy.builtIn()
let policy = loaded.policy
var logger = Logger(label: "bench")
logger.logLevel = .critical
let enforcer = PolicyEnforcer(store: PolicyStore(loaded: loaded, file: nil, logger: logger))
let subject: any PolicySubject = Writer()
let cases: [(PolicyEntity, PolicyOperation, PolicyObject)] = [
    (.status, .read, PolicyObject(mode: .protected)),
    (.rexec, .read, PolicyObject(mode: .protected)),
    (.rexec, .delete, PolicyObject(mode: .private, owner: "bench")),
    (.dataset, .delete, PolicyObject(mode: .public, creator: "someone")),
    (.pod, .read, PolicyObject(mode: .private, owner: "other")),
    (.status, .read, PolicyObject(mode: .public)),
]

// What most requests are: allowed reads, which write no audit line.
let reads = cases.filter { $0.1 == .read && policy.decide(subject, $0.0, $0.1, $0.2).allowed }

func nanoseconds(_ body: () -> Int) -> (Double, Int) {
    let start = DispatchTime.now().uptimeNanoseconds
    let checksum = body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations), checksum)
}

struct Key: Hashable {
    let entity: PolicyEntity
    let mode: PolicyMode
    let operation: PolicyOperation
}
var reference: [Key: Bool] = [:]
for (entity, operation, object) in cases { reference[Key(entity: entity, mode: object.mode, operation: operation)] = true }

var results: [String: Double] = [:]
for round in 0..<3 {
    let (decision, allowed) = nanoseconds {
        var allowed = 0
        for index in 0..<iterations {
            let (entity, operation, object) = cases[index % cases.count]
            if policy.decide(subject, entity, operation, object).allowed { allowed += 1 }
        }
        return allowed
    }
    let (enforced, _) = nanoseconds {
        var allowed = 0
        for index in 0..<iterations {
            let (entity, operation, object) = reads[index % reads.count]
            if enforcer.decide(subject, entity, operation, object, logger: logger).allowed { allowed += 1 }
        }
        return allowed
    }
    let (lookup, hits) = nanoseconds {
        var hits = 0
        for index in 0..<iterations {
            let (entity, operation, object) = cases[index % cases.count]
            if reference[Key(entity: entity, mode: object.mode, operation: operation)] == true { hits += 1 }
        }
        return hits
    }
    // The last round counts (the first ones warm caches and the branch predictor).
    if round == 2 {
        results = ["decision_ns": decision, "enforcer_ns": enforced, "dictionary_lookup_ns": lookup, "ratio": decision / lookup]
        precondition(allowed > 0 && hits == iterations)
    }
}
let line = results.keys.sorted().map { "\"\($0)\": \(String(format: "%.1f", results[$0]!))" }.joined(separator: ", ")
print("{\"iterations\": \(iterations), \"policy_sha256\": \"\(loaded.sha256)\", \(line)}")
