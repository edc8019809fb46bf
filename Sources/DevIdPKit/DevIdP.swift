import Hummingbird
import Prometheus
import ServiceKit

/// The dev IdP as a service definition (the executable and the tests build it the same way).
public enum DevIdP {
    static let users = Setting<String>.text(
        "DEV_IDP_USERS", default: "config/dev-idp-users.yaml", help: "YAML file with users, passwords, tokens, groups and roles."
    ).flag("users")
    static let oidcClients = Setting<[String]>.list(
        "DEV_IDP_OIDC_CLIENTS",
        help:
            "Confidential OpenID clients as id:secret pairs, comma-separated (they must authenticate at the token endpoint); any other client id is public."
    ).secret()

    /// The `dev-idp` binary.
    public static let binary = ServiceBinary<BasicServiceRequestContext>(
        name: "dev-idp",
        summary: "Development identity provider: /information, /user/login and OpenID Connect sign-in from a YAML user list. Never deploy it.",
        listener: HTTPServerSettings.Declarations(defaultPort: 8090), settings: [SettingGroup("Users", [users, oidcClients])]
    ) { launch in
        let path = try launch.source.value(users)
        let directory: UserDirectory
        do {
            directory = try UserDirectory.load(path: path)
        } catch {
            throw ConfigurationError(variable: "DEV_IDP_USERS", value: path, expected: "a readable users YAML file (\(error))")
        }
        var confidential: [String: String] = [:]
        for pair in try launch.source.value(oidcClients) {
            let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigurationError(variable: "DEV_IDP_OIDC_CLIENTS", value: "<hidden>", expected: "id:secret pairs separated by commas")
            }
            confidential[parts[0]] = parts[1]
        }
        return definition(
            directory: directory, faults: FaultInjector(), settings: launch.http, registry: launch.metricsRegistry, confidentialClients: confidential)
    }

    public static func definition(
        directory: UserDirectory, faults: FaultInjector, launch: LaunchContext
    ) -> ServiceDefinition<BasicServiceRequestContext> {
        definition(directory: directory, faults: faults, settings: launch.http, registry: launch.metricsRegistry)
    }

    public static func definition(
        directory: UserDirectory, faults: FaultInjector, settings: HTTPServerSettings, registry: PrometheusCollectorRegistry,
        confidentialClients: [String: String] = [:]
    ) -> ServiceDefinition<BasicServiceRequestContext> {
        let users = DevIdPRoutes.Directory(directory)
        let routes = DevIdPRoutes(directory: users, faults: faults)
        let oidc = OIDCRoutes(provider: OIDCProvider(), directory: users, confidentialClients: confidentialClients)
        return ServiceDefinition(
            name: "dev-idp", settings: settings, errorStyle: .detail,
            openAPI: OpenAPIDocument(title: "Development IdP", version: "0.1.0", description: "Test identity provider."),
            metricsRegistry: registry, routes: routes.routes + oidc.routes
        )
    }
}
