// The chat page, enhanced: the composer posts with fetch and reads the reply as Server-Sent Events
// (POST /api/twins/{id}/chat with "stream": true), showing the text as it arrives and, once the turn
// is stored, the server-rendered reply with its trace. Without JavaScript, or where a stream cannot
// be read, the form posts and redirects as before. A static file, no inline script: the pages run
// under a Content-Security-Policy with script-src 'self'.
(function () {
  "use strict";

  const form = document.querySelector("form.composer");
  if (!form) return;
  const box = form.querySelector("#message");
  const button = form.querySelector("button[type=submit]");

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  if (!window.location.hash) box.focus();

  const canStream = Boolean(window.fetch && window.TextDecoder && window.ReadableStream && form.dataset.streamUrl);

  form.addEventListener("submit", function (event) {
    busy(true);
    if (!canStream || !box.value.trim()) return; // the ordinary post (the server explains an empty message)
    event.preventDefault();
    send(box.value).catch(function () {
      // No stream could be opened (network, an unexpected answer): nothing was stored, so the
      // ordinary post is safe. Failures after the stream opened are handled inside send().
      form.submit();
    });
  });

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? "Sending…" : "Send";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(text) {
    let alert = form.querySelector(".error");
    if (!alert) {
      alert = element("p", "error");
      alert.setAttribute("role", "alert");
      form.insertBefore(alert, form.querySelector("label"));
    }
    alert.textContent = text;
  }

  function clearError() {
    const alert = form.querySelector(".error");
    if (alert) alert.remove();
  }

  // The user's message and a reply bubble that fills as deltas arrive; the trace comes with "done".
  function pendingTurn(message) {
    const list = document.querySelector(".messages");
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    const userRow = element("div", "msg-row user");
    const userBubble = element("div", "bubble user-bubble", message);
    userBubble.style.whiteSpace = "pre-wrap";
    userRow.append(userBubble);
    const replyRow = element("div", "msg-row assistant");
    replyRow.dataset.testid = "streaming";
    const reply = element("div", "bubble assistant-bubble", "");
    reply.dataset.testid = "reply";
    reply.style.whiteSpace = "pre-wrap";
    const trace = element("aside", "trace muted small", "Replying…");
    trace.dataset.testid = "trace-pending";
    replyRow.append(reply, trace);
    list.append(userRow, replyRow);
    replyRow.scrollIntoView({block: "end"});
    return {reply: reply, remove: function () { userRow.remove(); replyRow.remove(); }};
  }

  async function send(message) {
    clearError();
    const body = {message: message, stream: true};
    const conversation = form.querySelector("input[name=conversation_id]");
    if (conversation) body.conversation_id = conversation.value;
    const response = await fetch(form.dataset.streamUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify(body),
    });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.startsWith("text/event-stream")) {
      // A JSON error the person can act on (too long, throttled, the model is down): show it here.
      if (type.startsWith("application/json") && [400, 429, 502, 503].includes(response.status)) {
        const error = await response.json();
        showError(errorText(error));
        busy(false);
        return;
      }
      throw new Error("no stream");
    }
    const turn = pendingTurn(message);
    box.value = "";
    let outcome;
    try {
      outcome = await readEvents(response, function (text) { turn.reply.textContent += text; });
    } catch (error) {
      outcome = {error: {detail: "The reply was interrupted. Send it again."}};
    }
    if (outcome.done) {
      const url = form.dataset.pageUrl + "?conversation=" + encodeURIComponent(outcome.done.conversation_id);
      // The turn is stored: from here on, never post it again; at worst, load its page.
      await showStoredTurn(url, outcome.done.conversation_id).catch(function () {
        window.location.assign(url + "#latest");
      });
    } else {
      // The server stores nothing for a turn that ends without "done": take the half reply away and
      // give the message back.
      turn.remove();
      box.value = message;
      showError(errorText(outcome.error || {detail: "The reply was interrupted. Send it again."}));
    }
    busy(false);
  }

  function errorText(error) {
    const first = error.errors && error.errors[0];
    return first && first.path === "/message" ? "Message " + first.message + "." : error.detail;
  }

  // Reads "event:"/"data:" blocks; calls onDelta with each delta's text; resolves with {done} or {error}.
  async function readEvents(response, onDelta) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return {};
      buffer += decoder.decode(chunk.value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        const data = [];
        block.split("\n").forEach(function (line) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trim());
        });
        if (!data.length) continue;
        const payload = JSON.parse(data.join("\n"));
        if (name === "delta") onDelta(payload.text);
        else if (name === "done") return {done: payload};
        else if (name === "error") return {error: payload};
      }
    }
  }

  // The stored turn as the server renders it (one template for the reply and its trace, with or
  // without JavaScript): the conversation's messages and the sidebar, from the conversation's page.
  async function showStoredTurn(url, conversationId) {
    const page = await fetch(url, {credentials: "same-origin"});
    if (!page.ok) {
      window.location.assign(url + "#latest");
      return;
    }
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
    ["section.chat-main .messages", "aside.sidebar"].forEach(function (selector) {
      const current = document.querySelector(selector);
      const replacement = fresh.querySelector(selector);
      if (current && replacement) current.replaceWith(replacement);
    });
    let hidden = form.querySelector("input[name=conversation_id]");
    if (!hidden) {
      hidden = element("input");
      hidden.type = "hidden";
      hidden.name = "conversation_id";
      form.prepend(hidden);
    }
    hidden.value = conversationId;
    window.history.replaceState(null, "", url + "#latest");
    const latest = document.getElementById("latest");
    if (latest) latest.scrollIntoView({block: "end"});
  }
})();
