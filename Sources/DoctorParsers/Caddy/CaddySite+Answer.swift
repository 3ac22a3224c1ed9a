extension CaddySite {
    /// Caddy 2.6's `directiveOrder`, the order handlers of one block run in (a `route`
    /// block keeps the order written). `handle_path` sorts and groups as `handle`.
    static let directiveOrder: [String] = [
        "tracing", "map", "vars", "root", "header", "copy_response_headers", "request_body", "redir", "method",
        "rewrite", "uri", "try_files", "basicauth", "forward_auth", "request_header", "encode", "push", "templates",
        "handle", "route", "abort", "error", "copy_response", "respond", "metrics", "reverse_proxy", "php_fastcgi",
        "file_server", "acme_server",
    ]

    /// The handler that answers a request for `path` (as the client sends it) on this
    /// site, the way Caddy orders a Caddyfile: directives sorted by Caddy's directive
    /// order, then the longest single path first; `handle`/`handle_path` blocks mutually
    /// exclusive (adjacent ones with the same matcher merged, as Caddy does); `route` blocks
    /// in written order; `handle_path` and `uri strip_prefix`
    /// strip before inner matching. Paths match as Caddy's path matcher does
    /// (case-insensitive; `/a/*` prefix, `*.x` suffix, `*x*` substring, else a glob).
    ///
    /// Only paths are known here, so a matcher with other conditions (header, method, …)
    /// is taken as not matching (a plain request), `handle_errors` is never entered, and
    /// `php_fastcgi` answers every path its matcher takes (its file checks need the disk).
    /// nil when nothing answers (Caddy then sends an empty 200).
    public func answer(forPath path: String) -> CaddyRouteAnswer? {
        evaluate(routing, path: path, ordered: false)
    }

    private func evaluate(_ nodes: [CaddyRouteNode], path: String, ordered: Bool) -> CaddyRouteAnswer? {
        var path = path
        var sorted = nodes
        if !ordered { Self.sortLikeCaddy(&sorted, site: self) }
        var handleUsed = false
        // Caddy merges adjacent routes with identical matchers into one route, so a second
        // `handle` with the same matcher right after an entered one is entered as well.
        var enteredHandle: CaddyMatcher?
        for node in sorted {
            let previousHandle = enteredHandle
            enteredHandle = nil
            switch node {
            case let .stripPrefix(prefix):
                path = Self.strip(prefix, from: path)
            case let .proxy(index):
                if Self.matches(handlers[index].matcher, path) { return .proxy(handlers[index]) }
            case let .other(index):
                if Self.matches(otherHandlers[index].matcher, path) { return .other(otherHandlers[index]) }
            case let .scope(directive, matcher, children):
                if directive == "handle_errors" { continue }
                let isHandle = directive == "handle" || directive == "handle_path"
                if isHandle && handleUsed && previousHandle != matcher { continue }
                guard Self.matches(matcher, path) else { continue }
                if isHandle {
                    handleUsed = true
                    enteredHandle = matcher
                }
                var inner = path
                if directive == "handle_path", let first = matcher.paths.first {
                    var prefix = Substring(first)
                    while prefix.hasSuffix("*") { prefix = prefix.dropLast() }
                    while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
                    inner = Self.strip(String(prefix), from: path)
                }
                if let answer = evaluate(children, path: inner, ordered: directive == "route") {
                    return answer
                }
            }
        }
        return nil
    }

    private static func strip(_ prefix: String, from path: String) -> String {
        guard !prefix.isEmpty, path.hasPrefix(prefix) else { return path }
        let rest = String(path.dropFirst(prefix.count))
        return rest.hasPrefix("/") ? rest : "/" + rest
    }

    static func matches(_ matcher: CaddyMatcher, _ path: String) -> Bool {
        if matcher.hasNonPathConditions { return false }
        return matcher.paths.isEmpty || matcher.paths.contains { CaddyPathPattern.matches($0, path) }
    }

    /// Go's `sort.SliceStable` (insertion sort for the block sizes of real configs) with
    /// Caddy 2.6's `sortRoutes` comparison.
    static func sortLikeCaddy(_ nodes: inout [CaddyRouteNode], site: CaddySite) {
        func rank(_ node: CaddyRouteNode) -> Int {
            let name: String
            switch node {
            case let .proxy(index): name = site.handlers[index].directive
            case let .other(index): name = site.otherHandlers[index].directive
            case let .scope(directive, _, _): name = directive == "handle_path" ? "handle" : directive
            case .stripPrefix: name = "uri"
            }
            return directiveOrder.firstIndex(of: name) ?? directiveOrder.count
        }
        func matcher(_ node: CaddyRouteNode) -> CaddyMatcher? {
            switch node {
            case let .proxy(index): site.handlers[index].matcher
            case let .other(index): site.otherHandlers[index].matcher
            case let .scope(_, matcher, _): matcher
            case .stripPrefix: nil
            }
        }
        func singlePath(_ matcher: CaddyMatcher?) -> String? {
            guard let matcher, hasMatcher(matcher), matcher.paths.count == 1, matcher.paths[0] != "*" else { return nil }
            return matcher.paths[0]
        }
        func hasMatcher(_ matcher: CaddyMatcher?) -> Bool {
            guard let matcher else { return false }
            return matcher.name != nil || matcher.paths != ["*"]
        }
        func less(_ a: CaddyRouteNode, _ b: CaddyRouteNode) -> Bool {
            let (ra, rb) = (rank(a), rank(b))
            if ra != rb { return ra < rb }
            let (ma, mb) = (matcher(a), matcher(b))
            if let pa = singlePath(ma), let pb = singlePath(mb) {
                let ta = pa.hasSuffix("*") ? pa.dropLast() : Substring(pa)
                let tb = pb.hasSuffix("*") ? pb.dropLast() : Substring(pb)
                // Same path but for a trailing wildcard: the exact one first.
                if ta == tb { return pa.utf8.count < pb.utf8.count }
                return pa.utf8.count > pb.utf8.count
            }
            return hasMatcher(ma) && !hasMatcher(mb)
        }
        guard nodes.count > 1 else { return }
        for i in 1..<nodes.count {
            var j = i
            while j > 0, less(nodes[j], nodes[j - 1]) {
                nodes.swapAt(j, j - 1)
                j -= 1
            }
        }
    }
}
