/// Where relative paths of a server that may `--chdir` resolve: sockets against the
/// directory it runs in, config files against the one it was started in.
///
/// gunicorn and uWSGI both read their config files before changing directory and bind
/// after (observed: `gunicorn --chdir sub -b unix:g.sock` creates `sub/g.sock`). The
/// process's current directory, as /proc shows it, is already the `--chdir` one, so
/// the start directory is only known when there is no `--chdir`.
struct AppServerDirectories {
    /// Where the server runs: relative socket paths resolve here.
    var run: String?
    /// Where it was started: relative config files resolve here.
    var start: String?

    /// `workingDirectory` is the process's current directory (`/proc/PID/cwd`).
    init(chdir: String?, workingDirectory: String?) {
        guard let chdir else {
            run = workingDirectory
            start = workingDirectory
            return
        }
        run = AppServerPath.isAbsolute(chdir) ? NginxPath.normalize(chdir) : workingDirectory
        start = nil
    }

    /// A config file's path: absolute as given, resolved when the start directory is known, else as written.
    func resolveStartPath(_ path: String) -> String {
        AppServerPath.resolve(path, against: start)
    }
}
