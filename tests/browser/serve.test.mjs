// serve.test.mjs - the celeb web page in a real browser: Debian's Chromium
// driven by Playwright (playwright-core), against a running `celeb serve`.
// Run by tests/cli_serve.sh:
//   node tests/browser/serve.test.mjs BASE_URL API_KEY MEDIA_DIR CELEBS_DIR ARTIFACT_DIR
// Prints "ok - ..." / "not ok - ..." lines; screenshots go to ARTIFACT_DIR.
import { chromium } from "playwright-core";
import path from "node:path";

const [base, key, media, celebs, out] = process.argv.slice(2);
const SLOW = 180000;   // ASan builds detect a GIF in tens of seconds

let failures = 0;
async function test(name, fn) {
  try {
    await fn();
    console.log(`ok - browser: ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - browser: ${name} # ${String(e.message || e).split("\n")[0]}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  // the flags this machine needs (no network but loopback): see the env notes
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(e.message));
page.on("dialog", (d) => d.accept());   // the "remove?" confirmation

try {
  await page.goto(base + "/");

  await test("upload giphy_video.gif: a Brad_Pitt card and an unknown card, boxes drawn in the person colours", async () => {
    await page.setInputFiles("#file", path.join(media, "giphy_video.gif"));
    await page.waitForSelector('.person-card[data-name="Brad_Pitt"]', { timeout: SLOW });
    await page.waitForSelector('.person-card[data-name="unknown"]', { timeout: 5000 });
    const cards = await page.$$eval(".person-card", (cs) => cs.map((c) => c.dataset.name).sort());
    assert(JSON.stringify(cards) === JSON.stringify(["Brad_Pitt", "unknown"]), `cards ${cards}`);
    const brad = await page.textContent('.person-card[data-name="Brad_Pitt"]');
    assert(/\d+% sure/.test(brad) && /seen 0\.0–\d\.\d s/.test(brad), `Brad's card: ${brad}`);
    const top5 = await page.$$eval('.person-card[data-name="Brad_Pitt"] li', (l) => l.length);
    assert(top5 >= 1 && top5 <= 5, `${top5} candidates`);
    const strip = await page.$$eval("#strip img", (l) => l.length);
    assert(strip >= 5 && strip <= 10, `${strip} frames in the strip`);
    // pause on the first sampled frame and look for both box colours on the stage
    await page.click("#strip img >> nth=0");
    const seen = await page.$eval("#stage", (c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const count = (r, g, b) => { let n = 0; for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 8 && Math.abs(d[i + 1] - g) < 8 && Math.abs(d[i + 2] - b) < 8) n++; return n; };
      return [count(0xff, 0x5a, 0x5f), count(0x4d, 0xa3, 0xff)];
    });
    assert(seen[0] > 100 && seen[1] > 100, `box pixels per colour ${seen}`);
    await page.screenshot({ path: path.join(out, "detect.png"), fullPage: true });
  });

  await test("the stage plays the GIF (frames change over time)", async () => {
    await page.click("#play");   // paused on a strip frame: play again
    const frames = new Set();
    for (let i = 0; i < 12; i++) {
      frames.add(await page.textContent("#frame-label"));
      await page.waitForTimeout(150);
    }
    assert(frames.size >= 3, `frame labels seen while playing: ${[...frames]}`);
  });

  await test("gallery page: add a person from 2 photos (the API key asked once) and see them listed", async () => {
    await page.click('.tab[data-tab="gallery"]');
    await page.waitForSelector('.gallery-person[data-name="Brad_Pitt"]', { timeout: 10000 });
    await page.fill("#add-name", "Kit_Harington");
    const kit = path.join(celebs, "Kit_Harington");
    const { readdirSync } = await import("node:fs");
    const photos = readdirSync(kit).sort().slice(0, 2).map((f) => path.join(kit, f));
    await page.setInputFiles("#add-files", photos);
    await page.click('#add-form button[type="submit"]');
    await page.waitForSelector("#key-dialog[open]", { timeout: 5000 });
    await page.fill("#key-input", key);
    await page.click("#key-ok");
    await page.waitForSelector('.gallery-person[data-name="Kit_Harington"]', { timeout: SLOW });
    const count = await page.textContent('.gallery-person[data-name="Kit_Harington"] .count');
    assert(count === "2 photos", `count: ${count} (${await page.textContent("#add-status")})`);
    const thumb = await page.$eval('.gallery-person[data-name="Kit_Harington"] img', (i) => i.complete && i.naturalWidth);
    assert(thumb === 112, `thumbnail width ${thumb}`);
    await page.screenshot({ path: path.join(out, "gallery.png"), fullPage: true });
  });

  await test("gallery page: rename then remove (the key kept for the tab, a confirmation asked)", async () => {
    await page.click('.gallery-person[data-name="Kit_Harington"] button:has-text("Rename")');
    await page.fill(".rename-input", "Kit_H");
    await page.click(".rename-save");
    await page.waitForSelector('.gallery-person[data-name="Kit_H"]', { timeout: 10000 });
    assert(!(await page.$("#key-dialog[open]")), "the key was asked again");
    await page.click('.gallery-person[data-name="Kit_H"] button:has-text("Remove")');
    await page.waitForSelector('.gallery-person[data-name="Kit_H"]', { state: "detached", timeout: 10000 });
    const names = await page.$$eval(".gallery-person", (l) => l.map((t) => t.dataset.name));
    assert(!names.includes("Kit_H") && names.includes("Brad_Pitt"), `names ${names}`);
  });

  await test("explorer: one point per gallery face, the last detection's faces ringed, drag rotates", async () => {
    const api = await (await page.request.get(base + "/v1/embeddings")).json();
    await page.click('.tab[data-tab="explorer"]');
    await page.waitForFunction((n) => document.querySelector("#space").dataset.points === String(n), api.faces,
      { timeout: 10000 });
    const highlighted = Number(await page.$eval("#space", (c) => c.dataset.highlighted));
    assert(highlighted >= 16, `${highlighted} highlighted faces`);   // Brad Pitt 8+ and the other 8+ frames
    const before = await page.$eval("#space", (c) => c.toDataURL());
    const box = await page.$eval("#space", (c) => { const r = c.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; });
    await page.mouse.move(box[0] + box[2] / 2, box[1] + box[3] / 2);
    await page.mouse.down();
    await page.mouse.move(box[0] + box[2] / 2 + 120, box[1] + box[3] / 2 + 30, { steps: 6 });
    await page.mouse.up();
    const after = await page.$eval("#space", (c) => c.toDataURL());
    assert(before !== after, "the picture did not change when dragged");
    await page.screenshot({ path: path.join(out, "explorer.png"), fullPage: true });
  });

  await test("no script errors on the page", async () => {
    assert(consoleErrors.length === 0, consoleErrors.join("; "));
  });
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
