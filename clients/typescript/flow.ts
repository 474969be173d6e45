// The integration flow through openapi-fetch, typed by the schema openapi-typescript generates
// from the live OpenAPI document (tests/test_generated_clients.py generates it, type-checks
// this file with `tsc --strict`, compiles it and runs it with node).
//
// Every call goes through the typed client: no casts, no `any`, no raw fetch. Each step prints
// one line; any unexpected answer ends the flow with exit status 1. The server is the one
// FLOW_BASE_URL names; its API keys' quota must be tiny (a few requests per couple of seconds)
// so that the last step meets a 429 quickly.

import { setTimeout } from "node:timers/promises";
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./.generated/schema.js";

type Schemas = components["schemas"];
type Api = Client<paths>;

// Combined filters that match more exercises than one small page holds.
const MUSCLE = "latissimus-dorsi";
const EQUIPMENT = "barbell";
const LEVELS: Schemas["Level"][] = ["beginner", "intermediate"];
const PAGE_SIZE = 2;
// Three weeks of Monday, Wednesday and Friday sessions, the last two days before today.
const SESSION_DAYS = [0, 2, 4, 7, 9, 11, 14, 16, 18];
const FIRST_SESSION_DAYS_AGO = 20;
// The 429 step: how many requests it may send to meet one, and the longest wait it accepts.
const MAX_BURST = 40;
const MAX_RETRY_AFTER_S = 5;
const DAY_MS = 86_400_000;

class FlowError extends Error {}

function step(name: string, outcome: string): void {
  console.log(`${name}: ${outcome}`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new FlowError(message);
  }
}

/** The body of an answer that must have this status. */
async function expect<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
  status: number,
): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await call;
  if (response.status !== status || data === undefined) {
    const body = JSON.stringify(error ?? data ?? null).slice(0, 400);
    throw new FlowError(`expected ${status}, got ${response.status}: ${body}`);
  }
  return { data, response };
}

/** The problem document of an answer that must fail with this status. */
async function expectProblem(
  call: Promise<{ error?: Schemas["Problem"]; response: Response }>,
  status: number,
): Promise<Schemas["Problem"]> {
  const { error, response } = await call;
  check(response.status === status, `expected ${status}, got ${response.status}`);
  check(error !== undefined, `the ${status} has no problem document`);
  return error;
}

function header(response: Response, name: string): string {
  const value = response.headers.get(name);
  check(value !== null, `the ${response.status} response has no ${name} header`);
  return value;
}

function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function exercisePage(anonymous: Api, cursor: string | null) {
  const query = { muscle: [MUSCLE], equipment: [EQUIPMENT], level: LEVELS, limit: PAGE_SIZE, cursor };
  return expect(anonymous.GET("/v1/exercises", { params: { query } }), 200);
}

async function browse(anonymous: Api): Promise<void> {
  const seen: string[] = [];
  const totals = new Set<number>();
  let pages = 0;
  let cursor: string | null = null;
  do {
    const { data: page } = await exercisePage(anonymous, cursor);
    pages += 1;
    totals.add(page.total);
    for (const item of page.items) {
      check(item.equipment.includes(EQUIPMENT), `${item.slug} does not use a ${EQUIPMENT}`);
      check(LEVELS.some((level) => level === item.level), `${item.slug} is ${item.level}`);
      const muscles = [...item.primary_muscles, ...item.secondary_muscles];
      check(muscles.includes(MUSCLE), `${item.slug} does not work the ${MUSCLE}`);
      seen.push(item.slug);
    }
    check(pages < 50, "the pages never end");
    cursor = page.next_cursor;
  } while (cursor !== null);
  const [total] = [...totals];
  check(totals.size === 1, `the total changed between pages: ${[...totals].join(", ")}`);
  check(total === seen.length, `total ${total} but ${seen.length} exercises seen`);
  check(new Set(seen).size === seen.length, `an exercise came twice: ${seen.join(", ")}`);
  check(pages > 1, "the filters fit one page; the cursor was never followed");
  step("browse", `${seen.length} exercises for ${MUSCLE} + ${EQUIPMENT} + ${LEVELS.join("/")} in ${pages} pages`);
}

