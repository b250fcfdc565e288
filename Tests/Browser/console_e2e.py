#!/usr/bin/env python3
"""End-to-end test of the web console in a real browser (headless Chromium, Selenium 4.51).

Driven by ConsoleBrowserTests (Swift), which starts a network of tocsind processes and hands
this script, as JSON on argv[1], two one-time sign-in links (nodes XA and XC), their console
addresses and a folder for screenshots. It prints one JSON object with what it measured and
exits 1 with the reason at the first check that fails.
"""

import json
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def browser(shots):
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000",
                     f"--user-data-dir={shots}/profile-{time.monotonic_ns()}"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Waiter:
    """WebDriverWait that also reads again an element Chromium lost in a swap without calling
    it stale ("Node with given id does not belong to the document")."""

    def __init__(self, driver, seconds, poll):
        self.waiting = WebDriverWait(driver, seconds, poll_frequency=poll,
                                     ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))

    def until(self, condition):
        def read(d):
            try:
                return condition(d)
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return False
                raise
        return self.waiting.until(read)


def wait(driver, seconds, poll=0.1):
    """Waits for a condition; the live page swaps its content when the node's log changes, so
    an element read across a swap (or a navigation) is simply read again."""
    return Waiter(driver, seconds, poll)


def eventually(driver, seconds, condition, message):
    """Fails the test with `message` unless `condition(driver)` comes true within `seconds`
    (read again across the live page's swaps)."""
    try:
        wait(driver, seconds).until(condition)
    except TimeoutException:
        raise Failure(message)


def click(driver, by, selector, seconds=10):
    """Clicks an element of a live page, found again if the page swapped it meanwhile."""
    def clicked(d):
        d.find_element(by, selector).click()
        return True
    eventually(driver, seconds, clicked, f"cannot click {selector}")


def content(driver):
    return driver.find_element(By.ID, "content").text


CONTRAST = """
    // WCAG 2.x contrast of every element that shows text against the background it is drawn
    // on (the nearest ancestor with an opaque background): 4.5:1, or 3:1 for large text.
    function channel(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    function luminance(color) {
        const [r, g, b] = color.match(/[\\d.]+/g).map(Number);
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    }
    function background(element) {
        for (let e = element; e; e = e.parentElement) {
            const parts = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g);
            if (parts && (parts.length < 4 || Number(parts[3]) > 0.9)) return getComputedStyle(e).backgroundColor;
        }
        return "rgb(255, 255, 255)";
    }
    const failures = [];
    for (const e of document.querySelectorAll("body *")) {
        if (e.closest("svg")) continue;
        if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
        const style = getComputedStyle(e);
        if (style.display === "none" || style.visibility === "hidden" || !e.getClientRects().length) continue;
        const [a, b] = [luminance(style.color), luminance(background(e))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
        const large = size >= 24 || (bold && size >= 18.66);
        if (ratio < (large ? 3 : 4.5)) failures.push(`${e.tagName} ${ratio.toFixed(2)}:1 "${e.textContent.trim().slice(0, 40)}"`);
    }
    return failures;"""


def check_contrast(driver, page, checked):
    """Fails unless every text on the page has sufficient contrast (WCAG AA)."""
    failures = driver.execute_script(CONTRAST)
    check(not failures, f"text with too little contrast on the {page} page: {failures[:5]}")
    checked.append(page)


ALERT_WITHOUT_STATE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>FREWS-EXERCISE-{stamp}</identifier>
  <sender>desk@frews.example</sender>
  <sent>2026-11-30T09:30:00-03:00</sent>
  <status>Exercise</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en</language>
    <category>Security</category>
    <event>Armed groups massing</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>{headline}</headline>
    <description>Fictional exercise: an alert from another early-warning system.</description>
    <parameter><valueName>FREWS-LEVEL</valueName><value>3</value></parameter>
    <area>
      <areaDesc>Northern hills</areaDesc>
      <polygon>10.0,20.0 10.5,20.0 10.5,20.6 10.0,20.0</polygon>
      <circle>10.2,20.2 8</circle>
    </area>
  </info>
