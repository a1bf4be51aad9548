"""The web console (issue 16) in a real browser: Debian's chromium, headless, driven through the
DevTools protocol (browser.py) and `--dump-dom`. One node serves every test of the module
(a phantom liver study analysed once); a second, tiny node checks a non-loopback bind.

Screenshots of the main pages are checked for content; with CONSOLE_SCREENSHOTS=1 they
are also written to docs/console-*.png (how the committed ones were made).
"""
from __future__ import annotations

import base64
import copy
import time
import hashlib
import io
import os
import urllib.error
import urllib.request

import numpy as np
import pydicom
import pytest
from PIL import Image

from browser import Browser, dump_dom, head, post, status_of
from conftest import REPO, Node, free_port, run_autoseg, run_storescu, wait_until
from pipeline_helpers import RULES, StoreSCP, derived_series, files_of

USER = "admin"
# A long random token, stored in the config as its SHA-256 (README: Web console).
TOKEN = "c0nsole-test-9f2b7d41e6a35c80"
AUTH = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
SAVE_SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS") == "1"


def http_config(port: int, host: str = "127.0.0.1", password: str | None = TOKEN) -> dict:
    c = {"port": port, "host": host, "user": USER}
    if password:
        c["password_hash"] = "sha256:" + hashlib.sha256(password.encode()).hexdigest()
    return c


@pytest.fixture(scope="module")
def env(autoseg_bin, tmp_path_factory):
    """A node with a PACS peer and the liver rule; one phantom liver study sent and analysed."""
    root = tmp_path_factory.mktemp("console")
    phantom = root / "phantom"
    res = run_autoseg(autoseg_bin, "phantom", "liver", "--out", str(phantom), "--seed", "3", "--size", "128",
                      timeout=300)
    assert res.returncode == 0, res.stderr
    pacs = StoreSCP(root)
    node = Node(autoseg_bin, root / "node", "node",
                config={"pipeline": {"stable_seconds": 1, "retry_max_seconds": 60},
                        "http": http_config(free_port())})
    # DOWN: a configured peer where nothing listens (no study comes from it), for the echo page.
    node.config["peers"] = [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port},
                            {"ae_title": "DOWN", "host": "127.0.0.1", "port": free_port()}]
    node.config["rules"] = RULES
    node.start()
    browser = Browser(root)
    try:
        source = sorted(phantom.rglob("*.dcm"))
        assert source, list(phantom.iterdir())
        res = run_storescu(node.port, source, calling="PACS")
        assert res.returncode == 0, res.stdout + res.stderr
        first = pydicom.dcmread(source[0], stop_before_pixels=True)
        assert wait_until(lambda: done_jobs(node) >= 1, 180, 0.2), node.log_tail()
        yield {"node": node, "pacs": pacs, "browser": browser, "root": root, "source": source, "first": first,
               "url": f"http://127.0.0.1:{node.config['http']['port']}"}
    finally:
        browser.close()
        node.stop()
        pacs.stop()


def done_jobs(node) -> int:
    return node.catalog().count("jobs", "state = 'done'")


def patient_name(ds) -> str:
    return str(ds.PatientName).replace("^", " ").strip()


def signed_in(browser: Browser, yes: bool):
    browser.headers({"Authorization": AUTH} if yes else {})


