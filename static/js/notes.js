// Private notes, kept in this browser only (localStorage); every page works without this file.
// - On a trial page or a pre-screen result: select words and add a note, or add one to a
//   section; notes show beside their words, can be changed and deleted, and survive a reload.
// - "Share my notes": the notes are sealed here (static/js/sealing.js) before anything is sent.
// - A shared link: the passcode is checked and the notes opened here, so the server never sees them.
// - The page for the doctor: the notes of its trials are added to the page and to its PDF form.
// Notes are drawn with textContent only: a note can never become markup.

var STORE_KEY = "trialfinder.notes.v1";
var MAX_NOTES = 30;
var MAX_PASSAGE = 500;
var strings = document.getElementById("note-strings");
var sectionTitles = readJson("note-sections") || {};

function readJson(id) {
  var element = document.getElementById(id);
  if (!element) return null;
  try {
    return JSON.parse(element.textContent);
  } catch (error) {
    return null;
  }
}

function text(name) {
  return strings ? strings.dataset[name] || "" : "";
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, function (_match, key) {
    return String(values[key]);
  });
}

function announce(message) {
  var announcer = document.getElementById("note-announcer");
  if (!announcer) return;
  announcer.textContent = "";
  window.setTimeout(function () {
    announcer.textContent = message;
  }, 50);
}

function fromTemplate(id) {
  var template = document.getElementById(id);
  return template ? template.content.firstElementChild.cloneNode(true) : null;
}

