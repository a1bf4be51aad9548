import Mustache

/// The console's Mustache templates (server-rendered HTML; `{{x}}` is HTML-escaped, only
/// `{{{content}}}` — a page already rendered from these templates — is not). Kept in Swift so
/// the executable carries them: no resource bundle to install beside it.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in all {
            do { try library.register(text, named: name) } catch { preconditionFailure("console template \(name): \(error)") }
        }
        return library
    }()

    static let all: [String: String] = [
        "layout": layout, "overview": overview, "studies": studies, "jobs": jobs, "deliveries": deliveries,
        "findings": findings, "config": config, "peers": peers,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · AutoSeg</title><link rel="stylesheet" href="/console.css"></head>
        <body><header><a class="brand" href="/">AutoSeg</a>
        <nav>{{#nav}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}</nav>
        <span class="who">{{#user}}signed in as <b>{{user}}</b>{{/user}}{{^user}}<a href="/login">Sign in</a>{{/user}}</span>
        </header><main><h1>{{title}}</h1>
        {{#message}}<p class="msg {{kind}}" role="status">{{text}}</p>{{/message}}
        {{{content}}}</main>
        <footer>AutoSeg {{version}} · AE {{ae}} · {{now}}{{^names}} · patient names hidden: sign in to see them{{/names}}</footer>
        </body></html>
        """

    static let overview = """
        <section class="cards">
        {{#cards}}<div class="card"><div class="label">{{label}}</div><div class="value">{{value}}</div>
        {{#detail}}<div class="detail">{{detail}}</div>{{/detail}}</div>{{/cards}}
        </section>
        <h2>Node</h2><dl class="facts">{{#facts}}<dt>{{k}}</dt><dd>{{v}}</dd>{{/facts}}</dl>
        """

    static let studies = """
        <p class="hint">The {{limit}} series that most recently received an instance, newest first.</p>
        <div class="scroll"><table id="series"><thead><tr><th>Last received</th><th>Patient</th><th>Study</th>
        <th>Series</th><th>Instances</th><th>From</th><th>First received</th></tr></thead><tbody>
        {{#rows}}<tr data-series="{{seriesUID}}"><td class="t">{{last}}</td><td class="patient">{{patient}}</td>
        <td>{{studyDate}} {{studyDescription}}<div class="uid">{{studyUID}}</div></td>
        <td>{{number}} {{modality}} {{description}}<div class="uid">{{seriesUID}}</div></td>
        <td class="num">{{instances}}{{#missing}} <span class="badge failed">{{missing}} missing</span>{{/missing}}</td>
        <td>{{callingAE}}<div class="uid">{{host}}</div></td><td class="t">{{first}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7">Nothing received yet.</td></tr>{{/rows}}
        </tbody></table></div>
        """

    static let jobs = """
        <p class="hint">Newest first. A failed or refused job can be run again (it reads its series from the catalog
        anew); a queued job can be cancelled (it ends failed, and can be retried).</p>
        <div class="scroll"><table id="jobs"><thead><tr><th>Job</th><th>State</th><th>Analyzer</th><th>Series</th>
        <th>From</th><th>Created</th><th>Started</th><th>Finished</th><th>Load / analyze / encode s</th>
        <th>Findings</th><th>Reason</th><th></th></tr></thead><tbody>
        {{#rows}}<tr id="job-{{id}}" data-job="{{id}}" data-state="{{state}}"><td class="num">{{id}}</td>
        <td><span class="badge {{state}}">{{state}}</span>{{#attempts}}<div class="uid">attempt {{attempts}}</div>{{/attempts}}</td>
        <td>{{analyzer}}<div class="uid">{{rule}}</div></td><td><span class="uid" title="{{seriesUID}}">{{seriesShort}}</span>
        <div class="patient">{{patient}}</div></td><td>{{callingAE}}</td><td class="t">{{created}}</td>
        <td class="t">{{started}}</td><td class="t">{{finished}}</td><td class="num">{{stages}}</td><td class="num">{{findings}}</td><td class="reason">{{reason}}</td>
        <td>{{#retry}}<form method="post" action="/jobs/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="retry">Retry</button></form>{{/retry}}
        {{#cancel}}<form method="post" action="/jobs/{{id}}/cancel"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="cancel">Cancel</button></form>{{/cancel}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="12">No job yet.</td></tr>{{/rows}}
        </tbody></table></div>
        """

    static let deliveries = """
        <h2>Undelivered: no destination</h2>
        <p class="hint">Results whose study came from a calling AE with no <code>[[peers]]</code> entry (and no peer has
        <code>send_all</code>): they wait in the outbox. Add the peer and reload or restart, then deliver them.</p>
        <div class="scroll"><table id="undelivered"><thead><tr><th>Job</th><th>Calling AE</th><th>Objects</th>
        <th>Made</th><th>Reason</th><th></th></tr></thead><tbody>
        {{#undelivered}}<tr data-job="{{job}}"><td class="num">{{job}}</td><td>{{callingAE}}</td><td>{{objects}}</td>
        <td class="t">{{created}}</td><td class="reason">{{reason}}</td><td>{{#deliverable}}<form method="post"
        action="/jobs/{{job}}/deliver"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Deliver now</button></form>{{/deliverable}}</td></tr>{{/undelivered}}
        {{^undelivered}}<tr><td colspan="6">None.</td></tr>{{/undelivered}}
        </tbody></table></div>
        <h2>Deliveries</h2>
        <div class="scroll"><table id="deliveries"><thead><tr><th>#</th><th>State</th><th>Object</th><th>Peer</th>
        <th>Attempts</th><th>Next attempt / sent</th><th>Last status</th><th>Last error</th><th></th></tr></thead><tbody>
        {{#rows}}<tr data-delivery="{{id}}" data-state="{{state}}"><td class="num">{{id}}</td>
        <td><span class="badge {{state}}">{{state}}</span></td><td>{{kind}}<div class="uid" title="{{resultUID}}">{{resultShort}}</div></td>
        <td>{{peer}}</td><td class="num">{{attempts}}</td><td class="t">{{when}}</td><td>{{status}}</td>
        <td class="reason">{{error}}</td><td>{{#redeliver}}<form method="post" action="/deliveries/{{id}}/redeliver">
        <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Re-deliver now</button></form>{{/redeliver}}
        </td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="9">No delivery yet.</td></tr>{{/rows}}
        </tbody></table></div>
        """

    static let findings = """
        <p class="hint">Newest first. The key image is the source slice through the finding with its outline, as sent
        to the PACS; SEG and SR are the DICOM objects to download.</p>
        <section class="findings">
        {{#rows}}<article class="finding" data-job="{{job}}" data-number="{{number}}">
        {{#thumbnail}}<a href="{{thumbnail}}"><img src="{{thumbnail}}" alt="key image of finding {{number}}" width="192"
        height="192" loading="lazy"></a>{{/thumbnail}}{{^thumbnail}}<div class="noimage">no key image</div>{{/thumbnail}}
        <div class="body"><h3>{{analyzer}} #{{number}}: {{kind}}</h3>
        <div class="patient">{{patient}}</div>
        <dl>{{#facts}}<dt>{{k}}</dt><dd>{{v}}</dd>{{/facts}}</dl>
        <p class="links">{{#downloads}}<a href="{{href}}" download>{{label}}</a> {{/downloads}}
        {{#signIn}}<a href="/login">sign in</a> for SEG / SR {{/signIn}}
        <a href="/jobs#job-{{job}}">job {{job}}</a></p></div></article>{{/rows}}
        {{^rows}}<p>No finding yet.</p>{{/rows}}
        </section>
        """

    static let config = """
        <p class="hint">The configuration in effect{{#source}}, read from <code>{{source}}</code>{{/source}}{{^source}}
        (built-in defaults: no file){{/source}}, with environment overrides applied. Secrets are not shown.
        <code>[[rules]]</code> and <code>[[peers]]</code> are those in force now (reloaded by SIGHUP or here);
        the other sections are the start's.</p>
        {{#reload}}<p class="msg {{kind}}" id="reload-result">{{text}}</p>{{/reload}}
        <form method="post" action="/config/reload"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Reload rules and peers</button></form>
        {{#sections}}<h2>{{name}}</h2><pre class="toml">{{text}}</pre>{{/sections}}
        """

    static let peers = """
        <p class="hint">The <code>[[peers]]</code> of the configuration: results go back to the peer a study came from
        (and to every <code>send_all</code> peer). Echo sends a C-ECHO from AE {{ae}}.</p>
        {{#echo}}<p class="msg {{kind}}" id="echo-result">{{text}}</p>{{/echo}}
        <div class="scroll"><table id="peers"><thead><tr><th>AE title</th><th>Host</th><th>Port</th><th>send_all</th>
        <th>TLS</th><th></th></tr></thead><tbody>
        {{#rows}}<tr><td>{{ae}}</td><td>{{host}}</td><td class="num">{{port}}</td><td>{{sendAll}}</td><td>{{tls}}</td>
        <td><form method="post" action="/peers/{{index}}/echo"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Echo</button></form></td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">No peer configured.</td></tr>{{/rows}}
        </tbody></table></div>
        """
}
