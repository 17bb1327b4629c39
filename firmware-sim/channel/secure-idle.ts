/**
 * Secure mode's idle timeout (docs/protocol.md §11, `secure_idle_s` of GET_TRIGGER/SET_TRIGGER):
 * a channel left in secure mode with no keyed and no masked digit for this long goes back to
 * clear audio by itself (`EVT SECURE state=off source=timeout`), so a session the agent forgot to
 * end never keeps masking the rest of the call.
 */

/**
 * Three minutes: a card payment keys a digit every second or so once it starts, but the agent may
 * talk the caller through it for a minute or two before the first digit; three minutes of nothing
 * means the payment is over or abandoned.
 */
export const DEFAULT_SECURE_IDLE_S = 180;
/** 1 s lets tests and demos see it fire; above an hour it no longer protects anything. */
export const MIN_SECURE_IDLE_S = 1;
export const MAX_SECURE_IDLE_S = 3600;