function oneLine(value) {
  return (value || "").replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------------------
// The store

var store = {
  works: function () {
    try {
      localStorage.setItem(STORE_KEY + ".check", "1");
      localStorage.removeItem(STORE_KEY + ".check");
      return true;
    } catch (error) {
      return false;
    }
  },
  all: function () {
    try {
      var notes = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
      return Array.isArray(notes) ? notes.filter(isNote) : [];
    } catch (error) {
      return [];
    }
  },
  save: function (notes) {
    localStorage.setItem(STORE_KEY, JSON.stringify(notes));
  },
  forTrials: function (trials) {
    return this.all().filter(function (note) {
      return trials.indexOf(note.trial) !== -1;
    });
  },
};

function isNote(note) {
  return note && typeof note.id === "string" && typeof note.trial === "string" && typeof note.text === "string";
}

function newId() {
  var bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.prototype.map.call(bytes, function (b) {
    return b.toString(16).padStart(2, "0");
  }).join("");
}

// What is shared or printed: the same shape as trials/notes.py reads.
function plain(notes) {
  return notes.map(function (note) {
    return { trial: note.trial, section: note.section, passage: note.passage || "", text: note.text };
  });
}

function drawNoteCard(note, withActions) {
  var card = fromTemplate("note-template");
  card.querySelector(".note-section").textContent = "";
  var passage = card.querySelector(".note-passage");
  if (note.passage) passage.textContent = note.passage;
  else passage.remove();
  card.querySelector(".note-text").textContent = note.text;
  if (!withActions) {
    // Shared, listed or printed: the section says where the note belongs; "your note" would be wrong.
    card.querySelector(".note-actions").remove();
    card.querySelector(".note-label").remove();
    card.querySelector(".note-section").textContent = sectionTitles[note.section] || "";
    card.removeAttribute("role");
  }
  return card;
}

// ---------------------------------------------------------------------------
// Notes in place, on a trial page or a result

function initInline(hooks) {
  if (!store.works()) {
    // The hooks stay links to the notes page, which needs no storage.
    var panel = document.querySelector("[data-notes-panel]");
    if (panel) {
      panel.hidden = false;
      panel.querySelector("[data-notes-count]").textContent = text("noStorage");
    }
    return;
  }
  var places = [];
  hooks.forEach(function (hook) {
    var section = hook.closest("section");
    if (!section) return;
    var place = { hook: hook, section: section, trial: hook.dataset.noteTrial, key: hook.dataset.noteSection };
    var old = hook.querySelector(".note-add");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-link note-add";
    button.textContent = old.textContent;
    if (old.getAttribute("aria-describedby")) button.setAttribute("aria-describedby", old.getAttribute("aria-describedby"));
    old.replaceWith(button);
    button.addEventListener("click", function () {
      openEditor(place, selectionIn(place) || "", null);
    });
    place.button = button;
    places.push(place);
  });
  var trials = places.map(function (place) {
    return place.trial;
  });

  function placeOf(note) {
    return places.find(function (place) {
      return place.trial === note.trial && place.key === note.section;
    });
  }

  function drawAll() {
    document.querySelectorAll(".note-card[data-note-id], .note-editor").forEach(function (element) {
      element.remove();
    });
    var ranges = [];
    var notes = store.forTrials(trials);
    notes.forEach(function (note) {
      var place = placeOf(note);
      if (!place) return;
      var card = drawNoteCard(note, true);
      card.dataset.noteId = note.id;
      var found = note.passage ? findPassage(place.section, note.passage) : null;
      if (found) {
        ranges.push(found.range);
        afterBlock(place.section, found.range.startContainer).after(card);
      } else {
        if (note.passage) card.querySelector(".note-missing").hidden = false;
        place.hook.before(card);
      }
      card.querySelector("[data-note-edit]").addEventListener("click", function () {
        openEditor(place, note.passage, note, card);
      });
      card.querySelector("[data-note-delete]").addEventListener("click", function () {
        remove(note, place);
      });
    });
    if (window.CSS && CSS.highlights && window.Highlight) {
      CSS.highlights.set("trialfinder-note", new Highlight(...ranges));
    }
    var panel = document.querySelector("[data-notes-panel]");
    if (panel) {
      panel.hidden = false;
      panel.querySelector("[data-notes-count]").textContent = format(text("count"), { count: notes.length });
      var share = panel.querySelector("[data-notes-share-link]");
      share.hidden = notes.length === 0;
      var url = new URL(share.href, window.location.href);
      url.search = "";
      trials.filter(unique).forEach(function (trial) {
        url.searchParams.append("trial", trial);
      });
      share.href = url.pathname + url.search;
    }
  }

  function openEditor(place, passage, note, card) {
    document.querySelectorAll(".note-editor").forEach(function (editor) {
      editor.remove();
    });
    var editor = fromTemplate("note-editor-template");
    var id = "note-editor-" + newId();
    var textarea = editor.querySelector("textarea");
    textarea.id = id;
    editor.querySelector("label").htmlFor = id;
    textarea.value = note ? note.text : "";
    if (passage) {
      editor.querySelector(".note-about").hidden = false;
      var quote = editor.querySelector(".note-passage");
      quote.hidden = false;
      quote.textContent = passage;
    }
    if (card) {
      card.hidden = true;
      card.after(editor);
    } else {
      place.hook.before(editor);
    }
    editor.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = textarea.value.trim();
      if (!value) {
        editor.querySelector(".note-error").hidden = false;
        textarea.setAttribute("aria-invalid", "true");
        textarea.focus();
        return;
      }
      var notes = store.all();
      if (note) {
        notes.forEach(function (item) {
          if (item.id === note.id) item.text = value;
        });
      } else {
        if (notes.length >= MAX_NOTES) notes.shift();
        notes.push({ id: newId(), trial: place.trial, section: place.key, passage: passage, text: value });
      }
      store.save(notes);
      drawAll();
      place.button.focus();
      announce(note ? text("changed") : text("kept"));
    });
    editor.querySelector("[data-note-cancel]").addEventListener("click", function () {
      editor.remove();
      if (card) card.hidden = false;
      place.button.focus();
    });
    textarea.focus();
  }

  var lastDeleted = null;

  function remove(note, place) {
    var notes = store.all();
    lastDeleted = { note: note, index: notes.findIndex((item) => item.id === note.id) };
    store.save(
      notes.filter(function (item) {
        return item.id !== note.id;
      })
    );
    drawAll();
    // The deleted note can be brought back with one press, until the next change.
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "btn btn-link btn-sm note-undo";
    undo.textContent = text("undo");
    var line = document.createElement("p");
    line.className = "note-undo-line";
    line.textContent = text("deleted") + " ";
    line.appendChild(undo);
    place.hook.before(line);
    undo.addEventListener("click", function () {
      if (!lastDeleted) return;
      var current = store.all();
      current.splice(Math.max(lastDeleted.index, 0), 0, lastDeleted.note);
      store.save(current);
      lastDeleted = null;
      line.remove();
      drawAll();
      place.button.focus();
    });
    undo.focus();
    announce(text("deleted"));
  }

  // Selecting words in a section offers a note about them.
  var bar = fromTemplate("note-selection-template");
  var pending = null;
  if (bar) {
    bar.hidden = true;
    document.body.appendChild(bar);
    var barButton = bar.querySelector("button");
    // Pressing the button must not clear the selection it is about.
    barButton.addEventListener("pointerdown", function (event) {
      event.preventDefault();
    });
    barButton.addEventListener("click", function () {
      if (!pending) return;
      var chosen = pending;
      bar.hidden = true;
      window.getSelection().removeAllRanges();
      openEditor(chosen.place, chosen.passage, null);
    });
    var showBar = function () {
      pending = currentSelection();
      bar.hidden = !pending;
    };
    document.addEventListener("selectionchange", debounce(showBar, 200));
    // Words may be selected before this script has run.
    showBar();
  }

  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    var place = places.find(function (candidate) {
      return candidate.section.contains(range.startContainer) && candidate.section.contains(range.endContainer);
    });
    var inNote = range.startContainer.parentElement && range.startContainer.parentElement.closest(".note-card, .note-editor");
    var passage = oneLine(selection.toString()).slice(0, MAX_PASSAGE);
    if (!place || inNote || !passage) return null;
    return { place: place, passage: passage };
  }

  function selectionIn(place) {
    var current = currentSelection();
    return current && current.place === place ? current.passage : "";
  }

  window.addEventListener("storage", function (event) {
    if (event.key === STORE_KEY) drawAll();
  });
  drawAll();
}

