/// One step of a site's request handling as written, kept so the handler that answers a
/// path can be worked out (`CaddySite.answer(forPath:)`).
public indirect enum CaddyRouteNode: Hashable, Codable, Sendable {
    /// `CaddySite.handlers[index]`.
    case proxy(Int)
    /// `CaddySite.otherHandlers[index]`.
    case other(Int)
    /// A `handle`, `handle_path`, `route` or `handle_errors` block.
    case scope(directive: String, matcher: CaddyMatcher, children: [CaddyRouteNode])
    /// `uri strip_prefix PREFIX` without a matcher.
    case stripPrefix(String)
}

/// The handler that answers a request, per `CaddySite.answer(forPath:)`.
public enum CaddyRouteAnswer: Hashable, Sendable {
    case proxy(CaddyProxyHandler)
    case other(CaddyOtherHandler)
}
