"""Runs a dashboard check in Debian's chromium (headless, through Playwright): the browser, its pages, and the
JavaScript errors they raise, shared by the dashboard checks."""
import os
import sys

from playwright.sync_api import sync_playwright


def run(check) -> int:
    """Calls check(new_page, problems) with a function that opens a page whose errors land in `problems`; the
    check returns what to print when all went well. Returns the exit status: 1 when any problem was noted."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        problems = []

        def new_page():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda error: problems.append(str(error)))
            return page

        summary = check(new_page, problems)
        browser.close()
    if problems:
        print("problems:", problems, file=sys.stderr)
        return 1
    print(summary)
    return 0