// A moment in the reader's own time zone and language ("2026년 12월 6일 오전 7:34").
function localTime(iso) {
  try {
    var options = { dateStyle: "long", timeStyle: "short" };
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(new Date(iso));
  } catch (error) {
    return "";
  }
}

function unique(value, index, list) {
  return list.indexOf(value) === index;
}

function debounce(callback, wait) {
  var timer = null;
  return function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(callback, wait);
  };
}

// Finds the passage in the section's text, however the page breaks its lines,
// and returns a Range over it (or null when the words are gone).
function findPassage(section, passage) {
  var walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT, {
    acceptNode: function (node) {
      return node.parentElement.closest(".note-card, .note-editor, .note-hook, .note-undo-line, template, script")
        ? NodeFilter.FILTER_REJECT
        : NodeFilter.FILTER_ACCEPT;
    },
  });
  var flat = "";
  var map = [];
  var lastSpace = true;
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    var value = node.nodeValue;
    for (var i = 0; i < value.length; i++) {
      var space = /\s/.test(value[i]);
      if (space && lastSpace) continue;
      flat += space ? " " : value[i];
      map.push([node, i]);
      lastSpace = space;
    }
  }
  var start = flat.indexOf(passage);
  if (start === -1) return null;
  var end = start + passage.length - 1;
  var range = document.createRange();
  range.setStart(map[start][0], map[start][1]);
  range.setEnd(map[end][0], map[end][1] + 1);
  return { range: range };
}

// The block the note goes after: a paragraph, or a whole list, never inside either.
function afterBlock(section, node) {
  var element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  var block = element.closest("p, ul, ol, dl, details, address, blockquote, table, h3, h4, .trial-card, .pathway") || element;
  var outer = block.parentElement && block.parentElement.closest("ul, ol, dl, details, table, .trial-card, .pathway");
  while (outer && section.contains(outer) && outer !== section) {
    block = outer;
    outer = block.parentElement && block.parentElement.closest("ul, ol, dl, details, table, .trial-card, .pathway");
  }
  return section.contains(block) && block !== section ? block : section.lastElementChild;
}

// ---------------------------------------------------------------------------
// Sharing: seal here, send only ciphertext

function initCopyButtons() {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      var value = source.value !== undefined && source.tagName === "INPUT" ? source.value : source.textContent;
      navigator.clipboard.writeText(value.replace(/\s+/g, source.tagName === "INPUT" ? "" : " ").trim()).then(function () {
        announce(button.dataset.copied);
      });
    });
  });
}

