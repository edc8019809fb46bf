import Essentials
import Foundation
import Identity
import ServiceKit

/// What a `POST /jobs/` or `POST /cronjobs/` becomes in the caller's namespace: the objects to
/// create, in order (docs/specs/anchors-platforms.md §A.4–A.5), made by a pure function so each
/// rule is tested without a cluster. Upstream's defects are fixed here: the admin's template
/// applies to CronJobs too; what a pod may not ask for (host access, privilege, another service
/// account, added capabilities, more containers than allowed) is refused with 422 naming the
/// field; the caller's token is not injected unless the admin asks; literal env values all go
/// into a Secret; a code bundle too big for a ConfigMap is 413 before anything is made.
struct KbatchSubmission: Sendable {
    enum Kind: String, Sendable {
        case job = "Job"
        case cronJob = "CronJob"
    }

    let kind: Kind
    let namespace: String
    /// The literal env values, referenced from the containers by `secretKeyRef`; nil if none.
    var secret: JSONValue?
    /// The shipped code (a zip under `binaryData.code`), unzipped into `/code` by an init container.
    var codeConfigMap: JSONValue?
    /// The Job or CronJob, in Kubernetes' camelCase JSON.
    var workload: JSONValue

    /// The admin's rules (`KBATCH_*` settings).
    struct Rules: Sendable {
        /// `KBATCH_JOB_TTL_SECONDS_AFTER_FINISHED`, forced on every Job (upstream: 3600).
        var ttlSecondsAfterFinished = 3600
        /// `KBATCH_JOB_EXTRA_ENV`: added to container 0, after the user's.
        var extraEnv: [(name: String, value: String)] = []
        /// `KBATCH_INJECT_USER_TOKEN`: upstream always gave jobs the caller's token
        /// (`JUPYTERHUB_API_TOKEN`); here only when the admin asks.
        var injectUserToken = false
        /// `KBATCH_MAX_CONTAINERS`: containers a pod may have (init containers not counted).
        var maxContainers = 1
        /// `KBATCH_JOB_TEMPLATE_FILE`: a Job merged into every submission (the template wins
        /// for values, lists are joined), for CronJobs into their job template.
        var jobTemplate: JSONValue?
        /// The image of the init container that unzips shipped code.
        var unzipImage = "busybox:1.36"
        /// The largest code bundle (zipped): a ConfigMap holds at most 1 MiB, base64 and all.
        var maxCodeBytes = 700 * 1024
    }

    /// The submission, rewritten; `suffix` makes the Secret's and ConfigMap's names (random in use).
    /// What the kbatch client posts: the Job (or CronJob) in its snake_case and the code
    /// bundle it ships, `{"filename", "data"}` with the data base64.
    struct Body: JSONRequest {
        var job: JSONValue
        var code: JSONValue?

        var json: JSONValue { ["job": job, "code": code ?? .null] }
    }

