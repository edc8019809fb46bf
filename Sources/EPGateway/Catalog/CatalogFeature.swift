import Access
import AccessPolicy
import ServiceKit
import ServiceLifecycle

/// The catalog as a feature of the endpoint: organizations, datasets, resources, search, the
/// typed registrations, the registered services' proxy and CKAN's action API, over the local
/// catalog and the remote ones `server=` names; ready once the local catalog answers (and
/// Pre-CKAN, when it is on); the catalog closed at shutdown.
struct CatalogFeature: ServiceFeature {
    let catalogs: CatalogServers
    let access: EndpointAccess
    let settings: EPSettings
    let registeredServices: RegisteredServiceRoutes

    init(database: CatalogDatabase, settings: EPSettings, access: EndpointAccess) {
        // The remote catalogs `server=global` and `server=pre_ckan` name, when configured.
        catalogs = CatalogServers(
            local: database.catalog, global: settings.federation.global.map { CKANCatalogStore(client: CKANClient($0)) },
            preCkan: settings.federation.preCkan.map { CKANCatalogStore(client: CKANClient($0)) })
        self.access = access
        self.settings = settings
        registeredServices = RegisteredServiceRoutes(store: database.catalog, access: access)
    }

    var routes: [Route<IdentityRequestContext>] {
        let organization = settings.status.organization
        let datasets = DatasetRoutes(
            catalogs: catalogs, access: access, endpointOrganization: organization, publishOrganization: settings.federation.preCkanOrganization)
        let actions = ActionRoutes(
            store: catalogs.local, access: access, endpointOrganization: organization,
            site: ActionRoutes.Site(title: settings.status.epName, description: settings.swaggerDescription, version: settings.version))
        return OrganizationRoutes(catalogs: catalogs, access: access).routes + datasets.routes
            + ResourceRoutes(catalogs: catalogs, access: access, datasets: datasets).routes
            + SearchRoutes(catalogs: catalogs, access: access).routes + actions.routes + registeredServices.routes
            + RegistrationRoutes<KafkaFields>(kind: .kafka, catalogs: catalogs, access: access, endpointOrganization: organization).routes
            + RegistrationRoutes<URLFields>(kind: .url, catalogs: catalogs, access: access, endpointOrganization: organization).routes
            + RegistrationRoutes<S3Fields>(kind: .s3, catalogs: catalogs, access: access, endpointOrganization: organization).routes
            + RegistrationRoutes<ServiceFields>(kind: .service, catalogs: catalogs, access: access, endpointOrganization: organization).routes
    }

    var readinessChecks: [ReadinessCheck] {
        let local = catalogs.local
        var checks = [ReadinessCheck(name: "local_catalog") { try await local.ping() }]
        if let preCkan = catalogs.preCkan { checks.append(ReadinessCheck(name: "pre_ckan") { try await preCkan.ping() }) }
        return checks
    }

    var services: [any Service] { [Catalog.Closer(store: catalogs.local)] }
}
