import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor fix` behind Caddy (issue 7: everything `fix` does for nginx works for Caddy):
/// real Caddy 2 (Debian's package, run as the `caddy` user with `admin off`, as
/// CaddyScenarioTests run it) in front of a real Gunicorn under a real supervisord, plus a
/// second supervised program (`other`) no fix may touch. One fault, then
/// `gwdoctor fix --caddyfile … --apply --yes`, and the end state proved from outside gwdoctor:
/// real HTTP requests through Caddy, supervisorctl, pids (Caddy, supervisord, `other`) and
/// the audit log's lines.
///
/// The lab runs as root, so `--state-dir` points into the lab's own directory.
extension LabTests {
    @Suite("Caddy fix scenarios")
    struct CaddyFixScenario: FixScenarioSuite {
        func proxyArguments(_ lab: Lab) -> [String] { ["--caddyfile", lab.caddyfilePath] }

        /// supervisord with gunicorn (`app`) and `other`, then Caddy in front of gunicorn.
        private func start(_ lab: Lab, bind: Bind) async throws -> (site: LabCaddySite, caddy: LabProcess) {
            try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind, workers: 1), otherProgram(lab)])
            try await lab.waitForProgramState(other, states: ["RUNNING"])
            try await lab.waitForProgramState(app, states: ["RUNNING"])
            try await lab.waitUntilHealthy(bind)
            let site = LabCaddySite(upstream: bind)
            try lab.writeCaddyfile(site)
            let caddy = try await lab.startCaddy(site)
            return (site, caddy)
        }

        @Test("gunicorn stopped behind caddy: fix --apply --yes restarts only gunicorn; caddy's pid unchanged, 200 through caddy, one audit line")
        func gunicornStopped() async throws {
            try await withScenarioLab("caddy-fix-stopped") { lab in
                let bind = Bind.tcp(8000)
                let (site, caddy) = try await start(lab, bind: bind)
                try await expectProxyTraffic(lab, site.listen, through: "caddy", proxyLog: lab.caddyLog, expect: 200)
                let before = try await untouched(lab, proxy: caddy)
                let oldApp = try #require(try await lab.programPID(app))
                let caddyfileBefore = readText(lab.caddyfilePath)

                try await stopApp(lab)
                try await expectProxyTraffic(lab, site.listen, through: "caddy", proxyLog: lab.caddyLog, expect: 502)

                // Dry run: one restart of the app program, no reload of Caddy, nothing changed.
                try await expectDryRunPlansOneRestart(lab)

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode == 0, "\(applied)")
                let restart = try #require(result(applied, kind: "restart-service"), "\(applied)")
                #expect(restart["outcome"] as? String == "succeeded", "\(applied)")
                // Verified directly at gunicorn, then through Caddy (not "not probed").
                let verification = restart["verification"] as? String ?? ""
                let parts = verification.components(separatedBy: "; via proxy ")
                #expect(parts.count == 2 && parts[0].contains("127.0.0.1:8000") && parts[0].contains("→ 200"), "direct: \(verification)")
                #expect(parts.count == 2 && parts[1].hasPrefix("127.0.0.1:8080") && parts[1].contains("→ 200"), "via caddy: \(verification)")
                #expect(afterStatus(applied) == "ok", "\(applied)")

                // Only gunicorn changed.
                let newApp = try #require(try await lab.programPID(app))
                #expect(newApp != oldApp)
                #expect(try await untouched(lab, proxy: caddy) == before, "caddy, supervisord and \(other) must be untouched")
                #expect(readText(lab.caddyfilePath) == caddyfileBefore)
                try await expectProxyTraffic(lab, site.listen, through: "caddy", proxyLog: lab.caddyLog, expect: 200)

                try expectOneVerifiedRestart(lab)
            }
        }

        @Test("Caddyfile broken on disk and gunicorn stopped: gunicorn restarted, caddy not reloaded or restarted (same pid), caddy validate's error shown with Caddyfile:line")
        func brokenCaddyfileAndStoppedUpstream() async throws {
            try await withScenarioLab("caddy-fix-broken") { lab in
                let bind = Bind.tcp(8000)
                let (site, caddy) = try await start(lab, bind: bind)
                let before = try await untouched(lab, proxy: caddy)
                // A directive Caddy does not know: `caddy validate` fails; the running Caddy keeps its config.
                try lab.writeCaddyfile(LabCaddySite(upstream: bind, siteDirectives: ["bogus_directive on"]))
                let brokenLine = try #require(lab.lineNumber(of: "bogus_directive", in: lab.caddyfilePath))
                let location = "\(lab.caddyfilePath):\(brokenLine)"
                let validate = try await lab.caddyValidate()
                #expect(validate.exitCode != 0 && (validate.stderr + validate.stdout).contains(location),
                        "caddy validate must fail at \(location):\n\(validate)")
                let caddyfileBroken = readText(lab.caddyfilePath)
                try await stopApp(lab)
                try await expectProxyTraffic(lab, site.listen, through: "caddy", proxyLog: lab.caddyLog, expect: 502)

                let (applied, detail) = try await applyWithBrokenProxyConfig(lab)
                #expect(detail.contains(location) && detail.contains("bogus_directive"),
                        "caddy validate's error must be shown with Caddyfile:line:\n\(applied)")
                #expect((result(applied, kind: "validate-then-reload")?["ran"] as? [String] ?? []).allSatisfy { !$0.contains(" reload ") },
                        "\(applied)")

                // Same Caddy process (no restart), still serving its old config: 200 once gunicorn is back.
                #expect(try await untouched(lab, proxy: caddy) == before, "caddy must be neither reloaded nor restarted")
                #expect(readText(lab.caddyfilePath) == caddyfileBroken, "the Caddyfile must not be edited")
                #expect(try await lab.programStatus(app)?.state == "RUNNING")
                try await expectProxyTraffic(lab, site.listen, through: "caddy", proxyLog: lab.caddyLog, expect: 200)

                let configTest = expectRestartThenRefusedConfigTest(lab)
                #expect((configTest?["argv"] as? [String]).map { $0.contains("validate") && $0.contains(lab.caddyfilePath) } == true,
                        "\(readText(auditPath(lab)))")
            }
        }
    }
}
