// The playground at / in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no browser
// download), against the real server on stories260K bound to 127.0.0.1. Run from the repository root:
//   npm ci --prefix tests/Playground && npm test --prefix tests/Playground
// PLAYGROUND_SCREENSHOTS=dir saves a wide (1280 px) and a narrow (390 px) screenshot there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import ts from "typescript";

const root = resolve(import.meta.dirname, "../..");
const model = resolve(root, "../shared/testdata/models/stories260K");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const screenshots = process.env.PLAYGROUND_SCREENSHOTS;
// The server requires a key, so the page's key field is exercised; the copied snippets read it from OPENAI_API_KEY.
const apiKey = "playground-test-key";
const withKey = { env: { ...process.env, OPENAI_API_KEY: apiKey } };

let server, origin, context, page, profile;
const problems = []; // console errors, page errors, and requests that leave the server
const chatBodies = []; // every /v1/chat/completions body the page sent

const freePort = () => new Promise((ok, fail) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); }).on("error", fail);
});

async function waitForHealth(url, deadline) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not listening yet */ }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error("the server did not become healthy in time");
}

before(async () => {
  // The same build the README's `dotnet run` uses; a no-op when `dotnet test` has just built it.
  execFileSync("dotnet", ["build", "src/Server", "-c", "Release", "--nologo", "-v", "quiet"], { cwd: root, stdio: "inherit" });
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn("dotnet", [join(root, "src/Server/bin/Release/net10.0/SteerServer.dll"), "serve", "--model", model, "--urls", origin, "--api-key", apiKey],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  await waitForHealth(`${origin}/health`, Date.now() + 120_000);

  profile = mkdtempSync(join(tmpdir(), "playground-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  context.on("request", r => {
    if (!r.url().startsWith(origin + "/")) problems.push(`request left the server: ${r.url()}`);
    if (r.url() === `${origin}/v1/chat/completions`) chatBodies.push(JSON.parse(r.postData()));
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on("console", m => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("pageerror", e => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  server?.kill("SIGTERM");
});

/** Two animation frames: the chart follows a width change in the next frame. */
const frames = () => page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));

const outputText = pane => page.locator(`#out-${pane} .text`).innerText();

/** Selects `text` (its first occurrence) in the user message, as a user would by dragging. */
async function select(text) {
  const area = page.getByRole("textbox", { name: /message 2 \(user\)/ });
  await area.evaluate((t, s) => { const i = t.value.indexOf(s); t.focus(); t.setSelectionRange(i, i + s.length); }, text);
  return area;
}

test("loads / with no console errors and nothing fetched from elsewhere; asks for the key, keeps it for the session", async () => {
  await page.goto(origin + "/");
  const loadError = page.locator("#load-error");
  await loadError.waitFor();
  assert.match(await loadError.innerText(), /401 invalid_request_error.*API key/s);
  // Chromium logs the 401 response itself as a console error: that one is expected.
  assert.deepEqual(problems.splice(0), ["console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)"]);
  await page.getByLabel("API key").fill(apiKey);
  await page.getByLabel("API key").press("Tab");
  await page.locator("#model option", { hasText: "stories260K" }).waitFor({ state: "attached" });
  assert.ok(await loadError.isHidden());
  await page.reload(); // session storage keeps the key for this tab
  await page.locator("#model option", { hasText: "stories260K" }).waitFor({ state: "attached" });
  assert.equal(await page.evaluate(() => sessionStorage.getItem("steerserver.apiKey")), apiKey);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.match(await page.locator("#model-info").innerText(), /5 layers × 8 heads \(4 KV\), context 512/);
  assert.equal(await page.locator("#head-picker input[type=checkbox]").count(), 5 * 8);
  assert.deepEqual(problems, []);
});

test("marks a span, runs baseline and steered to the end, and they differ", async () => {
  // A GUIDE mark wraps the selection in tags, shows inline and in the list, and comes off again.
  const area = await select("dog");
  const before = await area.inputValue();
  await page.getByRole("button", { name: "<!!->" }).click();
  assert.ok((await area.inputValue()).endsWith("her <!!->dog<-!!>"));
  assert.equal(await page.locator(".backdrop mark.guide-2").innerText(), "dog");
  await page.getByRole("button", { name: /Remove the <!!-> tags/ }).click();
  assert.equal(await area.inputValue(), before);

  await select("little girl");
  await page.getByRole("button", { name: "Emphasise" }).click();
  await page.locator("#marks .chip.pasta", { hasText: "little girl" }).waitFor();
  assert.equal(await page.locator(".backdrop mark.pasta").innerText(), "little girl"); // shown inline
  await page.locator("#head-picker-box summary").click();
  await page.getByRole("button", { name: "All", exact: true }).click();
  assert.equal(await page.locator("#head-config").inputValue(), "[0,1,2,3,4]"); // every head of every layer

  await page.getByRole("button", { name: "Run baseline and steered" }).click();
  for (const pane of ["baseline", "steered"]) {
    await page.locator(`#out-${pane}[data-state=done]`).waitFor({ timeout: 60_000 });
    assert.match(await page.locator(`#out-${pane} .status`).innerText(), /finish_reason length · \d+ prompt \+ 48 completion tokens/);
  }
  const baseline = await outputText("baseline"), steered = await outputText("steered");
  assert.ok(baseline.length > 20 && steered.length > 20, `${baseline} / ${steered}`);
  assert.notEqual(baseline, steered);
  assert.ok(await page.locator("#out-steered ins").count() > 0, "the steered text shows what differs");

  // The prompt as tokens, the emphasised span at its token range, and what the server applied.
  await page.locator("#tokens .token.substring").first().waitFor();
  assert.equal(await page.locator("#tokens .token.substring").count(), 4);
  assert.match(await page.locator("#applied").innerText(), /substring “little girl” tokens \[9, 13\) offset -4\.6052; PASTA on 5 layers, 40 heads/);
  assert.deepEqual(problems, []);
});

// Asynchronous: the recording proxy below runs in this process and must keep answering meanwhile.
const run = async (file, args, options) => (await promisify(execFile)(file, args, { encoding: "utf8", ...options })).stdout;

/** A pass-through proxy to the server that keeps each request body: what a copied snippet really sends. */
async function recordingProxy() {
  const bodies = [];
  const proxy = createHttpServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (body.length) bodies.push(JSON.parse(body.toString("utf8")));
    const upstream = await fetch(origin + req.url, {
      method: req.method, headers: { "Content-Type": "application/json", Authorization: req.headers.authorization ?? "" }, body: body.length ? body : undefined,
    });
    res.writeHead(upstream.status, { "Content-Type": upstream.headers.get("content-type") ?? "application/json" });
    for await (const c of upstream.body) res.write(c);
    res.end();
  });
  await new Promise(ok => proxy.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${proxy.address().port}`, bodies, close: () => proxy.close() };
}

test("the copied TypeScript, C# and Python requests are exactly the request the page sent", async () => {
  const sent = chatBodies.findLast(b => b.steering !== false);
  assert.ok(sent?.steering?.substrings, "the steered request of the last run");
  const steered = await outputText("steered");
  const code = async tab => { await page.getByRole("tab", { name: tab }).click(); return page.locator("#code").innerText(); };
  const proxy = await recordingProxy();
  const dir = mkdtempSync(join(tmpdir(), "playground-snippets-"));
  try {
    // TypeScript with the openai npm package (types stripped by the TypeScript compiler; run by Node from this folder's node_modules).
    const typescript = (await code("TypeScript")).replaceAll(`${origin}/v1`, `${proxy.url}/v1`);
    const script = join(import.meta.dirname, `.snippet-${process.pid}.mjs`);
    writeFileSync(script, ts.transpileModule(typescript, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    try {
      assert.equal(await run("node", [script], withKey), steered);
    } finally { rmSync(script, { force: true }); }
    assert.deepEqual(proxy.bodies.pop(), sent);

    // C# with the OpenAI .NET package (the version the server's tests use) as a file-based app.
    const csharp = (await code("C#")).replaceAll(`${origin}/v1`, `${proxy.url}/v1`);
    writeFileSync(join(dir, "app.cs"), "#:package OpenAI@2.10.0\n" + csharp);
    assert.equal(await run("dotnet", ["run", "app.cs"], { cwd: dir, ...withKey }), steered);
    assert.deepEqual(proxy.bodies.pop(), sent);

    // Python: no openai package here, so read the call's literal arguments (extra_body merged, as the SDK does).
    const python = await code("Python");
    const read = `import ast, json, sys
tree = ast.parse(sys.stdin.read())
calls = {n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id: n for n in ast.walk(tree) if isinstance(n, ast.Call)}
body = {k.arg: ast.literal_eval(k.value) for k in calls["create"].keywords}
body.update(body.pop("extra_body"))
print(json.dumps({"base_url": ast.literal_eval(calls["OpenAI"].keywords[0].value), "body": body}))`;
    const parsed = JSON.parse(execFileSync("python3", ["-c", read], { input: python, encoding: "utf8" }));
    assert.equal(parsed.base_url, `${origin}/v1`);
    assert.deepEqual(parsed.body, sent);
  } finally {
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
});

test("Influence: one finite series per chosen layer, the token on hover", async () => {
  const area = await select("little girl");
  await area.press("Alt+I"); // by keyboard: <?-> … <-?>
  assert.match(await area.inputValue(), /<\?->little girl<-\?>/);
  await page.getByRole("checkbox", { name: "1", exact: true }).uncheck();
  await page.getByRole("checkbox", { name: "3", exact: true }).uncheck();
  await page.getByRole("button", { name: "Measure", exact: true }).click();
  await page.locator("#influence-chart .u-legend").waitFor({ timeout: 60_000 });

  const data = await page.evaluate(() => window.steerPlayground.chart.data);
  assert.equal(data.length, 1 + 3, "x plus layers 0, 2, 4");
  for (const series of data.slice(1)) {
    const values = series.filter(v => v !== null);
    assert.ok(values.length > 0 && values.every(Number.isFinite), JSON.stringify(series));
  }
  const labels = await page.locator("#influence-chart .u-legend .u-series .u-label").allInnerTexts();
  assert.deepEqual(labels.slice(1), ["layer 0", "layer 2", "layer 4"]);

  const box = await page.locator("#influence-chart .u-over").boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  assert.match(await page.locator("#influence-chart .u-legend .u-series").first().locator(".u-value").innerText(), /^\d+: \S/);
  // Attention Rollout, the alternative metric: the same layers, finite values, its own title.
  await page.getByLabel("metric").selectOption("attention_rollout");
  await page.getByRole("button", { name: "Measure", exact: true }).click();
  await page.locator("#influence-chart .u-title", { hasText: "Attention Rollout" }).waitFor({ timeout: 60_000 });
  const rollout = await page.evaluate(() => window.steerPlayground.chart.data);
  assert.equal(rollout.length, 1 + 3);
  assert.ok(rollout.slice(1).every(series => series.some(v => v !== null) && series.every(v => v === null || Number.isFinite(v))));
  assert.notDeepEqual(rollout, data);
  await page.getByLabel("metric").selectOption("influence");
  await page.getByRole("button", { name: "Measure", exact: true }).click();
  await page.locator("#influence-chart .u-title", { hasText: "ln Influence" }).waitFor({ timeout: 60_000 });

  if (screenshots) {
    await page.screenshot({ path: join(screenshots, "play-wide.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await frames();
    await page.screenshot({ path: join(screenshots, "play-narrow.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  assert.deepEqual(problems, []);
});

test("an invalid head shows the server's message and its param; the copied curl sends the same request", async () => {
  await page.locator("#head-config").fill('{"0":[99]}');
  await page.keyboard.press("Control+Enter");
  const error = page.locator("#out-steered .error");
  await error.waitFor({ timeout: 30_000 });
  assert.match(await error.innerText(), /400 invalid_request_error.*head 99 is out of range.*param: steering\.head_config\.0\[0\]/s);
  assert.equal(await page.locator("#head-config").getAttribute("aria-invalid"), "true");
  await page.locator("#out-baseline[data-state=done]").waitFor({ timeout: 60_000 });

  // Chromium logs the 400 response itself as a console error: that one is expected.
  assert.deepEqual(problems.splice(0), ["console error: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);

  // The curl tab holds the request the page just sent: running it gets the same answer.
  await page.getByRole("tab", { name: "curl" }).click();
  const curl = await page.locator("#code").innerText();
  const answer = JSON.parse(execFileSync("bash", ["-c", curl], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], ...withKey }));
  assert.equal(answer.error.param, "steering.head_config.0[0]");
  // The other languages carry the same body.
  const body = JSON.parse(/-d '([\s\S]*)'$/.exec(curl)[1].replaceAll("'\\''", "'"));
  const code = async tab => { await page.getByRole("tab", { name: tab }).click(); return page.locator("#code").innerText(); };
  assert.ok((await code("TypeScript")).includes(JSON.stringify(body, null, 2)));
  assert.ok((await code("C#")).includes(`BinaryData.FromString("""${JSON.stringify(body.steering)}""")`));
  assert.match(await code("Python"), /extra_body=\{"steering": \{\n\s+"substrings": \[\n\s+"little girl",\n\s+\],\n\s+"head_config": \{\n\s+"0": \[\n\s+99,/);
  assert.deepEqual(problems, []);
});

test("fits a phone's width", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await frames();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "no horizontal scrolling at 390 px");
  assert.deepEqual(problems, []);
});
