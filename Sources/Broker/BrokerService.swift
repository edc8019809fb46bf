import Foundation
import Logging
import ServiceLifecycle

/// Runs the routing loop on its own thread for as long as the process serves, and stops it on
/// graceful shutdown. Returning (after an authorised TERMINATE) ends the whole process.
struct BrokerService: Service {
    let loop: RoutingLoop
    let logger: Logger

    func run() async throws {
        let loop = self.loop
        let exit = await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<RoutingLoop.Exit, Never>) in
                    let thread = Thread { continuation.resume(returning: loop.run()) }
                    thread.name = "rexec-broker-routing"
                    thread.start()
                }
            } onCancel: {
                loop.stop()
            }
        } onGracefulShutdown: {
            loop.stop()
        }
        logger.notice(exit == .terminated ? "routing stopped by TERMINATE; shutting down" : "routing stopped")
    }
}
