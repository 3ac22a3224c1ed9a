import Foundation

/// What bounds an app server's requests: how many it runs at once (workers × threads, or
/// an async worker's connections) and how long one may run before the server itself ends
/// it. Each value says where it was read, so a finding can name the line to change.
///
/// The values are the server's own settings, not nginx's: a request that outlives
/// `proxy_read_timeout` is a 504 whatever the app server allows, and one that outlives a
/// sync gunicorn worker's `--timeout` ends with the worker killed (a 500 or 502).
public struct AppServerLimits: Hashable, Codable, Sendable {
    /// Seconds a worker may spend on one request before the server kills it: gunicorn
    /// `-t/--timeout` (default 30), uWSGI `harakiri` (off unless set), daphne `--http-timeout`.
    /// `nil` when the server has no such limit (uvicorn) or it is unknown; see `notes`.
    public var timeout: AppServerSetting?
    /// gunicorn `--graceful-timeout` (default 30): how long a worker gets to finish after a restart signal.
    public var gracefulTimeout: AppServerSetting?
    /// gunicorn `-w/--workers` (default 1), uWSGI `processes`/`workers` (default 1), uvicorn `--workers`.
    public var workers: AppServerSetting?
    /// gunicorn `--threads` (default 1), uWSGI `threads` (default 1).
    public var threads: AppServerSetting?
    /// gunicorn `-k/--worker-class` (default `sync`; `gthread` when `--threads` > 1 with the
    /// default class), `asyncio` for uvicorn.
    public var workerClass: AppServerSetting?
    /// gunicorn `--worker-connections` (default 1000): the bound of an eventlet/gevent worker.
    public var workerConnections: AppServerSetting?
    /// What a reader must know about these values (`uvicorn has no request timeout`, a
    /// `WEB_CONCURRENCY` the environment may set, a timeout that never ends a slow request).
    public var notes: [String]
    /// CPUs online on the host (`/sys/devices/system/cpu/online`), for the `(2 × cores) + 1`
    /// hint; `nil` when unread.
    public var cpusOnline: Int?
    /// Seconds an idle keep-alive connection stays open: gunicorn `--keep-alive` (default 2;
    /// only non-sync workers keep connections), uvicorn `--timeout-keep-alive` (default 5).
    public var keepAlive: AppServerSetting?
    /// gunicorn `--limit-request-line` (default 4094 bytes; longer request lines get its 400).
    public var requestLineLimit: AppServerSetting?
    /// gunicorn `--limit-request-field_size` (default 8190 bytes per header line).
    public var requestFieldSizeLimit: AppServerSetting?
    /// uWSGI `buffer-size` (`-b`, default 4096): the largest request header block (every
    /// variable of the uwsgi packet or the HTTP header); a larger one is dropped with
    /// `invalid request block size`, which nginx sees as a premature close (502).
    public var bufferSize: AppServerSetting?
    /// uWSGI `limit-post`: the largest request body in bytes (unlimited unless set).
    public var postLimit: AppServerSetting?

    public init(timeout: AppServerSetting? = nil, gracefulTimeout: AppServerSetting? = nil, workers: AppServerSetting? = nil,
                threads: AppServerSetting? = nil, workerClass: AppServerSetting? = nil,
                workerConnections: AppServerSetting? = nil, notes: [String] = [], cpusOnline: Int? = nil,
                keepAlive: AppServerSetting? = nil, requestLineLimit: AppServerSetting? = nil,
                requestFieldSizeLimit: AppServerSetting? = nil, bufferSize: AppServerSetting? = nil,
                postLimit: AppServerSetting? = nil) {
        self.keepAlive = keepAlive
        self.requestLineLimit = requestLineLimit
        self.requestFieldSizeLimit = requestFieldSizeLimit
        self.bufferSize = bufferSize
        self.postLimit = postLimit
        self.timeout = timeout
        self.gracefulTimeout = gracefulTimeout
        self.workers = workers
        self.threads = threads
        self.workerClass = workerClass
        self.workerConnections = workerConnections
        self.notes = notes
        self.cpusOnline = cpusOnline
    }

