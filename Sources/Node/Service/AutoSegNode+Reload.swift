import Foundation
import Logging

extension AutoSegNode {
    /// What a reload did.
    public struct ReloadOutcome: Sendable {
        /// Whether the new rules and peers are in force.
        public var applied: Bool
        /// One line for the operator: what changed, or why nothing did.
        public var message: String
    }

    /// Re-reads the configuration file at `path` (nil: built-in defaults) with `environment`'s
    /// overrides and puts its `[[rules]]` and `[[peers]]` in force for the next series routed and
    /// the next delivery (SIGHUP, the console's reload). An invalid file changes nothing: the
    /// running configuration stays and the error is logged. Other sections need a restart; a
    /// change there is logged and not applied.
    /// Reloads from the file the node was started with (`config.source`).
    @discardableResult
    public func reload() -> ReloadOutcome { reload(from: config.source) }

    @discardableResult
    public func reload(from path: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ReloadOutcome
    {
        let meta: Logger.Metadata = ["config.path": "\(path ?? "(built-in defaults)")"]
        let fresh: NodeConfig
        do {
            fresh = try NodeConfig.load(path: path, environment: environment)
        } catch {
            let message = "configuration reload failed, the running configuration stays: \(error)"
            logger.error("configuration reload failed: keeping the running configuration",
                         metadata: meta.merging(["error": "\(error)"]) { $1 })
            return ReloadOutcome(applied: false, message: message)
        }
        if deliveryTLS == nil, let p = fresh.peers.first(where: \.tls) {
            let message = "configuration reload refused, the running configuration stays: peer \(p.aeTitle) asks for TLS "
                + "but the node started without TLS client credentials (restart to load them)"
            logger.error("configuration reload refused: keeping the running configuration",
                         metadata: meta.merging(["error": "\(message)"]) { $1 })
            return ReloadOutcome(applied: false, message: message)
        }
        var needRestart: [String] = []
        if fresh.node != config.node { needRestart.append("[node]") }
        if fresh.security != config.security { needRestart.append("[security]") }
        if fresh.pipeline != config.pipeline { needRestart.append("[pipeline]") }
        if fresh.http != config.http { needRestart.append("[http]") }
        let before = (settings.rules.count, settings.peers.count)
        settings.replace(rules: fresh.rules, peers: fresh.peers)
        var message = "configuration reloaded: \(fresh.rules.count) rule(s) (were \(before.0)), "
            + "\(fresh.peers.count) peer(s) (were \(before.1))"
        if !needRestart.isEmpty {
            message += "; changes to \(needRestart.joined(separator: ", ")) take effect after a restart"
        }
        logger.notice("configuration reloaded", metadata: meta.merging([
            "config.rules": "\(fresh.rules.count)", "config.peers": "\(fresh.peers.count)",
            "config.restart_needed_for": "\(needRestart.joined(separator: " "))",
        ]) { $1 })
        for p in fresh.peers where p.tls && p.insecure {
            logger.warning("results go to this peer over TLS WITHOUT verifying its certificate (insecure = true)",
                           metadata: ["delivery.peer": "\(p.aeTitle)@\(p.host):\(p.port)"])
        }
        return ReloadOutcome(applied: true, message: message)
    }
}
