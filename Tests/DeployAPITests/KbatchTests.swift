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
