@testable import DoctorChecks
import DoctorFacts
import Foundation
import Testing

/// The release checks on facts shaped like the gatherer's, and the ranking that makes a
/// broken release the verdict over the boot crash and the "nothing listens" it causes.
/// (Replays of lab-captured snapshots are in CheckFixtureTests.)
@Suite struct ReleaseChecksTests {
    static let root = "/srv/app"
    static let bind = Endpoint.tcp(host: "127.0.0.1", port: 8000)

    static func route() -> Route {
        Route(proxy: .nginx, listen: ["127.0.0.1:8080"], serverNames: ["example.com"], location: "/",
              directive: "proxy_pass http://127.0.0.1:8000",
              target: .endpoint(scheme: "http", bind), source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 9))
    }

    static func layout(current: String = "2", state: ReleaseLink.State = .release, running: Bool = false) -> ReleaseLayout {
        ReleaseLayout(root: root,
                      current: ReleaseLink(path: root + "/current", state: state, target: "releases/\(current)",
                                           resolved: root + "/releases/\(current)", release: state == .release ? current : nil,
                                           switchedAt: 1_795_000_000),
                      releases: ["2", "1"].map { ReleaseEntry(id: $0, path: root + "/releases/" + $0, kind: .directory) },
                      releaseCount: 2,
                      services: [ReleaseService(manager: "supervisor", name: "app", state: running ? "RUNNING" : "FATAL",
                                                isRunning: running, reference: root + "/current", binds: [bind])])
    }

    static func facts(_ layout: ReleaseLayout) -> Facts {
        var facts = Facts(routes: [route()])
        facts.releases = [layout]
        return facts
    }

    @Test func partialReleaseNamesWhatIsMissingAndTheRollback() throws {
        var layout = Self.layout()
        layout.currentContents = ReleaseContents(release: "2", path: Self.root + "/releases/2", required: [
            ReleaseRequirement(what: "manage.py", path: Self.root + "/releases/2/manage.py", kind: .regular, reason: "r"),
            ReleaseRequirement(what: "module mysite.wsgi", path: Self.root + "/releases/2/mysite/wsgi.py", kind: .missing,
                               reason: "supervisor app loads mysite.wsgi"),
        ])
        let finding = try #require(ReleasePartialCheck().run(Self.facts(layout)).first)
        #expect(finding.severity == .critical)
        #expect(finding.route == Self.route().label)
        #expect(finding.summary.contains("mysite/wsgi.py"))
        #expect(finding.fix.first == "Switch back to release 1 atomically: cd /srv/app && ln -sfn releases/1 current.tmp && mv -T current.tmp current")
        #expect(finding.fix.contains("Then restart only the app: supervisorctl restart app; probe it directly before the proxy"))
        #expect(!finding.fix.joined().contains("rm "), "never destructive")

        // Still serving (booted before the switch): the next restart fails, a warning now.
        var serving = layout
        serving.services[0].isRunning = true
        serving.services[0].state = "RUNNING"
        #expect(ReleasePartialCheck().run(Self.facts(serving)).first?.severity == .warning)

        // manage.py alone is not needed to serve: a warning even while the app is down.
        var onlyManage = layout
        onlyManage.currentContents?.required[0].kind = .missing
        onlyManage.currentContents?.required[1].kind = .regular
        #expect(ReleasePartialCheck().run(Self.facts(onlyManage)).first?.severity == .warning)

        layout.currentContents?.required[1].kind = .regular
        #expect(ReleasePartialCheck().run(Self.facts(layout)).isEmpty)
    }

    @Test func socketLeftInAnOldReleaseThatTheRouteTargets() throws {
        var layout = Self.layout(running: true)
        let path = "/srv/app/releases/1/run/app.sock"
        layout.sockets = [ReleaseSocket(path: path, realPath: path, release: "1", kind: .socket, holders: [], holderReleases: [], routed: true)]
        let finding = try #require(ReleaseSocketStaleCheck().run(Self.facts(layout)).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("left in release 1"))
        // In the current release, or listened on: not this check's business.
        layout.sockets[0].release = "2"
        #expect(ReleaseSocketStaleCheck().run(Self.facts(layout)).isEmpty)
        layout.sockets[0].release = "1"
        layout.sockets[0].holders = [42]
        #expect(ReleaseSocketStaleCheck().run(Self.facts(layout)).isEmpty)
    }

    @Test func danglingCurrentIsCriticalWhileNothingServesAndAWarningWhileTheOldProcessRuns() throws {
        let facts = Self.facts(Self.layout(current: "3", state: .dangling))
        let finding = try #require(ReleaseCurrentDanglingCheck().run(facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("releases/3"))
        #expect(finding.fix.first?.contains("ln -sfn releases/2 current.tmp && mv -T current.tmp current") == true)

        let warning = try #require(ReleaseCurrentDanglingCheck().run(Self.facts(Self.layout(current: "3", state: .dangling, running: true))).first)
        #expect(warning.severity == .warning)
        #expect(ReleaseCurrentDanglingCheck().run(Self.facts(Self.layout())).isEmpty)
    }

    @Test func notRestartedOnlyWhenAProcessRunsFromAnotherRelease() throws {
        var layout = Self.layout(running: true)
        layout.processes = [ReleaseProcess(pid: 42, label: "gunicorn pid 42", release: "2", evidence: "/proc/42/cwd → /srv/app/releases/2", binds: [Self.bind])]
        #expect(ReleaseNotRestartedCheck().run(Self.facts(layout)).isEmpty)
        layout.processes[0].release = "1"
        let finding = try #require(ReleaseNotRestartedCheck().run(Self.facts(layout)).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("release 1"))
        #expect(finding.evidence.contains { $0.source == "readlink /proc/42/cwd" })
    }

    @Test func venvStaleComparesMtimes() throws {
        var layout = Self.layout(running: true)
        layout.dependencies = ReleaseDependencies(venv: "/srv/app/shared/venv", venvModified: 200, venvModifiedSource: "/srv/app/shared/venv/pyvenv.cfg",
                                                  files: [ReleaseTimestampedFile(path: "/srv/app/releases/2/requirements.txt", modified: 100)])
        #expect(ReleaseVenvStaleCheck().run(Self.facts(layout)).isEmpty)
        layout.dependencies?.files[0].modified = 300
        let finding = try #require(ReleaseVenvStaleCheck().run(Self.facts(layout)).first)
        #expect(finding.severity == .warning)
        #expect(finding.fix.first == "Install the release's dependencies into the virtualenv it runs: /srv/app/shared/venv/bin/pip install -r /srv/app/releases/2/requirements.txt")
    }

    @Test func socketHeldByAnOlderReleaseThroughCurrent() throws {
        var layout = Self.layout(running: true)
        let path = "/srv/app/current/run/app.sock"
        layout.sockets = [ReleaseSocket(path: path, realPath: "/srv/app/releases/2/run/app.sock", release: "2", kind: .missing,
                                        holders: [42], holderReleases: ["1"], routed: true)]
        layout.processes = [ReleaseProcess(pid: 42, label: "gunicorn pid 42", release: "1", evidence: "/proc/42/cwd → /srv/app/releases/1")]
        let finding = try #require(ReleaseSocketStaleCheck().run(Self.facts(layout)).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("release 1"))
        layout.sockets[0].holderReleases = ["2"]
        layout.sockets[0].kind = .socket
        #expect(ReleaseSocketStaleCheck().run(Self.facts(layout)).isEmpty)
    }

    /// target-not-listening (upstream) ranks first; app-startup-crash explains it; the
    /// partial release explains the crash. The verdict follows the chain to the release.
    @Test func rankerFollowsTheExplainChainToTheRelease() {
        let route = Self.route().label
        let findings = [
            Finding(check: "target-not-listening", layer: .upstream, severity: .critical, summary: "nothing listens", route: route),
            Finding(check: "app-startup-crash", layer: .startup, severity: .critical, summary: "crash", route: route, cause: "import-error"),
            Finding(check: "release-partial", layer: .release, severity: .critical, summary: "partial", route: route),
        ]
        var facts = Facts(routes: [Self.route()])
        facts.proxies = []
        let diagnosis = VerdictRanker.rank(findings, facts: facts)
        #expect(diagnosis.verdict.check == "release-partial")
        #expect(diagnosis.verdict.layer == .release)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.findings.first?.check == "release-partial")

        // Without the release finding the crash stays the verdict (one step, as before).
        let withoutRelease = VerdictRanker.rank(Array(findings.prefix(2)), facts: facts)
        #expect(withoutRelease.verdict.check == "app-startup-crash")
        // A release finding for another route does not take over.
        var other = findings
        other[2].route = "other.example /"
        #expect(VerdictRanker.rank(other, facts: facts).verdict.check == "app-startup-crash")
    }
}
