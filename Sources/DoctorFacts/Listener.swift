/// A listening socket from `/proc/net/{tcp,tcp6,unix}`, with the processes that hold it.
public struct Listener: Hashable, Codable, Sendable {
    public var endpoint: Endpoint
    /// Socket inode, the key that links it to `/proc/PID/fd`.
    public var inode: UInt64
    /// Pids holding this socket (a master and its forked workers often share one).
    public var pids: [Int]
    /// Pending connections in the accept queue (TCP `rx_queue` of a listening socket).
    public var acceptQueue: Int?

    public init(endpoint: Endpoint, inode: UInt64, pids: [Int] = [], acceptQueue: Int? = nil) {
        self.endpoint = endpoint
        self.inode = inode
        self.pids = pids
        self.acceptQueue = acceptQueue
    }
}
