// What is wrong with the slide shown now, as the audience sees it (tests/e2e/slides_support.py).
// Geometry comes from the DOM: every element's and every text's rectangle must lie inside the
// visible part of the slide (Reveal's scaled 1280 x 720 box, cut to the window), no element may
// cut its content or scroll, text must be at least minBody px (minFigure px inside a live
// widget), and every picture's smallest text, times the scale it is drawn at, at least minFigure.
// Sizes are on-screen pixels: Reveal's scale is in the rectangles and in `scale` below.
async ({minBody, minFigure, tolerance, before}) => {
  // Wait until the key changed the slide (from `before`), then until it is drawn:
  // MathJax 2 (the decks) typesets a slide again when it is shown.
  const index = () => { const i = Reveal.getIndices(); return `${i.h}/${i.v}`; };
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  for (let waited = 0; before !== null && index() === before; waited += 1) {
    if (waited > 600) return {stuck: true, index: index()};
    await frame();
  }
  while (window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending) await frame();
  await frame();
  await frame();
  // Reveal may lay the slides out again (a resize, Voila's outputs arriving): until it has,
  // the slides' box is 0 wide and every size would read as 0 px.
  // After a change of window size it lays them out at the scale that window gives (margin 0:
  // the 1280 x 720 slide as large as the window holds); measured before that, sizes are wrong.
  const slidesElement = document.querySelector('.reveal .slides');
  const expected = () => Math.min(window.innerWidth / 1280, window.innerHeight / 720);
  const laidOut = () => Math.abs(slidesElement.getBoundingClientRect().width / 1280 - expected()) < 0.01;
  for (let waited = 0; !laidOut(); waited += 1) {
    if (waited > 600) {
      const width = slidesElement.getBoundingClientRect().width;
      return {stuck: false, index: index(), title: '',
              problems: [`the slides were never laid out for this window (${width.toFixed(0)} px wide, ` +
                         `scale ${expected().toFixed(3)} expected)`]};
    }
    await frame();
  }
  const slidesBox = slidesElement.getBoundingClientRect();
  const scale = slidesBox.width / 1280;
  const view = {
    left: Math.max(0, slidesBox.left), top: Math.max(0, slidesBox.top),
    right: Math.min(window.innerWidth, slidesBox.right), bottom: Math.min(window.innerHeight, slidesBox.bottom),
  };
  const section = Reveal.getCurrentSlide();
  const problems = [];
  const name = (el) => {
    const text = (el.textContent || el.alt || '').replace(/\s+/g, ' ').trim().slice(0, 70);
    const kind = typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '';
    return `<${el.tagName.toLowerCase()}${kind}> "${text}"`;
  };
  const box = (r) => `[${Math.round(r.left)},${Math.round(r.top)} - ${Math.round(r.right)},${Math.round(r.bottom)}]`;
  // Not shown to the audience: MathJax's copies for screen readers, scripts, speaker notes.
  const IGNORED = '.MJX_Assistive_MathML, mjx-assistive-mml, script, style, .MathJax_Preview, aside.notes';
  const outside = (r) => r.width > 0 && r.height > 0 && (
    r.left < view.left - tolerance || r.top < view.top - tolerance ||
    r.right > view.right + tolerance || r.bottom > view.bottom + tolerance);
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden';
  };
  const reported = new Set();
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.nodeType === 1 ? node : node.parentElement;
    if (!el || el.closest(IGNORED) || !shown(el)) continue;
    if (node.nodeType === 1) {
      const r = el.getBoundingClientRect();
      // The innermost element is enough: its ancestors stick out with it.
      if (outside(r) && ![...el.children].some((child) => outside(child.getBoundingClientRect()))) {
        problems.push(`outside the slide: ${name(el)} ${box(r)}`);
      }
      const style = getComputedStyle(el);
      // MathJax clips the pieces of a stretched bracket on purpose; the formula itself is checked.
      if (el.closest('mjx-container, .MathJax_CHTML')) continue;
      if ((style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) ||
          (style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)) {
        problems.push(`cut off or scrolls (${el.scrollWidth}x${el.scrollHeight} in ` +
                      `${el.clientWidth}x${el.clientHeight}): ${name(el)}`);
      }
      continue;
    }
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (outside(r) && !reported.has(el)) {
        reported.add(el);
        problems.push(`text outside the slide: ${name(el)} ${box(r)}`);
      }
    }
    // Math and sub- or superscripts are read at the size of the text around them.
    const math = el.closest('.MathJax_CHTML, .MathJax, mjx-container');
    const script = el.closest('sub, sup');
    const sized = math || (script ? script.parentElement : el);
    const figure = el.closest('.jupyter-widgets, .jupyter-matplotlib');
    const floor = figure ? minFigure : minBody;
    const px = parseFloat(getComputedStyle(sized).fontSize) * scale;
    if (px < floor - 0.05) problems.push(`text ${px.toFixed(1)} px < ${floor}: ${name(el)}`);
  }
  for (const img of section.querySelectorAll('img')) {
    if (!shown(img)) continue;
    const r = img.getBoundingClientRect();
    if (!img.naturalWidth) { problems.push(`picture not loaded: ${name(img)}`); continue; }
    // object-fit: contain draws the picture at the smaller of the two scales.
    const drawn = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
    const size = /softmax-text-px-(\d+)/.exec(img.className);
    if (!size) { problems.push(`picture without its text size (class softmax-text-px-N): ${name(img)}`); continue; }
    const px = (+size[1] / 100) * drawn;
    if (px < minFigure - 0.05) problems.push(`figure text ${px.toFixed(1)} px < ${minFigure}: ${name(img)}`);
  }
  // A live figure (ipympl) is drawn at its own size; its smallest text came with its cell.
  for (const canvas of section.querySelectorAll('.jupyter-matplotlib canvas')) {
    const cell = canvas.closest('[data-widget-text-px]');
    const r = canvas.getBoundingClientRect();
    const width = parseFloat(canvas.style.width) || canvas.offsetWidth;
    if (!r.width || !width) continue;
    if (!cell) { problems.push('live figure without its text size (data-widget-text-px)'); continue; }
    const px = parseFloat(cell.dataset.widgetTextPx) * r.width / width;
    if (px < minFigure - 0.05) problems.push(`live figure text ${px.toFixed(1)} px < ${minFigure}`);
  }
  const indices = Reveal.getIndices();
  const title = section.querySelector('h1, h2, h3, .softmax-continued');
  return {
    stuck: false,
    problems: [...new Set(problems)],
    index: `${indices.h}/${indices.v}`,
    title: title ? title.textContent.replace('¶', '').trim().slice(0, 60) : '',
  };
}