function initShare(root) {
  var form = document.getElementById("share-form");
  root.querySelectorAll(".js-only").forEach(function (element) {
    element.hidden = false;
  });
  root.querySelectorAll(".no-js-only").forEach(function (element) {
    element.hidden = true;
  });
  var trials = Array.prototype.map.call(form.querySelectorAll('input[name="trial"]'), function (input) {
    return input.value;
  });
  var notes = store.works() ? (trials.length ? store.forTrials(trials) : store.all()) : [];
  var list = document.getElementById("share-list");
  notes.forEach(function (note) {
    var item = document.createElement("li");
    item.appendChild(drawNoteCard(note, false));
    list.appendChild(item);
  });
  var button = document.getElementById("share-button");
  if (!notes.length) {
    document.getElementById("share-none").hidden = false;
    button.disabled = true;
  }
  var status = document.getElementById("share-status");
  var params = { n: Number(root.dataset.kdfN), r: Number(root.dataset.kdfR), p: Number(root.dataset.kdfP) };

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!notes.length) return;
    var body = JSON.stringify(plain(notes));
    button.disabled = true;
    status.textContent = status.dataset.working;
    var sealing;
    try {
      sealing = await import("./sealing.js");
      if (!sealing.supported()) throw new Error("no WebCrypto");
    } catch (error) {
      // This browser cannot seal: the server seals the notes for this one request and keeps only ciphertext.
      form.querySelector('input[name="notes"]').value = body;
      form.submit();
      return;
    }
    try {
      var sealed = await sealing.seal(body, params);
      var data = new FormData(form);
      data.delete("notes");
      Object.keys(sealed.fields).forEach(function (name) {
        data.set(name, sealed.fields[name]);
      });
      var response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      var answer = await response.json();
      if (!response.ok) throw new Error(answer.error || status.dataset.failed);
      form.hidden = true;
      var made = document.getElementById("share-made");
      document.getElementById("share-link").value = answer.link;
      document.getElementById("share-passcode").textContent = sealing.displayPasscode(sealed.passcode);
      document.getElementById("share-expires").textContent = localTime(answer.expires_at) || answer.expires;
      made.hidden = false;
      status.textContent = "";
      var title = document.getElementById("share-title");
      title.focus();
    } catch (error) {
      status.textContent = error && error.message && error.message !== "Failed to fetch" ? error.message : status.dataset.failed;
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------
// Opening shared notes: the passcode never leaves this browser

function initOpen(root) {
  var form = document.getElementById("open-form");
  if (!form) return;
  var input = form.querySelector('input[name="passcode"]');
  var status = document.getElementById("open-status");
  var params = { n: Number(root.dataset.kdfN), r: Number(root.dataset.kdfR), p: Number(root.dataset.kdfP) };
  var csrf = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  var proof = null;

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var sealing;
    try {
      sealing = await import("./sealing.js");
    } catch (error) {
      sealing = null;
    }
    var passcode = sealing ? sealing.normalizePasscode(input.value) : "";
    if (!sealing || !sealing.supported() || passcode.length !== 16) {
      // The server checks it (and says what is wrong, in the page's language).
      form.submit();
      return;
    }
    status.textContent = status.dataset.working;
    try {
      var keys = await sealing.deriveKeys(passcode, sealing.fromBase64(root.dataset.salt), params);
      proof = sealing.toBase64(keys.opening);
      var response = await post(window.location.pathname, { proof: proof });
      var answer = await response.json();
      if (response.status === 403) {
        showError(answer.error);
        return;
      }
      if (!response.ok) {
        // Destroyed, deleted or expired: the page says which.
        window.location.reload();
        return;
      }
      var notes = JSON.parse(await sealing.unseal(keys, answer.nonce, answer.ciphertext));
      showNotes(notes);
    } catch (error) {
      status.textContent = status.dataset.failed;
    }
  });
  function post(url, fields) {
    var data = new FormData();
    data.set("csrfmiddlewaretoken", csrf);
    Object.keys(fields).forEach(function (name) {
      data.set(name, fields[name]);
    });
    return fetch(url, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" });
  }

  function showError(message) {
    status.textContent = "";
    var field = input.closest(".mb-3") || input.parentElement;
    var error = field.querySelector(".invalid-feedback") || document.createElement("p");
    error.className = "invalid-feedback d-block";
    error.id = "passcode-error";
    error.textContent = message;
    if (!error.parentElement) input.after(error);
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "passcode-error");
    var left = document.getElementById("tries-left");
    if (left) left.hidden = true;
    input.focus();
    input.select();
  }

  function showNotes(notes) {
    var index = readJson("trial-index") || {};
    var target = document.getElementById("opened-notes");
    var groups = {};
    notes.forEach(function (note) {
      (groups[note.trial] = groups[note.trial] || []).push(note);
    });
    Object.keys(groups).forEach(function (trial) {
      var section = fromTemplate("shared-trial-template");
      var info = index[trial];
      var headingId = "shared-" + trial;
      section.setAttribute("aria-labelledby", headingId);
      var heading = section.querySelector("h2");
      heading.id = headingId;
      heading.textContent = info ? info.title + " (" + trial + ")" : trial;
      var link = section.querySelector("a");
      if (info) {
        link.href = info.url;
        link.textContent = format(text("trialLink"), { id: trial });
      } else {
        link.parentElement.remove();
      }
      var list = section.querySelector("ol");
      groups[trial].forEach(function (note) {
        var item = document.createElement("li");
        item.appendChild(drawNoteCard(note, false));
        list.appendChild(item);
      });
      target.appendChild(section);
    });
    var doctor = document.getElementById("opened-doctor");
    doctor.querySelector('input[name="notes"]').value = JSON.stringify(plain(notes));
    Object.keys(groups).forEach(function (trial) {
      if (!index[trial]) return;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "trial";
      hidden.value = trial;
      doctor.appendChild(hidden);
    });
    form.hidden = true;
    document.getElementById("opened").hidden = false;
    document.getElementById("shared-title").focus();
    document.getElementById("opened-delete").addEventListener("click", async function () {
      var response = await post(form.dataset.deleteUrl, { proof: proof });
      var answer = await response.json();
      var opened = document.getElementById("opened");
      opened.querySelectorAll("#opened-notes, .shared-actions").forEach(function (element) {
        element.remove();
      });
      var message = document.getElementById("opened-status");
      message.textContent = answer.message || answer.error || "";
      message.setAttribute("tabindex", "-1");
      message.focus();
    });
  }
}

