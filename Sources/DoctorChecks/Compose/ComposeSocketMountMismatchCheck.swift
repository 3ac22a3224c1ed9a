import DoctorFacts

/// `compose-socket-mount-mismatch`: the app writes its unix socket into a shared volume (or bind
/// mount), but the proxy's socket path is not where that volume is mounted in the proxy's
/// container: the volume is mounted at another directory there, not mounted at all, or the
/// app's socket is not in any shared mount.
///
/// Differs from `socket-missing` (a host path with no socket): each container sees the shared
/// directory at its own mount point, so both configs can be "right" on their own and still
/// disagree. Computed from the two services' `volumes:` and the app's `--bind unix:…`; no engine.
/// Also for a host proxy: a socket the app creates in a bind-mounted directory is on the host
/// under the mount's source, not at the container path (reported when nothing is at the proxy's
/// path, instead of a bare `socket-missing`).
public struct ComposeSocketMountMismatchCheck: Check {
    public init() {}

    public let id = "compose-socket-mount-mismatch"
    public let title = "The proxy's socket path is not where the app's socket volume is mounted in the proxy container"
    public let layer = Layer.socket
    public let rationale = """
        Sharing a unix socket between containers means both mount one volume: the app creates \
        `/run/gunicorn/app.sock` in it, and the proxy must name the same file through its own mount \
        point. When the volume is mounted at `/run/gunicorn` in the app but at `/sock` in nginx, \
        `proxy_pass http://unix:/run/gunicorn/app.sock` finds nothing (`connect() to unix:… failed \
        (2: No such file or directory)`), though the socket exists and the app is healthy. The same \
        happens when the proxy service lacks the volume or the socket is outside any shared mount.
        """
    public let fixText = """
        Mount the volume in the proxy at the directory its config names, or point the config at the \
        proxy's mount of the volume (the path is given), then `docker compose up -d` the proxy.
        """
    public let precedence = 39

