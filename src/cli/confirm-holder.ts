/**
 * `config apply --confirm` without a daemon: this CLI process holds the rollback timer, so it stays
 * in the foreground, serving `config.confirm` on the port's control socket (where a second
 * `dtmfguard config confirm` looks for it), until the change is confirmed or rolled back.
 */
import { DgError, EXIT } from '../errors.ts';
import { ControlServer } from '../service/control-socket.ts';
import { controlSocketPath } from '../service/paths.ts';
import type { DirectSession, Session } from './session.ts';

export async function holdForConfirmation(session: Session, json: boolean | undefined, ready: () => void): Promise<void> {
  const direct = session as DirectSession;
  const pending = direct.ops.pendingConfirmation;
  if (!pending) return;
  const server = new ControlServer({
    path: controlSocketPath(session.port),
    handler: async (method, params, ctx) => {
      if (method !== 'config.confirm') throw new DgError('DG7006', `this process only holds a configuration change waiting for confirmation; '${method}' must wait until it ends`, EXIT.unreachable);
      return direct.ops.configConfirm({ who: ctx.who, origin: ctx.origin });
    },
  });
  await server.listen();
  ready();
  const stop = () => void pending.rollback();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const outcome = await pending.outcome;
    if (!json) process.stderr.write(outcome === 'confirmed' ? `configuration version ${pending.result.version} confirmed\n` : '');
    if (outcome !== 'confirmed') throw pending.error ?? new DgError('DG1304', 'the change was rolled back', EXIT.checkFailed);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server.close();
  }
}
