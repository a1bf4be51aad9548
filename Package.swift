// swift-tools-version:6.1
import PackageDescription

// DCMTK libraries are named explicitly: `pkg-config dcmtk` is broken on Debian 12
// (missing `sndfile`) and would link all 27 libraries (see shared/DCMTK_NOTES.md).
let dcmtkLibraries: [LinkerSetting] = [
    "dcmnet", "dcmtls", "dcmjpeg", "dcmjpls", "cmr", "dcmsr", "dcmseg", "dcmfg", "dcmiod", "dcmimage", "dcmimgle",
    "dcmdata", "oflog", "ofstd",
].map { .linkedLibrary($0) }

// The numeric targets are optimized in debug builds too: `make test` runs debug builds, and
// unoptimized kernels and analyzers are many times slower.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "AutoSeg",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "autoseg", targets: ["autoseg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // The web console: server-rendered templates, bcrypt password hashes, SHA-256/HMAC.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // The only code that includes DCMTK. Not API: use `DICOM`.
        .target(
            name: "CDcmtk",
            // OpenJPEG (Debian libopenjp2-7-dev): JPEG 2000 and HTJ2K, which DCMTK 3.6.7 cannot
            // decode (j2k*.cpp); its header directory comes from pkg-config, like SQLite's below.
            dependencies: ["COpenJPEG"],
            exclude: ["README.md"],
            // zlib: the pre-scan inflates deflated datasets itself (dataset_scan_sources.h).
            linkerSettings: dcmtkLibraries + [.linkedLibrary("z"), .linkedLibrary("stdc++")]
        ),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        // libsqlite3 from Debian's libsqlite3-dev. Not API: use `Catalog`.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "DICOM", dependencies: [
            "CDcmtk", "Imaging",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),
        // Volumes and multi-core kernels. Pure Swift: knows nothing of DICOM.
        .target(name: "Imaging", exclude: ["README.md"], swiftSettings: optimizedInDebug),
        // Analyzers and evaluation metrics. Depends on Imaging only.
        .target(name: "Analysis", dependencies: ["Imaging"], exclude: ["README.md"], swiftSettings: optimizedInDebug),
        // Synthetic cases with known truth, apart from the analyzers: they make analyzer inputs
        // and truth (Analysis's input and truth types) and draw with Imaging.
        .target(name: "Phantoms", dependencies: ["Analysis", "Imaging"], exclude: ["README.md"],
                swiftSettings: optimizedInDebug),
        // SEG, SR TID 1500 and key images from findings + the source series (encoded by DICOM).
        .target(name: "Results", dependencies: ["DICOM", "Analysis", "Imaging"], exclude: ["README.md"],
                swiftSettings: optimizedInDebug),
        // The one analysis path of the node and of `autoseg run`: planning (scan, routing,
        // pairing) and execution (load → analyze → results). Not on Catalog or Node.
        .target(name: "Pipeline", dependencies: ["DICOM", "Analysis", "Results", "Imaging"], exclude: ["README.md"],
                swiftSettings: optimizedInDebug),
        .target(name: "Catalog", dependencies: [
            "CSQLite",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),
        .target(name: "Node", dependencies: [
            "DICOM", "Catalog", "Analysis", "Results", "Pipeline",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["README.md"]),
        .executableTarget(name: "autoseg", dependencies: [
            "Node", "Pipeline", "DICOM", "Catalog", "Analysis", "Phantoms", "Results",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "quality-bench", dependencies: ["Analysis", "Phantoms", "Imaging"], path: "bench/quality",
                          exclude: ["run.sh"], swiftSettings: optimizedInDebug),
        .executableTarget(name: "kernel-bench", dependencies: ["Imaging"], path: "bench/kernels", exclude: ["simpleitk_bench.py", "run.sh", "README.md"]),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "Imaging"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Phantoms", "Imaging"]),
        // Helpers shared by CatalogTests and NodeTests (log capture, catalog records). Not API.
        .target(name: "CatalogTestSupport", dependencies: [
            "Catalog",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/CatalogTestSupport"),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "CatalogTestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "DICOM", "Analysis", "Imaging", "Phantoms"]),
        .testTarget(name: "NodeTests", dependencies: ["Node", "Pipeline", "DICOM", "Catalog", "Imaging", "Analysis",
                                                      "CatalogTestSupport"]),
        .testTarget(name: "ResultsTests", dependencies: ["Results", "DICOM", "Analysis", "Imaging"]),
        // Writes phantom series + their SEG/SR/SC for Tests/IntegrationTests/test_results.py.
        .executableTarget(name: "results-fixture", dependencies: ["Results", "DICOM", "Analysis", "Phantoms", "Imaging"],
                          path: "Tests/ResultsFixture", swiftSettings: optimizedInDebug),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
