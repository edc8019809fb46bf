import Foundation
import Kubernetes
import Logging

/// create_pod's synchronous part (docs/specs/pods-backend.md §2.3.2): fetch and check the
/// manifest, adapt it to the user, make their storage, pick a free name and create the pod.
/// The start jobs then run in the background (``CreationJob``).
struct PodCreator: Sendable {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    let fetcher: ManifestFetcher
    let cluster: PodsCluster
    let storage: UserStorage
    let lifecycle: PodLifecycle
    let settings: PodsSettings
    let metrics: PodsMetrics
    let logger: Logger

    func create(user: UserID, yamlURL: String, userSettings: [String: [String: String]], siloIP: String) async throws -> String {
        // Upstream's budget starts before the manifest is fetched.
        let started = Date()
        let deadline = ContinuousClock.now + settings.timeoutCreate
        var template: PodTemplate
        do {
            template = try PodTemplate(manifest: try await fetcher.fetch(yamlURL))
            template.applySettings(userSettings)
            template.applyMandatorySettings(user: user, siloIP: siloIP, restartPolicy: settings.defaultRestartPolicy, hostnames: settings.hostnames)
            template.applyRegistry(url: settings.localRegistryURL, secret: settings.localRegistrySecret)
            try template.applyVolumes(storageClaim: ResourceNames.storageClaim(user: user))
            try template.enforce(settings.policy, namespace: settings.namespace)
        } catch let error as ManifestFetcher.Failure {
            metrics.refused.increment()
            throw Refused(description: error.description)
        } catch let error as PodTemplate.Invalid {
            metrics.refused.increment()
            throw Refused(description: error.description)
        } catch let error as PodPolicy.Violation {
            metrics.refused.increment()
            throw Refused(description: "the manifest is not allowed: \(error.description)")
        }
        if template.needsStorage {
            template.setStorageClaim(try await storage.ensure(for: user, siloIP: siloIP, deadline: deadline))
        }
        let createDeadline = started.addingTimeInterval(settings.timeoutCreate.seconds)
        let annotations = [
            PodTemplate.Keys.owner: user.description,
            PodTemplate.Keys.createDeadline: KubernetesTime.format(createDeadline),
            PodTemplate.Keys.siloIP: siloIP,
            PodLifetime.Keys.expiresAt: KubernetesTime.format(
                settings.lifetime.expiry(forNewPodAskingFor: template.annotation(PodLifetime.Keys.lifetime), now: started)),
            CreationLease.annotation: lifecycle.newLease(deadline: createDeadline).text,
            PodTemplate.Keys.creationID: UUID().uuidString.lowercased(),
        ]
        let taken = Set(try await cluster.pods(of: user).compactMap(\.name))
        let base = ResourceNames.podBase(manifestName: template.manifestName, user: user)
        for name in ResourceNames.candidates(base: base) where !taken.contains(name) {
            template.applyIdentity(name: name, user: user, namespace: settings.namespace, annotations: annotations)
            do {
                let pod = try await cluster.createPod(template.pod)
                await lifecycle.startCreation(of: pod)
                logger.info("pod created", metadata: ["pod": "\(name)", "user": "\(user)"])
                return name
            } catch let error as KubernetesError where error.isAlreadyExists {
                // Another request for this user took the name a moment ago: try the next.
                continue
            } catch let error as KubernetesError where error.isInvalid || error.code == 400 {
                throw Refused(description: "Kubernetes refused the pod: \(error.message)")
            } catch let error as KubernetesError where error.leavesOutcomeUnknown {
                // The API server may still create the pod after this answer (a timed-out or
                // cut-off call): the user is told it failed, so such a pod must not stay.
                await lifecycle.removeIfCreatedLater(pod: name, creationID: annotations[PodTemplate.Keys.creationID] ?? "")
                throw error
            }
        }
        throw Refused(description: "names \(base) and \(base)-1 … \(base)-9 are all in use")
    }
}
