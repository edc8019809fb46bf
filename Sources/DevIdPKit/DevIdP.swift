import Hummingbird
import Prometheus
import ServiceKit

/// The dev IdP as a service definition (the executable and the tests build it the same way).
public enum DevIdP {
    public static func definition(
        directory: UserDirectory, faults: FaultInjector, launch: LaunchContext
    ) -> ServiceDefinition<BasicServiceRequestContext> {
        definition(directory: directory, faults: faults, settings: launch.http, registry: launch.metricsRegistry)
    }

    public static func definition(
        directory: UserDirectory, faults: FaultInjector, settings: HTTPServerSettings, registry: PrometheusCollectorRegistry
    ) -> ServiceDefinition<BasicServiceRequestContext> {
        let routes = DevIdPRoutes(directory: DevIdPRoutes.Directory(directory), faults: faults)
        return ServiceDefinition(
            name: "dev-idp", settings: settings, errorStyle: .detail,
            openAPI: OpenAPIDocument(
                title: "Development IdP", version: "0.1.0", description: "Test identity provider.", operations: DevIdPRoutes.operations),
            metricsRegistry: registry
        ) { service in routes.register(on: service.open) }
    }
}