async function search(anonymous: Api): Promise<void> {
  const { data: results } = await expect(
    anonymous.GET("/v1/search", { params: { query: { q: "dedlift" } } }),
    200,
  );
  const best = results.items[0];
  check(best !== undefined, "'dedlift' found nothing");
  check(best.slug === "deadlift", `'dedlift' found ${best.slug} first`);
  step("search", `'dedlift' finds ${best.slug} (${best.name}, score ${best.score.toFixed(2)})`);
}

async function detail(anonymous: Api): Promise<string> {
  const { data: exercise, response } = await expect(
    anonymous.GET("/v1/exercises/{slug}", { params: { path: { slug: "deadlift" } } }),
    200,
  );
  check(exercise.slug === "deadlift", `asked for deadlift, got ${exercise.slug}`);
  check(exercise.instructions.length > 0, "the deadlift has no instructions");
  const etag = header(response, "ETag");
  const primary = exercise.primary_muscles.join(", ");
  step("detail", `${exercise.name}: ${primary}; ${exercise.instructions.length} steps, ETag ${etag}`);
  return etag;
}

async function alternatives(anonymous: Api): Promise<void> {
  const { data: found } = await expect(
    anonymous.GET("/v1/exercises/{slug}/alternatives", { params: { path: { slug: "deadlift" } } }),
    200,
  );
  const slugs = found.items.map((item) => item.exercise.slug);
  check(slugs.length > 0, "the deadlift has no alternatives");
  check(!slugs.includes("deadlift"), "the deadlift is its own alternative");
  step("alternatives", `${slugs.length} for the deadlift, first ${slugs[0]}`);
}

async function revalidate(anonymous: Api, etag: string): Promise<void> {
  const { response } = await anonymous.GET("/v1/exercises/{slug}", {
    params: { path: { slug: "deadlift" }, header: { "If-None-Match": etag } },
  });
  check(response.status === 304, `If-None-Match ${etag} answered ${response.status}, not 304`);
  check((await response.text()) === "", "the 304 has a body");
  step("revalidate", `If-None-Match ${etag} -> 304, no body`);
}

async function register(anonymous: Api): Promise<{ email: string; password: string }> {
  const email = `flow-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}@example.com`;
  // 144 random bits: far above what the password strength check (zxcvbn) asks for.
  const password = `typescript-flow-${Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")}`;
  const { data: user } = await expect(
    anonymous.POST("/v1/auth/register", { body: { email, password } }),
    201,
  );
  check(user.email === email, `registered ${email}, the account says ${user.email}`);
  step("register", `account ${user.id} for ${user.email}`);
  return { email, password };
}

async function signIn(anonymous: Api, email: string, password: string): Promise<string> {
  const { data: tokens } = await expect(
    anonymous.POST("/v1/auth/token", { body: { email, password } }),
    200,
  );
  check(tokens.token_type === "bearer", `token type ${tokens.token_type}`);
  step("token", `bearer token valid ${tokens.expires_in} s, with a refresh token`);
  return tokens.access_token;
}

async function makeKey(user: Api): Promise<Schemas["ApiKeyCreated"]> {
  const { data: created } = await expect(
    user.POST("/v1/me/api-keys", { body: { name: "typescript flow", scopes: ["logs:read"] } }),
    201,
  );
  check(created.key.startsWith("spt_"), `the key starts ${created.key.slice(0, 4)}`);
  return created;
}

async function useKey(key: Api, created: Schemas["ApiKeyCreated"]): Promise<void> {
  const { data: page } = await expect(
    key.GET("/v1/me/sessions", { params: { query: { limit: 1 } } }),
    200,
  );
  check(page.items.length === 0, "a new account already has sessions");
  step("key", `key ${created.display_prefix}... (${created.scopes.join(", ")}) reads the empty training log`);
}

function equipment(): Schemas["EquipmentIn"] {
  return { bar: 20, plates: [25, 20, 15, 10, 5, 2.5, 1.25], stack_step: 5 };
}

