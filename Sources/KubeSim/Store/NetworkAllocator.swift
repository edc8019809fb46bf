/// Hands out Service cluster IPs and NodePorts as the API server's allocators do.
struct NetworkAllocator {
    private var nextClusterHost = 10
    private var usedNodePorts: Set<Int> = []
    static let nodePortRange = 30000...32767
    /// Like the API server (ServiceNodePortStaticSubrange), dynamic allocation prefers ports
    /// above a low band kept for explicitly requested ones: min(max(16, size/32), 128) ports.
    static let staticBand = nodePortRange.lowerBound..<(nodePortRange.lowerBound + min(max(16, nodePortRange.count / 32), 128))

    mutating func clusterIP() -> String {
        defer { nextClusterHost += 1 }
        return "10.96.\(nextClusterHost / 250).\(nextClusterHost % 250 + 1)"
    }

    /// The requested port when free; otherwise the lowest free port above the static band,
    /// then in it. nil when exhausted or taken.
    mutating func nodePort(requested: Int?) -> Int? {
        if let requested {
            guard Self.nodePortRange.contains(requested), !usedNodePorts.contains(requested) else { return nil }
            usedNodePorts.insert(requested)
            return requested
        }
        let dynamic = Self.staticBand.upperBound...Self.nodePortRange.upperBound
        guard let free = dynamic.first(where: { !usedNodePorts.contains($0) }) ?? Self.staticBand.first(where: { !usedNodePorts.contains($0) })
        else { return nil }
        usedNodePorts.insert(free)
        return free
    }

    mutating func release(nodePorts: [Int]) {
        for port in nodePorts { usedNodePorts.remove(port) }
    }
}
