import DoctorParsers

extension AllowedCommand {
    /// `nginx -t` exactly as the running master with this command line reads its config
    /// (`-p`, `-e`, `-g` from the master, its own binary when the title names an absolute
    /// path): the test `gwdoctor fix` runs right before a reload. `config` and `prefix` are
    /// the proxy instance's resolved ones (`ProxyInstance.configPath` / `.prefix`).
    public static func nginxConfigTest(masterCommandLine: [String], config: String, prefix: String?) -> AllowedCommand {
        let parsed = NginxCommandLine.parse(masterCommandLine)
        let executable = parsed.executable.flatMap { $0.hasPrefix("/") ? $0 : nil }
        return nginxConfigTest(executable: executable, prefix: parsed.prefix ?? prefix, config: config,
                               globals: parsed.globals, errorLog: parsed.errorLog)
    }
}
