"""Checks that the dashboard of a running `mediajobs serve` shows the route that made a job's file beside the routes
it asked for: on the job's page and in the jobs table, for a job its fallback made and for a result-cache hit (which
links to the job whose result it reused). Saves screenshots.

Usage: dashboard_route_check.py BASE_URL FALLBACK_JOB_ID CACHE_HIT_JOB_ID REUSED_JOB_ID SCREENSHOT_FOLDER
"""
import os
import sys

from playwright.sync_api import expect

import chromium_session


def main() -> int:
    base, fallback, hit, reused, shots = sys.argv[1:6]
    os.makedirs(shots, exist_ok=True)

    def check(new_page, problems):
        page = new_page()
        page.goto(f"{base}/#/jobs/{fallback}")
        expect(page.locator("#job-routes-asked")).to_have_text("openrouter/some-lab/not-served, local/flite", timeout=10_000)
        expect(page.locator("#job-route-used")).to_have_text("local/flite")
        page.screenshot(path=os.path.join(shots, "dashboard-route-used.png"), full_page=True)

        page.goto(f"{base}/#/jobs/{hit}")
        expect(page.locator("#job-route-used")).to_have_text(f"local/flite (cache hit) from job {reused}", timeout=10_000)
        page.click(f"#job-route-used a[href='#/jobs/{reused}']")
        expect(page.locator("h1")).to_contain_text(reused, timeout=10_000)

        page.goto(f"{base}/#/")
        row = page.locator(f"tr[data-job='{fallback}']")
        expect(row.locator("td.route-asked")).to_have_text("openrouter/some-lab/not-served, local/flite", timeout=10_000)
        expect(row.locator("td.route-used")).to_have_text("local/flite")
        expect(page.locator(f"tr[data-job='{hit}'] td.route-used")).to_have_text("local/flite (cache hit)")
        page.screenshot(path=os.path.join(shots, "dashboard-route-used-jobs.png"), full_page=True)
        return f"dashboard: job {fallback} shows the route that made it beside the routes asked; screenshots in {shots}"

    return chromium_session.run(check)


if __name__ == "__main__":
    sys.exit(main())
