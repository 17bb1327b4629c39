/**
 * The control methods that act on the appliance, by name: one table for the daemon's control
 * socket and for the CLI when it opens the port itself, so both paths behave the same.
 */
import type { ConfigChange } from '../appliance/config-transaction.ts';
import { DgError } from '../errors.ts';
import type { ApplianceOperations, Caller, LoopbackMode } from './operations.ts';

export async function dispatchOperation(ops: ApplianceOperations, method: string, params: unknown, caller: Caller): Promise<unknown> {
  const p = (params ?? {}) as Record<string, unknown>;
  switch (method) {
    case 'info': {
      const ping = await ops.client.ping();
      return { hello: ops.client.hello, cfg: ops.client.state.cfg, secureOn: ops.client.state.secureOn, uptimeS: ping.uptime_s, link: ops.client.stats() };
    }
    case 'config.show':
      return ops.configShow();
    case 'config.diff':
      return ops.configDiff(p.change as ConfigChange);
    case 'config.apply':
      return ops.configApply(p.change as ConfigChange, caller, p.confirmS as number | undefined);
    case 'config.confirm':
      return ops.configConfirm(caller);
    case 'mask-tone.get':
      return ops.client.getMaskTone();
    case 'mask-tone.set':
      return ops.setMaskTone(p.tone as '#', caller);
    case 'trigger-code.get':
      return ops.client.getTrigger();
    case 'trigger-code.set':
      return ops.setTrigger(String(p.code), caller);
    case 'secure.set':
      return ops.setSecure(p.channels as number[] | 'all', Boolean(p.on), caller);
    case 'secure.status':
      return ops.secureStatus(p.channels as number[] | 'all');
    case 'spans':
      return ops.spans();
    case 'counters.reset':
      return ops.resetCounters(p.spans as number[] | 'all', caller);
    case 'loopback.set':
      return ops.setLoopback(Number(p.span), p.mode as LoopbackMode, caller);
    case 'firmware.info':
      return ops.firmwareInfo();
    case 'firmware.upload':
      return ops.firmwareUpload(Buffer.from(String(p.image), 'base64'), caller);
    case 'firmware.activate':
      return ops.firmwareActivate(p.slot as 'A', caller);
    default:
      throw new DgError('DG7005', `no control method '${method}': is the CLI newer than the daemon?`);
  }
}