async function profile(user: Api): Promise<Schemas["ProfileIn"]> {
  const missing = await expectProblem(user.GET("/v1/me/profile"), 404);
  check(missing.status === 404, `the problem says ${missing.status}`);
  const lifter = {
    experience: "beginner",
    unit: "kg",
    goal: "strength",
    routine_profile: "stronglifts",
  } satisfies Schemas["ProfileUpdate"];
  const first = await expect(
    user.PUT("/v1/me/profile", { body: { ...lifter, bodyweight: 80, equipment: equipment() } }),
    201,
  );
  const etag = header(first.response, "ETag");
  const second = await expect(
    user.PUT("/v1/me/profile", {
      params: { header: { "If-Match": etag } },
      body: { ...lifter, bodyweight: 81.5, equipment: equipment() },
    }),
    200,
  );
  const [created, updated] = [first.data, second.data];
  check(updated.version === created.version + 1, `versions ${created.version}, ${updated.version}`);
  check(updated.bodyweight === 81.5, `bodyweight ${updated.bodyweight}`);
  step(
    "profile",
    `404 before, PUT created version ${created.version} (${etag}),` +
      ` If-Match update to version ${updated.version} (${header(second.response, "ETag")})`,
  );
  return {
    experience: updated.experience,
    unit: updated.unit,
    bodyweight: updated.bodyweight,
    goal: updated.goal,
    routine_profile: updated.routine_profile,
  };
}

/** StrongLifts-style linear progression: the row gains 2.5 kg, the deadlift 5 kg. */
function workout(index: number): Schemas["SetIn"][] {
  const load = 40 + 2.5 * index;
  const row = [5, 5, 5].map((reps) => ({ exercise: "barbell-bent-over-row", reps, load, target_reps: 5 }));
  // The last session of each week misses a rep on the final row set.
  if (index % 3 === 2) {
    row[2] = { exercise: "barbell-bent-over-row", reps: 4, load, target_reps: 5 };
  }
  return [...row, { exercise: "deadlift", reps: 5, load: 80 + 5 * index, target_reps: 5 }];
}

async function logSessions(user: Api, today: number): Promise<void> {
  const firstDay = today - FIRST_SESSION_DAYS_AGO * DAY_MS;
  const bodies: Schemas["TrainingSessionCreate"][] = SESSION_DAYS.map((offset, index) => ({
    date: isoDate(firstDay + offset * DAY_MS),
    sets: workout(index),
    notes: `week ${Math.floor(offset / 7) + 1}, session ${(index % 3) + 1}`,
  }));
  const requests = bodies.map((body) => ({ body, key: crypto.randomUUID() }));
  const created: { id: number; date: string }[] = [];
  for (const { body, key } of requests) {
    const { data, response } = await expect(
      user.POST("/v1/me/sessions", { params: { header: { "Idempotency-Key": key } }, body }),
      201,
    );
    check(!response.headers.has("Idempotent-Replayed"), "a first request was a replay");
    created.push(data);
  }
  const [first, last, again] = [created[0], created[created.length - 1], requests[0]];
  check(first !== undefined && last !== undefined && again !== undefined, "no session was logged");
  const replay = await expect(
    user.POST("/v1/me/sessions", { params: { header: { "Idempotency-Key": again.key } }, body: again.body }),
    201,
  );
  check(replay.data.id === first.id, `the replay made session ${replay.data.id}`);
  check(header(replay.response, "Idempotent-Replayed") === "true", "the replay is not marked");
  const stored = await storedSessions(user);
  check(stored.length === SESSION_DAYS.length, `${stored.length} sessions stored`);
  step(
    "sessions",
    `${created.length} logged from ${first.date} to ${last.date} with Idempotency-Key;` +
      ` replaying the first returned session ${replay.data.id} again (Idempotent-Replayed: true);` +
      ` ${stored.length} stored`,
  );
}

function sessionPage(user: Api, cursor: string | null) {
  return expect(user.GET("/v1/me/sessions", { params: { query: { limit: 5, cursor } } }), 200);
}

type StoredSession = Awaited<ReturnType<typeof sessionPage>>["data"]["items"][number];

async function storedSessions(user: Api): Promise<StoredSession[]> {
  const sessions: StoredSession[] = [];
  let cursor: string | null = null;
  do {
    const { data: page } = await sessionPage(user, cursor);
    sessions.push(...page.items);
    check(sessions.length < 1000, "the session pages never end");
    cursor = page.next_cursor;
  } while (cursor !== null);
  return sessions;
}

