// TeX to SVG for the feedback pages, with MathJax 3 (grading/package-lock.json).
// stdin: a JSON list of {"tex": "...", "display": true|false}.
// stdout: a JSON list, for each item the SVG markup or null when MathJax reports an error.
// The SVGs carry their own glyph paths (fontCache "none"), so a page needs no script or font.
const path = require('path');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  require('mathjax').init({
    loader: {
      paths: {mathjax: path.join(__dirname, 'node_modules', 'mathjax', 'es5')},
      load: ['input/tex-base', '[tex]/ams', 'output/svg', 'adaptors/liteDOM'],
    },
    tex: {packages: ['base', 'ams'], tags: 'none'},
    svg: {fontCache: 'none'},
    startup: {typeset: false},
  }).then((MathJax) => {
    const adaptor = MathJax.startup.adaptor;
    const rendered = JSON.parse(input).map(({tex, display}) => {
      const node = MathJax.tex2svg(String(tex), {display: Boolean(display)});
      const html = adaptor.outerHTML(node);
      return html.includes('data-mjx-error') || html.includes('merror') ? null : html;
    });
    process.stdout.write(JSON.stringify(rendered));
  }).catch((error) => {
    process.stderr.write(String(error && error.message || error) + '\n');
    process.exit(1);
  });
});