    /// Every setting that is set, by name (`timeout`, `workers`, …).
    public var settings: [(name: String, setting: AppServerSetting)] {
        [("timeout", timeout), ("graceful_timeout", gracefulTimeout), ("workers", workers), ("threads", threads),
         ("worker_class", workerClass), ("worker_connections", workerConnections), ("keepalive", keepAlive),
         ("limit_request_line", requestLineLimit), ("limit_request_field_size", requestFieldSizeLimit),
         ("buffer-size", bufferSize), ("limit-post", postLimit)]
            .compactMap { name, setting in setting.map { (name, $0) } }
    }

    /// Each setting of `self`, else of `other`: the command line's over a config file's,
    /// a config file's over the defaults.
    public func filled(from other: AppServerLimits) -> AppServerLimits {
        AppServerLimits(timeout: timeout ?? other.timeout, gracefulTimeout: gracefulTimeout ?? other.gracefulTimeout,
                        workers: workers ?? other.workers, threads: threads ?? other.threads,
                        workerClass: workerClass ?? other.workerClass,
                        workerConnections: workerConnections ?? other.workerConnections,
                        notes: notes + other.notes.filter { !notes.contains($0) }, cpusOnline: cpusOnline ?? other.cpusOnline,
                        keepAlive: keepAlive ?? other.keepAlive, requestLineLimit: requestLineLimit ?? other.requestLineLimit,
                        requestFieldSizeLimit: requestFieldSizeLimit ?? other.requestFieldSizeLimit,
                        bufferSize: bufferSize ?? other.bufferSize, postLimit: postLimit ?? other.postLimit)
    }

    /// The worker class is one whose workers each serve one request at a time per thread
    /// (gunicorn `sync`/`gthread`, uWSGI processes × threads): the only kind a worker
    /// count bounds. Async classes (gevent, eventlet, uvicorn's) interleave many requests.
    public var isBlocking: Bool {
        guard let name = workerClass?.value.lowercased() else { return true }
        return name == "sync" || name == "gthread" || name.hasSuffix("syncworker") || name.hasSuffix("threadworker")
            || name == "prefork" || name == "prefork+threads"
    }

    /// The request timeout kills a slow request (gunicorn's `sync` class, uWSGI harakiri):
    /// other gunicorn classes only use it as a heartbeat, which a worker busy in a slow
    /// request still sends, so `--timeout` never ends that request.
    public var timeoutEndsSlowRequests: Bool {
        guard timeout != nil else { return false }
        guard let name = workerClass?.value.lowercased() else { return true }
        return name == "sync" || name.hasSuffix("syncworker") || name == "prefork" || name == "prefork+threads"
    }

    /// Requests it can run at once when every worker is blocking: workers × threads;
    /// `nil` for async workers or an unknown worker count.
    public func concurrency(runningWorkers: Int? = nil) -> Int? {
        guard isBlocking else { return nil }
        guard let workers = runningWorkers ?? workers?.intValue, workers > 0 else { return nil }
        return workers * max(1, threads?.intValue ?? 1)
    }

    /// The classic gunicorn baseline `(2 × cores) + 1`, a hint not a law.
    public var classicWorkerBaseline: Int? { cpusOnline.map { 2 * $0 + 1 } }
}

/// One setting of an app server, as written, and where.
public struct AppServerSetting: Hashable, Codable, Sendable {
    /// `source` of a value nothing set: the program's built-in default.
    public static let defaultSource = "default"

    /// As written (`30`, `gthread`, `uvicorn.workers.UvicornWorker`).
    public var value: String
    /// `command line`, `path:line` of a config file, or `default`.
    public var source: String

    public init(_ value: String, source: String) {
        self.value = value
        self.source = source
    }

    /// The value as a whole number (`30`, `30.0`), when it is one.
    public var intValue: Int? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let int = Int(trimmed) { return int }
        if let double = Double(trimmed), double.isFinite, double >= 0, double < 1e9 { return Int(double) }
        return nil
    }

    /// The program's built-in default, not anything written.
    public var isDefault: Bool { source == Self.defaultSource }

    /// `--timeout 30 (command line)`, `timeout = 30 (gunicorn.conf.py:4)`, `30 (gunicorn's default)`.
    public var described: String {
        isDefault ? "\(value) (default)" : "\(value) (\(source))"
    }
}
