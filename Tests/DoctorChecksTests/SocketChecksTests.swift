import DoctorChecks
import DoctorFacts
import Foundation
import Testing

/// `socket-missing`, `socket-stale`, `socket-permission` on constructed facts.
@Suite struct SocketChecksTests {
    typealias S = Site

    private func socketFacts(file: FileKind?, listening: Bool = false, probe: ProbeOutcome? = nil, viaProxy: ProbeOutcome? = S.badGateway,
                             apps: [AppServer] = [], logs: [ProxyLogEvent] = [], access: [SocketAccess] = []) -> Facts {
        let route = S.route(to: S.unixTarget)
        return Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: apps.flatMap(S.processes(for:)),
                     listeners: listening ? [S.listener(S.unixTarget, app: apps.first)] : [], appServers: apps,
                     routeProbes: probe.map { [S.probes(route, direct: [(S.unixTarget, $0)], viaProxy: viaProxy)] } ?? [],
                     socketAccess: access, socketFiles: file.map { [S.socket: $0] } ?? [:], errorLogs: [S.errorLog(logs)])
    }

    // MARK: healthy

    @Test func healthySocketFiresNothing() {
        let app = S.gunicorn(binds: [S.unixTarget])
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, viaProxy: S.ok, apps: [app],
                                access: [walk(dirMode: 0o755, socketMode: 0o770, socketGroup: ("www-data", 33))])
        #expect(S.findings(facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }

    // MARK: socket-missing

    @Test func missingSocketIsCriticalWithLsAndLogEvidence() throws {
        let facts = socketFacts(file: .missing, probe: .failed(.noSuchFile),
                                logs: [S.event(.noSuchFile, at: S.unixTarget, clock: "14:19:59", line: 88)])
        let finding = try #require(S.run("socket-missing", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .socket)
        #expect(finding.sources.contains("ls -l \(S.socket)"))
        #expect(finding.sources.contains("\(S.errorLog):88"))
        #expect(finding.texts.contains { $0.contains("[crit]") && $0.contains("(2: No such file or directory)") })
        #expect(finding.fix.contains { $0.contains("systemctl start <your app service>") })
        #expect(finding.fix.contains { $0.contains("RuntimeDirectory=app") }, "socket under /run: \(finding.fix)")
        #expect(S.run("socket-stale", facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).verdict.check == "socket-missing")
    }

    @Test func missingSocketNamesAMissingDirectory() throws {
        let access = SocketAccess(socketPath: S.socket, user: "www-data", uid: 33, gids: [33], steps: [
            PathStep(path: "/", kind: "directory", mode: 0o755, owner: "root", group: "root", uid: 0, gid: 0, needs: "search", allowed: true),
            PathStep(path: "/run", kind: "directory", mode: 0o755, owner: "root", group: "root", uid: 0, gid: 0, needs: "search", allowed: true),
            PathStep(path: "/run/app", kind: "missing", needs: "search", allowed: nil),
        ])
        let facts = socketFacts(file: .missing, access: [access])
        let finding = try #require(S.run("socket-missing", facts).first)
        #expect(finding.texts.contains("its directory /run/app does not exist either"))
        #expect(S.run("socket-permission", facts).isEmpty, "a missing directory is not a permission problem")
    }

    @Test func missingSocketStaysSilentWhileItsAppServerBoots() {
        // gunicorn binds the path but holds no listener yet: not "nothing runs".
        let facts = socketFacts(file: .missing, apps: [S.gunicorn(binds: [S.unixTarget])])
        #expect(S.run("socket-missing", facts).isEmpty)
    }

    @Test func socketDeletedUnderARunningServer() throws {
        let app = S.gunicorn(binds: [S.unixTarget])
        let facts = socketFacts(file: .missing, listening: true, probe: .failed(.noSuchFile), apps: [app])
        let finding = try #require(S.run("socket-missing", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("was deleted while gunicorn pid 412 (app) still listens on it"))
        #expect(finding.fix.first?.contains("Restart gunicorn (pid 412)") == true)
    }

    @Test func missingSocketFromOldLogLinesIsAWarning() throws {
        let app = S.gunicorn(binds: [S.unixTarget])
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, viaProxy: S.ok, apps: [app],
                                logs: [S.event(.noSuchFile, at: S.unixTarget, clock: "14:08:12")])
        let finding = try #require(S.run("socket-missing", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.hasSuffix("recovered since 14:08"))
    }

    @Test func missingSocketMatchesLogLinesWithoutAParsedAddress() throws {
        // A parser that kept only the text still gets matched on `unix:PATH:`, not on a longer path.
        var event = S.event(.noSuchFile, at: nil, message: "connect() to unix:\(S.socket) failed (2: No such file or directory)",
                            upstream: "http://unix:\(S.socket):/")
        event.endpoint = nil
        var other = event
        other.upstream = "http://unix:\(S.socket).old:/"
        other.line = other.line.replacingOccurrences(of: S.socket, with: S.socket + ".old")
        let facts = socketFacts(file: nil, logs: [event])
        #expect(S.run("socket-missing", facts).first?.severity == .warning)
        #expect(S.run("socket-missing", socketFacts(file: nil, logs: [other])).isEmpty)
    }

    // MARK: socket-stale

    @Test func staleSocketIsCritical() throws {
        let facts = socketFacts(file: .socket, probe: .failed(.refused),
                                logs: [S.event(.refused, at: S.unixTarget, clock: "14:19:30", line: 12)])
        let finding = try #require(S.run("socket-stale", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("exists but nothing listens"))
        #expect(finding.sources.contains("ss -lxp | grep \(S.socket)"))
        #expect(finding.texts.contains("no process listens on unix socket \(S.socket)"))
        #expect(finding.sources.contains("\(S.errorLog):12"))
        #expect(finding.fix.contains { $0.contains("only while the service is stopped") })
        #expect(S.run("socket-missing", facts).isEmpty)
        #expect(S.run("target-not-listening", facts).isEmpty, "unix targets are the socket checks' business")
    }

    @Test func staleSocketFromTheListenerTableWhenProbingWasOff() {
        #expect(S.run("socket-stale", socketFacts(file: .socket)).first?.severity == .critical)
        var unknown = socketFacts(file: .socket)
        unknown.unavailable = [S.listenersUnavailable]
        #expect(S.run("socket-stale", unknown).isEmpty)
    }

    @Test func aRegularFileWhereTheSocketShouldBe() throws {
        let finding = try #require(S.run("socket-stale", socketFacts(file: .regular)).first)
        #expect(finding.summary.contains("is a regular, not a socket"))
    }

    @Test func staleSocketSilentWhenServed() {
        let app = S.gunicorn(binds: [S.unixTarget])
        #expect(S.run("socket-stale", socketFacts(file: .socket, listening: true, apps: [app])).isEmpty)
    }

    // MARK: socket-permission

    private func walk(dirMode: UInt32, socketMode: UInt32, socketGroup: (String, Int) = ("root", 0),
                      dirGroup: (String, Int) = ("root", 0)) -> SocketAccess {
        let dirAllowed = dirMode & 0o001 != 0 || (dirGroup.1 == 33 && dirMode & 0o010 != 0)
        let socketAllowed = socketMode & 0o002 != 0 || (socketGroup.1 == 33 && socketMode & 0o020 != 0)
        var steps = [
            PathStep(path: "/", kind: "directory", mode: 0o755, owner: "root", group: "root", uid: 0, gid: 0, needs: "search", allowed: true),
            PathStep(path: "/run", kind: "directory", mode: 0o755, owner: "root", group: "root", uid: 0, gid: 0, needs: "search", allowed: true),
            PathStep(path: "/run/app", kind: "directory", mode: dirMode, owner: "root", group: dirGroup.0, uid: 0, gid: dirGroup.1,
                     needs: "search", allowed: dirAllowed),
        ]
        if dirAllowed {
            steps.append(PathStep(path: S.socket, kind: "socket", mode: socketMode, owner: "root", group: socketGroup.0, uid: 0,
                                  gid: socketGroup.1, needs: "write", allowed: socketAllowed))
        }
        return SocketAccess(socketPath: S.socket, user: "www-data", uid: 33, gids: [33], userSource: "nginx worker pid 11", steps: steps)
    }

    @Test func permissionNamesTheDirectoryThatBlocks() throws {
        let app = S.gunicorn(binds: [S.unixTarget])
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, viaProxy: S.badGateway, apps: [app],
                                logs: [S.event(.permissionDenied, at: S.unixTarget, clock: "14:19:50", line: 5)],
                                access: [walk(dirMode: 0o700, socketMode: 0o777)])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("www-data cannot search /run/app (drwx------ root root)"), "\(finding.summary)")
        #expect(finding.texts.contains("drwx------ root root /run/app  <- www-data cannot search /run/app (drwx------ root root)"))
        #expect(finding.texts.contains("drwxr-xr-x root root /run"))
        #expect(finding.sources.contains("namei -l \(S.socket)"))
        #expect(finding.sources.contains("\(S.errorLog):5"))
        #expect(finding.fix.first == "chgrp www-data /run/app && chmod g+x /run/app (owner root keeps full access; www-data gets search through group www-data)")
        #expect(finding.fix.contains { $0.contains("RuntimeDirectoryMode=0750") })
        #expect(!finding.fix.contains { $0.contains("usermod -aG root") }, "never add the worker to group root")
        // The direct probe (as root) answers; that does not make it fine.
        #expect(S.run("socket-stale", facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).verdict.check == "socket-permission")
    }

    @Test func permissionNamesTheSocketThatBlocks() throws {
        let app = S.gunicorn(binds: [S.unixTarget])
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, apps: [app],
                                access: [walk(dirMode: 0o755, socketMode: 0o600)])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.summary.contains("www-data cannot write the socket srw------- root root \(S.socket)"), "\(finding.summary)")
        #expect(finding.fix.first?.contains("--umask 007") == true)
        #expect(finding.fix.first?.contains("group www-data") == true)
    }

    @Test func permissionSuggestsJoiningAnAppGroupWhenItHasOne() throws {
        let facts = socketFacts(file: .socket, listening: true, access: [walk(dirMode: 0o750, socketMode: 0o770, dirGroup: ("app", 1001))])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.fix.contains { $0.hasPrefix("Or add www-data to the group app: usermod -aG app www-data") })
    }

    @Test func uwsgiSocketModeIsSetInItsConfig() throws {
        let app = AppServer(kind: "uwsgi", masterPID: 500, binds: [AppServerBind(endpoint: S.unixTarget, raw: S.socket, source: "/etc/uwsgi/app.ini:4")])
        let facts = socketFacts(file: .socket, listening: true, apps: [app], access: [walk(dirMode: 0o755, socketMode: 0o600)])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.fix.first == "In the uWSGI config set chown-socket = root:www-data and chmod-socket = 660")
    }

    @Test func permissionLogLinesWithAnOpenWalkAreAWarning() throws {
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, viaProxy: S.ok,
                                logs: [S.event(.permissionDenied, at: S.unixTarget, clock: "14:06:01")],
                                access: [walk(dirMode: 0o750, socketMode: 0o770, socketGroup: ("www-data", 33), dirGroup: ("www-data", 33))])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.hasSuffix("recovered since 14:06"))
    }

    @Test func permissionDeniedWalkButTheProxyGetsThroughIsAWarning() throws {
        let facts = socketFacts(file: .socket, listening: true, probe: S.ok, viaProxy: S.ok,
                                access: [walk(dirMode: 0o700, socketMode: 0o770)])
        let finding = try #require(S.run("socket-permission", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("yet the probe through the proxy succeeds"))
    }

    @Test func permissionSilentWhenTheWalkAllows() {
        let facts = socketFacts(file: .socket, listening: true,
                                access: [walk(dirMode: 0o750, socketMode: 0o770, socketGroup: ("www-data", 33), dirGroup: ("www-data", 33))])
        #expect(S.run("socket-permission", facts).isEmpty)
    }
}
