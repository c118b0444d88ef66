"""Screenshots of the console on the demo scenario, for docs/console/: the coalition's
coordinator signed in, in English and in Arabic, at 1280x800 and the line's fixed clock (``NOW``)
so that the pictures change only when the console does.

``scripts/console-screenshots`` writes them into docs/console/; the browser tests write them to
a temporary directory and check them, so the test suite never writes into the repository."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from deconfliction.cli.demo import load_scenario
from deconfliction.service import Line
from deconfliction.store import open_store
from tests.api.conftest import NOW
from tests.browser.conftest import ARGS, CHROMIUM, Served, _free_port
from tests.browser.console_scene import sign_in
from tests.cli.test_watch import Server

__all__ = ["SHOTS", "take"]

SHOTS = {"console.png": "en", "console-ar.png": "ar"}
"""File name -> the language the console is shown in."""

VIEWPORT = {"width": 1280, "height": 800}


def take(browser: Any, out: Path, db: Path) -> list[Path]:
    """Serve the demo scenario from a new database at ``db`` and save each of ``SHOTS`` in
    ``out``; the paths written."""
    line = Line(store=open_store(f"sqlite:///{db}"), clock=lambda: NOW)
    loaded = load_scenario(line)
    served = Served(line, loaded.tokens, Server(line, _free_port()).start())
    written = []
    try:
        for name, lang in SHOTS.items():
            context = browser.new_context(viewport=VIEWPORT)
            try:
                page = context.new_page()
                sign_in(page, served, "coalition")
                page.locator("#lang").select_option(lang)
                page.locator(f"html[lang={lang}]").wait_for()
                if lang != "en":  # the English one shows the whole picture; the others a card too
                    page.locator(".conflict-main").first.click()
                page.wait_for_load_state("networkidle")
                out.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=out / name)
                written.append(out / name)
            finally:
                context.close()
    finally:
        served.server.stop()
        line.store.close()
    return written


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for path in take(browser, out, Path(tmp) / "demo.db"):
                print(f"{path} ({path.stat().st_size // 1024} KB)")
        finally:
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/console"))
