/// Hands out Service cluster IPs and NodePorts as the API server's allocators do.
struct NetworkAllocator {
    private var nextClusterHost = 10
    private var usedNodePorts: Set<Int> = []
    static let nodePortRange = 30000...32767

    mutating func clusterIP() -> String {
        defer { nextClusterHost += 1 }
        return "10.96.\(nextClusterHost / 250).\(nextClusterHost % 250 + 1)"
    }

    /// The requested port when free, else the lowest free one; nil when exhausted or taken.
    mutating func nodePort(requested: Int?) -> Int? {
        if let requested {
            guard Self.nodePortRange.contains(requested), !usedNodePorts.contains(requested) else { return nil }
            usedNodePorts.insert(requested)
            return requested
        }
        guard let free = Self.nodePortRange.first(where: { !usedNodePorts.contains($0) }) else { return nil }
        usedNodePorts.insert(free)
        return free
    }

    mutating func release(nodePorts: [Int]) {
        nodePorts.forEach { usedNodePorts.remove($0) }
    }
}
