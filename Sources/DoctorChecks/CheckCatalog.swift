import DoctorFacts

/// Every check gwdoctor runs, in catalog order.
public enum CheckCatalog {
    /// All checks. Adding a check means adding it here and shipping its fixtures.
    public static let all: [any Check] = [
        ProxyConfigInvalidCheck(),
        ProxyConfigNotLoadedCheck(),
        ProxyDownCheck(),
        TargetMismatchCheck(),
        SocketMissingCheck(),
        SocketStaleCheck(),
        SocketPermissionCheck(),
        TargetNotListeningCheck(),
        UpstreamGroupDownCheck(),
        CrashLoopCheck(),
        BacklogFullCheck(),
        OOMKilledCheck(),
        PrematureCloseCheck(),
        DiskFullCheck(),
        MemoryPressureCheck(),
        UpstreamTimeoutCheck(),
        WorkerSaturationCheck(),
        TargetUnresolvableCheck(),
        HeaderTooBigCheck(),
        InvalidUpstreamResponseCheck(),
        TruncatedResponseCheck(),
        KeepaliveMismatchCheck(),
        RequestTooLargeCheck(),
        AppStartupCrashCheck(),
        ExecMissingCheck(),
        WorkingDirectoryMissingCheck(),
        EnvironmentFileMissingCheck(),
        ServiceUserUnknownCheck(),
        RuntimeDirectoryMissingCheck(),
        SecretKeyMissingCheck(),
        SettingsModuleMissingCheck(),
        RestartPolicyMissingCheck(),
        ReleaseCurrentDanglingCheck(),
        ReleasePartialCheck(),
        ReleaseNotRestartedCheck(),
        ReleaseVenvStaleCheck(),
        ReleaseSocketStaleCheck(),
        ProxyGenerated502Check(),
        AppReturned5xxCheck(),
        FailuresOnSomeRoutesCheck(),
        ComposeUpstreamUnknownCheck(),
        ComposeAppLoopbackCheck(),
        ComposePublishedPortMismatchCheck(),
        ComposeSocketMountMismatchCheck(),
        ComposeHealthcheckFailingCheck(),
        ComposeContainerDownCheck(),
    ]

    /// The check with this id, if any.
    public static func check(id: String) -> (any Check)? {
        all.first { $0.id == id }
    }

    /// Runs every check over the facts.
    public static func runAll(_ facts: Facts) -> [Finding] {
        all.flatMap { $0.run(facts) }
    }
}
