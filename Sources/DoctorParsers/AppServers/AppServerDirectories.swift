/// Where relative paths of a server that may `--chdir` resolve: sockets against the
/// directory it runs in, config files against the one it was started in.
///
/// gunicorn and uWSGI both read their config files before changing directory and bind
/// after (observed: `gunicorn --chdir sub -b unix:g.sock` creates `sub/g.sock`; gunicorn
/// 27's `Application.load_config` loads `-c` before it applies the command line's
/// `--chdir`). The process's current directory, as /proc shows it, is already the
/// `--chdir` one, so the start directory is known from it only when there is no
/// `--chdir`; otherwise only the service that started the server knows it (supervisord's
/// `directory=`, systemd's `WorkingDirectory=`). A relative path with no known base stays
/// unresolved: reading it as written would read it from gwdoctor's own directory.
struct AppServerDirectories {
    /// Where the server runs: relative socket paths resolve here.
    var run: String?
    /// Where it was started: relative config files resolve here.
    var start: String?

    /// - Parameters:
    ///   - workingDirectory: the process's current directory (`/proc/PID/cwd`).
    ///   - startDirectory: the directory its service manager started it in, when known.
    init(chdir: String?, workingDirectory: String?, startDirectory: String? = nil) {
        guard let chdir else {
            run = workingDirectory ?? startDirectory
            start = startDirectory ?? workingDirectory
            return
        }
        if AppServerPath.isAbsolute(chdir) {
            run = NginxPath.normalize(chdir)
        } else {
            run = workingDirectory ?? startDirectory.map { AppServerPath.resolve(chdir, against: $0) }
        }
        start = startDirectory
    }

    /// A config file's path: absolute as given, resolved when the start directory is known,
    /// else `nil` (which file the server read is unknown).
    func resolveStartPath(_ path: String) -> String? {
        if AppServerPath.isAbsolute(path) { return path }
        guard let start, !start.isEmpty else { return nil }
        return AppServerPath.resolve(path, against: start)
    }

    /// What a reader is told about a relative path no base is known for.
    static func unknown(_ path: String, base: String = "start directory") -> String {
        "unknown (relative path \(path), \(base) unknown)"
    }
}
