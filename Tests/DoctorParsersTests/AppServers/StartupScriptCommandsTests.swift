import DoctorParsers
import Testing

/// Lines as they are written in crontabs and rc.local files to start an app server without
/// a manager. Where a line says "dash:", `/bin/sh -c` (dash 0.5.12, Debian 12) was run on it
/// with the server replaced by a script printing its argv and cwd, and the expectation is
/// what dash did.
@Suite("startup script commands")
struct StartupScriptCommandsTests {
    @Test func rebootLineWithCdAndRedirectionToOneFile() {
        // dash: argv = [/srv/venv/bin/gunicorn, --bind, 127.0.0.1:8000, app.wsgi:application],
        // cwd /srv/app, stdout and stderr appended to /var/log/app/gunicorn.log.
        let text = """
        # m h  dom mon dow   command
        MAILTO=""
        @reboot cd /srv/app && /srv/venv/bin/gunicorn --bind 127.0.0.1:8000 app.wsgi:application >> /var/log/app/gunicorn.log 2>&1
        """
        let found = StartupScriptCommands.crontab(text, file: "/var/spool/cron/crontabs/deploy", hasUserField: false)
        #expect(found == [ScriptStartedServer(
            argv: ["/srv/venv/bin/gunicorn", "--bind", "127.0.0.1:8000", "app.wsgi:application"], workingDirectory: "/srv/app",
            stdoutFile: "/var/log/app/gunicorn.log", stderrFile: "/var/log/app/gunicorn.log",
            source: "/var/spool/cron/crontabs/deploy:3", schedule: "@reboot")])
    }

    @Test func systemCrontabUserFieldNohupAssignmentsAndSeparateStreams() {
        let text = "@reboot www-data cd /srv/app; DJANGO_SETTINGS_MODULE=app.settings nohup /srv/venv/bin/uvicorn app.asgi:application --uds /run/app/uv.sock > out.log 2> err.log &\n"
        let found = StartupScriptCommands.crontab(text, file: "/etc/cron.d/app", hasUserField: true)
        #expect(found.count == 1)
        #expect(found.first?.argv == ["/srv/venv/bin/uvicorn", "app.asgi:application", "--uds", "/run/app/uv.sock"])
        #expect(found.first?.workingDirectory == "/srv/app")
        #expect(found.first?.stdoutFile == "out.log")
        #expect(found.first?.stderrFile == "err.log")
        #expect(found.first?.source == "/etc/cron.d/app:1")
    }

    @Test func scheduleFieldsAndPercentEndTheCommand() {
        // A watchdog every 5 minutes; cron turns `%` into a newline (the rest is stdin), `\%` into `%`.
        let text = #"*/5 * * * * pgrep -f gunicorn || /srv/venv/bin/gunicorn -b unix:/run/app.sock -n app\%1 app:app 2>>/var/log/app/err.log%stdin"# + "\n"
        let found = StartupScriptCommands.crontab(text, file: "/etc/crontab", hasUserField: false)
        #expect(found.count == 1)
        #expect(found.first?.schedule == "*/5 * * * *")
        #expect(found.first?.argv == ["/srv/venv/bin/gunicorn", "-b", "unix:/run/app.sock", "-n", "app%1", "app:app"])
        #expect(found.first?.stderrFile == "/var/log/app/err.log")
    }

    @Test func nestedShellAndSuWithQuotes() {
        let line = #"su - deploy -c "cd /srv/app && exec /srv/venv/bin/gunicorn --error-logfile logs/err.log 'app.wsgi:application'" >/dev/null 2>&1"#
        let found = StartupScriptCommands.script(line + "\nexit 0\n", file: "/etc/rc.local")
        #expect(found.count == 1)
        #expect(found.first?.argv == ["/srv/venv/bin/gunicorn", "--error-logfile", "logs/err.log", "app.wsgi:application"])
        #expect(found.first?.workingDirectory == "/srv/app")
        #expect(found.first?.stdoutFile == "/dev/null")
        #expect(found.first?.schedule == "rc.local")
        let shell = StartupScriptCommands.commandLine(#"/bin/bash -lc 'source /srv/venv/bin/activate; uwsgi --ini /etc/uwsgi/app.ini'"#,
                                                      source: "x:1", schedule: "@reboot")
        #expect(shell.first?.argv == ["uwsgi", "--ini", "/etc/uwsgi/app.ini"])
    }

    @Test func redirectionOrderMatters() {
        // dash: `2>&1 > f` sends stderr where stdout was (the terminal/cron mail), stdout to f.
        let found = StartupScriptCommands.commandLine("gunicorn app:app 2>&1 > f.log", source: "x:1", schedule: "@reboot")
        #expect(found.first?.stdoutFile == "f.log")
        #expect(found.first?.stderrFile == nil)
        let both = StartupScriptCommands.commandLine("gunicorn app:app &>> all.log", source: "x:1", schedule: "@reboot")
        #expect(both.first?.stdoutFile == "all.log" && both.first?.stderrFile == "all.log")
    }

    @Test func notAServerOrUnbalancedQuotes() {
        #expect(StartupScriptCommands.crontab("@reboot /usr/local/bin/backup.sh\n0 3 * * * root /usr/bin/certbot renew\n",
                                              file: "/etc/crontab", hasUserField: true).isEmpty)
        #expect(StartupScriptCommands.commandLine("gunicorn 'app:app", source: "x:1", schedule: "@reboot").isEmpty)
        #expect(StartupScriptCommands.crontab("@reboot\n* * *\n", file: "c", hasUserField: false).isEmpty)
    }
}
