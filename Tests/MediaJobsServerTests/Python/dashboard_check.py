"""Drives the dashboard of a running `mediajobs serve` in Debian's chromium (headless, through
Playwright): loads it, submits a tts job with the form, waits for it to succeed on its job page,
checks the audio player, the jobs table and the costs chart, and saves screenshots.

Usage: dashboard_check.py BASE_URL SCREENSHOT_FOLDER
"""
import os
import sys

from playwright.sync_api import expect

import chromium_session


def main() -> int:
    base, shots = sys.argv[1], sys.argv[2]
    os.makedirs(shots, exist_ok=True)

    def check(new_page, problems):
        page = new_page()
        page.goto(base + "/")
        expect(page.locator("h1")).to_have_text("Jobs")
        expect(page.locator("#live")).to_have_text("live", timeout=10_000)

        # A second tab stays on the jobs table: only the live stream (SSE) can show it the new job.
        watcher = new_page()
        watcher.goto(base + "/#/?kind=tts")
        expect(watcher.locator("#live")).to_have_text("live", timeout=10_000)

        page.click("nav >> text=Submit")
        page.select_option("#kind", "tts")
        page.fill("#provider", "local")
        page.fill("#text", "Hello from the dashboard.")
        page.fill("#format", "mp3")
        page.click("#submit-button")

        page.wait_for_url("**/#/jobs/*", timeout=10_000)
        expect(page.locator("#job-state [data-state]")).to_have_attribute("data-state", "succeeded", timeout=120_000)
        expect(page.locator("audio#player")).to_be_visible()
        src = page.locator("audio#player").get_attribute("src")
        assert src and src.startswith("/v1/artifacts/"), src
        expect(page.locator("#timeline li[data-kind='succeeded']")).to_have_count(1, timeout=10_000)
        page.screenshot(path=os.path.join(shots, "dashboard-job.png"), full_page=True)
        job_id = page.url.rsplit("/", 1)[-1]

        expect(watcher.locator(f"tr[data-job='{job_id}'] [data-state]")).to_have_attribute("data-state", "succeeded", timeout=10_000)
        watcher.screenshot(path=os.path.join(shots, "dashboard-jobs.png"), full_page=True)

        page.goto(base + "/#/costs")
        expect(page.locator("#cost-chart")).to_be_visible()
        expect(page.locator("#cost-chart rect")).not_to_have_count(0)
        page.screenshot(path=os.path.join(shots, "dashboard-costs.png"), full_page=True)
        return f"dashboard: submitted {job_id} and saw it succeed; screenshots in {shots}"

    return chromium_session.run(check)


if __name__ == "__main__":
    sys.exit(main())
