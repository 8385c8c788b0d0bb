/* Live chat room: websocket with catch-up by sequence number, polling fallback, idempotent sends.
   Every message has a per-room sequence number; the page remembers the last one it showed and asks
   for everything after it on (re)connect, so reloading or a dropped network never skips or repeats. */
(function () {
  "use strict";
  var root = document.getElementById("chat-room");
  if (!root) return;
  var data = root.dataset;
  var list = root.querySelector("[data-messages]");
  var statusEl = root.querySelector("[data-status]");
  var noticeEl = root.querySelector("[data-notice]");
  var emptyEl = root.querySelector("[data-empty]");
  var presenceEl = root.querySelector("[data-presence]");
  var composer = root.querySelector("[data-composer]");
  var answering = root.querySelector("[data-answering]");
  var lengthEl = root.querySelector("[data-length]");
  var me = Number(data.me);
  var moderator = data.moderator === "1";
  var maxLength = Number(data.maxLength);
  var lastSeq = Number(data.lastSeq) || 0;
  var pending = new Map(); // client_id -> {body, prompt, li, state}
  var socket = null, opened = false, failures = 0, polling = null, closing = false;

  function t(key) { return data["i18n" + key.charAt(0).toUpperCase() + key.slice(1)] || key; }
  function setStatus(text) { if (statusEl) statusEl.textContent = text; }
  function notice(text) {
    if (!noticeEl) return;
    noticeEl.textContent = text || "";
    noticeEl.hidden = !text;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function button(label, attr, value) {
    var b = el("button", "button button--secondary button--small", label);
    b.type = "button";
    b.setAttribute(attr, value);
    return b;
  }

  function render(ev) {
    var li = el("li", "msg msg--" + ev.kind + (ev.hidden ? " msg--hidden" : ""));
    li.id = "m" + ev.seq;
    li.dataset.seq = ev.seq;
    if (ev.client_id) li.dataset.clientId = ev.client_id;
    if (ev.kind === "notice") {
      li.appendChild(el("p", "msg__notice", ev.body));
      return li;
    }
    var meta = el("p", "msg__meta small");
    if (ev.kind === "prompt") meta.appendChild(el("strong", "msg__label", "Q" + ev.prompt));
    else if (ev.prompt) meta.appendChild(el("span", "chip msg__label", "A" + ev.prompt));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("strong", "msg__author", ev.author ? ev.author.name : t("someone")));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("span", "muted msg__site", ev.author ? ev.author.site : ""));
    var time = el("time", "muted", new Date(ev.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    time.setAttribute("datetime", ev.created_at);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    li.appendChild(meta);
    var body = el("p", "msg__body");
    if (ev.hidden) body.appendChild(el("em", "muted", t("hidden")));
    else body.textContent = ev.body;
    li.appendChild(body);
    if (ev.kind === "message") {
      var actions = el("p", "msg__actions row small");
      var react = button("👍 ", "data-react", ev.seq);
      react.setAttribute("aria-label", t("react"));
      react.appendChild(el("span", "", ev.reactions ? String(ev.reactions) : "")).setAttribute("data-count", "");
      actions.appendChild(react);
      if (moderator) {
        actions.appendChild(button(t("hide"), "data-hide", ev.seq));
        if (ev.author && ev.author.id !== me) actions.appendChild(button(t("mute"), "data-mute", ev.author.id));
      }
      if (ev.author && ev.author.id === me) actions.appendChild(el("span", "msg__state muted", t("delivered")));
      li.appendChild(actions);
    }
    return li;
  }

  function showMessage(ev) {
    if (ev.seq <= lastSeq && document.getElementById("m" + ev.seq)) return;
    var li = render(ev);
    var mine = ev.client_id && pending.get(ev.client_id);
    if (mine) { mine.li.replaceWith(li); pending.delete(ev.client_id); }
    else list.appendChild(li);
    if (ev.seq > lastSeq) lastSeq = ev.seq;
    if (emptyEl) emptyEl.hidden = true;
    if (ev.kind === "prompt") promptReleased(ev);
    li.scrollIntoView({ block: "nearest" });
  }

  function promptReleased(ev) {
    if (answering && !answering.querySelector('option[value="' + ev.prompt + '"]')) {
      var option = el("option", "", "Q" + ev.prompt + " — " + ev.body.slice(0, 50));
      option.value = String(ev.prompt);
      answering.appendChild(option);
      answering.value = String(ev.prompt);
    }
    var release = root.querySelector('[data-release="' + ev.prompt + '"]');
    if (release) release.remove();
  }

  function markHidden(seq) {
    var li = document.getElementById("m" + seq);
    if (!li) return;
    li.classList.add("msg--hidden");
    var body = li.querySelector(".msg__body");
    if (body) { body.textContent = ""; body.appendChild(el("em", "muted", t("hidden"))); }
  }
  function setReactions(seq, count) {
    var counter = root.querySelector('[data-react="' + seq + '"] [data-count]');
    if (counter) counter.textContent = count ? String(count) : "";
  }
  function setLocked(locked) {
    var lock = root.querySelector("[data-lock]");
    if (lock) { lock.setAttribute("data-lock", locked ? "0" : "1"); lock.textContent = locked ? t("unlock") : t("lock"); }
    if (!moderator) notice(locked ? t("locked") : "");
  }
  function applyState(state) {
    (state.hidden || []).forEach(markHidden);
    Object.keys(state.reactions || {}).forEach(function (seq) { setReactions(seq, state.reactions[seq]); });
    if ("locked" in state) setLocked(state.locked);
  }

  function pendingState(id, state, text) {
    var item = pending.get(id);
    if (!item) return;
    item.state = state;
    var stateEl = item.li.querySelector(".msg__state");
    stateEl.textContent = text;
    var retry = item.li.querySelector("[data-retry]");
    if (state === "failed" && !retry) {
      retry = button(t("retry"), "data-retry", id);
      item.li.querySelector(".msg__actions").appendChild(retry);
    } else if (state !== "failed" && retry) retry.remove();
  }

  function handle(ev) {
    switch (ev.type) {
      case "batch": ev.events.forEach(handle); break;
      case "hello":
        if (presenceEl) presenceEl.textContent = ev.presence;
        applyState(ev);
        if (ev.muted) notice(t("muted"));
        break;
      case "message": showMessage(ev); break;
      case "delivered":
        if (pending.has(ev.client_id)) pendingState(ev.client_id, "delivered", t("delivered"));
        break;
      case "failed":
        if (pending.has(ev.client_id)) pendingState(ev.client_id, "failed", t("failed") + ": " + ev.message);
        notice(ev.message);
        break;
      case "hidden": markHidden(ev.seq); break;
      case "reactions": setReactions(ev.seq, ev.count); break;
      case "locked": setLocked(ev.locked); break;
      case "muted": if (ev.person === me) notice(ev.muted ? t("muted") : ""); break;
      case "presence": if (presenceEl) presenceEl.textContent = ev.count; break;
    }
  }

  function wsUrl() {
    var base = data.wsUrl;
    if (!base) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      base = scheme + location.hostname + ":" + data.wsPort + "/ws/chats/" + data.chat + "/";
    }
    return base + "?after=" + lastSeq;
  }

  function connect() {
    setStatus(t("connecting"));
    try { socket = new WebSocket(wsUrl()); } catch (e) { return fallback(); }
    socket.onopen = function () {
      opened = true; failures = 0;
      setStatus(t("live"));
      pending.forEach(function (item, id) { if (item.state !== "failed") transmit(id); });
    };
    socket.onmessage = function (msg) { handle(JSON.parse(msg.data)); };
    socket.onclose = function (event) {
      socket = null;
      if (closing) return;
      if (event.code === 4401 || event.code === 4404) { setStatus(t("offline")); return; }
      failures += 1;
      setStatus(t("offline"));
      if (!opened && failures >= 3) return fallback();
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, failures)));
    };
  }

  // Polling when websockets are blocked (some proxies and corporate networks).
  function fallback() {
    if (polling) return;
    setStatus(t("polling"));
    pending.forEach(function (item, id) { if (item.state !== "failed") transmit(id); });
    poll();
    polling = setInterval(poll, 3000);
  }
  function poll() {
    fetch(data.eventsUrl + "?after=" + lastSeq, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { body.events.forEach(showMessage); applyState(body); } })
      .catch(function () { setStatus(t("offline")); });
  }

  function transmit(id) {
    var item = pending.get(id);
    if (!item) return;
    pendingState(id, "sending", t("sending"));
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "send", client_id: id, body: item.body, prompt: item.prompt }));
    } else if (polling) {
      var form = new FormData(composer);
      form.set("body", item.body); form.set("client_id", id); form.set("prompt", item.prompt || "");
      fetch(data.sendUrl, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.type === "delivered") { handle(body); poll(); }
          else handle({ type: "failed", client_id: id, message: body.message });
        })
        .catch(function () { pendingState(id, "failed", t("failed")); });
    }
    // Otherwise it stays pending and is sent as soon as the connection is back.
  }

  function send(body, prompt) {
    var id = newId();
    var li = el("li", "msg msg--message msg--pending");
    li.dataset.clientId = id;
    li.appendChild(el("p", "msg__body", body));
    var actions = el("p", "msg__actions row small");
    actions.appendChild(el("span", "msg__state muted", t("sending")));
    li.appendChild(actions);
    list.appendChild(li);
    if (emptyEl) emptyEl.hidden = true;
    pending.set(id, { body: body, prompt: prompt, li: li, state: "sending" });
    transmit(id);
  }

  if (composer) {
    var textarea = composer.querySelector("textarea");
    textarea.addEventListener("input", function () {
      if (lengthEl) lengthEl.textContent = textarea.value.length;
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = textarea.value.trim();
      if (!body) return;
      if (body.length > maxLength) { notice(t("tooLong")); return; }
      notice("");
      send(body, answering && answering.value ? Number(answering.value) : null);
      textarea.value = "";
      if (lengthEl) lengthEl.textContent = "0";
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    var command = null;
    if (target.hasAttribute("data-retry")) return transmit(target.getAttribute("data-retry"));
    if (target.hasAttribute("data-release")) command = { type: "release", number: Number(target.dataset.release) };
    else if (target.hasAttribute("data-lock")) command = { type: "lock", locked: target.dataset.lock === "1" };
    else if (target.hasAttribute("data-hide")) command = { type: "hide", seq: Number(target.dataset.hide) };
    else if (target.hasAttribute("data-mute")) command = { type: "mute", person: Number(target.dataset.mute), muted: true };
    else if (target.hasAttribute("data-react")) command = { type: "react", seq: Number(target.dataset.react), emoji: "👍" };
    if (command && socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
  });

  window.addEventListener("pagehide", function () { closing = true; if (socket) socket.close(); });
  connect();
})();
