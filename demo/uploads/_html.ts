/** The demo page's HTML and style; the page's modules fill it in. */
import type { Variant } from "./_engine.ts";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1em; }
h1 { font-size: 1.4em; margin: 0 0 .4em; }
.banner { padding: .5em .8em; border-radius: 6px; margin: .4em 0; }
#elsewhere { background: #e8f0fe; } #offline { background: #fde8e8; }
#drop { border: 2px dashed #aaa; border-radius: 8px; padding: 1em; text-align: center; }
#drop.over { border-color: #1a73e8; background: #f0f6ff; }
.tools { display: flex; flex-wrap: wrap; gap: .4em; margin: .6em 0; align-items: center; }
.bar { display: inline-block; height: 8px; background: #eee; border-radius: 4px;
  overflow: hidden; vertical-align: middle; }
.fill { display: block; height: 100%; width: 0; background: #1a73e8; }
#overall .bar { width: 100%; height: 12px; }
#list { list-style: none; padding: 0; margin: 0; max-height: 60vh; overflow: auto; }
.row { display: grid; grid-template-columns: 16em 10em 1fr auto; gap: .6em; align-items: center;
  padding: 2px 0; border-bottom: 1px solid #f2f2f2; content-visibility: auto;
  contain-intrinsic-size: auto 26px; }
.row .bar { width: 10em; }
.name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.info { color: #555; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.row[data-status=done] .fill { background: #188038; }
.row[data-status=failed] .fill { background: #d93025; }
.row[data-status=paused] .fill, .row[data-status=canceled] .fill { background: #999; }
#activity { max-height: 12em; overflow: auto; color: #555; font-size: 12px; }
#storage meter { width: 10em; vertical-align: middle; }
`;

/** The page for `variant`, uploading in chunks of `chunkSize` bytes. */
export function pageHtml(variant: Variant, chunkSize: number): string {
  const title = variant === "sw" ? "stater uploads, in a service worker" : "stater uploads";
  return `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style>
<script type="application/json" id="config">${JSON.stringify({ variant, chunkSize })}</script>
<body>
<h1>${title}</h1>
<div id="elsewhere" class="banner" hidden></div>
<div id="offline" class="banner" hidden></div>
<div id="drop">Drop files or folders here, or
  <label>pick files <input type="file" id="files" multiple></label>
  <label>a folder <input type="file" id="folder" webkitdirectory></label>
  <button id="synthetic">Make 300 test files</button></div>
<div class="tools">
  <button id="pause-all">Pause all</button><button id="resume-all">Resume all</button>
  <button id="cancel-all">Cancel all</button><button id="retry-all">Retry failed</button>
  <button id="clear-finished">Clear finished</button>
  <span id="storage"><meter></meter> <span></span></span> <button id="keep">Keep files</button>
</div>
<div id="overall"><span class="bar"><span class="fill"></span></span>
  <div id="summary" data-files="0" data-done="0">nothing yet</div></div>
<ol id="list"></ol>
<h2>Activity</h2><ol id="activity" reversed></ol>
<script type="module" src="/page.js"></script>
</body></html>`;
}
