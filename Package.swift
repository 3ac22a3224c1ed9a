// swift-tools-version: 6.2
import PackageDescription

// Dependency direction is one-way (see DESIGN.md): checks and reports see only the
// fact model, so a check can never touch the machine.
let package = Package(
    name: "gwdoctor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gwdoctor", targets: ["gwdoctor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "DoctorFacts"),
        .target(name: "DoctorParsers", dependencies: ["DoctorFacts", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "DoctorHost",
            dependencies: [
                "DoctorFacts", "DoctorParsers",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "DoctorChecks", dependencies: ["DoctorFacts"]),
        .target(name: "DoctorReport", dependencies: ["DoctorFacts"]),
        .target(name: "DoctorRemedy", dependencies: ["DoctorFacts", "DoctorHost"]),
        .target(
            name: "DoctorWatch",
            dependencies: [
                "DoctorFacts", "DoctorHost", "DoctorChecks", "DoctorReport", "DoctorRemedy",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "gwdoctor",
            dependencies: [
                "DoctorFacts", "DoctorParsers", "DoctorHost", "DoctorChecks", "DoctorReport", "DoctorRemedy", "DoctorWatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test support: starts real stacks (nginx, gunicorn, uvicorn, ...) in private
        // network namespaces and injects faults.
        .target(
            name: "DoctorLab",
            dependencies: [
                "DoctorFacts", "DoctorHost",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(name: "DoctorParsersTests", dependencies: ["DoctorParsers", "DoctorFacts", .product(name: "Yams", package: "Yams")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DoctorHostTests", dependencies: ["DoctorHost", "DoctorFacts"]),
        .testTarget(name: "DoctorChecksTests", dependencies: ["DoctorChecks", "DoctorFacts", "DoctorHost", "DoctorParsers"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DoctorReportTests", dependencies: ["DoctorReport", "DoctorFacts"]),
        .testTarget(name: "DoctorRemedyTests", dependencies: ["DoctorRemedy", "DoctorFacts", "DoctorHost"]),
        .testTarget(name: "DoctorWatchTests", dependencies: ["DoctorWatch", "DoctorFacts", "DoctorHost", "DoctorLab"]),
        .testTarget(name: "LabTests", dependencies: ["DoctorLab", "DoctorHost", "DoctorFacts", "DoctorChecks"]),
    ],
    swiftLanguageModes: [.v6]
)
