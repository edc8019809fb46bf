import Essentials
import ServiceLifecycle
import UnixSignals

/// Reloads the policy without a restart: on SIGHUP, and when the file's bytes change (a
/// Kubernetes ConfigMap update swaps a symlink, which no inotify watch on the file follows;
/// reading a few kilobytes every `interval` does, whatever the update method).
///
/// SIGHUP is trapped even with the built-in policy, so `kill -HUP` never ends the process.
public struct PolicyReloader: Service {
    let store: PolicyStore
    let interval: Duration

    public init(store: PolicyStore, interval: Duration = .seconds(2)) {
        self.store = store
        self.interval = interval
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { store.reload(reason: "SIGHUP") }
            }
            if store.file != nil {
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Sleep.for(interval) } catch { return }
                        store.reload(reason: "file changed", onlyIfChanged: true)
                    }
                }
            }
            // Runs until the service group shuts down.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
