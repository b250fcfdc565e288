/// The console's stylesheet and script, served by the daemon itself (`/assets/…`): the page
/// loads nothing from elsewhere, so it works with no internet access, and the strict
/// Content-Security-Policy allows scripts and styles from the daemon only.
enum ConsoleAssets {
    static let stylesheet = """
        :root { color-scheme: light; --ink: #111; --muted: #444; --line: #767676; --focus: #0b3d91; }
        * { box-sizing: border-box; }
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; margin: 0;
          line-height: 1.45; }
        a { color: #0b3d91; }
        a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid var(--focus);
          outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 0.5rem; }
        .skip:focus { left: 0.5rem; }
        header { background: #1b2a41; color: #fff; padding: 0.6rem 1rem; display: flex; flex-wrap: wrap; gap: 1rem;
          align-items: center; }
        header a, header button { color: #fff; }
        header nav { display: flex; gap: 1rem; flex: 1; }
        header form { display: inline; }
        header button { background: none; border: 1px solid #fff; padding: 0.2rem 0.6rem; cursor: pointer; }
        main { padding: 1rem; max-width: 70rem; }
        .live { font-size: 0.85rem; color: var(--muted); margin: 0.4rem 1rem 0; min-height: 1em; }
        table { border-collapse: collapse; width: 100%; }
        th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
        th { background: #eef1f5; }
        .severity { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.2rem; font-weight: bold;
          border: 1px solid #000; }
        .severity-extreme { background: #7a0000; color: #fff; }
        .severity-severe { background: #b30000; color: #fff; }
        .severity-moderate { background: #ffb000; color: #000; }
        .severity-minor { background: #ffe680; color: #000; }
        .severity-unknown { background: #ddd; color: #000; }
        tr.unread td:first-child { border-left: 6px solid #0b3d91; }
        .badge { font-size: 0.8rem; border: 1px solid var(--ink); padding: 0 0.3rem; border-radius: 0.2rem; }
        fieldset { border: 1px solid var(--line); margin: 0 0 1rem; }
        label { display: block; font-weight: bold; margin-top: 0.6rem; }
        input, select, textarea { font: inherit; padding: 0.3rem; border: 1px solid #555; min-width: 16rem; }
        .error { color: #a00000; font-weight: bold; }
        input[aria-invalid="true"], select[aria-invalid="true"] { border: 2px solid #a00000; }
        button.primary { background: #0b3d91; color: #fff; border: none; padding: 0.45rem 1rem; font: inherit;
          cursor: pointer; margin-top: 0.8rem; }
        .filters { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: end; margin-bottom: 1rem; }
        .filters label { margin: 0; }
        .filters select { min-width: 8rem; }
        svg.map { border: 1px solid var(--line); background: #f6f8fb; max-width: 100%; height: auto; }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
        dl.fields dt { font-weight: bold; }
        .notice { border-left: 6px solid #1a6b1a; background: #eef7ee; padding: 0.5rem; }
        .problem { border-left: 6px solid #a00000; background: #fbeaea; padding: 0.5rem; }
        """

    /// Live updates: the page follows `/events` (server-sent events) and, when the node's
    /// consultation changes, fetches itself again and swaps its main content, without a
    /// reload. It starts from the revision it was rendered at (`since`), so a change made while
    /// it loaded is heard; EventSource reconnects by itself with the last event id, and the
    /// server then says at once whether anything changed meanwhile. A change heard while a
    /// refresh is under way is fetched once that one is done (its page may predate it).
    static let script = """
        "use strict";
        (function () {
          var status = document.getElementById("live-status");
          var main = document.getElementById("content");
          if (!main || !window.EventSource || main.dataset.live !== "on") { return; }
          var refreshing = false;
          var deferred = false;
          var again = false;
          // Not while someone is filling in a form of the page: the swap waits until they leave it.
          function busy() {
            var active = document.activeElement;
            return active && main.contains(active) && active.closest && active.closest("form") !== null;
          }
          main.addEventListener("focusout", function () {
            setTimeout(function () { if (deferred && !busy()) { deferred = false; refresh(); } }, 0);
          });
          function refresh() {
            if (busy()) { deferred = true; return; }
            if (refreshing) { again = true; return; }
            refreshing = true;
            fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Refresh": "1" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (!html) { return; }
                var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("content");
                if (fresh) { main.innerHTML = fresh.innerHTML; }
              })
              .finally(function () {
                refreshing = false;
                if (again) { again = false; refresh(); }
              });
          }
          var since = main.dataset.revision;
          var events = new EventSource("/events" + (since ? "?since=" + encodeURIComponent(since) : ""));
          events.addEventListener("changed", refresh);
          events.onopen = function () { if (status) { status.textContent = status.dataset.live; } };
          events.onerror = function () { if (status) { status.textContent = status.dataset.lost; } };
        })();
        """
}