/** What a recommendation says, in the fields this flow prints. */
interface Advice {
  recommendations: {
    exercise: string;
    action: Schemas["Action"];
    prescription: { sets: number; reps: number | null; load: number | null };
  }[];
}

function describe(result: Advice): string {
  return result.recommendations
    .map((r) => `${r.exercise} ${r.action} ${r.prescription.sets}x${r.prescription.reps} @ ${r.prescription.load}`)
    .join("; ");
}

async function recommend(anonymous: Api, user: Api, lifter: Schemas["ProfileIn"], today: string): Promise<void> {
  const { data: stored } = await expect(
    user.GET("/v1/me/recommendations/next-session", { params: { query: { today } } }),
    200,
  );
  check(stored.recommendations.length > 0, "the stored history recommends nothing");
  step("next session (stored)", describe(stored));
  // A stored set (the output form) is a valid set to send back (the input form) as it is.
  const history = (await storedSessions(user)).map((session) => ({
    date: session.date,
    sets: session.sets,
  }));
  const { data: stateless } = await expect(
    anonymous.POST("/v1/recommendations/next-session", {
      body: { profile: lifter, equipment: equipment(), history, today },
    }),
    200,
  );
  check(
    JSON.stringify(stateless.recommendations) === JSON.stringify(stored.recommendations),
    `stateless: ${describe(stateless)}; stored: ${describe(stored)}`,
  );
  step("next session (stateless)", `the same from ${history.length} sessions sent in the body`);
}

async function validationError(user: Api, today: string): Promise<void> {
  const problem = await expectProblem(
    user.POST("/v1/me/sessions", { body: { date: today, sets: [{ exercise: "deadlift", reps: 0, load: 100 }] } }),
    422,
  );
  // Only a validation problem carries `errors`; other problems leave it out.
  const errors = problem.errors ?? [];
  check(errors.length > 0, "the 422 names no invalid value");
  const names = errors.map((e) => `${e.location} ${e.name}`).join(", ");
  step("validation error", `reps=0 -> 422 ${problem.title}: ${names}`);
}

async function rateLimited(key: Api): Promise<void> {
  for (let sent = 1; sent <= MAX_BURST; sent += 1) {
    const { response } = await key.GET("/v1/me/sessions", { params: { query: { limit: 1 } } });
    if (response.status === 429) {
      const retryAfter = header(response, "Retry-After");
      check(/^\d+$/.test(retryAfter), `Retry-After is ${JSON.stringify(retryAfter)}`);
      const waitS = Number(retryAfter);
      check(waitS >= 1 && waitS <= MAX_RETRY_AFTER_S, `Retry-After ${waitS} s`);
      await setTimeout(waitS * 1000);
      await expect(key.GET("/v1/me/sessions", { params: { query: { limit: 1 } } }), 200);
      step("rate limit", `429 after ${sent} requests, Retry-After ${waitS} s, then 200`);
      return;
    }
    check(response.status === 200, `request ${sent} with the key answered ${response.status}`);
  }
  throw new FlowError(`${MAX_BURST} requests with the key and no 429`);
}

async function run(baseUrl: string): Promise<void> {
  const now = Date.now();
  const today = isoDate(now);
  const anonymous = createClient<paths>({ baseUrl });
  await browse(anonymous);
  await search(anonymous);
  const etag = await detail(anonymous);
  await alternatives(anonymous);
  await revalidate(anonymous, etag);
  const { email, password } = await register(anonymous);
  const token = await signIn(anonymous, email, password);
  const user = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const created = await makeKey(user);
  const key = createClient<paths>({ baseUrl, headers: { "X-API-Key": created.key } });
  await useKey(key, created);
  const lifter = await profile(user);
  await logSessions(user, now);
  await recommend(anonymous, user, lifter, today);
  await validationError(user, today);
  await rateLimited(key);
}

async function main(): Promise<number> {
  const baseUrl = process.env["FLOW_BASE_URL"] ?? "";
  if (baseUrl === "") {
    console.error("set FLOW_BASE_URL to the server's address");
    return 2;
  }
  try {
    await run(baseUrl);
  } catch (failure) {
    if (failure instanceof FlowError) {
      console.error(`FAILED: ${failure.message}`);
      return 1;
    }
    throw failure;
  }
  console.log("typescript flow: every step passed");
  return 0;
}

process.exitCode = await main();