// ---------------------------------------------------------------------------
// The page for the doctor: add this browser's notes, unless the page came with notes

function initDoctor(root) {
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
  if (root.dataset.hasNotes === "1" || !store.works()) return;
  var places = Array.prototype.slice.call(root.querySelectorAll("[data-sheet-notes]"));
  var trials = places.map(function (place) {
    return place.dataset.sheetNotes;
  });
  var notes = store.forTrials(trials);
  if (!notes.length) return;
  places.forEach(function (place) {
    var list = place.querySelector("ol");
    notes
      .filter(function (note) {
        return note.trial === place.dataset.sheetNotes;
      })
      .forEach(function (note) {
        var item = document.createElement("li");
        item.appendChild(drawNoteCard(note, false));
        list.appendChild(item);
        place.hidden = false;
      });
  });
  // The PDF is made on the server from what the page shows, so its form carries the notes too.
  var form = document.getElementById("doctor-form");
  if (form) form.querySelector('input[name="notes"]').value = JSON.stringify(plain(notes));
}

// ---------------------------------------------------------------------------

initCopyButtons();
var hooks = Array.prototype.slice.call(document.querySelectorAll(".note-hook"));
if (hooks.length) initInline(hooks);
var shareRoot = document.querySelector("[data-notes-share]");
if (shareRoot) initShare(shareRoot);
var sharedRoot = document.querySelector("[data-shared-notes]");
if (sharedRoot) initOpen(sharedRoot);
var doctorRoot = document.querySelector("[data-doctor]");
if (doctorRoot) initDoctor(doctorRoot);
// Tests (and anyone curious) can tell that the notes are ready.
document.documentElement.dataset.notes = "ready";
