"""The site in headless Chromium: a coordinator's click path, printing, phones, safety, validity, accessibility."""
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import DEMO_NOW, REPO, make_workspace, nk

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOOLS = Path(__file__).parent / "tools" / "node_modules"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (bash .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = tmp_path_factory.mktemp("demo")
    for name in ("playbook.yaml",):
        shutil.copy(REPO / name, ws / name)
    shutil.copytree(REPO / "partners", ws / "partners")
    r = nk("--now", DEMO_NOW, "build", cwd=ws)
    assert r.code == 0, r.err
    return ws / "site"


def open_page(browser, path: Path, width=1200):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(path.resolve().as_uri())
    page.requests = requests
    return page


def test_coordinator_click_path(browser, site, tmp_path):
    page = open_page(browser, site / "index.html")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert page.locator("h1").inner_text() == "This week"
    # a due play, its partner, then its draft
    group = page.locator("section.group", has_text="Resource Email")
    group.get_by_role("link", name="Dr. Elena Ruiz").click()
    assert page.locator("h1").inner_text().startswith("Dr. Elena Ruiz")
    page.locator("ol.timeline li.current").get_by_role("link", name="Draft").click()
    assert page.locator("h1").inner_text() == "Resource Email for Dr. Elena Ruiz"
    body = page.locator("#body").inner_text()
    href = page.get_by_role("link", name="Open in email app").get_attribute("href")
    query = dict(part.split("=", 1) for part in href.split("?", 1)[1].split("&"))
    assert unquote(query["body"]).replace("\r\n", "\n").strip() == body.strip()
    assert href.startswith("mailto:eruiz@brightpath-eval.example?")
    # with JavaScript the copy button shows; the page never asked the network for anything
    assert page.get_by_role("button", name="Copy the text").is_visible()
    assert all(u.startswith("file://") for u in page.requests), page.requests


def test_pages_work_without_javascript(browser, site):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto((site / "drafts" / "referral-filter-batch.html").resolve().as_uri())
    assert not page.get_by_role("button", name="Copy the text").is_visible()
    assert "Current openings" in page.locator("#subject").inner_text()
    ctx.close()


def test_quick_reference_card_prints_on_one_page(browser, site, tmp_path):
    page = open_page(browser, site / "card.html")
    for fmt in ("Letter", "A4"):
        pdf = page.pdf(format=fmt, print_background=True)
        (tmp_path / f"card-{fmt}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"{fmt}: {pages} pages"


def test_phone_width_has_no_sideways_scrolling(browser, site, tmp_path):
    for rel in ("index.html", "partners/dr-priya-shah.html", "drafts/referral-filter-batch.html", "playbook.html"):
        page = open_page(browser, site / rel, width=390)
        page.screenshot(path=str(tmp_path / (rel.replace("/", "_") + ".png")), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{rel} is {overflow}px wider than a phone"


PAYLOADS = ['<script>window.__xss=1</script>', '"><img src=x onerror="window.__xss=1">',
            "javascript:window.__xss=1", "{{ 7*7 }}{% raw %}", "</textarea><svg onload=window.__xss=1>",
            "[click](javascript:window.__xss=1)", "<iframe srcdoc='<script>parent.__xss=1</script>'></iframe>",
            "' onmouseover='window.__xss=1", "&lt;script&gt;window.__xss=1&lt;/script&gt;"]


def _xss_workspace(root):
    def q(s):
        return json.dumps(s)
    parts = {}
    for i, payload in enumerate(PAYLOADS):
        p = q(payload)
        parts[f"dr-x{i}"] = f"""name: {p}
kind: pediatrician
practice: {p}
specialty: {p}
email: {p}
phone: {p}
fax: {p}
address: {p}
owner: {p}
tags: [{p}]
met: 2026-11-02
staff:
  - {{name: {p}, role: {p}, email: {p}, phone: {p}, note: {p}}}
answers: {{serve: {p}, challenge: {p}, process: {p}, easier: {p}}}
next_steps:
  - {{what: {p}, promised: 2026-11-02}}
history:
  - {{date: 2026-11-02, play: initial-meeting, note: {p}}}
  - {{date: 2026-11-09, play: check-in, note: {p}}}
referrals:
  - {{client: J.M., received: 2026-11-20, outcome: declined, reason: {p}}}
shared_clients:
  - {{client: A.B., start: 2026-06-01, goals: {p}, progress: {p}, next: {p}}}
gifts:
  - {{date: 2026-11-02, what: {p}, value: 5}}
"""
    pb = ("practice:\n  name: " + q(PAYLOADS[1]) + "\n  sender: " + q(PAYLOADS[0]) + "\n  specialty: " + q(PAYLOADS[4])
          + "\n  referral_form: " + q(PAYLOADS[2]) + "\n  openings:\n    - {service: " + q(PAYLOADS[1]) + ", area: "
          + q(PAYLOADS[0]) + "}\n")
    ws = make_workspace(root, parts, playbook=pb)
    for i, payload in enumerate(PAYLOADS):
        path = ws / "partners" / f"dr-x{i}.md"
        path.write_text(path.read_text().replace("Notes.", f"{payload}\n\n<b onclick=\"window.__xss=1\">x</b>\n"))
    return ws


def test_xss_payloads_in_every_field_stay_inert(browser, tmp_path):
    ws = _xss_workspace(tmp_path / "xss")
    r = nk("--now", "2026-12-01", "build", cwd=ws)
    assert r.code == 0, r.err
    pages = sorted((ws / "site").rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        page = open_page(browser, path)
        fired = []
        page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
        page.mouse.move(200, 300)
        for link in page.locator("a").all()[:0]:
            pass
        assert page.evaluate("window.__xss") is None, path
        assert not fired, path
        html = path.read_text()
        assert "<script>window" not in html and "onerror=\"window" not in html
        assert 'href="javascript:' not in html.lower()
        assert "49" not in page.locator("main").inner_text().replace("2049", ""), path
        page.close()


def test_axe_finds_no_serious_violations(browser, site):
    axe = TOOLS / "axe-core" / "axe.min.js"
    if not axe.exists():
        pytest.skip("axe-core not installed (bash .ci/run installs it with npm)")
    problems = []
    for rel in ("index.html", "partners/index.html", "partners/dr-priya-shah.html", "partners/sunrise-daycare.html",
                "calendar.html", "drafts/index.html", "drafts/referral-filter-batch.html", "pipeline.html",
                "metrics.html", "playbook.html", "card.html", "reviews/index.html", "reviews/2026-11.html",
                "reviews/2026-Q4.html", "plan.html"):
        if not (site / rel).exists():
            continue
        page = open_page(browser, site / rel)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(f"{rel}: {v['id']} ({v['impact']}): {v['help']} "
                                f"{[n['target'] for n in v['nodes']][:3]}")
        page.close()
    assert not problems, "\n".join(problems)


def test_html_is_valid(site):
    jar = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    java = shutil.which("java")
    if not (jar.exists() and java):
        pytest.skip("the W3C Nu checker needs java and the vnu-jar npm package (bash .ci/run installs them)")
    pages = [str(p) for p in sorted(site.rglob("*.html"))]
    r = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "gnu", *pages],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_charts_render_on_screen_and_in_print(browser, site, tmp_path):
    page = open_page(browser, site / "metrics.html")
    boxes = [page.locator("svg.chart").nth(i).bounding_box() for i in range(4)]
    assert all(b and b["width"] > 300 and b["height"] > 100 for b in boxes), boxes
    assert page.locator("svg.chart rect").count() > 20
    page.emulate_media(media="print")
    assert all(page.locator("svg.chart").nth(i).is_visible() for i in range(4))
    pdf = page.pdf(format="Letter")
    (tmp_path / "metrics.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