    static func prepare(
        kind: Kind, body: JSONValue, username: String, token: String, rules: Rules, suffix: String = randomSuffix()
    ) throws -> KbatchSubmission {
        guard let submitted = body["job"], submitted.objectValue != nil else {
            throw APIError.validation("Field required", field: "job")
        }
        var workload = KubernetesCase.camel(submitted)
        if let given = workload["kind"]?.stringValue, given != kind.rawValue {
            throw APIError.validation("kind must be \(kind.rawValue) here, not \(given)", field: "job.kind")
        }
        workload["apiVersion"] = "batch/v1"
        workload["kind"] = .string(kind.rawValue)
        let namespace = KbatchNamespace.name(for: username)
        let jobPath: [String] = kind == .job ? [] : ["spec", "jobTemplate"]
        let podPath = jobPath + ["spec", "template"]

        if let template = rules.jobTemplate {
            let current = workload[path: jobPath] ?? [:]
            workload[path: jobPath] = merge(
                current, template: .object(template.objectValue?.filter { ["metadata", "spec"].contains($0.key) } ?? [:]))
        }
        if kind == .cronJob {
            // Checked here on every runtime, so a bad schedule is the same 422 locally and on a cluster.
            guard let schedule = workload["spec"]?["schedule"]?.stringValue else {
                throw APIError.validation("Field required", field: "job.spec.schedule")
            }
            do {
                _ = try CronSchedule(schedule)
            } catch {
                throw APIError(.unprocessableContent, detail: "job.spec.schedule: \(error)")
            }
            if let zone = workload["spec"]?["timeZone"]?.stringValue, TimeZone(identifier: zone) == nil {
                throw APIError(.unprocessableContent, detail: "job.spec.time_zone: unknown time zone \"\(zone)\"")
            }
        }
        guard var pod = workload[path: podPath + ["spec"]], pod.objectValue != nil else {
            throw APIError.validation("Field required", field: (["job"] + podPath + ["spec"]).joined(separator: "."))
        }
        try refuseWhatIsNotAllowed(in: pod, at: (["job"] + podPath + ["spec"]).joined(separator: "."), rules: rules)

        // Whose it is, on the workload, its pods and a CronJob's job template; where it lives, on
        // the workload and its pods.
        let escaped = String(namespace.dropFirst(KbatchNamespace.prefix.count))
        let owned: [(path: [String], namespaced: Bool)] = [([], true), (podPath, true)] + (kind == .cronJob ? [(jobPath, false)] : [])
        for (path, namespaced) in owned {
            var metadata = workload[path: path + ["metadata"]]?.objectValue ?? [:]
            if namespaced { metadata["namespace"] = .string(namespace) }
            var labels = metadata["labels"]?.objectValue ?? [:]
            labels[ownerKey] = .string(escaped)
            if path.isEmpty { labels[submissionKey] = .string(suffix) }
            metadata["labels"] = .object(labels)
            var annotations = metadata["annotations"]?.objectValue ?? [:]
            annotations[ownerKey] = .string(username)
            metadata["annotations"] = .object(annotations)
            workload[path: path + ["metadata"]] = .object(metadata)
        }
        workload[path: jobPath + ["spec", "ttlSecondsAfterFinished"]] = .number(Double(rules.ttlSecondsAfterFinished))

        // Container 0's injected env, then every literal value into the Secret.
        var containers = pod["containers"]?.arrayValue ?? []
        let image = containers[0]["image"] ?? ""
        var injected = rules.extraEnv.map { (name: $0.name, value: JSONValue.string($0.value)) }
        injected += [("JUPYTER_IMAGE", image), ("JUPYTER_IMAGE_SPEC", image)]
        if rules.injectUserToken { injected.append(("JUPYTERHUB_API_TOKEN", .string(token))) }
        var env = containers[0]["env"]?.arrayValue ?? []
        env += injected.map { ["name": .string($0.name), "value": $0.value] }
        containers[0]["env"] = .array(env)

        let base = baseName(workload)
        let secretName = "\(base)-env-\(suffix)"
        var secretData: [String: JSONValue] = [:]
        for index in containers.indices {
            guard let entries = containers[index]["env"]?.arrayValue else { continue }
            let container = containers[index]["name"]?.stringValue ?? "c\(index)"
            containers[index]["env"] = .array(
                entries.map { entry in
                    guard let name = entry["name"]?.stringValue, let value = entry["value"] else { return entry }
                    let key = "\(container).\(name)"
                    secretData[key] = .string(Data((value.stringValue ?? value.scalarDescription ?? "").utf8).base64EncodedString())
                    return ["name": .string(name), "valueFrom": ["secretKeyRef": ["name": .string(secretName), "key": .string(key)]]]
                })
        }
        pod["containers"] = .array(containers)
        var secret: JSONValue?
        if !secretData.isEmpty {
            secret = [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": .object(secretData),
                "metadata": ["name": .string(secretName), "namespace": .string(namespace), "labels": [ownerKey: .string(escaped)]],
            ]
        }

        // Shipped code: the zip in a ConfigMap, unzipped into /code before container 0 starts.
        var codeConfigMap: JSONValue?
        if let code = body["code"], code != .null {
            let camelCode = KubernetesCase.camel(code)
            guard let zipped = camelCode["binaryData"]?["code"]?.stringValue, let bytes = Data(base64Encoded: zipped) else {
                throw APIError.validation("code.binary_data.code must be a base64 zip", field: "code.binary_data.code")
            }
            guard bytes.count <= rules.maxCodeBytes else {
                throw APIError(
                    .contentTooLarge,
                    detail:
                        "The code bundle is \(bytes.count) bytes zipped; at most \(rules.maxCodeBytes) fit in a ConfigMap. Ship less code, or put data in storage."
                )
            }
            let configMapName = "\(base)-code-\(suffix)"
            codeConfigMap = [
                "apiVersion": "v1", "kind": "ConfigMap", "binaryData": ["code": .string(zipped)],
                "metadata": ["name": .string(configMapName), "namespace": .string(namespace), "labels": [ownerKey: .string(escaped)]],
            ]
            pod = withCode(pod, configMap: configMapName, rules: rules)
        }
        workload[path: podPath + ["spec"]] = pod
        return KbatchSubmission(kind: kind, namespace: namespace, secret: secret, codeConfigMap: codeConfigMap, workload: workload)
    }

    /// The label and annotation naming the owner (escaped in the label, as given in the annotation).
    static let ownerKey = "kbatch.jupyter.org/username"
    /// On the workload: which submission made it (its `suffix`), so one whose create call
    /// timed out can be found even when its name was generated.
    static let submissionKey = "rexec.sciencedata.dk/kbatch-submission"

