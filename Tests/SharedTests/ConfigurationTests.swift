import Foundation
import Identity
import ServiceKit
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test(
        "booleans accept upstream's spellings",
        arguments: [
            ("True", true), ("true", true), ("1", true), ("yes", true), ("on", true), ("ON", true), (" Yes ", true),
            ("False", false), ("false", false), ("0", false), ("no", false), ("off", false), ("OFF", false),
        ])
    func booleanSpellings(value: String, expected: Bool) throws {
        let source = ConfigurationSource(environment: ["ENABLE_GROUP_BASED_ACCESS": value])
        #expect(try source.value(AccessSettings.groupBasedAccess) == expected)
    }

    @Test("an invalid boolean names the variable and the allowed values")
    func invalidBoolean() {
        let source = ConfigurationSource(environment: ["ENABLE_GROUP_BASED_ACCESS": "maybe"])
        let error = #expect(throws: ConfigurationError.self) { try source.value(AccessSettings.groupBasedAccess) }
        #expect(error?.description == "invalid value 'maybe' for ENABLE_GROUP_BASED_ACCESS: expected true/false, 1/0, yes/no, on/off (any case)")
    }

    @Test("flags beat the environment, which beats the .env file")
    func precedence() throws {
        let source = ConfigurationSource(
            overrides: ["PORT": "1"], environment: ["PORT": "2", "HOST": "env-host"], dotEnv: ["PORT": "3", "HOST": "file-host", "ROOT_PATH": "/ep"]
        )
        let settings = try HTTPServerSettings.Declarations(defaultPort: 9).load(from: source)
        #expect(settings.port == 1)
        #expect(settings.host == "env-host")
        #expect(settings.rootPaths == ["/ep"])
    }

    @Test("names are matched case-insensitively, as pydantic does")
    func caseInsensitiveNames() throws {
        let source = ConfigurationSource(environment: [:], dotEnv: ["auth_api_url": "http://idp.local/information"])
        #expect(try AuthSettings.load(from: source).authAPIURL.absoluteString == "http://idp.local/information")
    }

    @Test("defaults follow upstream and our documented extensions")
    func defaults() throws {
        let source = ConfigurationSource(environment: [:])
        let auth = try AuthSettings.load(from: source)
        #expect(auth.authAPIURL.absoluteString == AuthSettings.upstreamDefaultURL)
        #expect(auth.timeout == .seconds(10))
        #expect(auth.cacheTTL == .seconds(60))
        #expect(auth.negativeCacheTTL == .seconds(10))
        let access = try AccessSettings.load(from: source)
        #expect(access == AccessSettings(groupBasedAccess: false, groupNames: [], endpointUUID: nil))
        let http = try HTTPServerSettings.Declarations(defaultPort: 8000).load(from: source)
        #expect(http.port == 8000 && http.rootPaths.isEmpty && http.maxBodyBytes == 1 << 20)
    }

    @Test(
        "invalid values stop start-up with a line naming the variable",
        arguments: [
            ("PORT", "eighty", "PORT: expected an integer from 0 to 65535"),
            ("PORT", "70000", "PORT: expected an integer from 0 to 65535"),
            ("AUTH_API_URL", "idp.local", "AUTH_API_URL: expected an absolute http:// or https:// URL"),
            ("AUTH_TIMEOUT_SECONDS", "-1", "AUTH_TIMEOUT_SECONDS: expected a number of seconds from 0.05 to 120"),
            ("LOG_LEVEL", "loud", "LOG_LEVEL: expected one of trace, debug, info, notice, warning, error, critical"),
            ("ROOT_PATH", "/a b", "ROOT_PATH: expected a URL path such as /rexec or /ep"),
        ])
    func invalidValues(variable: String, value: String, message: String) {
        let source = ConfigurationSource(environment: [variable: value])
        #expect {
            _ = try HTTPServerSettings.Declarations(defaultPort: 1).load(from: source)
            _ = try AuthSettings.load(from: source)
        } throws: { error in
            String(describing: error) == "invalid value '\(value)' for \(message)"
        }
    }

    @Test("a negative TTL longer than the positive one is refused")
    func negativeTTLBound() {
        let source = ConfigurationSource(environment: ["AUTH_CACHE_TTL_SECONDS": "5", "AUTH_NEGATIVE_CACHE_TTL_SECONDS": "30"])
        #expect(throws: ConfigurationError.self) { try AuthSettings.load(from: source) }
    }

    @Test("GROUP_NAMES is a trimmed comma-separated list")
    func groupList() throws {
        let source = ConfigurationSource(environment: ["GROUP_NAMES": " /ndp_ep/ep-1 , ,ep-2,"])
        #expect(try AccessSettings.load(from: source).groupNames == ["/ndp_ep/ep-1", "ep-2"])
    }

    @Test("root paths are normalised and the first upstream name wins")
    func rootPaths() throws {
        let source = ConfigurationSource(environment: ["APP_ROOT_PATH": "rexec/", "ROOT_PATH": "/other"])
        let settings = try HTTPServerSettings.Declarations(defaultPort: 1, rootPathVariables: ["APP_ROOT_PATH", "ROOT_PATH"]) { [$0 + "/api"] }
            .load(from: source)
        #expect(settings.rootPaths == ["/rexec/api", "/rexec"])
        let none = try HTTPServerSettings.Declarations(defaultPort: 1).load(from: ConfigurationSource(environment: ["ROOT_PATH": "/"]))
        #expect(none.rootPaths.isEmpty)
    }

    @Test(".env files: comments, export, quotes and escapes")
    func dotEnvParsing() throws {
        let values = try DotEnvFile.parse(
            """
            # a comment
            export AUTH_API_URL=http://idp/information
            GROUP_NAMES = "/a,/b"   
            TITLE='single # not a comment'
            MULTI="line\\nbreak \\"quoted\\""
            PLAIN=value # trailing comment

            EMPTY=
            """
        )
        #expect(values["AUTH_API_URL"] == "http://idp/information")
        #expect(values["GROUP_NAMES"] == "/a,/b")
        #expect(values["TITLE"] == "single # not a comment")
        #expect(values["MULTI"] == "line\nbreak \"quoted\"")
        #expect(values["PLAIN"] == "value")
        #expect(values["EMPTY"] == "")
    }

    @Test(".env syntax errors name the file and line")
    func dotEnvErrors() {
        #expect { try DotEnvFile.parse("OK=1\nnot a pair", path: "x.env") } throws: { error in
            String(describing: error) == "x.env:2: expected KEY=value"
        }
        #expect { try DotEnvFile.parse("A=\"open", path: "y.env") } throws: { error in
            String(describing: error) == "y.env:1: unterminated quoted value"
        }
    }

    @Test("a .env file on disk is read, and a missing one is not an error")
    func dotEnvFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rexec-\(UUID().uuidString).env").path
        try "REXEC_TEST_FROM_FILE=4242\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try ConfigurationSource.load(dotEnvPath: path)
        #expect(try source.value(Setting<Int>.port("REXEC_TEST_FROM_FILE", default: 1, help: "")) == 4242)
        #expect(try ConfigurationSource.load(dotEnvPath: path + ".missing").raw("NOT_SET_ANYWHERE_X") == nil)
    }

    @Test("a derived default follows what it derives from: a cache TTL of 1 s alone starts, with a negative TTL of 1 s")
    func derivedDefault() throws {
        let auth = try AuthSettings.load(from: ConfigurationSource(environment: ["AUTH_CACHE_TTL_SECONDS": "1"]))
        #expect(auth.cacheTTL == .seconds(1))
        #expect(auth.negativeCacheTTL == .seconds(1))
        let off = try AuthSettings.load(from: ConfigurationSource(environment: ["AUTH_CACHE_TTL_SECONDS": "0"]))
        #expect(off.negativeCacheTTL == .zero)
        // Given by the user, the same value is refused, and the message names their value.
        let error = #expect(throws: ConfigurationError.self) {
            try AuthSettings.load(from: ConfigurationSource(environment: ["AUTH_CACHE_TTL_SECONDS": "1", "AUTH_NEGATIVE_CACHE_TTL_SECONDS": "10"]))
        }
        #expect(error?.variable == "AUTH_NEGATIVE_CACHE_TTL_SECONDS")
        #expect(error?.value == "10")
    }

    @Test("a secret's refused value is never printed")
    func secretValueHidden() {
        let setting = Setting<Int>.integer("SOME_SECRET_NUMBER", default: 1, range: 1...2, help: "").secret()
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationSource(environment: ["SOME_SECRET_NUMBER": "hunter2"]).value(setting)
        }
        #expect(error?.value == "<hidden>")
    }

    @Test("flags come from the declarations: --name value, --name=value, a boolean alone, --no-, repeated lists, unknown ones refused")
    func flagsFromDeclarations() throws {
        let flags = SettingFlags([
            SettingGroup(
                "test",
                [
                    Setting<Int>.port("PORT", default: 1, help: "").flag("port", "http-port"),
                    Setting<Bool>.boolean("SIMULATE", default: true, help: "").flag("simulation"),
                    Setting<[String]>.list("NAMESPACES", help: "").flag("namespace"),
                    Setting<String>.text("HOST", default: "", help: "").flag("host"),
                ])
        ])
        #expect(try flags.overrides(["--port", "80", "--host=a=b"]) == ["PORT": "80", "HOST": "a=b"])
        #expect(try flags.overrides(["--http-port", "81"]) == ["PORT": "81"])
        #expect(try flags.overrides(["--simulation"]) == ["SIMULATE": "true"])
        #expect(try flags.overrides(["--no-simulation", "--port", "1"]) == ["SIMULATE": "false", "PORT": "1"])
        #expect(try flags.overrides(["--namespace", "a", "--namespace", "b"]) == ["NAMESPACES": "a,b"])
        #expect(throws: SettingFlags.Unrecognized.self) { try flags.overrides(["--nope", "1"]) }
        #expect(throws: SettingFlags.Unrecognized.self) { try flags.overrides(["--port"]) }
        #expect(throws: SettingFlags.Unrecognized.self) { try flags.overrides(["stray"]) }
    }

    @Test("only a value the user gave is checked: a blank value of a setting whose blank means its default is the default")
    func blankMeansDefault() throws {
        let source = ConfigurationSource(environment: ["HOST": "  ", "CORS_ORIGIN": ""])
        let http = try HTTPServerSettings.Declarations(defaultPort: 1).load(from: source)
        #expect(http.host == "0.0.0.0")
        #expect(http.corsOrigin == "*")
    }
}
