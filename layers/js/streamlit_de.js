/* Lagebild: Streamlit's own widget texts in German (file uploader, date picker, select boxes, status).
 *
 * Streamlit has no translations. This script runs once per browser tab (app.py inserts it with
 * st.html) and rewrites the framework's fixed English texts wherever they appear, now and after
 * every re-render (MutationObserver). Only whole text nodes from the tables below are replaced;
 * data texts are never touched (they are German already and do not match).
 */
(function () {
  "use strict";
  if (window.__lbGerman) return;
  window.__lbGerman = true;

  var EXACT = {
    "Skip to main content": "Zum Inhalt springen",
    "Drag and drop a file here": "Datei hierher ziehen",
    "Drag and drop files here": "Dateien hierher ziehen",
    "Drag and drop directories here": "Ordner hierher ziehen",
    "Upload": "Datei auswählen",
    "Upload directories": "Ordner auswählen",
    "Browse files": "Datei auswählen",
    "Select...": "Bitte wählen …",
    "Select…": "Bitte wählen …",
    "Choose an option": "Bitte wählen",
    "Choose date": "Datum wählen",
    "Choose date range": "Zeitraum wählen",
    "Date range": "Zeitraum",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
      "Mit den Pfeiltasten durch die Tage, Eingabetaste wählt, Escape schließt.",
    "Today": "Heute",
    "Choose options": "Bitte wählen",
    "No results": "Keine Treffer",
    "No options to select.": "Keine Auswahl möglich.",
    "Select all": "Alle auswählen",
    "Clear all": "Alle entfernen",
    "Running...": "Läuft …",
    "Stop": "Anhalten",
    "Rerun": "Neu laden",
    "Close": "Schließen",
    "Open": "Auswahl öffnen",
    "Page not found": "Seite nicht gefunden",
    "Settings": "Einstellungen",
    "Print": "Drucken",
    "About": "Über",
    "Clear cache": "Zwischenspeicher leeren",
    "Deploy": "Veröffentlichen",
    "Show more": "Mehr anzeigen",
    "Show less": "Weniger anzeigen",
    "Download as CSV": "Als CSV herunterladen",
    "Search": "Suchen",
    "Fullscreen": "Vollbild",
    "Close fullscreen": "Vollbild beenden",
    // element toolbars (tooltips; their aria-labels add ": " and the title of the chart, see the pattern below)
    "Show data": "Daten anzeigen",
    "Show chart": "Diagramm anzeigen",
    "Download as PNG": "Als PNG herunterladen",
    "Download as SVG": "Als SVG herunterladen",
    "Copy Vega-Lite spec": "Diagrammbeschreibung kopieren",
    "Copied!": "Kopiert!",
    "Show/hide columns": "Spalten ein-/ausblenden",
    "Hide column": "Spalte ausblenden",
    "Pin column": "Spalte fixieren",
    "Unpin column": "Spalte lösen",
    "Copy column name": "Spaltennamen kopieren",
    "Sort ascending": "Aufsteigend sortieren",
    "Sort descending": "Absteigend sortieren",
    "Clear selection": "Auswahl aufheben",
    "Close Search": "Suche schließen",
    "Next Result": "Nächster Treffer",
    "Previous Result": "Vorheriger Treffer",
    // screen-reader labels
    "Collapse sidebar": "Seitenleiste einklappen",
    "Expand sidebar": "Seitenleiste ausklappen",
    "Show password": "Passwort anzeigen",
    "Hide password": "Passwort verbergen",
    "Previous month": "Vorheriger Monat",
    "Next month": "Nächster Monat",
    "Increment": "Erhöhen",
    "Decrement": "Verringern",
    "Link to heading": "Link zu dieser Überschrift",
    "App pages": "Seiten",
    "Add files": "Dateien hinzufügen",
    "file upload": "Datei hochladen",
    "Selected values": "Gewählte Werte",
    "January": "Januar", "February": "Februar", "March": "März", "May": "Mai", "June": "Juni",
    "July": "Juli", "October": "Oktober", "December": "Dezember",
  };
  // weekday abbreviations: only inside the date picker's calendar
  var CALENDAR = { "Mo": "Mo", "Tu": "Di", "We": "Mi", "Th": "Do", "Fr": "Fr", "Sa": "Sa", "Su": "So",
    "T": "D", "W": "M" };
  var PATTERNS = [
    [/^(\d+(?:\.\d+)?)\s*([KMG]?B) per file$/, function (m) {
      return "höchstens " + m[1].replace(".", ",") + " " + m[2] + " je Datei";
    }],
    [/^(January|February|March|April|May|June|July|August|September|October|November|December) (\d{4})$/,
      function (m) { return (EXACT[m[1]] || m[1]) + " " + m[2]; }],
  ];
  // toolbar buttons' aria-labels: "Show data: Spritzenfunde je Monat" (the label, the element's title)
  PATTERNS.push([/^(Show data|Show chart|Download as PNG|Download as SVG|Copy Vega-Lite spec|Fullscreen|Close fullscreen|Download as CSV|Search|Show\/hide columns): (.+)$/,
    function (m) { return EXACT[m[1]] + ": " + m[2]; }]);
  // a URL that names no page (e.g. /lagekarte: the first page lives at the app's root address)
  PATTERNS.push([/^(?:The page that you have requested does not seem to exist|You have requested page \S*, but no corresponding file was found in the app's pages\/ directory)\. Running the app's main page\.$/,
    function () { return "Diese Adresse gehört zu keiner Seite; die Startseite wird angezeigt."; }]);
  PATTERNS.push([/^Remove (.+)$/, function (m) { return m[1] + " entfernen"; }]);
  PATTERNS.push([/^Help for (.+)$/, function (m) { return "Hilfe zu " + m[1]; }]);
  var WEEKDAYS = { "Monday": "Montag", "Tuesday": "Dienstag", "Wednesday": "Mittwoch", "Thursday": "Donnerstag",
    "Friday": "Freitag", "Saturday": "Samstag", "Sunday": "Sonntag" };
  function germanDate(text) {  // "Thursday, October 1, 2026" -> "Donnerstag, 1. Oktober 2026"
    var m = /^(?:(\w+), )?(\w+) (\d{1,2}), (\d+)$/.exec(text.trim());
    if (!m) return text;
    return (m[1] ? (WEEKDAYS[m[1]] || m[1]) + ", " : "") + m[3] + ". " + (EXACT[m[2]] || m[2]) + " " + m[4];
  }
  // what the date picker announces to screen readers
  PATTERNS.push([/^Selected Date: (.*)$/, function (m) { return "Gewähltes Datum: " + germanDate(m[1]); }]);
  PATTERNS.push([/^Selected Range: (.*) to (.*)$/, function (m) {
    return "Gewählter Zeitraum: " + germanDate(m[1]) + " bis " + germanDate(m[2]);
  }]);
  PATTERNS.push([/^Selected Range: (.*)$/, function (m) { return "Gewählter Zeitraum: " + m[1]; }]);
  PATTERNS.push([/^Choose date(?: range| and time)?, (\w+) (\d{4})$/, function (m) {
    return "Datum wählen, " + (EXACT[m[1]] || m[1]) + " " + m[2];
  }]);
  PATTERNS.push([/^Selected Time: (.*)$/, function (m) { return "Gewählte Uhrzeit: " + m[1]; }]);
  var ATTRS = ["placeholder", "aria-label", "title"];

  function inCalendar(node) {
    var e = node.parentElement;
    return !!(e && e.closest && e.closest('[role="grid"], [data-baseweb="calendar"], [data-baseweb="datepicker"]'));
  }

  function translated(text, node) {
    var key = text.trim();
    if (!key) return null;
    var out = null;
    if (Object.prototype.hasOwnProperty.call(EXACT, key)) out = EXACT[key];
    else if (node && Object.prototype.hasOwnProperty.call(CALENDAR, key) && inCalendar(node)) out = CALENDAR[key];
    else {
      for (var i = 0; i < PATTERNS.length; i++) {
        var m = PATTERNS[i][0].exec(key);
        if (m) { out = PATTERNS[i][1](m); break; }
      }
    }
    return out === null || out === key ? null : text.replace(key, out);
  }

  function fixText(node) {
    var t = translated(node.nodeValue, node);
    if (t !== null) node.nodeValue = t;
  }

  function fixElement(el) {
    for (var i = 0; i < ATTRS.length; i++) {
      var v = el.getAttribute && el.getAttribute(ATTRS[i]);
      if (v) {
        var t = translated(v, null);
        if (t !== null) el.setAttribute(ATTRS[i], t);
      }
    }
  }

  function walk(root) {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1 || root.tagName === "SCRIPT" || root.tagName === "STYLE") return;
    fixElement(root);
    var it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var n;
    while ((n = it.nextNode())) {
      if (n.nodeType === 3) fixText(n);
      else fixElement(n);
    }
  }

  walk(document.body);
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "characterData") fixText(r.target);
      else if (r.type === "attributes") fixElement(r.target);
      else r.addedNodes.forEach(walk);
    });
  }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ATTRS });
})();
