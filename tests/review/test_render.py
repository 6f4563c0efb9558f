"""``chanreplay render``: the HTML sequence diagram, checked as HTML and in real Chromium."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from chanreplay.cassette import load
from chanreplay.review.render import render_html
from tests.review.test_cli import EXAMPLE, changed, chanreplay

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "render-diff.png"
"""The screenshot docs/reviewing.md shows: taken by ``test_the_diff_page_in_chromium``
(``CHANREPLAY_DOC_SCREENSHOTS=1`` writes it there instead of a temporary folder)."""


def page_data(page: str) -> dict[str, Any]:
    """The data a rendered page draws its diagrams from."""
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def folded_rows(side: dict[str, Any]) -> int:
    """How many rows a side shows with one row per HTTP exchange (the default)."""
    exchanges = {r["conn"] for r in side["rows"] if r["http"] and r["dir"] in ("in", "out")}
    others = [r for r in side["rows"] if not (r["http"] and r["dir"] in ("in", "out"))]
    return len(others) + len(exchanges)


def test_one_row_per_event_and_a_lifeline_per_connection_and_group() -> None:
    data = page_data(render_html(load(EXAMPLE), title="example"))
    side = data["only"]
    assert len(side["rows"]) == 77
    groups = [lane["id"] for lane in side["lanes"] if lane["kind"] == "group"]
    assert groups == ["group:chat_lobby", "group:notes", "group:echo"]
    connections = [lane for lane in side["lanes"] if lane["kind"] != "group"]
    assert len(connections) == 10
    # A lifeline says what it is: the path, the method, the user.
    assert connections[3] == {
        "id": "c4",
        "kind": "websocket",
        "title": "c4 /ws/chat/lobby/",
        "sub": "websocket · alice",
    }
    assert connections[1]["title"] == "c2 POST /login/"
    # Each row carries what its message says.
    echo = [r["text"] for r in side["rows"] if r["conn"] == "c8"]
    assert "echo: ping" in echo
    page = render_html(load(EXAMPLE), title="example")
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # no network


def test_a_diff_page_marks_what_changed_on_each_side_with_its_values(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    new.write_text(json.dumps(changed(json.loads(EXAMPLE.read_text()))))
    data = page_data(render_html(load(new), title="t", old=load(EXAMPLE)))
    before = [r["mark"] for r in data["old"]["rows"] if r["mark"]]
    after = [r["mark"] for r in data["new"]["rows"] if r["mark"]]
    assert before.count("changed") == 3  # the three frames whose user was renamed
    assert before.count("removed") == 8  # the binary connection's events
    assert after.count("changed") == 3
    assert after.count("added") == 1  # the extra frame
    fields = [r["fields"] for r in data["new"]["rows"] if r["mark"] == "changed"]
    assert fields[0] == [{"path": "message.text.user", "before": '"alice"', "after": '"ALICE"'}]


def shown_rows(browser: Any, side: str = "only") -> int:
    """How many rows a side of the page lays out (only those in view are drawn)."""
    from selenium.webdriver.common.by import By

    scroll = browser.find_element(By.CSS_SELECTOR, f'.scroll[data-side="{side}"]')
    return int(scroll.get_attribute("data-rows"))


def scroll_to(browser: Any, top: str, side: str = "only") -> None:
    """Scroll a side to ``top`` (a JS expression of ``s``, the scroller) and draw it."""
    browser.execute_script(
        f"const s = document.querySelector('.scroll[data-side=\"{side}\"]'); "
        f"s.scrollTop = {top}; s.dispatchEvent(new Event('scroll'));"
    )


def test_the_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "session.html"
    result = chanreplay("render", str(EXAMPLE), "-o", str(page))
    assert result.returncode == 0, result.stderr
    side = page_data(page.read_text())["only"]
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []  # no console errors
    assert shown_rows(browser) == folded_rows(side)  # an HTTP exchange is one row
    heads = browser.find_elements(By.CSS_SELECTOR, ".head")
    assert "c4 /ws/chat/lobby/\nwebsocket · alice" in [h.text for h in heads]
    rows = browser.find_elements(By.CSS_SELECTOR, ".row")
    # What a frame says is on its row, not only on click.
    assert any("echo: ping" in r.text for r in rows if r.get_attribute("data-conn") == "c8")
    # Clicking a row pins its event in the panel.
    send = next(r for r in rows if "group_send chat.message" in r.text)
    send.click()
    panel = browser.find_element(By.ID, "payload").text
    assert panel.startswith("c4 event 5 (step 11): group_send chat.message")
    assert '"user": "alice"' in panel
    # Every event, one row each, with the exchanges unfolded.
    browser.find_element(By.ID, "fold").click()
    assert shown_rows(browser) == 77

    def lane_x(conn: str) -> float:
        head = browser.find_element(By.CSS_SELECTOR, f'.head[data-conn="{conn}"]')
        return float(head.rect["x"])

    # Unticking a connection takes its lane and its rows away; the rest close up.
    c5_before = lane_x("c5")
    browser.find_element(By.CSS_SELECTOR, 'input[data-filter="c4"]').click()
    c4_rows = sum(1 for r in side["rows"] if r["conn"] == "c4")
    assert shown_rows(browser) == 77 - c4_rows
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-conn="c4"]')
    assert lane_x("c5") < c5_before
    # Search keeps the rows whose connection, arrow or message holds the words.
    search = browser.find_element(By.ID, "search")
    search.send_keys("announcement")
    found = browser.find_elements(By.CSS_SELECTOR, ".row")
    assert 0 < len(found) == shown_rows(browser) < 10
    assert all("announcement" in r.text.lower() for r in found)
    search.clear()
    search.send_keys(" ")
    assert shown_rows(browser) == 77 - c4_rows
    # The lifelines' heads stay in view while the rows scroll.
    scroll_to(browser, "400")
    scroller = browser.find_element(By.CSS_SELECTOR, ".scroll")
    head_top = browser.find_element(By.CSS_SELECTOR, ".heads").rect["y"]
    assert abs(head_top - scroller.rect["y"]) < 2


def test_a_long_session_is_drawn_as_it_scrolls(browser: Any, tmp_path: Path) -> None:
    """10,000 events: all are laid out, only those in view are in the page, and the last
    one is drawn when the view gets there."""
    from selenium.webdriver.common.by import By

    document = json.loads(EXAMPLE.read_text())
    echo = next(c for c in document["connections"] if c["scope"]["path"] == "/ws/echo/")
    step = echo["events"][-1]["step"]
    for number in range(5000):
        echo["events"] += [
            {
                "dir": "in",
                "step": step,
                "message": {"type": "websocket.receive", "text": f"p{number}"},
            },
            {
                "dir": "out",
                "step": step,
                "message": {"type": "websocket.send", "text": f"e{number}"},
            },
        ]
    long = tmp_path / "long.json"
    long.write_text(json.dumps(document))
    page = tmp_path / "long.html"
    assert chanreplay("render", str(long), "-o", str(page)).returncode == 0
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []
    assert shown_rows(browser) == folded_rows(page_data(page.read_text())["only"]) > 10_000
    assert len(browser.find_elements(By.CSS_SELECTOR, ".row")) < 200
    scroll_to(browser, "s.scrollHeight")
    texts = [r.text for r in browser.find_elements(By.CSS_SELECTOR, ".row")]
    assert any("e4999" in text for text in texts)


def test_the_diff_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    (tmp_path / "cassettes").mkdir()
    (tmp_path / "cassettes/chat.json").write_text(EXAMPLE.read_text())
    now = json.dumps(changed(json.loads(EXAMPLE.read_text())))
    (tmp_path / "cassettes/chat-now.json").write_text(now)
    page = tmp_path / "diff.html"
    rendered = chanreplay(
        "render",
        "cassettes/chat-now.json",
        "--diff",
        "cassettes/chat.json",
        "-o",
        str(page),
        cwd=tmp_path,
    )
    assert rendered.returncode == 0, rendered.stderr
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []
    sides = browser.find_elements(By.CSS_SELECTOR, ".scroll")
    assert [s.get_attribute("data-side") for s in sides] == ["old", "new"]
    assert browser.find_element(By.ID, "count").text == "12 changes"  # 3 + 1 after, 8 before
    # A changed row shows the value before and after.
    changed_rows = browser.find_elements(By.CSS_SELECTOR, '.scroll[data-side="new"] .row.changed')
    assert 'message.text.user: "alice" → "ALICE"' in changed_rows[0].text
    # "next change" (the button, or the n key) steps through them, each scrolled into view.
    seen = []
    for press in range(4):
        if press % 2:
            browser.find_element(By.TAG_NAME, "body").send_keys("n")
        else:
            browser.find_element(By.ID, "next").click()
        current = browser.find_element(By.CSS_SELECTOR, ".row.current")
        scroller = browser.execute_script("return arguments[0].closest('.scroll')", current)
        view = scroller.rect
        assert view["y"] <= current.rect["y"] <= view["y"] + view["height"]
        seen.append((current.get_attribute("data-i"), scroller.get_attribute("data-side")))
    assert len(set(seen)) == 4
    # "changes only" leaves the rows that differ.
    browser.find_element(By.ID, "only").click()
    assert shown_rows(browser, "new") == 4
    assert shown_rows(browser, "old") == 11
    added = browser.find_elements(By.CSS_SELECTOR, '.scroll[data-side="new"] .row.added')
    assert len(added) == 1
    added[0].click()
    assert '"message": "extra"' in browser.find_element(By.ID, "payload").text
    shot = SCREENSHOT if os.environ.get("CHANREPLAY_DOC_SCREENSHOTS") else tmp_path / "diff.png"
    browser.find_element(By.ID, "only").click()
    browser.find_element(By.ID, "next").click()
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one


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
        assert shown_rows(browser) == folded_rows(page_data(page.read_text())["only"]), text
        scroll_to(browser, "s.scrollHeight")
        rows = browser.find_elements(By.CSS_SELECTOR, ".row")
        [r for r in rows if r.get_attribute("data-conn") == echo["id"]][-1].click()
        panel = browser.find_element(By.ID, "payload").text
        shown = json.dumps(text, ensure_ascii=False)[1:-1]
        assert shown.replace("\u2028", " ").replace("\u2029", " ").split(" ")[0] in panel, (
            text,
            panel,
        )
        assert browser.execute_script("return window.__pwned === undefined") is True, text
