import Essentials
import Foundation
import ServiceKit
import Testing

@testable import DeployAPI

/// The submission rewrite: what a kbatch Job or CronJob becomes before anything is created.
@Suite("kbatch submissions")
struct KbatchSubmissionTests {
    /// What kbatch 0.4.2's `make_job(...).to_dict()` sends: snake_case, unset fields null.
    static func job(pod: JSONValue? = nil, env: JSONValue = ["GREETING": "hi"]) -> JSONValue {
        let container: JSONValue = [
            "name": "job", "image": "python:3.12-slim", "command": ["python", "run.py"], "args": .null, "working_dir": "/code",
            "env": .array(
                (env.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": $0.value, "value_from": .null] }),
            "resources": ["limits": [:], "requests": [:]],
        ]
        return [
            "api_version": "batch/v1", "kind": "Job", "status": .null,
            "metadata": ["generate_name": "crunch-", "labels": [:], "annotations": [:], "name": .null],
            "spec": [
                "backoff_limit": 0, "ttl_seconds_after_finished": 300,
                "template": ["metadata": ["name": "crunch-pod"], "spec": pod ?? ["restart_policy": "Never", "containers": [container]]],
            ],
        ]
    }

    static func cronJob() -> JSONValue {
        let job = Self.job()
        return [
            "api_version": "batch/v1", "kind": "CronJob", "metadata": ["generate_name": "nightly-cron-"],
            "spec": ["schedule": "0 3 * * *", "starting_deadline_seconds": 300, "job_template": ["metadata": [:], "spec": job["spec"] ?? [:]]],
        ]
    }

    @Test("a Job lands in the caller's namespace, owned, with the TTL forced and every literal env value in a Secret")
    func job() throws {
        let made = try KbatchSubmission.prepare(
            kind: .job, body: ["job": Self.job()], username: "Ada@Example.org", token: "secret-token",
            rules: KbatchSubmission.Rules(extraEnv: [("DASK_GATEWAY__ADDRESS", "http://gateway")]), suffix: "abc12345")
        let namespace = KbatchNamespace.name(for: "Ada@Example.org")
        #expect(made.namespace == namespace)
        let job = made.workload
        #expect(job["metadata"]?["namespace"] == .string(namespace) && job["metadata"]?["generateName"] == "crunch-")
        #expect(job["metadata"]?["annotations"]?[KbatchSubmission.ownerKey] == "Ada@Example.org")
        #expect(job["spec"]?["template"]?["metadata"]?["labels"]?[KbatchSubmission.ownerKey] == .string(String(namespace.dropFirst(7))))
        #expect(job["spec"]?["ttlSecondsAfterFinished"] == 3600 && job["spec"]?["backoffLimit"] == 0)
        let env = try #require(job["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue)
        #expect(env.compactMap { $0["name"]?.stringValue } == ["GREETING", "DASK_GATEWAY__ADDRESS", "JUPYTER_IMAGE", "JUPYTER_IMAGE_SPEC"])
        #expect(env.allSatisfy { $0["value"] == nil && $0["valueFrom"]?["secretKeyRef"]?["name"] == "crunch-env-abc12345" })
        let secret = try #require(made.secret)
        #expect(secret["metadata"]?["namespace"] == .string(namespace))
        #expect(secret["data"]?["job.GREETING"] == .string(Data("hi".utf8).base64EncodedString()))
        #expect(secret["data"]?["job.JUPYTER_IMAGE"] == .string(Data("python:3.12-slim".utf8).base64EncodedString()))
        // The caller's token goes nowhere unless the admin asks for it.
        #expect(!String(decoding: made.workload.bytes() + secret.bytes(), as: UTF8.self).contains(Data("secret-token".utf8).base64EncodedString()))
        let withToken = try KbatchSubmission.prepare(
            kind: .job, body: ["job": Self.job()], username: "ada", token: "secret-token", rules: KbatchSubmission.Rules(injectUserToken: true))
        #expect(withToken.secret?["data"]?["job.JUPYTERHUB_API_TOKEN"] == .string(Data("secret-token".utf8).base64EncodedString()))
        #expect(made.codeConfigMap == nil)
    }

    @Test("shipped code: a ConfigMap, an unzip init container and /code on container 0; too big is 413")
    func code() throws {
        let zip = Data("PK fake zip".utf8).base64EncodedString()
        let body: JSONValue = ["job": Self.job(), "code": ["api_version": "v1", "kind": "ConfigMap", "binary_data": ["code": .string(zip)]]]
        let made = try KbatchSubmission.prepare(kind: .job, body: body, username: "ada", token: "t", rules: .init(), suffix: "s1")
        #expect(made.codeConfigMap?["binaryData"]?["code"] == .string(zip) && made.codeConfigMap?["metadata"]?["name"] == "crunch-code-s1")
        let pod = try #require(made.workload["spec"]?["template"]?["spec"])
        #expect(pod["initContainers"]?.arrayValue?.first?["name"] == "kbatch-unzip-code")
        #expect(pod["volumes"]?.arrayValue?.contains { $0["configMap"]?["name"] == "crunch-code-s1" } == true)
        #expect(pod["containers"]?.arrayValue?.first?["volumeMounts"]?.arrayValue?.contains { $0["mountPath"] == "/code" } == true)

        var rules = KbatchSubmission.Rules()
        rules.maxCodeBytes = 4
        #expect {
            _ = try KbatchSubmission.prepare(kind: .job, body: body, username: "ada", token: "t", rules: rules)
        } throws: { ($0 as? APIError)?.status == .contentTooLarge }
    }

    @Test(
        "what a pod may not ask for is refused with 422 naming the field",
        arguments: [
            (["hostNetwork": true], "hostNetwork"), (["hostPID": true], "hostPID"), (["hostIPC": true], "hostIPC"),
            (["serviceAccountName": "admin"], "serviceAccountName"),
            (["volumes": [["name": "root", "hostPath": ["path": "/"]]]], "volumes[0].hostPath"),
            (["containers": [["name": "a", "image": "x", "securityContext": ["privileged": true]]]], "containers[0].securityContext.privileged"),
            (
                ["containers": [["name": "a", "image": "x", "securityContext": ["capabilities": ["add": ["NET_ADMIN"]]]]]],
                "containers[0].securityContext.capabilities.add"
            ),
            (["containers": [["name": "a", "image": "x"], ["name": "b", "image": "y"]]], "containers"),
            (
                ["initContainers": [["name": "i", "image": "x", "securityContext": ["privileged": true]]]],
                "initContainers[0].securityContext.privileged"
            ),
        ] as [(JSONValue, String)])
    func refusals(extra: JSONValue, field: String) throws {
        var pod: JSONValue = ["restartPolicy": "Never", "containers": [["name": "job", "image": "python:3.12"]]]
        for (key, value) in extra.objectValue ?? [:] { pod[key] = value }
        #expect {
            _ = try KbatchSubmission.prepare(kind: .job, body: ["job": Self.job(pod: pod)], username: "ada", token: "t", rules: .init())
        } throws: { error in
            guard let error = error as? APIError, error.status == .unprocessableContent else { return false }
            return error.detail.stringValue?.hasPrefix("job.spec.template.spec.\(field):") == true
        }
    }

