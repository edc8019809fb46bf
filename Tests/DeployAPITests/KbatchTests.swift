import Essentials
import ServiceKit
import Testing

@testable import DeployAPI

/// The kbatch API's pure parts: namespace names and settings.
@Suite("kbatch")
struct KbatchTests {
    @Test(
        "namespaces are named as kbatch-proxy names them (expected values from its algorithm in Python)",
        arguments: [
            ("myuser", "kbatch-myuser"),
            ("taugspurger@microsoft.com", "kbatch-taugspurger-microsoft-com--69c4de7"),
            // Upper case and runs of other characters change the name, so the hash is added.
            ("MyUser", "kbatch-myuser--ea2f183"),
            ("a..b__c", "kbatch-a-b-c--b2da043"),
            ("-edge-", "kbatch-edge--8074bfe"),
            (String(repeating: "x", count: 60), "kbatch-" + String(repeating: "x", count: 40) + "--42f2d97"),
        ])
    func namespace(username: String, expected: String) {
        #expect(KbatchNamespace.name(for: username) == expected)
    }

    @Test("names that escape alike stay apart, and every name is a valid namespace")
    func collisionFree() {
        let names = ["ab", "Ab", "a-b", "a_b", "a.b", "a@b", String(repeating: "x", count: 60), String(repeating: "x", count: 61)]
        let namespaces = names.map(KbatchNamespace.name(for:))
        #expect(Set(namespaces).count == names.count)
        for namespace in namespaces {
            #expect(namespace.count <= 63)
            #expect(namespace.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
            #expect(namespace.first != "-" && namespace.last != "-")
        }
    }

    @Test("KBATCH_PREFIX must be a path")
    func prefix() throws {
        #expect(try KbatchSettings.load(from: ConfigurationSource(environment: [:])).prefix == "/kbatch")
        #expect(try KbatchSettings.load(from: ConfigurationSource(environment: ["KBATCH_PREFIX": "/services/kbatch"])).prefix == "/services/kbatch")
        for bad in ["kbatch", "/kbatch/", "/k batch", "//x"] {
            #expect(throws: ConfigurationError.self) { try KbatchSettings.load(from: ConfigurationSource(environment: ["KBATCH_PREFIX": bad])) }
        }
    }
}

extension KbatchTests {
    @Test("the Python client's snake_case becomes Kubernetes' camelCase and back; map keys and acronym fields are kept right")
    func kubernetesCase() throws {
        let python: JSONValue = [
            "api_version": "batch/v1", "kind": "Job", "status": .null,
            "metadata": ["generate_name": "crunch-", "labels": ["app_name": "x", "kbatch.jupyter.org/user_name": "y"], "annotations": .null],
            "spec": [
                "ttl_seconds_after_finished": 300, "backoff_limit": 0, "active_deadline_seconds": .null,
                "template": [
                    "spec": [
                        "restart_policy": "Never", "host_pid": .null, "node_selector": ["disk_type": "ssd"],
                        "containers": [
                            [
                                "name": "job", "working_dir": "/code", "env": [["name": "MY_VAR", "value": "1", "value_from": .null]],
                                "resources": ["limits": ["nvidia.com/gpu": "1"], "requests": [:]],
                            ]
                        ],
                    ]
                ],
            ],
        ]
        let kube = KubernetesCase.camel(python)
        #expect(kube["apiVersion"] == "batch/v1" && kube["status"] == nil && kube["metadata"]?["annotations"] == nil)
        #expect(kube["metadata"]?["generateName"] == "crunch-")
        #expect(kube["metadata"]?["labels"] == ["app_name": "x", "kbatch.jupyter.org/user_name": "y"])
        #expect(kube["spec"]?["ttlSecondsAfterFinished"] == 300 && kube["spec"]?["activeDeadlineSeconds"] == nil)
        let pod = try #require(kube["spec"]?["template"]?["spec"])
        #expect(pod["restartPolicy"] == "Never" && pod["nodeSelector"] == ["disk_type": "ssd"] && pod["hostPID"] == nil)
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container["workingDir"] == "/code" && container["env"] == [["name": "MY_VAR", "value": "1"]])
        #expect(container["resources"]?["limits"] == ["nvidia.com/gpu": "1"])
        // camelCase input is left as it is.
        #expect(KubernetesCase.camel(kube) == kube)
        #expect(KubernetesCase.camelName("host_pid") == "hostPID" && KubernetesCase.camelName("pod_i_ps") == "podIPs")

        let answer = KubernetesCase.snake([
            "metadata": ["creationTimestamp": "t", "labels": ["someKey": "v"]], "status": ["startTime": "s", "podIP": "1"],
        ])
        #expect(answer == ["metadata": ["creation_timestamp": "t", "labels": ["someKey": "v"]], "status": ["start_time": "s", "pod_ip": "1"]])
    }
}

extension KbatchTests {
    @Test("the submission rules come from KBATCH_* settings; bad values stop start-up without echoing env values")
    func rules() throws {
        let rules = try KbatchSettings.load(
            from: ConfigurationSource(environment: [
                "KBATCH_JOB_TTL_SECONDS_AFTER_FINISHED": "60", "KBATCH_INJECT_USER_TOKEN": "true", "KBATCH_MAX_CONTAINERS": "2",
                "KBATCH_JOB_EXTRA_ENV": #"{"B": "2", "A": "1"}"#,
            ])
        ).submission
        #expect(rules.ttlSecondsAfterFinished == 60 && rules.injectUserToken && rules.maxContainers == 2)
        #expect(rules.extraEnv.map(\.name) == ["A", "B"] && rules.extraEnv.map(\.value) == ["1", "2"])
        let namespaces = try KbatchSettings.load(
            from: ConfigurationSource(environment: [
                "KBATCH_POD_SECURITY_LEVEL": "restricted", "KBATCH_RESOURCE_QUOTA": #"{"pods": "5"}"#, "KBATCH_LIMIT_RANGE": "null",
                "KBATCH_MAX_ACTIVE_JOBS_PER_USER": "3",
            ])
        ).namespaces
        #expect(namespaces.podSecurityLevel == "restricted" && namespaces.resourceQuota == ["pods": "5"] && namespaces.limitRange == nil)
        #expect(namespaces.maxActiveJobs == 3)
        for (variable, bad) in [("KBATCH_POD_SECURITY_LEVEL", "lax"), ("KBATCH_RESOURCE_QUOTA", "[1]"), ("KBATCH_LIMIT_RANGE", "{")] {
            #expect(throws: ConfigurationError.self) { try KbatchSettings.load(from: ConfigurationSource(environment: [variable: bad])) }
        }
        let defaults = try KbatchSettings.load(from: ConfigurationSource(environment: [:])).submission
        #expect(defaults.ttlSecondsAfterFinished == 3600 && !defaults.injectUserToken && defaults.maxContainers == 1 && defaults.jobTemplate == nil)
        do {
            _ = try KbatchSettings.load(from: ConfigurationSource(environment: ["KBATCH_JOB_EXTRA_ENV": #"{"TOKEN": 5, "PASSWORD": "hunter2"}"#]))
            Issue.record("a non-string env value was accepted")
        } catch let error as ConfigurationError {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
