/// The console's one stylesheet: system fonts, tables that scroll sideways inside their box on
/// a narrow screen, cards that wrap, navigation that wraps on a tablet.
enum ConsoleStyle {
    static let css = """
        :root{--fg:#1d2430;--muted:#5b6576;--line:#d8dde5;--bg:#f6f7f9;--accent:#1f5fbf;
          --ok:#1e7a3c;--warn:#9a6200;--bad:#b3261e;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        *{box-sizing:border-box}body{margin:0;color:var(--fg);background:var(--bg);font-size:15px;line-height:1.4}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;padding:.6rem 1.25rem;background:#142033;color:#fff}
        header a{color:#dfe7f5;text-decoration:none}.brand{font-weight:700;font-size:1.15rem;color:#fff}
        nav{display:flex;flex-wrap:wrap;gap:.25rem}nav a{padding:.35rem .7rem;border-radius:4px}
        nav a[aria-current=page],nav a:hover{background:#2c4266;color:#fff}.who{margin-left:auto;font-size:.9rem}
        main{padding:1rem 1.25rem;max-width:1400px;margin:0 auto}h1{font-size:1.4rem;margin:.3rem 0 1rem}
        h2{font-size:1.1rem;margin:1.5rem 0 .5rem}.hint{color:var(--muted);margin:.2rem 0 .8rem}
        .scroll{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
        table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{padding:.45rem .6rem;text-align:left;
          vertical-align:top;border-bottom:1px solid var(--line)}th{background:#eef1f5;font-weight:600;white-space:nowrap}
        td.num{text-align:right;white-space:nowrap}.uid{color:var(--muted);font-size:.75rem;word-break:break-all}
        .reason{max-width:28rem;overflow-wrap:anywhere}td.t{white-space:pre-line;font-variant-numeric:tabular-nums}.patient{font-weight:600}
        .badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;background:#e3e7ee}
        .badge.done,.badge.sent{background:#d9f0e0;color:var(--ok)}.badge.failed,.badge.refused{background:#f8dcd9;color:var(--bad)}
        .badge.queued,.badge.running,.badge.pending,.badge.retrying{background:#fdf0d5;color:var(--warn)}
        button{font:inherit;padding:.3rem .8rem;border:1px solid var(--accent);background:#fff;color:var(--accent);
          border-radius:4px;cursor:pointer;min-height:2rem}button:hover{background:var(--accent);color:#fff}
        form{display:inline;margin:0}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.8rem}
        .card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem}
        .card .label{color:var(--muted);font-size:.85rem}.card .value{font-size:1.5rem;font-weight:600}
        .card .detail{color:var(--muted);font-size:.8rem}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#fff;
          border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem}dt{color:var(--muted)}dd{margin:0}
        .findings{display:grid;grid-template-columns:repeat(auto-fill,minmax(26rem,1fr));gap:.8rem}
        .finding{display:flex;gap:.8rem;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.7rem}
        .finding img,.noimage{width:192px;height:192px;flex:none;background:#000;border-radius:4px;image-rendering:auto}
        .noimage{display:flex;align-items:center;justify-content:center;color:#aaa;font-size:.8rem}
        .finding h3{margin:0 0 .3rem;font-size:1rem}.finding dl{display:grid;grid-template-columns:max-content 1fr;
          gap:.1rem .6rem;margin:.3rem 0;font-size:.85rem}.finding dd{word-break:break-all;min-width:0}
        .finding .body{min-width:0}.links a{margin-right:.6rem}
        .msg{padding:.5rem .8rem;border-radius:4px;background:#e3ecfa}.msg.ok{background:#d9f0e0}.msg.bad{background:#f8dcd9}
        pre.toml{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem;overflow-x:auto}
        footer{color:var(--muted);font-size:.8rem;padding:1rem 1.25rem}
        @media (max-width:900px){body{font-size:14px}main{padding:.8rem}.findings{grid-template-columns:1fr}
          .finding img,.noimage{width:128px;height:128px}}
        """
}
