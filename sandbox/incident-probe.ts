/** Reading the single open incident from the store while a test drives the bot. */
import type { IncidentStore } from '../src/ports';

export function incidentProbe(store: () => IncidentStore) {
  const current = async () => {
    const [inc] = await store().listOpenIncidents();
    return inc ? store().get(inc.id) : undefined;
  };
  const stepIs = (name: string, state: string) => async () => (await current())?.steps.find((s) => s.name === name)?.state === state;
  /** Poll until `pred` holds; on timeout say where every step stands. */
  const until = async (what: string, pred: () => Promise<boolean>, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!(await pred())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; steps: ${JSON.stringify((await current())?.steps.map((s) => [s.name, s.state, s.note]))}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { current, stepIs, until };
}
