import Catalog
import Foundation
import Hummingbird
import Logging

/// The console's actions: POSTs from its forms, each checked (viewer, CSRF token, Origin),
/// logged with the user, applied to the catalog in one statement, then answered with a
/// redirect back to the page (303: a reload does not repeat the action) that says what happened.
enum ConsoleActions {
    static func register(on router: Router<BasicRequestContext>, context: ConsoleContext, logger: Logger) {
        action(router, "/jobs/:id/retry", context, logger, page: "/jobs", name: "retry") { id in
            try context.writer.retryJob(id) ? 1 : 0
        }
        action(router, "/jobs/:id/cancel", context, logger, page: "/jobs", name: "cancel") { id in
            try context.writer.cancelJob(id) ? 1 : 0
        }
        action(router, "/deliveries/:id/redeliver", context, logger, page: "/deliveries", name: "redeliver") { id in
            try context.writer.redeliverNow(id) ? 1 : 0
        }
        action(router, "/jobs/:id/deliver", context, logger, page: "/deliveries", name: "deliver") { id in
            let results = try context.source.catalog.undeliveredResults(limit: 100_000, jobID: id)
            guard let ae = results.first?.callingAE else { return 0 }
            let destinations = ConsoleContext.destinations(callingAE: ae, peers: context.source.peers)
            return try context.writer.deliverUndelivered(resultUIDs: results.map(\.sopInstanceUID), to: destinations)
        }
        router.post("/config/reload") { request, _ -> Response in
            let (viewer, refusal) = await check(request, context)
            guard let viewer else { return refusal!.response() }
            let outcome = context.source.reload()
            logger.notice("console action", metadata: [
                "http.action": "reload", "http.user": "\(viewer.user ?? "-")", "console.result": "\(outcome.message)",
            ])
            var model = ConsolePages(context: context, viewer: viewer).configuration()
            model["reload"] = ["text": outcome.message, "kind": outcome.applied ? "ok" : "bad"]
            return ConsoleRoutes.html(ConsoleRoutes.render("config", title: "Configuration", path: "/config", model: model,
                                                           viewer: viewer, context: context, message: nil))
        }
        router.post("/peers/:id/echo") { request, ctx -> Response in
            let (viewer, refusal) = await check(request, context)
            guard let viewer else { return refusal!.response() }
            let index = ctx.parameters.get("id", as: Int.self) ?? -1
            let result = await context.echo(peer: index)
            logger.notice("console action", metadata: [
                "http.action": "echo", "http.user": "\(viewer.user ?? "-")", "console.peer": "\(index)",
                "console.result": "\(result.text)",
            ])
            let model = ConsolePages(context: context, viewer: viewer).peers(echo: result)
            return ConsoleRoutes.html(ConsoleRoutes.render("peers", title: "Peers", path: "/peers", model: model,
                                                           viewer: viewer, context: context, message: nil))
        }
    }

    /// One action on the object with id `:id`; `apply` returns how many rows it changed.
    private static func action(_ router: Router<BasicRequestContext>, _ path: String, _ context: ConsoleContext,
                               _ logger: Logger, page: String, name: String,
                               apply: @escaping @Sendable (Int64) throws -> Int) {
        router.post(RouterPath(path)) { request, ctx -> Response in
            let (viewer, refusal) = await check(request, context)
            guard let viewer else { return refusal!.response() }
            guard let id = ctx.parameters.get("id", as: Int64.self) else {
                return Refusal(status: .badRequest, message: "bad id").response()
            }
            let changed: Int
            do { changed = try apply(id) } catch {
                logger.error("console action failed", metadata: ["http.action": "\(name)", "error": "\(error)"])
                return Refusal(status: .internalServerError, message: "\(error)").response()
            }
            logger.notice("console action", metadata: [
                "http.action": "\(name)", "http.user": "\(viewer.user ?? "-")", "console.id": "\(id)",
                "console.changed": "\(changed)",
            ])
            if changed > 0 { context.source.wake() }
            let outcome = changed > 0 ? "done=\(name)" : "failed=\(name)"
            return .redirect(to: "\(page)?\(outcome)&id=\(id)&n=\(changed)", type: .normal)
        }
    }

    /// The viewer of an action, or why it is refused (not signed in, bad token, other origin).
    private static func check(_ request: Request, _ context: ConsoleContext) async -> (Viewer?, Refusal?) {
        let viewer: Viewer
        switch context.access.viewer(request) {
        case .success(let v): viewer = v
        case .failure(let refusal): return (nil, refusal)
        }
        var request = request
        guard let body = try? await request.collectBody(upTo: 16_384) else {
            return (nil, Refusal(status: .contentTooLarge, message: "form too large"))
        }
        let token = form(String(buffer: body))["csrf"]
        if let refusal = context.access.checkAction(request, viewer: viewer, token: token) { return (nil, refusal) }
        // With a password configured, looking is open on loopback but acting is not.
        if viewer.user == nil && context.access.hash.isSet {
            return (nil, Refusal(status: .unauthorized, message: "sign in to act: actions need the console's user"))
        }
        return (viewer, nil)
    }

    /// `application/x-www-form-urlencoded` fields (the last of a repeated name wins).
    static func form(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = kv.first { fields[key] = kv.count > 1 ? kv[1] : "" }
        }
        return fields
    }
}
