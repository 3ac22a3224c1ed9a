import DoctorFacts

/// Reads an nginx configuration and every file it includes, the way nginx does,
/// through a `ConfigFileReader` (live host, snapshot or test fixture).
///
/// - Relative include paths resolve against the directory of the main file (nginx's
///   conf prefix), not against the including file.
/// - A path with `*`, `?` or `[` is a glob; its matches are included in byte order, and
///   a glob matching nothing is accepted by nginx, so it is only an `.emptyGlob` note.
/// - A missing file, a cycle, an unreadable or oversized file each become a diagnostic
///   at the `include` line and loading goes on without that file.
public enum NginxConfigLoader {
    /// nginx itself has no limit; this one stops configs that are really binaries or logs.
    public static let defaultMaxFileBytes = 16 << 20
    /// Include chains deeper than this are cut: a symlink can make a cycle that path
    /// comparison cannot see.
    public static let maxIncludeDepth = 32
    /// Directives spliced in by includes, at most; bounds "include bomb" trees where
    /// each file includes the next one many times.
    public static let maxIncludedDirectives = 4_000_000

    public static func load(mainFile: String, reader: some ConfigFileReader,
                            maxFileBytes: Int = defaultMaxFileBytes) -> NginxConfig {
        load(mainFile: mainFile, reader: reader, maxFileBytes: maxFileBytes, directiveBudget: maxIncludedDirectives)
    }

    static func load(mainFile: String, reader: some ConfigFileReader, maxFileBytes: Int,
                     directiveBudget: Int) -> NginxConfig {
        var session = NginxLoadSession(reader: reader, maxFileBytes: maxFileBytes,
                                       confPrefix: NginxPath.directory(of: mainFile), directiveBudget: directiveBudget)
        let main = NginxPath.normalize(mainFile)
        let directives = session.load(main, displayName: mainFile, from: nil) ?? []
        return NginxConfig(mainFile: mainFile, directives: directives, files: session.files,
                           diagnostics: session.diagnostics)
    }
}

/// The state of one load: the include chain for cycle detection and a cache, because
/// the same snippet (`proxy_params`) is typically included by every location.
///
/// Not generic over the reader: the loader is called across a module boundary, where a
/// generic body runs unspecialised and pays a metadata lookup on every cache access.
struct NginxLoadSession {
    let reader: any ConfigFileReader
    let maxFileBytes: Int
    let confPrefix: String
    let directiveBudget: Int
    private(set) var files: [String] = []
    private(set) var diagnostics: [ConfigDiagnostic] = []

    private enum CacheEntry {
        case failed(ConfigReadError)
        /// Expanded directives, and how many directives they hold in all (for the budget).
        case parsed([NginxDirective], total: Int)
        /// Parsed but its expansion met a cycle, so it depends on the include chain.
        case chainDependent
    }

    private var cache: [String: CacheEntry] = [:]
    private var chain: [String] = []
    private var includedDirectives = 0
    /// Directives spliced into the file being parsed so far, by its includes.
    private var nestedTotal = 0
    private var budgetReported = false
    private var chainSawCycle = false

    init(reader: any ConfigFileReader, maxFileBytes: Int, confPrefix: String, directiveBudget: Int) {
        self.reader = reader
        self.directiveBudget = directiveBudget
        self.maxFileBytes = maxFileBytes
        self.confPrefix = confPrefix
    }

    /// The expanded directives of `path`, or `nil` when it could not be read (reported).
    mutating func load(_ path: String, displayName: String, from site: SourceLocation?) -> [NginxDirective]? {
        switch cache[path] {
        case let .failed(error)?:
            reportReadError(error, path: displayName, site: site)
            return nil
        case let .parsed(directives, total)?:
            guard spend(total, site: site) else { return nil }
            nestedTotal += total
            return directives
        case .chainDependent?, nil:
            break
        }

        let bytes: [UInt8]
        switch reader.readConfigFile(path, maxBytes: maxFileBytes) {
        case let .success(read):
            guard read.count <= maxFileBytes else {
                let error = ConfigReadError.tooLarge(bytes: read.count, limit: maxFileBytes)
                cache[path] = .failed(error)
                reportReadError(error, path: displayName, site: site)
                return nil
            }
            bytes = read
        case let .failure(error):
            cache[path] = .failed(error)
            reportReadError(error, path: displayName, site: site)
            return nil
        }
        let firstRead = cache[path] == nil
        if firstRead { files.append(path) }

        chain.append(path)
        let outerSawCycle = chainSawCycle
        chainSawCycle = false
        let nestedBefore = nestedTotal
        nestedTotal = 0
        let result = NginxParser.parse(bytes, file: path) { include in
            self.expand(include)
        }
        chain.removeLast()
        if firstRead { diagnostics.append(contentsOf: result.diagnostics) }
        // Spliced includes were charged as they came in; this file's own directives are
        // charged now, once, as its includer sees them.
        let total = result.directiveCount + nestedTotal
        cache[path] = chainSawCycle ? .chainDependent : .parsed(result.directives, total: total)
        chainSawCycle = chainSawCycle || outerSawCycle
        nestedTotal = nestedBefore
        if site != nil {
            guard spend(result.directiveCount, site: site) else { return nil }
            nestedTotal += total
        }
        return result.directives
    }

