/* 12345 hotline console: results as the agent types, keyboard only, one key to copy.
 *
 * The page works without this script (a GET form and links). With it, the search box becomes a
 * combobox over a listbox of results (ARIA 1.2 pattern): focus stays in the box, arrows move the
 * selection, Enter opens the answer in the answer pane, Ctrl+Enter copies it. In the answer pane
 * C copies, Y records 已解决, N records 没帮助, Esc goes back to the box. Every open, copy and
 * mark is posted to the server for the high-frequency statistics. No data is ever inserted as
 * HTML: everything goes through textContent.
 */
(function () {
  "use strict";

  var form = document.querySelector(".console-search");
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var pane = document.getElementById("answer");
  var body = document.getElementById("answer-body");
  var live = document.getElementById("console-status");
  var review = document.getElementById("review");
  if (!form || !input || !list || !pane || !body) {
    return;
  }
  var searchUrl = form.getAttribute("data-search-url");
  var eventUrl = form.getAttribute("data-event-url");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = tokenMeta ? tokenMeta.getAttribute("content") : "";

  var results = [];
  var active = -1;
  var opened = null;
  var queryId = null;
  var timer = null;
  var sequence = 0;
  var lastQuery = null;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", "results");
  input.setAttribute("aria-expanded", "false");
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-labelledby", "results-title");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function say(message) {
    if (live) {
      live.textContent = message;
    }
  }

  function post(eventName, entry) {
    if (!entry || !eventUrl) {
      return Promise.resolve();
    }
    return fetch(eventUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ event: eventName, entry_id: entry.id, query_id: queryId })
    }).catch(function () {
      /* statistics are best effort: never disturb the call */
    });
  }

  function optionId(entry) {
    return "opt-" + entry.id;
  }

  function select(index) {
    if (!results.length) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      return;
    }
    active = (index + results.length) % results.length;
    var options = list.querySelectorAll('[role="option"]');
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === active ? "true" : "false");
    }
    input.setAttribute("aria-activedescendant", optionId(results[active]));
    options[active].scrollIntoView({ block: "nearest" });
  }

  function renderList() {
    list.textContent = "";
    results.forEach(function (entry, i) {
      var li = el("li", "qa-result" + (entry.needs_review ? " is-review" : ""));
      li.id = optionId(entry);
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.appendChild(el("span", "q-text", entry.question));
      var meta = [entry.topic || "", entry.needs_review ? "【待复核】" : ""].join(" ").trim();
      if (meta) {
        li.appendChild(el("span", "qa-meta", meta));
      }
      li.addEventListener("mousedown", function (ev) {
        ev.preventDefault(); /* keep focus in the search box */
      });
      li.addEventListener("click", function () {
        select(i);
        open(i);
      });
      list.appendChild(li);
    });
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
    select(0);
  }

  function renderAnswer(entry) {
    body.textContent = "";
    body.appendChild(el("h3", "answer-question", entry.question));
    var meta = [entry.status_label, entry.topic, entry.department].filter(Boolean).join(" · ");
    body.appendChild(el("p", "qa-meta", meta));
    if (entry.needs_review) {
      var warn = el("div", "review-warning");
      warn.setAttribute("role", "note");
      warn.appendChild(el("strong", null, "注意：此答案待复核，答复来电前请核实。"));
      if (entry.review_reason) {
        warn.appendChild(document.createElement("br"));
        warn.appendChild(document.createTextNode("原因：" + entry.review_reason));
      }
      body.appendChild(warn);
    }
    body.appendChild(el("div", "answer-text", entry.answer));

    var actions = el("div", "actions");
    var copyButton = el("button", null, "复制答案（C）");
    copyButton.type = "button";
    copyButton.addEventListener("click", copy);
    var solved = el("button", null, "已解决（Y）");
    solved.type = "button";
    solved.addEventListener("click", function () { mark("solved"); });
    var unhelpful = el("button", "button-secondary", "没帮助（N）");
    unhelpful.type = "button";
    unhelpful.addEventListener("click", function () { mark("not_helpful"); });
    actions.appendChild(copyButton);
    actions.appendChild(solved);
    actions.appendChild(unhelpful);
    actions.appendChild(el("span", "copied-slot"));
    body.appendChild(actions);

    body.appendChild(el("h3", null, "政策依据"));
    if (entry.basis.length) {
      var ul = el("ul", "basis-list");
      entry.basis.forEach(function (b) {
        var li = el("li");
        if (b.url) {
          var a = el("a", null, b.title || b.ref);
          a.href = b.url;
          li.appendChild(a);
        } else {
          li.appendChild(document.createTextNode(b.ref));
        }
        if (b.doc_number) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "muted", b.doc_number));
        }
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "badge" + (b.status ? " status-" + b.status : ""), b.status_label));
        ul.appendChild(li);
      });
      body.appendChild(ul);
    } else {
      body.appendChild(el("p", "muted", "未填写政策依据。"));
    }
    body.appendChild(el("p", null, "最后复核：" + (entry.last_reviewed_on || "尚未复核")));
    var more = el("a", null, "查看完整条目");
    more.href = entry.url;
    body.appendChild(el("p")).appendChild(more);
  }

  function open(index) {
    if (index < 0 || index >= results.length) {
      return;
    }
    opened = results[index];
    renderAnswer(opened);
    post("open", opened);
    say("已打开：" + opened.question + (opened.needs_review ? "（待复核，请核实）" : ""));
    pane.focus();
  }

  function confirmCopied(message) {
    var slot = body.querySelector(".copied-slot");
    if (slot) {
      slot.textContent = "";
      slot.appendChild(el("span", "copied", message));
    }
    say(message);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  function copy() {
    var entry = opened;
    if (!entry) {
      return;
    }
    copyText(entry.answer).then(
      function () { confirmCopied("已复制答案"); },
      function () { confirmCopied("无法自动复制：请选中答案文字后按 Ctrl+C"); }
    );
    post("copy", entry);
  }

  function mark(eventName) {
    if (!opened) {
      return;
    }
    post(eventName, opened);
    confirmCopied(eventName === "solved" ? "已记录：问题已解决" : "已记录：答案没帮助");
  }

  function run() {
    var q = input.value.trim();
    var key = q + "|" + (review && review.checked ? "1" : "0");
    if (key === lastQuery) {
      return;
    }
    lastQuery = key;
    var mine = ++sequence;
    if (!q) {
      results = [];
      renderList();
      say("");
      return;
    }
    var url = searchUrl + "?q=" + encodeURIComponent(q) + (review && review.checked ? "&review=1" : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        return resp.json();
      })
      .then(function (data) {
        if (mine !== sequence) {
          return; /* an answer to an older keystroke */
        }
        results = data.results;
        queryId = data.query_id;
        renderList();
        say(results.length ? "找到 " + results.length + " 条，按 Enter 打开第一条" : "没有找到匹配的问答");
      })
      .catch(function () {
        if (mine === sequence) {
          say("查找失败，请稍后重试或按“查找”按钮。");
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, 120);
  }

  input.addEventListener("input", schedule);
  if (review) {
    review.addEventListener("change", function () { lastQuery = null; run(); });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    window.clearTimeout(timer);
    run();
  });

  input.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown") {
      ev.preventDefault();
      select(active + 1);
    } else if (ev.key === "ArrowUp") {
      ev.preventDefault();
      select(active - 1);
    } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      if (results.length) {
        open(active);
        copy();
      }
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      window.clearTimeout(timer);
      if (results.length && lastQuery === input.value.trim() + "|" + (review && review.checked ? "1" : "0")) {
        open(active);
      } else {
        run();
      }
    } else if (ev.key === "Escape") {
      input.value = "";
      run();
    }
  });

  pane.addEventListener("keydown", function (ev) {
    if (ev.target !== pane && ev.target.tagName !== "DIV") {
      if (ev.key === "Escape") {
        input.focus();
      }
      return; /* a focused button or link handles its own keys */
    }
    var key = ev.key.toLowerCase();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) {
      if (ev.key === "Enter") {
        ev.preventDefault();
        copy();
      }
      return;
    }
    if (key === "c") {
      ev.preventDefault();
      copy();
    } else if (key === "y") {
      ev.preventDefault();
      mark("solved");
    } else if (key === "n") {
      ev.preventDefault();
      mark("not_helpful");
    } else if (ev.key === "Escape" || ev.key === "/") {
      ev.preventDefault();
      input.focus();
      input.select();
    }
  });

  input.focus();
  if (input.value.trim()) {
    run();
  }
})();
