/**
 * Work a command must do before it can answer (who is asking, was this seen before): when it
 * fails, Slack still gets its acknowledgement in time, and the error handler tells the person.
 */
export async function orAck<T>(ack: () => Promise<void>, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    await ack();
    throw e;
  }
}