    /// Directives replacing one `include`, or `[]` when nothing could be included.
    private mutating func expand(_ include: NginxDirective) -> [NginxDirective] {
        guard include.args.count == 1 else {
            diagnostics.append(ConfigDiagnostic(
                kind: .syntax, message: "\"include\" takes exactly one path, got \(include.args.count)",
                location: include.location))
            return []
        }
        let written = include.args[0]
        let path = NginxPath.resolve(written, against: confPrefix)
        guard NginxGlob.isPattern(written) else {
            return loadIncluded(path, written: written, site: include.location)
        }
        let (matches, listingFailed) = glob(path, site: include.location)
        if matches.isEmpty, !listingFailed {
            diagnostics.append(ConfigDiagnostic(
                kind: .emptyGlob, message: "include \(written) matches no file (nginx accepts this)",
                location: include.location))
            return []
        }
        var out: [NginxDirective] = []
        for match in matches {
            out.append(contentsOf: loadIncluded(match, written: match, site: include.location))
        }
        return out
    }

    private mutating func loadIncluded(_ path: String, written: String, site: SourceLocation) -> [NginxDirective] {
        if let start = chain.firstIndex(of: path) {
            chainSawCycle = true
            let cycle = (chain[start...] + [path]).joined(separator: " -> ")
            diagnostics.append(ConfigDiagnostic(
                kind: .includeCycle, message: "include cycle: \(cycle); not followed again", location: site))
            return []
        }
        guard chain.count < NginxConfigLoader.maxIncludeDepth else {
            chainSawCycle = true
            diagnostics.append(ConfigDiagnostic(
                kind: .includeCycle,
                message: "includes nested more than \(NginxConfigLoader.maxIncludeDepth) deep at \(path) "
                    + "(a cycle through symlinks?); not followed",
                location: site))
            return []
        }
        return load(path, displayName: written == path ? path : "\(written) (\(path))", from: site) ?? []
    }

    private mutating func spend(_ count: Int, site: SourceLocation?) -> Bool {
        guard includedDirectives + count > directiveBudget else {
            includedDirectives += count
            return true
        }
        if !budgetReported {
            budgetReported = true
            diagnostics.append(ConfigDiagnostic(
                kind: .tooLarge,
                message: "includes expand to more than \(directiveBudget) directives; "
                    + "further includes skipped",
                location: site))
        }
        return false
    }

    private mutating func reportReadError(_ error: ConfigReadError, path: String, site: SourceLocation?) {
        let kind: ConfigDiagnostic.Kind
        let message: String
        switch error {
        case .notFound where site != nil:
            kind = .missingInclude
            message = "included file \(path) does not exist"
        case .tooLarge:
            kind = .tooLarge
            message = "\(path): \(error); not parsed"
        default:
            kind = .unreadable
            message = "cannot read \(path): \(error)"
        }
        diagnostics.append(ConfigDiagnostic(kind: kind, message: message, location: site))
    }

    // MARK: Globs

    /// Paths matching `pattern` (absolute or relative, already normalised), sorted by
    /// bytes as glob(3) sorts them in nginx's C locale.
    /// `listingFailed` is set when a directory could not be listed (already reported),
    /// so the empty result is not also reported as an empty glob.
    private mutating func glob(_ pattern: String, site: SourceLocation) -> (matches: [String], listingFailed: Bool) {
        var listingFailed = false
        let absolute = pattern.utf8.first == NginxByte.slash
        var candidates = [absolute ? "" : "."]
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true)
        for (position, component) in components.enumerated() {
            let isLast = position == components.count - 1
            var next: [String] = []
            for base in candidates {
                let directory = base.isEmpty ? "/" : base
                let join = { (name: String) in base == "." && !absolute ? name : base + "/" + name }
                if !NginxGlob.isPattern(component) && !isLast {
                    // Literal directories are taken on trust; listing the next level checks them.
                    next.append(join(String(component)))
                    continue
                }
                switch reader.listDirectory(directory) {
                case let .success(names):
                    for name in names where name != "." && name != ".." && NginxGlob.matches(component, name) {
                        next.append(join(name))
                    }
                case .failure(.permissionDenied):
                    diagnostics.append(ConfigDiagnostic(
                        kind: .unreadable, message: "cannot list \(directory) for include \(pattern): permission denied",
                        location: site))
                    listingFailed = true
                case .failure:
                    continue
                }
            }
            candidates = next
            if candidates.isEmpty { break }
        }
        return (candidates.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, listingFailed)
    }
}