    static func randomSuffix() -> String {
        String(UUID.timeOrdered().uuidString.lowercased().suffix(8))
    }

    /// The workload's name or generateName, trimmed to leave room for suffixes.
    static func baseName(_ workload: JSONValue) -> String {
        let given = workload["metadata"]?["name"]?.stringValue ?? workload["metadata"]?["generateName"]?.stringValue ?? "kbatch"
        var base = Substring(given.lowercased().prefix(40))
        while base.last == "-" || base.last == "." { base.removeLast() }
        return base.isEmpty ? "kbatch" : String(base)
    }

    /// Refusals, each naming the field: host access, privilege, other service accounts, added
    /// capabilities, too many containers.
    static func refuseWhatIsNotAllowed(in pod: JSONValue, at path: String, rules: Rules) throws {
        func refuse(_ field: String, _ why: String) throws -> Never {
            throw APIError(.unprocessableContent, detail: "\(path).\(field): \(why)")
        }
        let containers = pod["containers"]?.arrayValue ?? []
        if containers.isEmpty { try refuse("containers", "a job needs a container") }
        if containers.count > rules.maxContainers {
            try refuse("containers", "\(containers.count) containers; at most \(rules.maxContainers) allowed (KBATCH_MAX_CONTAINERS)")
        }
        for field in ["hostNetwork", "hostPID", "hostIPC"] where pod[field] == true {
            try refuse(field, "host namespaces are not allowed")
        }
        for field in ["serviceAccountName", "serviceAccount"] {
            if let account = pod[field]?.stringValue, account != "default" {
                try refuse(field, "only the namespace's default service account is allowed")
            }
        }
        for (index, volume) in (pod["volumes"]?.arrayValue ?? []).enumerated() where volume["hostPath"] != nil {
            try refuse("volumes[\(index)].hostPath", "hostPath volumes are not allowed")
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (index, container) in (pod[list]?.arrayValue ?? []).enumerated() {
                let context = container["securityContext"]
                if context?["privileged"] == true {
                    try refuse("\(list)[\(index)].securityContext.privileged", "privileged containers are not allowed")
                }
                if let added = context?["capabilities"]?["add"]?.arrayValue, !added.isEmpty {
                    try refuse("\(list)[\(index)].securityContext.capabilities.add", "adding capabilities is not allowed")
                }
                for (port, entry) in (container["ports"]?.arrayValue ?? []).enumerated() where entry["hostPort"] != nil && entry["hostPort"] != 0 {
                    try refuse("\(list)[\(index)].ports[\(port)].hostPort", "host ports are not allowed")
                }
            }
        }
    }

    /// The pod with the code volumes, the unzip init container first, and `/code` on container 0.
    static func withCode(_ pod: JSONValue, configMap: String, rules: Rules) -> JSONValue {
        var pod = pod
        var volumes = pod["volumes"]?.arrayValue ?? []
        volumes += [["name": "kbatch-code-zip", "configMap": ["name": .string(configMap)]], ["name": "kbatch-code", "emptyDir": [:]]]
        pod["volumes"] = .array(volumes)
        let unzip: JSONValue = [
            "name": "kbatch-unzip-code", "image": .string(rules.unzipImage),
            "command": ["/bin/sh", "-c", "cd /code && unzip -o /kbatch-code-zip/code"],
            "volumeMounts": [
                ["name": "kbatch-code-zip", "mountPath": "/kbatch-code-zip", "readOnly": true], ["name": "kbatch-code", "mountPath": "/code"],
            ],
            "resources": ["requests": ["cpu": "50m", "memory": "32Mi"], "limits": ["cpu": "500m", "memory": "128Mi"]],
            "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]],
        ]
        pod["initContainers"] = .array([unzip] + (pod["initContainers"]?.arrayValue ?? []))
        var containers = pod["containers"]?.arrayValue ?? []
        var mounts = containers[0]["volumeMounts"]?.arrayValue ?? []
        mounts.append(["name": "kbatch-code", "mountPath": "/code"])
        containers[0]["volumeMounts"] = .array(mounts)
        pod["containers"] = .array(containers)
        return pod
    }

    /// dask-gateway's merge, as kbatch-proxy's: maps merge key by key with the template's
    /// value winning, lists are the submitted entries then the template's.
    static func merge(_ submitted: JSONValue, template: JSONValue) -> JSONValue {
        switch (submitted, template) {
        case (.object(var fields), .object(let templateFields)):
            for (key, value) in templateFields { fields[key] = fields[key].map { merge($0, template: value) } ?? value }
            return .object(fields)
        case (.array(let items), .array(let templateItems)):
            return .array(items + templateItems)
        default:
            return template
        }
    }
}