    @Test("the admin's Job template applies to CronJobs too (upstream dropped it), beside the TTL and the owner")
    func templateOnCronJobs() throws {
        let template: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job",
            "spec": [
                "backoffLimit": 0,
                "template": ["spec": ["tolerations": [["key": "user-nodes", "operator": "Exists"]], "nodeSelector": ["pool": "user"]]],
            ],
        ]
        let rules = KbatchSubmission.Rules(jobTemplate: template)
        let cron = try KbatchSubmission.prepare(kind: .cronJob, body: ["job": Self.cronJob()], username: "ada", token: "t", rules: rules)
        let pod = try #require(cron.workload["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"])
        #expect(pod["tolerations"] == [["key": "user-nodes", "operator": "Exists"]] && pod["nodeSelector"] == ["pool": "user"])
        #expect(cron.workload["spec"]?["schedule"] == "0 3 * * *" && cron.workload["kind"] == "CronJob")
        #expect(cron.workload["spec"]?["jobTemplate"]?["spec"]?["ttlSecondsAfterFinished"] == 3600)
        #expect(cron.workload["metadata"]?["namespace"] == "kbatch-ada")
        let job = try KbatchSubmission.prepare(kind: .job, body: ["job": Self.job()], username: "ada", token: "t", rules: rules)
        #expect(job.workload["spec"]?["template"]?["spec"]?["nodeSelector"] == ["pool": "user"])
        // A Job sent to the cronjobs route (or the other way round) is refused.
        #expect(throws: APIError.self) {
            _ = try KbatchSubmission.prepare(kind: .cronJob, body: ["job": Self.job()], username: "ada", token: "t", rules: rules)
        }
        #expect(throws: APIError.self) { _ = try KbatchSubmission.prepare(kind: .job, body: [:], username: "ada", token: "t", rules: rules) }
    }
}
