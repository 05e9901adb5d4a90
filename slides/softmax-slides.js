/* Softmax Lab slides: the one Reveal.js set-up for `make present` (Voilà) and `make slides` (decks).

   Both templates render every lesson cell as <div class="softmax-cell"> inside the
   <section> that tools/notebook_structure.py's slide metadata gives it, then call
   softmaxSlides.start(Reveal, plugins). Before Reveal starts, this file
   - puts a cell's outputs on the slide after its code where the metadata says so
     (always for a scripted scenario, a "step": there with a live view of the widget it
     drives and, in `make present`, the button that runs it);
   - continues a markdown cell on a new slide where its metadata says (data-breaks:
     at an inner heading, or where the slide is full);
   - puts each slide's cells on a page of 1280 x 720 (softmax-slides.css lays it out);
   - gives a slide that continues the one before it that slide's title.
   Then Reveal runs with linear navigation: → and space visit every slide in order. */
(function () {
  "use strict";

  var HEADING = /^H[1-3]$/;
  var config = {
    width: 1280,
    height: 720,
    margin: 0,
    minScale: 0.2,
    maxScale: 3.0,
    center: false,
    navigationMode: "linear",
    controls: true,
    progress: true,
    history: true,
    slideNumber: "c/t",
    transition: "slide",
    transitionSpeed: "fast",
    // Reveal's own keys stay: ← → space n p, Home End, Esc (overview), f (full screen), s (notes).
    keyboard: true,
  };

  /** Sections that hold cells (not the horizontal stacks around them). */
  function leafSections() {
    return Array.prototype.filter.call(
      document.querySelectorAll(".reveal .slides section"),
      function (section) { return !section.querySelector("section"); });
  }

  function isHeading(element) {
    return Boolean(element) && HEADING.test(element.tagName);
  }

  /** The markdown element a cell renders into, if it is a markdown cell. */
  function markdownOf(cell) {
    return cell.querySelector(".jp-RenderedMarkdown");
  }

  /** Split a section before `cell` (and before `from`, a heading inside cell's markdown). */
  function splitAt(section, cell, from) {
    var next = document.createElement("section");
    var copy = cell.cloneNode(false);
    var markdown = markdownOf(cell);
    var inner = copy;
    // Rebuild the cell's wrappers down to the markdown element, empty.
    var path = [];
    for (var node = markdown; node && node !== cell; node = node.parentNode) { path.unshift(node); }
    path.forEach(function (node) {
      var shell = node.cloneNode(false);
      inner.appendChild(shell);
      inner = shell;
    });
    while (from) {
      var following = from.nextSibling;
      inner.appendChild(from);
      from = following;
    }
    next.appendChild(copy);
    var after = cell.nextSibling;
    while (after) {
      var move = after;
      after = after.nextSibling;
      next.appendChild(move);
    }
    section.parentNode.insertBefore(next, section.nextSibling);
    return next;
  }

  /** A markdown cell continues on a new slide at each of its data-breaks: "E" before its
      E-th top-level element, "E.I" before item I of the list that element is. */
  function splitAtBreaks() {
    document.querySelectorAll(".reveal .softmax-cell[data-breaks]").forEach(function (cell) {
      var markdown = markdownOf(cell);
      var breaks = cell.getAttribute("data-breaks").split(",").map(function (where) {
        var parts = where.split(".");
        return { element: Number(parts[0]), item: Number(parts[1] || 0) };
      }).sort(function (a, b) { return (b.element - a.element) || (b.item - a.item); });
      breaks.forEach(function (at) {
        var element = markdown && markdown.children[at.element];
        if (!element) { return; }
        if (at.item) {
          element = splitList(element, at.item);
          if (!element) { return; }
        }
        splitAt(cell.closest("section"), cell, element);
      });
    });
  }

  /** Cut a list before its item-th item: the rest becomes a list of its own, right after. */
  function splitList(list, item) {
    var items = Array.prototype.filter.call(list.children, function (child) { return child.tagName === "LI"; });
    if (!items[item]) { return null; }
    var rest = list.cloneNode(false);
    if (list.tagName === "OL") { rest.setAttribute("start", String((Number(list.getAttribute("start")) || 1) + item)); }
    items.slice(item).forEach(function (li) { rest.appendChild(li); });
    list.parentNode.insertBefore(rest, list.nextSibling);
    return rest;
  }

  /** A cell's outputs start the next slide when its metadata says "apart" (a step's always do;
      a step's slide also gets the live view of the widget it drives). */
  function splitApart() {
    document.querySelectorAll(".reveal .softmax-cell.softmax-apart").forEach(function (cell) {
      var section = cell.closest("section");
      var next = document.createElement("section");
      var outputs = document.createElement("div");
      outputs.className = "softmax-cell softmax-outputs" +
        (cell.classList.contains("softmax-figure") ? " softmax-figure" : "");
      ["data-cell-id", "data-widget-text-px"].forEach(function (name) {
        if (cell.hasAttribute(name)) { outputs.setAttribute(name, cell.getAttribute(name)); }
      });
      // The live view of the widget a step drives first, then the outputs (its button).
      [".softmax-step-view", ".jp-Cell-outputWrapper"].forEach(function (selector) {
        cell.querySelectorAll(selector).forEach(function (part) { outputs.appendChild(part); });
      });
      next.appendChild(outputs);
      var after = cell.nextSibling;
      while (after) {
        var move = after;
        after = after.nextSibling;
        next.appendChild(move);
      }
      section.parentNode.insertBefore(next, section.nextSibling);
    });
  }

  /** The first heading a page starts with, or null. */
  function leadingHeading(page) {
    var first = page.querySelector(".softmax-cell");
    var markdown = first && markdownOf(first);
    var top = markdown && markdown.firstElementChild;
    return isHeading(top) ? top : null;
  }

  function headingText(heading) {
    var copy = heading.cloneNode(true);
    copy.querySelectorAll("a.anchor-link, .MathJax_Preview, script").forEach(function (e) { e.remove(); });
    return copy.textContent.replace(/\s+/g, " ").replace(/¶/g, "").trim();
  }

  /** Each slide's cells on one page; a page without a title gets the last title before it. */
  function buildPages() {
    var title = "", source = null;
    leafSections().forEach(function (section) {
      var page = document.createElement("div");
      page.className = "softmax-page";
      while (section.firstChild) { page.appendChild(section.firstChild); }
      section.appendChild(page);
      var heading = leadingHeading(page);
      if (heading) {
        title = heading.cloneNode(true);
        source = heading;
      } else if (title) {
        var continued = document.createElement("div");
        continued.className = "softmax-continued";
        continued.innerHTML = title.innerHTML;
        continued.querySelectorAll("a.anchor-link").forEach(function (e) { e.remove(); });
        continued.setAttribute("aria-label", headingText(title) + " (continued)");
        continued.softmaxSource = source;
        page.insertBefore(continued, page.firstChild);
      }
    });
  }

  /** A continued title copied before its math was typeset (Voila typesets each markdown
      cell by itself, so it never typesets the copy) is copied again once the heading it
      repeats has been typeset: the audience sees the formula, never "$s$". */
  function retypesetContinued() {
    document.querySelectorAll(".softmax-continued").forEach(function (continued) {
      var heading = continued.softmaxSource;
      if (!heading || continued.textContent.indexOf("$") < 0 || heading.textContent.indexOf("$") >= 0) {
        return;
      }
      continued.innerHTML = heading.innerHTML;
      continued.querySelectorAll("a.anchor-link").forEach(function (e) { e.remove(); });
    });
  }

  /** Drop stacks left without a slide (a lesson whose last cells are skipped). */
  function dropEmptySections() {
    leafSections().forEach(function (section) {
      if (!section.querySelector(".softmax-cell, .softmax-step")) {
        var stack = section.parentNode;
        section.remove();
        if (stack.tagName === "SECTION" && !stack.querySelector("section")) { stack.remove(); }
      }
    });
  }

  /** One line of code or printed text per block, its indentation kept as padding: a line
      too long for the slide wraps at a space and goes on indented two characters more,
      never at its own indentation and never inside a word or a number. */
  function formatLines(pre) {
    if (pre.getAttribute("data-softmax-lines")) { return; }
    pre.setAttribute("data-softmax-lines", "1");
    var open = [];  // <span ...> tags a line break cuts through (pygments' multi-line strings)
    var lines = pre.innerHTML.replace(/\n$/, "").split("\n").map(function (html) {
      var reopened = open.join("");
      (html.match(/<\/?span[^>]*>/g) || []).forEach(function (tag) {
        if (tag.charAt(1) === "/") { open.pop(); } else { open.push(tag); }
      });
      var closing = open.map(function () { return "</span>"; }).join("");
      var line = reopened + html + closing;
      var text = line.replace(/<[^>]*>/g, "");
      var indent = text.length - text.replace(/^ +/, "").length;
      // Drop the leading spaces (the first ones in the text, wherever spans put them).
      var skip = indent;
      line = line.replace(/(^|>)( +)/g, function (match, before, spaces) {
        var cut = Math.min(skip, spaces.length);
        skip -= cut;
        return before + spaces.slice(cut);
      });
      return '<span class="softmax-line" style="--indent: ' + indent + '">' + (line || " ") + "</span>";
    });
    pre.innerHTML = lines.join("");
  }

  function formatAllLines(root) {
    (root || document).querySelectorAll(".reveal .softmax-page pre").forEach(formatLines);
  }

  /** Outputs that arrive later (Voilà renders them in the browser; a step prints when run). */
  function formatLinesAsTheyCome() {
    var slides = document.querySelector(".reveal .slides");
    if (!slides || !window.MutationObserver) { return; }
    new MutationObserver(function () { formatAllLines(slides); })
      .observe(slides, { childList: true, subtree: true });
  }

  /** softmax-slides.css last in <head>, so it overrides Reveal's theme, whatever the template. */
  function styleLast() {
    var own = document.querySelector('link[href$="softmax-slides.css"]');
    if (own) { document.head.appendChild(own); }
  }

  function prepare() {
    if (document.documentElement.classList.contains("softmax-prepared")) { return; }
    document.documentElement.classList.add("softmax-prepared");
    styleLast();
    dropEmptySections();
    splitApart();
    splitAtBreaks();
    buildPages();
    formatAllLines();
    formatLinesAsTheyCome();
  }

  /** Keys pressed on a widget stay with it: arrows move a focused slider, not the slides.
      A button keeps only space and Enter (they press it), and gives up the focus once
      pressed, so the next → or space changes the slide again. */
  function keepKeysOnWidgets() {
    document.body.addEventListener("keydown", function (event) {
      var target = event.target;
      if (!target.closest || !target.closest(".jupyter-widgets, .jupyter-matplotlib")) { return; }
      if (target.closest("button") && !/^( |Spacebar|Enter)$/.test(event.key)) { return; }
      event.stopPropagation();
    });
    document.body.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".jupyter-widgets button");
      if (button) { setTimeout(function () { button.blur(); }, 0); }
    });
  }

  /** Reveal scales a slide up (a screen larger than 1280 x 720) with CSS zoom in Chromium,
      which MathJax 2 (the decks) measures wrong: a numbered equation came out wider than
      the slide at 1920 x 1080. A transform scales the same and every measure stays right. */
  function scaleWithTransform() {
    var slides = document.querySelector(".reveal .slides");
    if (!slides || !window.MutationObserver) { return; }
    var convert = function () {
      var zoom = parseFloat(slides.style.zoom);
      if (!zoom || zoom === 1) { return; }
      slides.style.zoom = "";
      slides.style.left = "50%";
      slides.style.top = "50%";
      slides.style.bottom = "auto";
      slides.style.right = "auto";
      slides.style.transform = "translate(-50%, -50%) scale(" + zoom + ")";
    };
    new MutationObserver(convert).observe(slides, { attributes: true, attributeFilter: ["style"] });
    convert();
  }

  function start(Reveal, plugins) {
    prepare();
    keepKeysOnWidgets();
    scaleWithTransform();
    var options = Object.assign({}, config, { plugins: plugins || [] });
    Reveal.initialize(options);
    Reveal.on("ready", retypesetContinued);
    Reveal.on("slidechanged", retypesetContinued);
    // Tests and the browser console reach the deck as window.Reveal in both modes.
    window.Reveal = Reveal;
    return Reveal;
  }

  window.softmaxSlides = { config: config, prepare: prepare, start: start };
})();
