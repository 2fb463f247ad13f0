"""Checks that the dashboard of a running `mediajobs serve` shows an unknown cost as "unknown", never as $0:
on the job's page, in the jobs table and on the costs page. Saves screenshots.

Usage: dashboard_unknown_cost_check.py BASE_URL JOB_ID SCREENSHOT_FOLDER
"""
import os
import sys

from playwright.sync_api import expect

import chromium_session


def main() -> int:
    base, job_id, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(shots, exist_ok=True)

    def check(new_page, problems):
        page = new_page()
        page.goto(f"{base}/#/jobs/{job_id}")
        expect(page.locator("dd.cost")).to_have_text("unknown (1 attempt)", timeout=10_000)
        cells = page.locator("td.cost")
        expect(cells).to_have_count(1)
        expect(cells.first).to_have_text("unknown")
        page.screenshot(path=os.path.join(shots, "dashboard-unknown-job.png"), full_page=True)

        page.goto(f"{base}/#/")
        expect(page.locator(f"tr[data-job='{job_id}'] td.cost")).to_have_text("unknown (1 attempt)", timeout=10_000)

        page.goto(f"{base}/#/costs")
        expect(page.locator("body")).to_contain_text("Total unknown (1 attempt)", timeout=10_000)
        expect(page.locator("td.cost").first).to_have_text("unknown (1 attempt)")
        page.screenshot(path=os.path.join(shots, "dashboard-unknown-costs.png"), full_page=True)

        for text in page.locator("td.cost, dd.cost").all_inner_texts():
            if "$0.0000" in text:
                problems.append(f"an unknown cost shown as $0: {text}")
        return f"dashboard: job {job_id} shows its unknown cost as unknown; screenshots in {shots}"

    return chromium_session.run(check)


if __name__ == "__main__":
    sys.exit(main())
