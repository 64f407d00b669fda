/**
 * Runs a bundled example in a page of Chromium, served from 127.0.0.1, and
 * reloads it. The page's origin has a real tus server at `/files/` (the
 * demos' server), so an upload example can send its files there.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Browser } from "playwright";
import { startDemoServer } from "../../demo/tus-server.ts";

const DONE = "stater-readme-example-done";

/**
 * Loads `script` (an ES module) in one page `runs` times (a reload between
 * runs); each run must end without an uncaught error. Returns what each run
 * logged to the console.
 */
export async function runInPage(browser: Browser, script: string, runs: number): Promise<string[]> {
  const code = `${readFileSync(script, "utf8")}\nconsole.log(${JSON.stringify(DONE)});\n`;
  const html = `<!doctype html><meta charset="utf-8"><input type="file" multiple>` +
    `<script type="module" src="/example.js"></script>`;
  const uploads = mkdtempSync(`${tmpdir()}/stater-readme-uploads-`);
  const server = await startDemoServer({
    port: 0,
    dir: uploads,
    pages(req, res) {
      if (req.url === "/example.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(code);
      } else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
      else return false;
      return true;
    },
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const outs: string[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const lines: string[] = [];
      const finished = new Promise<void>((resolve, reject) => {
        page.on("console", (message) => {
          if (message.text() === DONE) resolve();
          else lines.push(message.text());
        });
        page.on("pageerror", reject);
        setTimeout(
          () => reject(new Error(`the example did not finish: ${lines.join("\n")}`)),
          30_000,
        );
      });
      if (run === 0) await page.goto(server.url);
      else await page.reload();
      await finished;
      page.removeAllListeners("console");
      page.removeAllListeners("pageerror");
      outs.push(lines.join("\n"));
    }
    return outs;
  } finally {
    await context.close();
    await server.close();
    rmSync(uploads, { recursive: true, force: true });
  }
}
