import Foundation

extension Lab {
    /// Where Debian's `uwsgi` (with `uwsgi-plugin-python3`) or a pip-installed one lives.
    public static var uwsgiExecutable: String? {
        ["/usr/bin/uwsgi", "/usr/local/bin/uwsgi"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// uWSGI serving `labsite.wsgi:application` as a supervised program:
    /// `command=uwsgi --plugin python3 --master --processes N --die-on-term --need-app
    /// --http-socket BIND --virtualenv VENV --chdir labsite --module labsite.wsgi:application
    /// [--harakiri S]` with the same `environment=` as `gunicornProgram` (`environment`
    /// overrides it, `nil` removes).
    ///
    /// - `--http-socket` speaks HTTP on the socket itself (no router process), so nginx's
    ///   `proxy_pass http://…` reaches the workers directly, as `uwsgi_pass` would with `--socket`.
    /// - `--die-on-term`: without it uWSGI's master takes supervisord's SIGTERM as "reload" and
    ///   the program never stops.
    /// - `--harakiri S` needs `--master`: the master kills (SIGKILL) a worker whose request runs
    ///   longer than S seconds and logs `*** HARAKIRI ON WORKER N (pid: P, try: 1) ***` with a
    ///   `ctime` stamp, then `DAMN ! worker N (pid: P) died, killed by signal 9`.
    /// - uWSGI logs to stderr: the program's stderr_logfile is its log, as with Gunicorn.
    /// - Debian's binary is `uwsgi-core` with the Python plugin loaded by `--plugin python3`;
    ///   `--virtualenv` points it at the lab venv's site-packages (same Python 3.11 as the plugin).
    public func uwsgiProgram(name: String = "app", bind: Bind, processes: Int = 1, harakiri: Int? = nil,
                             extraArgs: [String] = [], environment overrides: [String: String?] = [:],
                             startsecs: Int = 2, startretries: Int = 3) throws -> SupervisedProgram {
        guard let uwsgi = Lab.uwsgiExecutable else { throw LabError.notSetUp("uWSGI is not installed (Debian packages uwsgi uwsgi-plugin-python3)") }
        let environment = programEnvironment(overrides)
        var command = [uwsgi, "--plugin", "python3", "--master", "--processes", String(processes), "--die-on-term", "--need-app",
                       "--http-socket", bind.gunicornArgument, "--virtualenv", venv, "--chdir", labsite,
                       "--module", "labsite.wsgi:application"]
        if let harakiri { command += ["--harakiri", String(harakiri)] }
        command += extraArgs
        return SupervisedProgram(name: name, command: command, directory: labsite, environment: environment,
                                 startretries: startretries, startsecs: startsecs)
    }
}
