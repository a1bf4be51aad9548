import Foundation
import Pipeline

/// The settings a running node can change without a restart (SIGHUP, `AutoSegNode.reload`):
/// the routing rules and the peers. The scheduler, the job runner and the deliveries read them
/// here at each use, so a reload applies to the next series routed and the next delivery.
public final class LiveSettings: @unchecked Sendable {
    private let lock = NSLock()
    private var currentRules: [Rule]
    private var currentPeers: [Peer]
    private var currentPlanner: AnalysisPlanner

    init(rules: [Rule], peers: [Peer]) {
        currentRules = rules
        currentPeers = peers
        currentPlanner = AnalysisPlanner(rules: rules)
    }

    public var rules: [Rule] { lock.withLock { currentRules } }
    public var peers: [Peer] { lock.withLock { currentPeers } }
    var planner: AnalysisPlanner { lock.withLock { currentPlanner } }

    func replace(rules: [Rule], peers: [Peer]) {
        let planner = AnalysisPlanner(rules: rules)
        lock.withLock {
            currentRules = rules
            currentPeers = peers
            currentPlanner = planner
        }
    }
}
