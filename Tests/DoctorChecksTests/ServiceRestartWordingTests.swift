import DoctorChecks
import DoctorFacts
import Testing

/// One restart wording for every check (`ServiceRestart`): the exact command for the
/// manager, and `reread/update` or `daemon-reload` only when the fix edits the program
/// section or unit itself.
@Suite struct ServiceRestartWordingTests {
    private let route = Route(proxy: .nginx, listen: ["127.0.0.1:8080"], serverNames: ["lab.test"], location: "/",
                              directive: "proxy_pass", target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
                              source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 12))

    private func service(_ manager: String, name: String, state: String = "FATAL", pid: Int? = nil,
                         definition: ServiceDefinition = ServiceDefinition()) -> ManagedService {
        var service = ManagedService(manager: manager, name: name, state: state, pid: pid,
                                     command: ["/srv/app/venv/bin/gunicorn", "-b", "127.0.0.1:8000", "app.wsgi:application"],
                                     binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "command line")],
                                     source: "/etc/supervisor/conf.d/app.conf:1")
        service.definition = definition
        return service
    }

    private func facts(_ services: ManagedService...) -> Facts {
        var facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 1)], routes: [route])
        facts.services = services
        return facts
    }

    @Test func eachManagerGetsItsOwnCommand() {
        #expect(ServiceRestart.command(manager: "supervisor", name: "web:web_0") == "supervisorctl restart web:web_0")
        #expect(ServiceRestart.command(manager: "systemd", name: "app.service") == "systemctl restart app.service")
        #expect(ServiceRestart.command(manager: "compose", name: "web") == "docker compose restart web")
        #expect(ServiceRestart.command(manager: "none", name: "pid 412", pid: 412, command: ["gunicorn", "app.wsgi"])
            == "kill 412 (the master; its workers exit with it), then start it again with the same command (gunicorn app.wsgi)")
        #expect(ServiceRestart.commandAfterDefinitionChange(manager: "supervisor", name: "web:web_0")
            == "supervisorctl reread && supervisorctl update web")
        #expect(ServiceRestart.commandAfterDefinitionChange(manager: "systemd", name: "app.service")
            == "systemctl daemon-reload && systemctl restart app.service")
        var limited = service("systemd", name: "app.service", state: "failed")
        limited.result = "start-limit-hit"
        #expect(limited.restartCommand == "systemctl reset-failed app.service && systemctl restart app.service")
        #expect(ReleaseService(manager: "supervisor", name: "app", state: "RUNNING", isRunning: true, reference: "/srv/app/current",
                               binds: []).restartCommand == "supervisorctl restart app")
    }

    @Test func aTmpfilesOnlyFixGetsAPlainSupervisorRestart() throws {
        var definition = ServiceDefinition(user: ServiceAccount(name: "www-data", exists: true))
        definition.socketDirectories = [ServicePath(path: "/run/app", kind: .directory)]
        let finding = try #require(RuntimeDirectoryMissingCheck().run(facts(service("supervisor", name: "app", definition: definition))).first)
        #expect(finding.fix.first?.contains("tmpfiles.d") == true)
        #expect(finding.fix.last == "Then restart only the app: supervisorctl restart app; probe it directly before the proxy")
        #expect(!finding.fix.joined().contains("reread"), "the program section did not change: update would not restart it")
    }

    @Test func aProgramSectionFixRereadsIt() throws {
        let definition = ServiceDefinition(restart: ServiceSetting(value: "false", location: "/etc/supervisor/conf.d/app.conf:5"))
        let finding = try #require(RestartPolicyMissingCheck().run(facts(service("supervisor", name: "app", definition: definition))).first)
        #expect(finding.fix.last == "Then restart only the app: supervisorctl reread && supervisorctl update app; probe it directly before the proxy")
    }

    @Test func aFixWithBothKindsOfAlternativeNamesBoth() throws {
        let definition = ServiceDefinition(user: ServiceAccount(name: "deploy", exists: false, location: "/etc/systemd/system/app.service:9"))
        let finding = try #require(ServiceUserUnknownCheck().run(facts(service("systemd", name: "app.service", state: "failed",
                                                                               definition: definition))).first)
        #expect(finding.fix.last == "Then restart only the app: systemctl restart app.service (after editing its unit: "
            + "systemctl daemon-reload && systemctl restart app.service); probe it directly before the proxy")
    }
}
