import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PollSchedule, type ScheduledItem } from '../src/watcher/poll-schedule';
import { pause } from './helpers/time';

interface Item extends ScheduledItem {
  name: string;
}

const item = (name: string, dueInMs: number): Item => ({ name, dueAt: performance.now() + dueInMs, scheduleIndex: -1 });

/** Real timers, a few tens of ms: the schedule's whole job is to fire Node timers at the right moments. */
describe('PollSchedule (many due times behind one timer)', () => {
  let schedule: PollSchedule<Item> | undefined;
  afterEach(() => schedule?.clear());

  it('runs items in due order, each once, however they were added', async () => {
    const ran: Array<{ name: string; lateMs: number }> = [];
    schedule = new PollSchedule<Item>((it) => ran.push({ name: it.name, lateMs: performance.now() - it.dueAt }));
    const items = [item('c', 60), item('a', 20), item('d', 80), item('b', 40), item('e', 100)];
    for (const it of items) schedule.add(it);
    assert.equal(schedule.size, 5);
    while (ran.length < 5) await pause(10);
    assert.deepEqual(ran.map((r) => r.name), ['a', 'b', 'c', 'd', 'e']);
    // Never more than Node's whole-millisecond rounding early.
    for (const r of ran) assert.ok(r.lateMs > -1.5, `${r.name} ran ${-r.lateMs} ms early`);
    assert.equal(schedule.size, 0);
    for (const it of items) assert.equal(it.scheduleIndex, -1);
  });

  it('removes, moves and clears items; a removed item never runs', async () => {
    const ran: string[] = [];
    schedule = new PollSchedule<Item>((it) => ran.push(it.name));
    const early = item('early', 30);
    const moved = item('moved', 200);
    const removed = item('removed', 10);
    const late = item('late', 60);
    for (const it of [early, moved, removed, late]) schedule.add(it);
    schedule.remove(removed);
    schedule.remove(removed); // twice is harmless
    assert.equal(schedule.has(removed), false);
    moved.dueAt = performance.now() + 5;
    schedule.add(moved); // already scheduled: moved, not duplicated
    assert.equal(schedule.size, 3);
    while (ran.length < 3) await pause(10);
    await pause(30);
    assert.deepEqual(ran, ['moved', 'early', 'late']);

    const cleared = item('cleared', 10);
    schedule.add(cleared);
    schedule.clear();
    await pause(40);
    assert.deepEqual(ran, ['moved', 'early', 'late']);
    assert.equal(cleared.scheduleIndex, -1);
  });

  it('keeps a heap order through many random adds and removes', async () => {
    const ran: Item[] = [];
    schedule = new PollSchedule<Item>((it) => ran.push(it));
    const base = performance.now() + 40;
    const items: Item[] = [];
    // A fixed pseudo-random sequence (LCG) so that a failure reproduces.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const it: Item = { name: String(i), dueAt: base + next() * 50, scheduleIndex: -1 };
      items.push(it);
      schedule.add(it);
    }
    const removed = new Set(items.filter((_, i) => i % 7 === 0));
    for (const it of removed) schedule.remove(it);
    while (ran.length < items.length - removed.size) await pause(10);
    for (let i = 1; i < ran.length; i++) assert.ok(ran[i - 1].dueAt <= ran[i].dueAt, `out of order at ${i}`);
    assert.ok(ran.every((it) => !removed.has(it)));
  });

  it('lets an item schedule itself again from run, and keeps the others running when one run throws', async () => {
    const ran: string[] = [];
    let repeats = 0;
    schedule = new PollSchedule<Item>((it) => {
      ran.push(it.name);
      if (it.name === 'boom') throw new Error('run failed');
      if (it.name === 'again' && ++repeats < 3) {
        it.dueAt = performance.now() + 10;
        schedule!.add(it);
      }
    });
    const failures: unknown[] = [];
    const onUncaught = (error: unknown) => failures.push(error);
    // The throw leaves the timer callback like any throwing timer would; mocha's own handler is set aside meanwhile.
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      schedule.add(item('boom', 10));
      schedule.add(item('again', 20));
      schedule.add(item('after', 300));
      while (!ran.includes('after')) await pause(10);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const handler of mochaHandlers) process.on('uncaughtException', handler);
    }
    const count = (name: string) => ran.filter((n) => n === name).length;
    assert.deepEqual([count('boom'), count('again'), count('after')], [1, 3, 1]);
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]), /run failed/);
  });
});