</alert>
"""


def status(url, method="GET", cookie=None, body=None, content_type=None):
    request = urllib.request.Request(url, method=method, data=body)
    if content_type:
        request.add_header("Content-Type", content_type)
    if cookie:
        request.add_header("Cookie", f"tocsin_session={cookie}")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def first_event(url, cookie, seconds=5):
    """The name of the first event a server-sent event stream sends, or None."""
    request = urllib.request.Request(url)
    request.add_header("Cookie", f"tocsin_session={cookie}")
    with urllib.request.urlopen(request, timeout=seconds) as answer:
        for line in answer:
            if line.startswith(b"event:"):
                return line[len(b"event:"):].strip().decode()
    return None


def main():
    config = json.loads(sys.argv[1])
    shots = config["shots"]
    xa_base, xc_base = config["xa_console"], config["xc_console"]
    result = {"screenshots": [], "contrast_checked": []}
    xa, xc = browser(shots), browser(shots)
    try:
        # Sign-in: the one-time link becomes a session; the link does not work twice.
        xa.get(config["xa_signin"])
        xc.get(config["xc_signin"])
        for driver in (xa, xc):
            wait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Inbox")
        check(status(config["xa_signin"]) == 401, "a used sign-in link opened a session again")

        # Without a session every page and call is refused; a POST without the CSRF token too.
        check(status(xa_base + "/") == 401, "the inbox answered without a session")
        check(status(xa_base + "/events") == 401, "the event stream answered without a session")
        cookie = xa.get_cookie("tocsin_session")
        check(cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict",
              f"the session cookie is not HttpOnly and SameSite=Strict: {cookie}")
        check(status(xa_base + "/issue", "POST", cookie["value"], b"headline=x&severity=minor&country=XA") == 403,
              "a POST without the CSRF token was not refused")
        # A live page carries the revision it was rendered at, and its stream starts from it: a
        # stream started from another revision says at once that the page is out of date.
        revision = xa.execute_script("return document.getElementById('content').dataset.revision;")
        check(revision is not None and revision.isdigit(), f"the inbox carries no revision: {revision!r}")
        check(first_event(xa_base + f"/events?since={2**64 - 1}", cookie["value"]) == "changed",
              "a stream started from a revision the page does not show did not say it changed")

        # Keyboard: the first Tab reaches the skip link; every control has a label.
        xa.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        check(xa.switch_to.active_element.get_attribute("class") == "skip", "the first Tab does not reach the skip link")
        unlabelled = xa.execute_script("""
            return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button'))
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
              .map(e => e.outerHTML);""")
        check(not unlabelled, f"controls without a label: {unlabelled}")
        # The contrast check sees grey text on white (so its passes below mean something).
        xa.execute_script("""const probe = document.createElement('p'); probe.id = 'grey-probe';
            probe.textContent = 'grey probe'; probe.style.color = '#aaaaaa';
            document.getElementById('content').appendChild(probe);""")
        check(any("grey probe" in failure for failure in xa.execute_script(CONTRAST)),
              "the contrast check does not see grey text on white")
        xa.execute_script("document.getElementById('grey-probe').remove();")

        # A field error is shown at the field.
        xa.get(xa_base + "/issue")
        xa.find_element(By.ID, "field-headline").send_keys("Exercise: a bulletin with a bad state code")
        xa.find_element(By.ID, "field-country").send_keys("Atlantis")
        xa.find_element(By.CSS_SELECTOR, "form[action='/issue'] button[type=submit]").click()
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "error-country"))
        field = xa.find_element(By.ID, "field-country")
        check(field.get_attribute("aria-invalid") == "true", "the country field is not marked invalid")
        check("ISO 3166-1" in xa.find_element(By.ID, "error-country").text, "the error does not say what is wanted")
        check(field.get_attribute("value") == "Atlantis", "the form lost what was typed")
        xa.save_screenshot(f"{shots}/console-issue-error.png")
        result["screenshots"].append("console-issue-error.png")
        check_contrast(xa, "issue form", result["contrast_checked"])
        # A refused form writes nothing; an oversized one is refused as too large.
        xa.get(xa_base + "/")
        eventually(xa, 5, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Inbox", "no inbox")
        check("bad state code" not in content(xa), "a refused form wrote a bulletin")
        check(status(xa_base + "/issue", "POST", cookie["value"], b"x" * (70 * 1024)) == 413,
              "an oversized form was not refused as too large")

        # A bulletin issued from XA's console appears on XC's console, without a reload.
        xc.execute_script("window.tocsinNotReloaded = true;")
        headline = f"Exercise: displacement reported in the eastern valleys ({int(time.time())})"
        xa.get(xa_base + "/issue")
        xa.find_element(By.ID, "field-headline").send_keys(headline)
        Select(xa.find_element(By.ID, "field-severity")).select_by_value("extreme")
        xa.find_element(By.ID, "field-country").send_keys("XA")
        xa.find_element(By.ID, "field-description").send_keys("Fictional exercise text.")
        xa.find_element(By.CSS_SELECTOR, "form[action='/issue'] button[type=submit]").click()
        wait(xa, 10).until(lambda d: "/bulletins/" in d.current_url)
        issued_at = time.monotonic()
        reference = xa.current_url.split("/bulletins/", 1)[1]
        wait(xc, 10, poll=0.05).until(lambda d: headline in content(d))
        result["seconds_to_xc"] = round(time.monotonic() - issued_at, 3)
        check(xc.execute_script("return window.tocsinNotReloaded === true;"), "XC's page was reloaded")
        row = f"//a[@href='/bulletins/{reference}']/ancestor::tr"
        eventually(xc, 5, lambda d: "unread" in d.find_element(By.XPATH, row).get_attribute("class"),
                   "the new bulletin is not marked unread at XC")
        eventually(xc, 5, lambda d: "extreme" in d.find_element(By.XPATH, row).text,
                   "the severity is not shown in words")
        xc.save_screenshot(f"{shots}/console-inbox.png")
        result["screenshots"].append("console-inbox.png")
        check_contrast(xc, "inbox", result["contrast_checked"])

        # XC marks it read, and XA's timeline shows it (XA's page follows by itself).
        click(xc, By.XPATH, f"//a[@href='/bulletins/{reference}']")
        wait(xc, 10).until(lambda d: d.find_elements(By.ID, "timeline"))
        check(xc.find_elements(By.CSS_SELECTOR, "svg.map") == [], "a map drawn for a bulletin without areas")
        click(xc, By.XPATH, "//button[text()='Mark as read']")
        wait(xc, 10).until(lambda d: not d.find_elements(By.XPATH, "//button[text()='Mark as read']"))

        def xc_read(driver):
            for line in driver.find_element(By.ID, "timeline").text.splitlines():
                cells = line.split(" UTC")
                if line.startswith("XC ") and len(cells) >= 3:
                    return True
            return False
        # The page swaps its content when the node's log changes: an element read across a swap
        # is read again.
        wait(xa, 15).until(xc_read)
        xa.save_screenshot(f"{shots}/console-bulletin.png")
        result["screenshots"].append("console-bulletin.png")
        check_contrast(xa, "bulletin", result["contrast_checked"])

        # The bulletin exported as a CAP 1.2 alert, from its page.
        links = []
        eventually(xa, 5, lambda d: links.append(d.find_element(By.XPATH, "//a[@download]").get_attribute("href"))
                   or True, "no CAP export link")
        request = urllib.request.Request(links[-1])
        request.add_header("Cookie", f"tocsin_session={xa.get_cookie('tocsin_session')['value']}")
        with urllib.request.urlopen(request) as answer:
            alert = answer.read().decode()
        check("urn:oasis:names:tc:emergency:cap:1.2" in alert and headline in alert,
              "the CAP export is not the bulletin as a CAP 1.2 alert")
        check(status(links[-1]) == 401, "the CAP export answered without a session")

        # A CAP file from other software imported from XA's console: the alert names no state,
        # so the form asks for it at its field; given, the bulletin is issued with its areas,
        # and what it could not keep is listed.
        imported_headline = f"Exercise: armed groups massing in the northern hills ({int(time.time())})"
        alert_file = f"{shots}/alert-without-state.xml"
        with open(alert_file, "w") as file:
            file.write(ALERT_WITHOUT_STATE.format(stamp=int(time.time()), headline=imported_headline))
        xa.get(xa_base + "/issue")
        click(xa, By.XPATH, "//a[@href='/import-cap']")
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "field-alert"))
        # A file that is no CAP alert: refused at the file's field, nothing issued.
        not_an_alert = f"{shots}/not-an-alert.xml"
        with open(not_an_alert, "w") as file:
            file.write("<html><body>not an alert</body></html>")
        xa.find_element(By.ID, "field-alert").send_keys(not_an_alert)
        xa.find_element(By.CSS_SELECTOR, "form[action='/import-cap'] button[type=submit]").click()
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "error-alert"))
        check("not a CAP 1.2 alert" in xa.find_element(By.ID, "error-alert").text,
              f"a file that is no alert is not refused with the reason: {xa.find_element(By.ID, 'error-alert').text}")
        # An upload that is not well-formed multipart, or too large, is refused before anything is read.
        check(status(xa_base + "/import-cap", "POST", cookie["value"], b"--x\r\ngarbage",
                     "multipart/form-data; boundary=x") == 400, "a malformed upload was not refused")
        check(status(xa_base + "/import-cap", "POST", cookie["value"], b"x" * (1200 * 1024),
                     "multipart/form-data; boundary=x") == 413, "an oversized upload was not refused as too large")
        xa.get(xa_base + "/import-cap")
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "field-alert"))
        xa.find_element(By.ID, "field-alert").send_keys(alert_file)
        xa.find_element(By.CSS_SELECTOR, "form[action='/import-cap'] button[type=submit]").click()
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "error-country"))
        check(xa.find_element(By.ID, "field-country").get_attribute("aria-invalid") == "true",
              "the state field is not marked when the alert names no state")
        check("names no state" in xa.find_element(By.ID, "error-country").text,
              "the import does not say the alert names no state")
        xa.save_screenshot(f"{shots}/console-import-asks-state.png")
        result["screenshots"].append("console-import-asks-state.png")
        check_contrast(xa, "CAP import", result["contrast_checked"])
        xa.find_element(By.ID, "field-country").send_keys("XA")
        xa.find_element(By.ID, "field-alert").send_keys(alert_file)
        xa.find_element(By.CSS_SELECTOR, "form[action='/import-cap'] button[type=submit]").click()
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "imported"))
        check("FREWS-LEVEL" in xa.find_element(By.ID, "import-notes").text,
              "what the alert carried that is not kept is not listed")
        click(xa, By.XPATH, "//p[@id='imported']/a")
        wait(xa, 10).until(lambda d: imported_headline in content(d))
        check(xa.find_elements(By.CSS_SELECTOR, "svg.map polygon") and xa.find_elements(By.CSS_SELECTOR, "svg.map ellipse"),
              "the imported alert's polygon and circle are not drawn")
        check("Northern hills" in content(xa), "the imported area's description is not shown")
        state = xa.find_element(By.XPATH, "//dt[text()='State concerned']/following-sibling::dd[1]").text
        check(state == "XA", f"the state given at the import is not the bulletin's: {state}")
        xc.get(xc_base + "/")
        eventually(xc, 10, lambda d: imported_headline in content(d), "the imported bulletin did not reach XC")
        check("not an alert" not in content(xc), "a refused import wrote a bulletin")

        # A proposal opened from XA's console; XA, XB and XC vote from theirs; every console
        # shows the decision adopted and verified. (XA abstains first: under majority, one
        # endorsement of three and an abstention leave it open until the third vote.)
        xb = browser(shots)
        try:
            xb.get(config["xb_signin"])
            wait(xb, 10).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Inbox")
            xa.get(xa_base + "/propose")
            Select(xa.find_element(By.ID, "field-group")).select_by_value("nro")
            xa.find_element(By.ID, "field-title").send_keys("Exercise: send a fact-finding mission to the valleys")
            deadline = xa.find_element(By.ID, "field-deadline")
            deadline.clear()
            deadline.send_keys("10m")
            xa.find_element(By.CSS_SELECTOR, "form[action='/propose'] button[type=submit]").click()
            wait(xa, 10).until(lambda d: "/proposals/" in d.current_url)
            proposal = xa.current_url.split("/proposals/", 1)[1]
            votes = [(xa, xa_base, "abstain", "XA abstains for now"),
                     (xb, config["xb_console"], "endorse", "XB agrees"),
                     (xc, xc_base, "endorse", "XC agrees")]
            for driver, base, position, statement in votes:
                driver.get(f"{base}/proposals/{proposal}")
                def vote(d, position=position, statement=statement):
                    # The page stops swapping its content once a field of the form has the focus.
                    Select(d.find_element(By.ID, "vote-position")).select_by_value(position)
                    field = d.find_element(By.ID, "vote-statement")
                    field.clear()
                    field.send_keys(statement)
                    d.find_element(By.CSS_SELECTOR, "form[action$='/vote'] button[type=submit]").click()
                    return True
                eventually(driver, 15, vote, f"cannot vote at {base}")
                wait(driver, 10).until(lambda d: statement in d.find_element(By.ID, "votes").text)
            for driver in (xa, xb, xc):
                try:
                    wait(driver, 30).until(lambda d: "adopted" in " ".join(
                        e.text for e in d.find_elements(By.CSS_SELECTOR, ".outcome")) and "verified" in content(d))
                except TimeoutException:
                    raise Failure(f"the decision is not shown adopted and verified at {driver.current_url}: "
                                  f"{content(driver)[:1500]}")
                eventually(driver, 5, lambda d: "XB agrees" in d.find_element(By.ID, "votes").text,
                           "a vote's statement is not shown")
                eventually(driver, 5, lambda d: not d.find_elements(By.ID, "vote-position"),
                           "a vote form is offered after the decision")
            xb.save_screenshot(f"{shots}/console-proposal.png")
            result["screenshots"].append("console-proposal.png")
            check_contrast(xb, "proposal", result["contrast_checked"])
        finally:
            xb.quit()

        # The network as XA sees it, and the log: an entry with its proof, verified by a button.
        xa.get(xa_base + "/network")
        eventually(xa, 10, lambda d: "RN" in d.find_element(By.ID, "peers").text and "connected" in d.find_element(
            By.ID, "peers").text, "the relay and its connection are not shown")
        eventually(xa, 5, lambda d: reference.rsplit("/", 1)[0] in d.find_element(By.ID, "feeds").text,
                   "the bulletin's feed is not listed")
        relay_row = xa.find_element(By.XPATH, "//table[@id='peers']//th[text()='RN']/ancestor::tr")
        check(" UTC" in relay_row.text, f"the relay's last contact is not shown: {relay_row.text}")
        check(xa.find_elements(By.XPATH, "//table[@id='peers']//th[text()='Entries behind']"),
              "the peers' lag is not shown")
        xa.save_screenshot(f"{shots}/console-network.png")
        result["screenshots"].append("console-network.png")
        check_contrast(xa, "network", result["contrast_checked"])
        xa.get(xa_base + "/log?group=" + reference.split("/")[0] + "&author=XA")
        click(xa, By.XPATH, f"//a[@href='/log/{reference}']")
        wait(xa, 10).until(lambda d: d.find_elements(By.XPATH, "//button[text()='Verify this entry']"))
        click(xa, By.XPATH, "//button[text()='Verify this entry']")
        wait(xa, 10).until(lambda d: d.find_elements(By.ID, "verdict"))
        eventually(xa, 5, lambda d: "Verified" in d.find_element(By.ID, "verdict").text, "the entry did not verify")
        xa.save_screenshot(f"{shots}/console-log-entry.png")
        result["screenshots"].append("console-log-entry.png")
        check_contrast(xa, "log entry", result["contrast_checked"])

        # French, switched in the page.
        xc.get(xc_base + "/")
        click(xc, By.XPATH, "//button[@lang='fr']")
        wait(xc, 10).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Boîte de réception")
        check(xc.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr", "the page is not marked French")
        xc.save_screenshot(f"{shots}/console-inbox-fr.png")
        result["screenshots"].append("console-inbox-fr.png")
        check_contrast(xc, "French inbox", result["contrast_checked"])
        result["ok"] = True
    finally:
        xa.quit()
        xc.quit()
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(json.dumps({"ok": False, "failure": str(failure)}))
        sys.exit(1)
