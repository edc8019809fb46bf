import AccessPolicy
import Foundation
import Testing

@Suite("Access policy format")
struct PolicyParserTests {
    static func parse(_ text: String) throws(PolicyError) -> PolicyParser.Parsed {
        try PolicyParser(file: "policy.yaml").parse(text)
    }

    static func error(_ text: String) -> PolicyError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("the issue's example reads as written, entries in order")
    func example() throws {
        let parsed = try Self.parse(
            """
            dataset:
              public:
                create: [Endpoint.Writer]
                read:   [Any.Any]
                update: [Endpoint.Writer]
                delete: [Object.Creator, Endpoint.Admin]
              private:
                read:   [Object.Creator, Endpoint.Admin]
                update: [Object.Creator, Endpoint.Admin]
                delete: [Object.Creator, Endpoint.Admin]
            """)
        let policy = parsed.policy
        #expect(policy.rule(.dataset, .public, .delete)?.roles == [.objectCreator, .endpointAdmin])
        #expect(policy.rule(.dataset, .public, .read)?.allowsAnyone == true)
        #expect(policy.rule(.dataset, .private, .create) == nil)
        #expect(policy.rule(.pod, .private, .read) == nil)
        // What is left out is denied, and said once per entity.
        #expect(parsed.warnings.contains("policy.yaml: dataset: protected is missing; private has no create (denied)"))
        #expect(parsed.warnings.contains("policy.yaml: pod has no rules; every pod call is denied"))
        #expect(parsed.warnings.count == PolicyEntity.allCases.count)
    }

    @Test(
        "a misspelled word is an error naming the line, the column and the words allowed",
        arguments: [
            ("datset:\n  public:\n    read: [Any.Any]\n", "policy.yaml:1:1: unknown entity 'datset' (entities: status, user, policy,"),
            ("dataset:\n  publik:\n    read: [Any.Any]\n", "policy.yaml:2:3: unknown mode 'publik' (modes: public, protected, private)"),
            ("dataset:\n  public:\n    list: [Any.Any]\n", "policy.yaml:3:5: unknown operation 'list' (operations: create, read, update, delete)"),
            (
                "dataset:\n  public:\n    read: [Endpoint.Wrter]\n",
                "policy.yaml:3:12: unknown role 'Wrter' in 'Endpoint.Wrter' (roles of Endpoint: Member, Viewer, Writer, Admin, Silo)"
            ),
            (
                "dataset:\n  public:\n    read: [Any.Any, Endpont.Writer]\n",
                "policy.yaml:3:21: unknown scope 'Endpont' in 'Endpont.Writer' (scopes: Any, User, Endpoint, Object)"
            ),
            ("dataset:\n  public:\n    read: [writer]\n", "policy.yaml:3:12: 'writer' is not a role: write Scope.Role"),
            ("dataset:\n  public:\n    read: Any.Any\n", "policy.yaml:3:11: dataset.public.read must be a list of roles"),
            ("dataset:\n  public: [Any.Any]\n", "policy.yaml:2:11: dataset.public must map operations"),
            ("- dataset\n", "policy.yaml:1:1: the policy must map entities"),
            ("dataset:\n  public:\n    read: [Any.Any\n", "policy.yaml:4:1: not valid YAML"),
            ("dataset:\n  public:\n    read: [Any.Any]\n    read: []\n", "policy.yaml:"),
            ("", "policy.yaml: the file is empty"),
        ])
    func misspellings(text: String, message: String) {
        let error = Self.error(text)
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test("an empty list denies everyone without a warning")
    func explicitDenial() throws {
        let parsed = try Self.parse("policy:\n  public: {create: [], read: [User.Any], update: [], delete: []}\n")
        #expect(parsed.policy.rule(.policy, .public, .create) == AccessPolicy.Rule([]))
        #expect(!parsed.warnings.contains { $0.contains("policy: public") })
    }

    @Test("the built-in policy is config/policy.yaml word for word, parses, and leaves nothing out")
    func builtIn() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/policy.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == DefaultPolicy.text)
        let loaded = LoadedPolicy.builtIn()
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.policy.missingSlots.isEmpty)
        #expect(try LoadedPolicy.read(file: file.path).sha256 == loaded.sha256)
    }
}
