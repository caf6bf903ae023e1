/* Visits without signal.
 *
 * The monitoring-card form is kept in localStorage while it is filled in (a draft per household)
 * and restored when the page is opened again. Submitting goes through fetch: when the phone has no
 * signal, or the session has expired, the submission waits in an outbox and is sent again when the
 * phone is back online or any visit page is opened. Each form carries a visit key made when it was
 * first shown, so the server records a visit once however often it is sent.
 */
(function () {
  "use strict";

  var OUTBOX = "fangpin.visits.outbox";
  var RETRY_MS = 60000;
  var DRAFT_DAYS = 7;  // an older half-filled card is about another visit: start afresh
  var text = {
    queued: "没有信号：走访已保存在本机，恢复信号后会自动提交。",
    login: "登录已过期：走访已保存在本机，重新登录后会自动提交。",
    restored: "已恢复上次未提交的填写内容。",
    sent: "离线保存的走访已提交：",
    failed: "有离线保存的走访未通过检查，请打开该户重新提交。",
    waiting: "本机有待提交的走访："
  };

  function load(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or blocked */ }
  }
  function forget(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* blocked */ }
  }
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  function say(message, kind) {
    var box = document.getElementById("visit-offline-status");
    if (!box) { return; }
    box.textContent = message;
    box.className = "alert alert-" + (kind || "warning");
    box.hidden = !message;
  }

  function pairsOf(form, submitter) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) { pairs.push([name, String(value)]); });
    if (submitter && submitter.name) { pairs.push([submitter.name, submitter.value]); }
    return pairs;
  }

  function restore(form, pairs) {
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) { box.checked = false; });
    pairs.forEach(function (pair) {
      if (pair[0] === "csrfmiddlewaretoken" || pair[0] === "all_unchanged") { return; }
      var fields = form.querySelectorAll('[name="' + pair[0].replace(/"/g, "") + '"]');
      Array.prototype.forEach.call(fields, function (field) {
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === pair[1]) { field.checked = true; }
        } else {
          field.value = pair[1];
        }
      });
    });
  }

  function send(entry) {
    var body = new URLSearchParams();
    var token = cookie("csrftoken");
    entry.pairs.forEach(function (pair) {
      body.append(pair[0], pair[0] === "csrfmiddlewaretoken" && token ? token : pair[1]);
    });
    return fetch(entry.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token}
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { return {state: "login"}; }
      return response.json().then(function (data) {
        return data.ok ? {state: "sent", url: data.url} : {state: "invalid", errors: data.errors};
      });
    });
  }

  function queue(entry) {
    var outbox = load(OUTBOX, []).filter(function (queued) { return queued.key !== entry.key; });
    outbox.push(entry);
    store(OUTBOX, outbox);
  }

  var flushing = false;
  function flush() {
    var outbox = load(OUTBOX, []);
    if (flushing || !outbox.length || navigator.onLine === false) {
      if (outbox.length) { say(text.waiting + outbox.map(function (e) { return e.title; }).join("、")); }
      return;
    }
    flushing = true;
    var sent = [];
    var chain = Promise.resolve();
    outbox.forEach(function (entry) {
      chain = chain.then(function () {
        return send(entry).then(function (result) {
          if (result.state === "sent") {
            sent.push(entry.title);
            remove(entry.key);
          } else if (result.state === "invalid") {
            store(entry.draftKey, {pairs: entry.pairs, started: entry.started});
            remove(entry.key);
            say(text.failed, "danger");
          }
        }, function () { /* still no signal: keep it for the next try */ });
      });
    });
    chain.then(function () {
      flushing = false;
      var left = load(OUTBOX, []);
      if (sent.length) { say(text.sent + sent.join("、"), "success"); }
      if (left.length) {
        say(text.waiting + left.map(function (e) { return e.title; }).join("、"));
        window.setTimeout(flush, RETRY_MS);
      }
    });
  }
  function remove(key) {
    store(OUTBOX, load(OUTBOX, []).filter(function (queued) { return queued.key !== key; }));
  }

  function setUpForm(form) {
    var draftKey = form.dataset.draftKey;
    var draft = load(draftKey, null);
    var started = Date.now();
    if (draft && started - (draft.started || 0) > DRAFT_DAYS * 86400000) {
      forget(draftKey);
      draft = null;
    }
    if (draft && !form.dataset.bound) {
      restore(form, draft.pairs);
      started = draft.started || started;
      say(text.restored, "info");
    }
    var keyField = form.querySelector("[name=visit_key]");
    var secondsField = form.querySelector("[name=seconds_spent]");
    var title = (document.querySelector("h1") || {}).textContent || "";
    title = title.trim().split(/\s+/)[0];

    function saveDraft() { store(draftKey, {pairs: pairsOf(form), started: started}); }
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);

    var native = false;
    form.addEventListener("submit", function (event) {
      if (native) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      if (secondsField) { secondsField.value = Math.round((Date.now() - started) / 1000); }
      var entry = {key: keyField ? keyField.value : String(started), url: form.action || window.location.href,
                   pairs: pairsOf(form, submitter), draftKey: draftKey, started: started, title: title};
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
      send(entry).then(function (result) {
        if (result.state === "sent") {
          forget(draftKey);
          window.location.href = result.url;
        } else if (result.state === "invalid") {
          native = true;
          Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = false; });
          form.requestSubmit(submitter || undefined);
        } else {
          forget(draftKey);
          queue(entry);
          say(text.login);
        }
      }, function () {
        forget(draftKey);
        queue(entry);
        say(text.queued);
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = false; });
        window.setTimeout(flush, RETRY_MS);
      });
    });
  }

  /* A recorded visit's page forgets the draft it came from (a form sent the ordinary way, after
     the server asked for a correction, leaves its draft behind otherwise). */
  function forgetRecorded(marker) {
    var draft = load(marker.dataset.draftKey, null);
    var recorded = marker.dataset.visitKey;
    if (draft && recorded && draft.pairs.some(function (p) { return p[0] === "visit_key" && p[1] === recorded; })) {
      forget(marker.dataset.draftKey);
    }
  }

  var form = document.getElementById("visit-form");
  if (form) { setUpForm(form); }
  var recorded = document.getElementById("visit-recorded");
  if (recorded) { forgetRecorded(recorded); }
  window.addEventListener("online", flush);
  flush();
}());
