// Counts the turns of the event loop while some work runs: the proof that long work yields (pings and signals are
// answered meanwhile), without timing anything.
export interface TurnCounter {
  /** Turns so far. */
  readonly turns: number;
  /** Stops counting; returns the turns counted. */
  stop(): number;
}

export function countTurns(): TurnCounter {
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop() {
      done = true;
      return turns;
    },
  };
}