    public var explains: Set<String> { ["socket-missing"] }

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for use in ComposeFacts.proxyUses(facts) {
            guard case let .unix(proxyPath) = use.endpoint,
                  let proxy = use.project.service(use.config.service) else { continue }
            // The app service that binds a socket with the same file name.
            let name = proxyPath.split(separator: "/").last.map(String.init) ?? proxyPath
            let apps = use.project.services.compactMap { service -> (ComposeService, String)? in
                guard service.name != proxy.name else { return nil }
                for bind in service.binds {
                    if case let .unix(path)? = bind.endpoint, path.split(separator: "/").last.map(String.init) == name { return (service, path) }
                }
                return nil
            }
            // Mounts whose variables are not known may be the shared volume: nothing to conclude.
            guard let (app, appPath) = apps.first,
                  app.unresolved.isDisjoint(with: ["volumes"]), proxy.unresolved.isDisjoint(with: ["volumes"]) else { continue }
            let appMount = app.volumes.filter { $0.relativePath(ofContainerPath: appPath) != nil }.max { $0.target.count < $1.target.count }
            var evidence = [ComposeFacts.routeEvidence(use), ComposeFacts.serviceEvidence(app, note: "binds unix:\(appPath)")]
            if let command = ComposeFacts.commandEvidence(app) { evidence.append(command) }
            guard let appMount, let relative = appMount.relativePath(ofContainerPath: appPath), appMount.type == "volume" || appMount.type == "bind" else {
                evidence.append(Evidence(kind: .config, text: "no volume of \(app.name) holds \(appPath)", source: app.source.description))
                findings.append(finding(use, summary: "\(app.name) creates its socket \(appPath) outside any shared volume, so \(proxy.name)'s \(proxyPath) can never see it",
                                        evidence: evidence,
                                        fix: "Put the socket in a named volume mounted in both services (e.g. `sockets:/run/gunicorn` in \(app.name) and in \(proxy.name)), and point \(use.route.directive) at \(use.route.source) to that path"))
                continue
            }
            evidence.append(Evidence(kind: .config, text: "\(app.name) mounts \(appMount.source ?? "an anonymous volume") at \(appMount.target)\(ComposeFacts.interpolationNote(appMount))", source: appMount.location.description))
            let proxyMounts = proxy.volumes.filter { $0.type == appMount.type && $0.source != nil && $0.source == appMount.source }
            guard !proxyMounts.isEmpty else {
                findings.append(finding(use, summary: "\(proxy.name) passes to \(proxyPath), but it does not mount \(appMount.source ?? "the volume") where \(app.name) creates its socket (\(appMount.target))",
                                        evidence: evidence,
                                        fix: "Add `\(appMount.source ?? "VOLUME"):\(ComposePathText.directory(of: proxyPath))` to \(proxy.name)'s volumes (at \(proxy.source)), then \(ComposeFacts.composeCommand(use.project, "up -d \(proxy.name)"))"))
                continue
            }
            let expected = proxyMounts.map { ComposePathText.join($0.target, relative) }
            guard !expected.contains(proxyPath) else { continue }
            for mount in proxyMounts {
                evidence.append(Evidence(kind: .config, text: "\(proxy.name) mounts \(mount.source ?? "it") at \(mount.target)\(ComposeFacts.interpolationNote(mount))", source: mount.location.description))
            }
            findings.append(finding(use, summary: "\(proxy.name) passes to \(proxyPath), but the socket volume \(appMount.source ?? "") is mounted at \(proxyMounts[0].target) there: the socket is \(expected[0]) in \(proxy.name)",
                                    evidence: evidence,
                                    fix: "Change \(use.route.directive) at \(use.route.source) to unix:\(expected[0]) (or mount \(appMount.source ?? "the volume") at \(ComposePathText.directory(of: proxyPath)) in \(proxy.name)), then \(ComposeFacts.composeCommand(use.project, "up -d \(proxy.name)"))"))
        }
        return findings + hostProxyFindings(facts)
    }

    /// A host proxy passing to a socket that a compose service creates in a bind-mounted (or
    /// named-volume) directory: the host sees it under the mount's source, not at the path the
    /// container names (`proxy_pass http://unix:/run/gunicorn/gunicorn.sock` while the app's
    /// `./run:/run/gunicorn` puts it at `/srv/shop/run/gunicorn.sock` on the host).
    private func hostProxyFindings(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        var seen = Set<String>()
        for route in facts.routes {
            for case let .unix(proxyPath) in route.target.endpoints where !seen.contains(proxyPath) {
                // Only while nothing is at the proxy's path: a socket there is served by something else.
                guard facts.socketFiles[proxyPath] == .missing else { continue }
                let name = proxyPath.split(separator: "/").last.map(String.init) ?? proxyPath
                for project in facts.composeProjects {
                    for app in project.services {
                        for bind in app.binds {
                            guard case let .unix(appPath)? = bind.endpoint, appPath.split(separator: "/").last.map(String.init) == name,
                                  let mount = app.volumes.filter({ $0.relativePath(ofContainerPath: appPath) != nil }).max(by: { $0.target.count < $1.target.count }),
                                  let relative = mount.relativePath(ofContainerPath: appPath), let source = mount.source else { continue }
                            let hostPath: String
                            switch mount.type {
                            case "bind": hostPath = ComposePathText.join(source, relative)
                            case "volume": hostPath = ComposePathText.join("/var/lib/docker/volumes/\(project.name)_\(source)/_data", relative)
                            default: continue
                            }
                            guard hostPath != proxyPath, !seen.contains(proxyPath) else { continue }
                            seen.insert(proxyPath)
                            var evidence = RouteWording.passEvidence([route])
                            evidence.append(ComposeFacts.serviceEvidence(app, note: "binds unix:\(appPath) inside its container"))
                            if let command = ComposeFacts.commandEvidence(app) { evidence.append(command) }
                            evidence.append(Evidence(kind: .config, text: "\(app.name) mounts \(source) at \(mount.target)\(ComposeFacts.interpolationNote(mount))", source: mount.location.description))
                            evidence.append(Evidence(kind: .file, text: "ls: cannot access '\(proxyPath)': No such file or directory", source: "ls -l \(proxyPath)"))
                            evidence.append(Evidence(kind: .command, text: "where the host sees the socket", source: "ls -l \(hostPath)"))
                            findings.append(Finding(
                                check: id, layer: layer, severity: .critical,
                                summary: "\(route.directive) at \(route.source) passes to \(proxyPath), the path inside \(app.name)'s container; on the host that socket is \(hostPath) (\(mount.type) \(source) mounted at \(mount.target))",
                                route: route.label, evidence: evidence,
                                fix: ["Change \(route.directive) at \(route.source) to unix:\(hostPath), then nginx -t && nginx -s reload"
                                      + (mount.type == "volume" ? " (or bind-mount a host directory instead of the named volume, so the path is yours to choose)" : "")]))
                        }
                    }
                }
            }
        }
        return findings
    }

    private func finding(_ use: ComposeFacts.ProxyUse, summary: String, evidence: [Evidence], fix: String) -> Finding {
        var evidence = evidence
        evidence.append(Evidence(kind: .command, text: "the socket as the proxy container sees it",
                                 source: ComposeFacts.composeCommand(use.project, "exec \(use.config.service) ls -l \(use.endpoint.description.replacingPrefix("unix:"))")))
        return Finding(check: id, layer: layer, severity: .critical, summary: summary, route: use.route.label,
                       evidence: evidence, fix: [fix])
    }
}

/// Path text helpers without Foundation.
enum ComposePathText {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func join(_ base: String, _ relative: String) -> String {
        guard !relative.isEmpty else { return base }
        return (base.hasSuffix("/") ? base : base + "/") + relative
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