def check_screenshot(png: bytes, name: str, min_size=(1000, 600)):
    """The screenshot decodes, has the page's size, and is not blank: a page of text and
    tables has many grey levels and a spread of values."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert img.shape[1] >= min_size[0] and img.shape[0] >= min_size[1], img.shape
    assert img.std() > 10 and len(np.unique(img)) > 16, (name, img.std())
    if SAVE_SCREENSHOTS:
        out = REPO / "docs" / f"console-{name}.png"
        # Palette PNG: a few tens of kilobytes for a page of text.
        Image.open(io.BytesIO(png)).convert("RGB").quantize(64).save(out, optimize=True)


def test_study_job_and_findings_with_thumbnail(env):
    """The study sent with storescu is listed with its series, the job is done with stage times,
    and each finding shows a key image (a real PNG with the outline) and SEG/SR links."""
    b, node, first = env["browser"], env["node"], env["first"]
    signed_in(b, True)
    page = b.open(env["url"] + "/studies")
    assert first.SeriesInstanceUID in page["html"], page["text"][:2000]
    row = b.eval(f"document.querySelector('tr[data-series=\"{first.SeriesInstanceUID}\"]').innerText")
    assert "PACS" in row and str(len(env["source"])) in row, row
    check_screenshot(b.screenshot(), "studies")

    page = b.open(env["url"] + "/jobs")
    job = node.catalog().query("SELECT * FROM jobs WHERE state = 'done' ORDER BY id LIMIT 1")[0]
    state = b.eval(f"document.querySelector('tr[data-job=\"{job['id']}\"]').dataset.state")
    assert state == "done"
    row = b.eval(f"document.querySelector('tr[data-job=\"{job['id']}\"]').innerText")
    assert "liver" in row and " / " in row, row  # load / analyze / encode seconds

    n_findings = node.catalog().count("findings")
    assert n_findings > 0, "the liver phantom has lesions"
    page = b.open(env["url"] + "/findings")
    cards = b.eval("document.querySelectorAll('article.finding').length")
    assert cards == n_findings
    images = b.eval("[...document.querySelectorAll('article.finding img')]"
                    ".map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(images) == n_findings, images
    assert wait_until(lambda: all(b.eval(f"document.querySelector('img[src=\"{src}\"]').complete")
                                  for src, *_ in images), 20)
    sizes = b.eval("[...document.querySelectorAll('article.finding img')].map(i => i.naturalWidth)")
    assert all(w > 0 for w in sizes), sizes  # the browser decoded every thumbnail
    png = fetch(env["url"] + images[0][0], auth=True)
    thumb = np.asarray(Image.open(io.BytesIO(png)))
    assert thumb.ndim == 2 and min(thumb.shape) >= 64
    assert (thumb == 255).sum() > 8, "the outline (value 255) survives the thumbnail"
    assert thumb.std() > 10, "an image, not a blank square"
    links = b.eval("[...document.querySelectorAll('article.finding .links a[download]')].map(a => a.textContent)")
    assert "SEG" in links and "SR" in links, links
    seg_href = b.eval("document.querySelector('article.finding .links a[download]').getAttribute('href')")
    seg = pydicom.dcmread(io.BytesIO(fetch(env["url"] + seg_href, auth=True)))
    assert seg.StudyInstanceUID == first.StudyInstanceUID
    check_screenshot(b.screenshot(), "findings")


def test_overview_deliveries_config_and_tablet(env, tmp_path):
    b = env["browser"]
    signed_in(b, True)
    assert wait_until(lambda: env["node"].catalog().count("deliveries", "state != 'sent'") == 0, 60)
    page = b.open(env["url"] + "/")
    for word in ("Uptime", "Free in data_dir", "Version", "Studies", "Findings"):
        assert word in page["text"], word
    check_screenshot(b.screenshot(), "overview")
    # A study from a caller with no [[peers]] entry: its results wait, listed with the reason.
    nopeer = tmp_path / "nopeer"
    derived_series(env["source"][0].parent, nopeer, len(env["source"]))
    res = run_storescu(env["node"].port, files_of(nopeer), calling="CT9")
    assert res.returncode == 0, res.stdout + res.stderr
    assert wait_until(lambda: done_jobs(env["node"]) >= 2, 120, 0.2), env["node"].log_tail()
    page = b.open(env["url"] + "/deliveries")
    assert b.eval("document.querySelectorAll('#deliveries tr[data-state=\"sent\"]').length") > 0
    row = b.eval("document.querySelector('#undelivered tr[data-job]').innerText")
    assert "CT9" in row and "no [[peers]] entry for calling AE CT9" in row and "SEG" in row, row
    check_screenshot(b.screenshot(), "deliveries")
    waiting = env["node"].catalog().count(
        "results", "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.result_uid = results.sop_instance_uid)")
    assert waiting > 0 and f"{waiting} undelivered (no peer)" in b.open(env["url"] + "/")["text"]
    page = b.open(env["url"] + "/config")
    assert str(env["node"].config_path) in page["text"]
    assert hashlib.sha256(TOKEN.encode()).hexdigest() not in page["html"], "no secret on the page"
    assert "password_hash = (set)" in page["text"]
    check_screenshot(b.screenshot(), "config")
    # A tablet in portrait: the page does not scroll sideways (wide tables scroll in their box).
    b.viewport(800, 1100)
    try:
        for path in ("/", "/jobs", "/findings", "/deliveries"):
            b.open(env["url"] + path)
            assert b.eval("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
            if path == "/findings":
                check_screenshot(b.screenshot(), "tablet", min_size=(800, 1000))
    finally:
        b.viewport(1280, 900)


def test_failed_job_is_retried_from_the_page(env, tmp_path):
    """A series with one slice of another size fails to load; once the file is repaired in
    the spool (same instance, same path), Retry on the jobs page runs it again and it is done."""
    node, b = env["node"], env["browser"]
    src = env["source"][0].parent
    originals = {}

    def shrink(i, ds):
        if i == 3:
            originals["uid"] = ds.SOPInstanceUID
            originals["ds"] = copy.deepcopy(ds)
            arr = ds.pixel_array[:64, :64].copy()
            ds.Rows, ds.Columns = arr.shape
            ds.PixelData = arr.tobytes()
    mixed = tmp_path / "mixed"
    series = derived_series(src, mixed, len(files_of(src)), shrink)
    res = run_storescu(node.port, files_of(mixed), calling="PACS")
    assert res.returncode == 0, res.stdout + res.stderr
    catalog = node.catalog()

    def job():
        rows = catalog.query("SELECT * FROM jobs WHERE series_uid = ? ORDER BY id DESC", (series,))
        return rows[0] if rows else None
    assert wait_until(lambda: job() and job()["state"] == "failed", 120, 0.2), (job(), node.log_tail())
    failed = job()
    signed_in(b, True)
    b.open(env["url"] + "/jobs")
    row = b.eval(f"document.querySelector('tr[data-job=\"{failed['id']}\"]').innerText")
    assert "failed" in row and "cannot load" in row, row
    check_screenshot(b.screenshot(), "jobs")

    # Repair the spool file in place, as an operator restoring the right file would.
    spool = catalog.query("SELECT file_path FROM instances WHERE sop_instance_uid = ?", (originals["uid"],))[0]
    originals["ds"].save_as(node.data_dir / spool["file_path"])
    page = b.click(f"tr[data-job=\"{failed['id']}\"] button.retry")
    assert "/jobs" in page["url"] and f"Job {failed['id']} is queued again." in page["text"], page["text"][:500]
    assert wait_until(lambda: job()["state"] in ("done", "failed"), 120, 0.2), (job(), node.log_tail())
    assert job()["state"] == "done", job()
    assert job()["id"] == failed["id"] and job()["attempts"] == 2
    b.open(env["url"] + "/jobs")
    assert b.eval(f"document.querySelector('tr[data-job=\"{failed['id']}\"]').dataset.state") == "done"


def test_no_patient_name_without_login(env):
    """Anonymous on loopback: pages load, patient names do not appear (DOM through --dump-dom
    and the DevTools protocol); signed in, they do."""
    name = patient_name(env["first"])
    assert name
    b = env["browser"]
    signed_in(b, False)
    for path in ("/studies", "/jobs", "/findings"):
        page = b.open(env["url"] + path)
        assert name not in page["html"] and str(env["first"].PatientName) not in page["html"], path
        assert "(name hidden)" in page["text"], path
    # The DICOM objects carry the name: no download link, and the download itself is refused.
    assert b.eval("document.querySelectorAll('a[download]').length") == 0
    seg = env["node"].catalog().query("SELECT sop_instance_uid FROM results WHERE kind = 'seg' LIMIT 1")[0]
    assert head(env["url"] + f"/results/{seg['sop_instance_uid']}.dcm")[0] == 401
    dom = dump_dom(env["url"] + "/studies", env["root"])
    assert env["first"].SeriesInstanceUID in dom and name not in dom
    signed_in(b, True)
    page = b.open(env["url"] + "/studies")
    assert name in page["text"] and "signed in as" in page["text"]


def test_actions_need_token_and_same_origin(env):
    """A POST without the page's CSRF token, or from another origin, or (a password being
    configured) from an anonymous user, changes nothing."""
    node = env["node"]
    job = node.catalog().query("SELECT id FROM jobs ORDER BY id LIMIT 1")[0]["id"]
    status, body = post(env["url"] + f"/jobs/{job}/retry", b"csrf=forged")
    assert status == 403 and "token" in body
    b = env["browser"]
    signed_in(b, False)
    b.open(env["url"] + "/peers")  # every peer row has a form
    token = b.eval("document.querySelector('input[name=csrf]') && document.querySelector('input[name=csrf]').value")
    assert token
    status, body = post(env["url"] + f"/jobs/{job}/retry", f"csrf={token}".encode(),
                        headers={"Origin": "http://evil.example"})
    assert status == 403 and "cross-origin" in body
    # The right token and origin, but anonymous: with a password configured, acting needs sign-in.
    status, body = post(env["url"] + f"/jobs/{job}/retry", f"csrf={token}".encode(),
                        headers={"Origin": env["url"]})
    assert status == 401 and "sign in" in body


def test_echo_a_peer_from_the_page(env):
    b = env["browser"]
    signed_in(b, True)
    b.open(env["url"] + "/peers")
    page = b.click("#peers button")
    assert "C-ECHO PACS@127.0.0.1" in page["text"] and "success" in page["text"], page["text"][:800]
    check_screenshot(b.screenshot(), "peers")
    page = b.click("#peers tr:nth-child(2) button")
    echo = b.eval("document.getElementById('echo-result').innerText")
    assert echo.startswith("C-ECHO DOWN@127.0.0.1") and "failed" in echo, echo


def test_redeliver_now_from_the_page(env, tmp_path):
    """The PACS is down: a new study's deliveries back off (1, 2, 4, 8 s…) with the error shown;
    the PACS comes back; Re-deliver now sends one at once instead of at its next attempt."""
    node, b, pacs = env["node"], env["browser"], env["pacs"]
    catalog = node.catalog()
    pacs.stop()
    try:
        later = tmp_path / "later"
        series = derived_series(env["source"][0].parent, later, len(env["source"]))
        res = run_storescu(node.port, files_of(later), calling="PACS")
        assert res.returncode == 0, res.stdout + res.stderr

        def waiting():
            return catalog.query("""
                SELECT d.* FROM deliveries d JOIN results r ON r.sop_instance_uid = d.result_uid
                JOIN jobs j ON j.id = r.job_ref WHERE j.series_uid = ? AND d.state = 'pending'
                ORDER BY d.next_attempt_at DESC""", (series,))
        # Four failures: the next attempt is 8 s away.
        assert wait_until(lambda: waiting() and waiting()[0]["attempts"] >= 4, 120, 0.2), (waiting(), node.log_tail())
    finally:
        pacs.start()
    target = waiting()[0]
    signed_in(b, True)
    b.open(env["url"] + "/deliveries")
    row = b.eval(f"document.querySelector('tr[data-delivery=\"{target['id']}\"]').innerText")
    assert "retrying" in row and target["last_error"][:20] in row, row
    # Still backing off for more than 4 s when clicked; sent within 3 s of the click: the click did it.
    assert target["next_attempt_at"] - time.time() > 4, target
    page = b.click(f"tr[data-delivery=\"{target['id']}\"] button")
    assert f"Delivery {target['id']} is due now." in page["text"], page["text"][:500]
    sent = lambda: catalog.query("SELECT state FROM deliveries WHERE id = ?", (target["id"],))[0]["state"] == "sent"
    assert wait_until(sent, 3, 0.1), catalog.query("SELECT * FROM deliveries WHERE id = ?", (target["id"],))


def test_non_loopback_bind_requires_authentication(autoseg_bin, tmp_path):
    """Bound to every interface the console refuses anonymous requests (401 with a basic-auth
    challenge) and wrong passwords; the right one is let in. Without a password it refuses all."""
    port = free_port()
    node = Node(autoseg_bin, tmp_path / "open", "open", config={"http": http_config(port, host="0.0.0.0")})
    node.start()
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: status_of(url + "/health") == 200, 20)
        for path in ("/", "/studies", "/findings", "/jobs"):
            code, headers = head(url + path)
            assert code == 401 and headers.get("WWW-Authenticate", "").startswith("Basic"), (path, code)
        assert head(url + "/", auth="Basic " + base64.b64encode(f"{USER}:wrong".encode()).decode())[0] == 401
        assert head(url + "/", auth="Bearer " + TOKEN)[0] == 200
        b = Browser(tmp_path)
        try:
            page = b.open(url + "/studies")
            assert page["status"] == 401 and "Studies and series received" not in page["html"], page
            b.headers({"Authorization": AUTH})
            page = b.open(url + "/")
            assert page["status"] == 200 and "Uptime" in page["text"], page
        finally:
            b.close()
    finally:
        node.stop()
    node.config["http"] = http_config(port, host="0.0.0.0", password=None)
    node.start()
    try:
        assert wait_until(lambda: status_of(f"http://127.0.0.1:{port}/health") == 200, 20)
        assert head(f"http://127.0.0.1:{port}/")[0] == 403
    finally:
        node.stop()


# ----------------------------------------------------------------------------- plain HTTP

def test_reload_rules_and_peers_from_the_page(env):
    """Item 4: the console's reload puts a peer added to the file in force, without a restart;
    a broken file changes nothing and the page says why."""
    node, b = env["node"], env["browser"]
    signed_in(b, True)
    good = node.config_path.read_text()
    node.config_path.write_text(good + "\n[[peers]]\nae_title = \"BROKEN\"\n")
    b.open(env["url"] + "/config")
    b.click("form[action='/config/reload'] button")
    text = b.eval("document.getElementById('reload-result').innerText")
    assert "reload failed" in text and "the running configuration stays" in text, text
    node.config["peers"] = node.config["peers"] + [{"ae_title": "LATER", "host": "127.0.0.1", "port": free_port()}]
    node.write_config()
    b.open(env["url"] + "/config")
    b.click("form[action='/config/reload'] button")
    text = b.eval("document.getElementById('reload-result').innerText")
    assert "configuration reloaded" in text and "3 peer(s) (were 2)" in text, text
    page = b.open(env["url"] + "/peers")
    assert "LATER" in page["text"], page["text"][:800]
    assert node.running


def fetch(url: str, auth: bool = False) -> bytes:
    req = urllib.request.Request(url, headers={"Authorization": AUTH} if auth else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()
