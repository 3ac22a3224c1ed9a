import DoctorFacts

/// The app server's worker timeout as a person would find it: the value, and where it is
/// written (the service's command line and the file that holds it, its config file, or the
/// program's default when nothing sets it).
struct TimeoutSetting {
    /// `gunicorn --timeout 2`, `uWSGI --harakiri 2`, `gunicorn's default --timeout 30`.
    let text: String
    /// Where it is set, in words (`the command line at /etc/supervisor/conf.d/app.conf:3`).
    let place: String
    /// A `path:line` or a command that shows it.
    let source: String?
    /// Nothing sets it: the program's built-in default.
    let isDefault: Bool

    /// Gunicorn's built-in `--timeout`.
    static let gunicornDefault = 30

    static func find(kind: String, app: AppServer?, service: ManagedService?) -> TimeoutSetting? {
        let command = service?.command.isEmpty == false ? service!.command : (app?.cmdline ?? [])
        let flags: [String]
        switch kind {
        case "gunicorn": flags = ["--timeout", "-t"]
        case "uwsgi": flags = ["--harakiri", "-t"]
        default: return nil
        }
        let name = kind == "uwsgi" ? "uWSGI" : kind
        for flag in flags {
            guard let value = CommandLineOption.value(flag, in: command) else { continue }
            let (place, source) = commandPlace(service: service, app: app)
            return TimeoutSetting(text: "\(name) \(flag) \(value)", place: place, source: source, isDefault: false)
        }
        let key = kind == "uwsgi" ? "harakiri" : "timeout"
        // Not on the command line: its config file (gunicorn.conf.py `timeout = N`, an ini's `harakiri = N`), with its line when read.
        if let setting = app?.limits.timeout, !setting.isDefault, setting.source != "command line" {
            return TimeoutSetting(text: "\(key) = \(setting.value)", place: setting.source, source: setting.source, isDefault: false)
        }
        if let seconds = app?.timeoutSeconds {
            return TimeoutSetting(text: "\(key) = \(seconds)", place: "\(name)'s config file", source: "ps -o args= -p \(app!.masterPID)",
                                  isDefault: false)
        }
        if kind == "gunicorn" {
            return TimeoutSetting(text: "gunicorn's default --timeout \(gunicornDefault)", place: "no option or config file (the default)",
                                  source: app.map { "ps -o args= -p \($0.masterPID)" }, isDefault: true)
        }
        return nil
    }

    /// Where a command line lives: the manager's file and line when known.
    private static func commandPlace(service: ManagedService?, app: AppServer?) -> (String, String?) {
        if let service, let location = service.commandLineLocation {
            let directive = service.manager == "systemd" ? "ExecStart=" : "command="
            return ("\(directive) at \(location)", location)
        }
        let pid = app?.masterPID ?? service?.pid
        return ("its command line (a bare process, no manager)", pid.map { "ps -o args= -p \($0)" })
    }
}
