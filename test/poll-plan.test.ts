import assert from 'node:assert/strict';
import { PollPlan } from '../src/watcher/poll-plan';

/** The timing of one watch, with made-up monotonic times: no timers, no clock. */
describe('PollPlan', () => {
  it('plans each slot one interval after the last plan, or at once after a call that overran it', () => {
    const plan = new PollPlan(1000, 100);
    plan.restart(1000, 500);
    plan.pollStarted(false, 500);
    plan.advance(520);
    assert.equal(plan.plannedAt, 1500, 'a quick answer keeps the fixed rate');
    plan.pollStarted(false, 1500);
    plan.advance(2700);
    assert.equal(plan.plannedAt, 2700, 'an overrun is followed right after its answer');
    assert.equal(plan.dueAt(2700), 2700);
  });

  it('puts a pollNow poll before the slot, never closer than the gap to the last one, and leaves the grid alone', () => {
    const plan = new PollPlan(1000, 100);
    plan.restart(1000, 1000);
    assert.equal(plan.request(), true, 'nothing armed for an extra poll yet');
    assert.equal(plan.dueAt(200), 200, 'at once');
    assert.equal(plan.takeDue(), true);
    assert.equal(plan.extraAllowed(200), true);
    plan.pollStarted(true, 200);
    plan.advance(230);
    assert.equal(plan.plannedAt, 1000, 'the grid stays');
    plan.request();
    assert.equal(plan.dueAt(240), 300, 'the gap since the last extra poll');
    assert.equal(plan.request(), false, 'already armed for it');
    assert.equal(plan.extraAllowed(250), false);
    plan.takeDue();
    plan.pollStarted(true, 950);
    plan.advance(960);
    plan.request();
    assert.equal(plan.dueAt(970), 1000, 'the planned slot when it comes before the gap ends');
    assert.equal(plan.takeDue(), false);
  });

  it('skips the slots an extra poll covered, and a timed poll answers every pollNow before it', () => {
    const plan = new PollPlan(100, 10);
    plan.restart(100, 100);
    plan.pollStarted(true, 90);
    plan.advance(350);
    assert.equal(plan.plannedAt, 400, 'slots 100, 200, 300 passed while it ran');
    plan.request();
    plan.pollStarted(false, 400);
    assert.equal(plan.dueAt(401), 400, 'no extra poll left to make');
    plan.cancelStarted();
    plan.advance(420);
    assert.equal(plan.plannedAt, 500);
  });
});
