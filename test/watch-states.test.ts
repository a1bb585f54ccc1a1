import assert from 'node:assert/strict';
import { Watch } from '../src/watcher/watch';
import { isCalling, isWatched, nextState, WATCH_TRANSITIONS, type WatchEvent, type WatchState } from '../src/watcher/watch-states';

const STATES = Object.keys(WATCH_TRANSITIONS) as WatchState[];
const EVENTS: WatchEvent[] = ['start', 'revive', 'poll', 'cancel', 'confirm', 'settle', 'end'];

describe('watch state table', () => {
  it('lists each state and its exits, nothing more', () => {
    const exits = Object.fromEntries(STATES.map((state) => [state, EVENTS.filter((e) => nextState(state, e) !== undefined)]));
    assert.deepEqual(exits, {
      ended: ['start'],
      idle: ['poll', 'cancel', 'confirm', 'end'],
      polling: ['settle', 'end'],
      cancelling: ['settle', 'end'],
      confirming: ['settle', 'end'],
      draining: ['revive', 'settle'],
      revived: ['settle', 'end'],
    });
  });

  it('leads every exit to a state of the table', () => {
    for (const state of STATES) {
      for (const event of EVENTS) {
        const to = nextState(state, event);
        if (to !== undefined) assert.ok(STATES.includes(to), `${state} --${event}--> ${to}`);
      }
    }
  });

  it('never starts a call while one is in flight: poll, cancel and confirm only leave idle', () => {
    for (const state of STATES) {
      for (const event of ['poll', 'cancel', 'confirm'] as const) {
        const to = nextState(state, event);
        if (state === 'idle') assert.ok(to !== undefined && isCalling(to), `${event} from idle`);
        else assert.equal(to, undefined, `${event} refused in ${state}`);
      }
    }
  });

  it('ends a watch with a call in flight by draining it, and drops its answer unless watched again', () => {
    for (const state of ['polling', 'cancelling', 'confirming', 'revived'] as const) {
      assert.equal(nextState(state, 'end'), 'draining');
      assert.equal(nextState(state, 'settle'), 'idle');
    }
    assert.equal(nextState('idle', 'end'), 'ended');
    assert.equal(nextState('draining', 'settle'), 'ended');
    assert.equal(nextState('draining', 'revive'), 'revived');
    assert.equal(nextState('ended', 'start'), 'idle');
    // Starting twice, or settling what has nothing in flight, is refused.
    assert.equal(nextState('idle', 'start'), undefined);
    assert.equal(nextState('idle', 'settle'), undefined);
    assert.equal(nextState('ended', 'settle'), undefined);
    assert.equal(nextState('ended', 'end'), undefined);
  });

  it('tells which states have a call in flight and which are watched', () => {
    assert.deepEqual(STATES.filter(isCalling), ['polling', 'cancelling', 'confirming', 'draining', 'revived']);
    assert.deepEqual(STATES.filter(isWatched), ['idle', 'polling', 'cancelling', 'confirming', 'revived']);
  });

  it('leaves a watch where it is when an event is refused', () => {
    const ignore = () => undefined;
    const watch = new Watch('r', { status: ignore, statusError: ignore, cancelled: ignore, cancelError: ignore }, 1000, 100);
    assert.equal(watch.state, 'ended');
    assert.equal(watch.transition('poll'), undefined);
    assert.equal(watch.state, 'ended');
    assert.equal(watch.transition('start'), 'ended');
    assert.equal(watch.transition('poll'), 'idle');
    assert.equal(watch.transition('cancel'), undefined, 'no second call while polling');
    assert.equal(watch.state, 'polling');
    assert.equal(watch.transition('end'), 'polling');
    assert.equal(watch.state, 'draining');
  });
});
