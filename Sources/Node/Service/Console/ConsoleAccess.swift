import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Who is looking at the console, and what they may see.
struct Viewer: Sendable {
    /// The signed-in user (nil: anonymous, only on a loopback bind).
    var user: String?
    /// Patient names are shown: a signed-in user, or `http.loopback_patient_names`.
    var showsPatientNames: Bool
    /// The CSRF token every form of this viewer carries.
    var csrf: String
}

/// The console's access policy (issue 16): on a loopback bind anyone on the machine may look
/// without a login (as anyone there can read the catalog file), but only a signed-in user sees
/// patient names unless `http.loopback_patient_names` says otherwise; bound elsewhere every
/// request needs HTTP basic authentication (or a bearer token) whose secret matches
/// `http.password_hash`. The bind decides, not the caller's address: behind a reverse proxy on
/// the same host every request would look local.
///
/// Actions are POSTs that carry a CSRF token (HMAC-SHA256 of the user under a key made at
/// start, so pages of an earlier run stop working) and, when the browser sends one, an Origin
/// equal to the Host the page was served from.
final class ConsoleAccess: Sendable {
    let user: String
    let hash: PasswordHash
    let loopbackBind: Bool
    let loopbackPatientNames: Bool
    private let key = SymmetricKey(size: .bits256)
    /// SHA-256 of Authorization values already verified: bcrypt is slow on purpose, and a
    /// browser sends the header with every request.
    private let verified = Mutex<Set<Data>>([])

    init(http: HTTPSection) {
        user = http.user
        hash = PasswordHash(configValue: http.passwordHash) ?? .sha256([])
        loopbackBind = Self.isLoopback(http.host)
        loopbackPatientNames = http.loopbackPatientNames
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static let realm = "Basic realm=\"AutoSeg console\", charset=\"UTF-8\""

    /// The viewer of `request`, or the response that refuses it (401 asking for credentials,
    /// 403 when no password is configured on a non-loopback bind).
    func viewer(_ request: Request, forceLogin: Bool = false) -> Result<Viewer, Refusal> {
        // Without a password there is nobody to sign in as: credentials are ignored.
        if hash.isSet, let header = request.headers[.authorization] {
            guard let name = authenticate(header) else {
                return .failure(Refusal(status: .unauthorized, message: "wrong user name or password"))
            }
            return .success(Viewer(user: name, showsPatientNames: true, csrf: csrfToken(for: name)))
        }
        if !hash.isSet && (forceLogin || !loopbackBind) {
            return .failure(Refusal(status: .forbidden, message: loopbackBind
                ? "no login is configured: set http.password_hash (see the README, Web console)"
                : "the console is bound to a non-loopback address and needs http.password_hash (see the README, Web console)"))
        }
        if forceLogin || !loopbackBind {
            return .failure(Refusal(status: .unauthorized, message: "sign in to use the AutoSeg console"))
        }
        return .success(Viewer(user: nil, showsPatientNames: loopbackPatientNames, csrf: csrfToken(for: nil)))
    }

    /// The user name when `header` (Basic user:password, or Bearer secret) matches.
    private func authenticate(_ header: String) -> String? {
        let fingerprint = Data(SHA256.hash(data: Data(header.utf8)))
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased(), value = String(parts[1]).trimmingCharacters(in: .whitespaces)
        var name = user, secret = value
        if scheme == "basic" {
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else { return nil }
            name = String(text[..<colon])
            secret = String(text[text.index(after: colon)...])
            guard name == user else { return nil }
        } else if scheme != "bearer" {
            return nil
        }
        if verified.withLock({ $0.contains(fingerprint) }) { return name }
        guard hash.matches(secret) else { return nil }
        verified.withLock {
            if $0.count >= 64 { $0.removeAll() }  // a few browsers and scripts; never grows unbounded
            $0.insert(fingerprint)
        }
        return name
    }

    func csrfToken(for user: String?) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("csrf:\(user ?? "")".utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks an action: the form's token is this viewer's, and a browser's Origin (or, when
    /// it sends none, its Sec-Fetch-Site) says the form came from this console.
    func checkAction(_ request: Request, viewer: Viewer, token: String?) -> Refusal? {
        guard let token, constantTimeEqual(token, viewer.csrf) else {
            return Refusal(status: .forbidden, message: "the form's security token is missing or stale: reload the page")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard origin == "http://\(host)" || origin == "https://\(host)" else {
                return Refusal(status: .forbidden, message: "cross-origin request refused (Origin \(origin))")
            }
        } else if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return Refusal(status: .forbidden, message: "cross-site request refused")
        }
        return nil
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for (p, q) in zip(x, y) { diff |= p ^ q }
        return diff == 0
    }
}

/// A request the console refuses, as an HTML page (with a basic-auth challenge for 401).
struct Refusal: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = ConsoleAccess.realm }
        let body = "<!doctype html><title>AutoSeg</title><h1>\(status.code) \(ConsoleHTML.escape(status.reasonPhrase))</h1>"
            + "<p>\(ConsoleHTML.escape(message))</p>"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
