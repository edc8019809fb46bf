import Essentials
import Foundation
import Logging
import ServiceLifecycle

/// Terminates servers idle longer than `idleTimeout` (no call routed to them, as the broker
/// reports; without a broker status URL, since they were created) or older than
/// `maxLifetime`. Off unless one of them is set, as upstream never reaped.
struct IdleReaper: Service {
    let manager: ServerManager
    let settings: DeploySettings.LifecycleSettings
    let logger: Logger

    func run() async throws {
        guard settings.reaperEnabled else {
            // Returning would end the service group; stay until shutdown.
            try? await gracefulShutdown()
            return
        }
        logger.info(
            "idle reaper on",
            metadata: ["idle_timeout_s": "\(settings.idleTimeout.seconds)", "max_lifetime_s": "\(settings.maxLifetime.seconds)"]
        )
        // Graceful shutdown cancels the loop, so a pause between passes ends at once
        // instead of holding the process for up to an interval.
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    do {
                        try await pass(now: Date())
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.warning("reaper pass failed; trying again next interval", metadata: ["error": "\(error)"])
                    }
                    try await Sleep.for(settings.reaperInterval)
                }
            }
        } catch is CancellationError {}
        logger.info("idle reaper stopped")
    }

    /// One look at every server; returns the users it terminated.
    @discardableResult
    func pass(now: Date) async throws -> [UserKey] {
        let servers = try await manager.runtime.servers()
        manager.metrics.managedServers.set(Double(servers.count))
        var reaped: [UserKey] = []
        for server in servers where server.phase != .terminating {
            guard let reason = try await reason(toReap: server, now: now) else { continue }
            if try await manager.terminate(server.user) {
                manager.metrics.reaped.increment()
                logger.notice("reaped a rexec server", metadata: ["user": "\(server.user)", "reason": "\(reason)"])
                reaped.append(server.user)
            }
        }
        return reaped
    }

    private func reason(toReap server: ServerRecord, now: Date) async throws -> String? {
        let age = now.timeIntervalSince(server.created)
        if settings.maxLifetime > .zero, age > settings.maxLifetime.seconds {
            return "older than the maximum lifetime"
        }
        guard settings.idleTimeout > .zero else { return nil }
        var idle = age
        if let broker = manager.broker, let state = try? await broker.server(server.user.sub), let sinceCall = state.secondsSinceLastCall {
            idle = min(idle, sinceCall)
        }
        return idle > settings.idleTimeout.seconds ? "idle" : nil
    }
}
