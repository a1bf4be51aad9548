import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The web console's routes on the status server: pages (`/`, `/studies`, `/jobs`,
/// `/deliveries`, `/findings`, `/config`, `/peers`), downloads (`/results/<uid>.dcm`,
/// `/keyimages/<uid>.png`), `/login`, `/console.css`, and the actions (POST with a CSRF token):
/// retry or cancel a job, re-deliver now, deliver a job's undelivered results, echo a peer.
enum ConsoleRoutes {
    static let nav: [(href: String, label: String)] = [
        ("/", "Overview"), ("/studies", "Studies"), ("/jobs", "Jobs"), ("/deliveries", "Deliveries"),
        ("/findings", "Findings"), ("/config", "Configuration"), ("/peers", "Peers"),
    ]

    static func register(on router: Router<BasicRequestContext>, source: StatusSource, started: Date, logger: Logger) {
        let context = ConsoleContext(source: source, started: started, access: ConsoleAccess(http: source.config.http))
        let pages: [(path: String, title: String, template: String, build: @Sendable (ConsolePages) throws -> [String: Any])] = [
            ("/", "Overview", "overview", { try $0.overview() }),
            ("/studies", "Studies and series received", "studies", { try $0.studies() }),
            ("/jobs", "Jobs", "jobs", { try $0.jobs() }),
            ("/deliveries", "Deliveries", "deliveries", { try $0.deliveries() }),
            ("/findings", "Findings", "findings", { try $0.findings() }),
            ("/config", "Configuration", "config", { $0.configuration() }),
            ("/peers", "Peers", "peers", { $0.peers() }),
        ]
        for page in pages {
            router.get(RouterPath(page.path)) { request, _ -> Response in
                guard case .success(let viewer) = context.access.viewer(request) else {
                    return refusal(context, request)
                }
                do {
                    let model = try page.build(ConsolePages(context: context, viewer: viewer))
                    return html(render(page.template, title: page.title, path: page.path, model: model, viewer: viewer,
                                       context: context, message: message(request)))
                } catch {
                    logger.error("console page failed", metadata: ["http.path": "\(page.path)", "error": "\(error)"])
                    return Refusal(status: .internalServerError, message: "\(error)").response()
                }
            }
        }
        router.get("/console.css") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ConsoleStyle.css)))
        }
        router.get("/login") { request, _ -> Response in
            switch context.access.viewer(request, forceLogin: true) {
            case .success: return .redirect(to: "/", type: .normal)
            case .failure(let refusal): return refusal.response()
            }
        }
        router.get("/results/:file") { request, ctx -> Response in
            guard case .success(let viewer) = context.access.viewer(request) else { return refusal(context, request) }
            // SEG and SR carry the patient's name and ID: only for viewers who may see names.
            guard viewer.showsPatientNames else {
                return Refusal(status: context.access.hash.isSet ? .unauthorized : .forbidden,
                               message: "the DICOM objects carry the patient's name: sign in to download them").response()
            }
            return file(context, name: ctx.parameters.get("file") ?? "", suffix: ".dcm", logger: logger)
        }
        router.get("/keyimages/:file") { request, ctx -> Response in
            guard case .success = context.access.viewer(request) else { return refusal(context, request) }
            return file(context, name: ctx.parameters.get("file") ?? "", suffix: ".png", logger: logger)
        }
        ConsoleActions.register(on: router, context: context, logger: logger)
    }

    static func refusal(_ context: ConsoleContext, _ request: Request) -> Response {
        if case .failure(let refusal) = context.access.viewer(request) { return refusal.response() }
        return Refusal(status: .forbidden, message: "refused").response()
    }

    /// A result object (`.dcm`, as stored) or its key image as PNG (`.png`), by SOP Instance UID.
    static func file(_ context: ConsoleContext, name: String, suffix: String, logger: Logger) -> Response {
        guard name.hasSuffix(suffix) else { return Refusal(status: .notFound, message: "no such file").response() }
        let uid = String(name.dropLast(suffix.count))
        guard let found = try? context.source.catalog.resultFile(sopInstanceUID: uid) else {
            return Refusal(status: .notFound, message: "no result object \(uid)").response()
        }
        let path = context.source.dataDirectory.url(of: found.filePath).path
        var headers = HTTPFields()
        let bytes: [UInt8]
        if suffix == ".png" {
            guard found.kind == "sc" else { return Refusal(status: .notFound, message: "\(uid) is not a key image").response() }
            do { bytes = try KeyImageThumbnail.png(path: path) } catch {
                logger.warning("key image not rendered", metadata: ["result.uid": "\(uid)", "error": "\(error)"])
                return Refusal(status: .internalServerError, message: "cannot render the key image: \(error)").response()
            }
            headers[.contentType] = "image/png"
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                return Refusal(status: .notFound, message: "the file of \(uid) is missing from the outbox").response()
            }
            bytes = Array(data)
            headers[.contentType] = "application/dicom"
            headers[.contentDisposition] = "attachment; filename=\"\(found.kind)-\(uid).dcm\""
        }
        headers[.cacheControl] = "private, max-age=60"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func render(_ template: String, title: String, path: String, model: [String: Any], viewer: Viewer,
                       context: ConsoleContext, message: (text: String, ok: Bool)?) -> String {
        let content = ConsoleTemplates.library.render(model, withTemplate: template) ?? ""
        var page: [String: Any] = [
            "title": title, "content": content, "version": AutoSegVersion.current,
            "ae": context.source.config.node.aeTitle, "now": ConsoleFormat.time(Date()),
            "nav": nav.map { ["href": $0.href, "label": $0.label, "current": $0.href == path] },
        ]
        if viewer.showsPatientNames { page["names"] = true }
        if let user = viewer.user { page["user"] = user }
        if let message { page["message"] = ["text": message.text, "kind": message.ok ? "ok" : "bad"] }
        return ConsoleTemplates.library.render(page, withTemplate: "layout") ?? ""
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // No frames (clickjacking of the action buttons), no scripts or styles from elsewhere.
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The outcome of an action, from the redirect's query (`?done=retry&id=3` or `?failed=…`):
    /// fixed sentences, so a crafted link cannot put words on the page.
    static func message(_ request: Request) -> (text: String, ok: Bool)? {
        let q = request.uri.queryParameters
        let id = q.get("id", as: Int64.self).map(String.init) ?? "?"
        let n = q.get("n", as: Int.self) ?? 0
        if let done = q.get("done") {
            switch done {
            case "retry": return ("Job \(id) is queued again.", true)
            case "cancel": return ("Job \(id) is cancelled.", true)
            case "redeliver": return ("Delivery \(id) is due now.", true)
            case "deliver": return ("\(n) deliveries of job \(id) queued, due now.", true)
            default: return nil
            }
        }
        if let failed = q.get("failed") {
            switch failed {
            case "retry": return ("Job \(id) is not failed or refused (or unknown): nothing changed.", false)
            case "cancel": return ("Job \(id) is no longer queued (or unknown): nothing changed.", false)
            case "redeliver": return ("Delivery \(id) is already sent (or unknown): nothing changed.", false)
            case "deliver": return ("Job \(id) has no undelivered result with a configured destination.", false)
            default: return nil
            }
        }
        return nil
    }
}
