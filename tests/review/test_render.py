"""``chanreplay render``: the HTML sequence diagram, checked as HTML and in real Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chanreplay.cassette import load
from chanreplay.review.render import render_html
from tests.review.test_cli import EXAMPLE, changed, chanreplay


def test_one_row_per_event_and_a_lifeline_per_connection_and_group() -> None:
    page = render_html(load(EXAMPLE), title="example")
    assert page.count('<g class="msg') == 77
    lanes = re.findall(r'<g class="lane (\w+)" data-conn="([^"]+)"', page)
    assert [name for kind, name in lanes if kind == "group"] == [
        "group:chat_lobby",
        "group:notes",
        "group:echo",
    ]
    assert sum(kind == "connection" for kind, _ in lanes) == 10
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no network


def test_a_diff_page_marks_what_changed_on_each_side(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    new.write_text(json.dumps(changed(json.loads(EXAMPLE.read_text()))))
    page = render_html(load(new), title="t", old=load(EXAMPLE))
    before, after = page.split('data-side="new"', 1)
    assert before.count(" changed") == 3  # the three frames whose user was renamed
    assert before.count(" removed") == 8  # the binary connection's events
    assert after.count(" changed") == 3
    assert after.count(" added") == 1  # the extra frame


def test_the_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "session.html"
    result = chanreplay("render", str(EXAMPLE), "-o", str(page))
    assert result.returncode == 0, result.stderr
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []  # no console errors
    rows = browser.find_elements(By.CSS_SELECTOR, "svg.diagram g.msg")
    assert len(rows) == 77
    # Clicking a row pins its payload in the panel.
    send = next(r for r in rows if "group_send chat.message" in r.text)
    send.click()
    panel = browser.find_element(By.ID, "payload").text
    assert panel.startswith("c4 event 5 (step 11): group_send chat_lobby")
    assert '"user": "alice"' in panel
    # The filter hides a connection's rows.
    browser.find_element(By.CSS_SELECTOR, 'input[data-filter="c4"]').click()
    hidden = [r for r in rows if r.get_attribute("data-conn") == "c4"]
    assert hidden
    assert all(not r.is_displayed() for r in hidden)
    assert any(r.is_displayed() for r in rows if r.get_attribute("data-conn") == "c5")
    shot = tmp_path / "session.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000  # a drawn diagram, not a blank page


def test_the_diff_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    new = tmp_path / "new.json"
    new.write_text(json.dumps(changed(json.loads(EXAMPLE.read_text()))))
    page = tmp_path / "diff.html"
    assert chanreplay("render", str(new), "--diff", str(EXAMPLE), "-o", str(page)).returncode == 0
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []
    sides = browser.find_elements(By.CSS_SELECTOR, "svg.diagram")
    assert [s.get_attribute("data-side") for s in sides] == ["old", "new"]
    added = browser.find_elements(By.CSS_SELECTOR, 'svg[data-side="new"] g.msg.added')
    assert len(added) == 1
    added[0].click()
    assert '"message": "extra"' in browser.find_element(By.ID, "payload").text


def test_render_errors(tmp_path: Path) -> None:
    missing = chanreplay("render", str(tmp_path / "nope.json"), "-o", str(tmp_path / "x.html"))
    assert missing.returncode == 2
    assert "nope.json: no such cassette" in missing.stderr
    assert chanreplay("render", str(EXAMPLE)).returncode == 2  # -o is required


HOSTILE = [
    "<!--<script>",
    "</script><script>window.__pwned = 1</script>",
    "<!--",
    "-->",
    "]]>",
    '<img src=x onerror="window.__pwned = 2">',
    "\u2028line\u2029separators",
    "&lt;entity&gt; & <b>bold</b>",
]


def test_no_payload_changes_the_pages_structure_in_chromium(browser: Any, tmp_path: Path) -> None:
    """Payloads that switch the HTML parser's script states (``<!--<script>``), close the
    data block, or carry markup, each on a page of its own: every row is drawn, the row
    shows its payload, and nothing a payload holds runs."""
    from selenium.webdriver.common.by import By

    for number, text in enumerate(HOSTILE):
        document = json.loads(EXAMPLE.read_text())
        echo = next(c for c in document["connections"] if c["scope"]["path"] == "/ws/echo/")
        echo["events"].append(
            {
                "dir": "out",
                "message": {"type": "websocket.send", "text": text},
                "step": echo["events"][-1]["step"],
            }
        )
        hostile = tmp_path / f"hostile{number}.json"
        hostile.write_text(json.dumps(document))
        page = tmp_path / f"hostile{number}.html"
        result = chanreplay("render", str(hostile), "-o", str(page))
        assert result.returncode == 0, result.stderr
        browser.get(page.as_uri())
        assert browser.get_log("browser") == [], text
        rows = browser.find_elements(By.CSS_SELECTOR, "svg.diagram g.msg")
        assert len(rows) == 78, text
        [r for r in rows if r.get_attribute("data-conn") == echo["id"]][-1].click()
        panel = browser.find_element(By.ID, "payload").text
        shown = json.dumps(text, ensure_ascii=False)[1:-1]
        assert shown.replace("\u2028", " ").replace("\u2029", " ").split(" ")[0] in panel, (
            text,
            panel,
        )
        assert browser.execute_script("return window.__pwned === undefined") is True, text
