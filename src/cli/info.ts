import type { Command } from 'commander';
import { ApplianceClient, type ClientOptions } from '../appliance/client.ts';
import type { Transport } from '../link/transport.ts';
import type { DriverStats } from '../appliance/stats.ts';
import { addPortOption, resolvePort } from './port-option.ts';
import { withSession } from './session.ts';

/** What `dtmfguard info --json` prints (stable keys: scripts read them). */
export interface InfoReport {
  port: string;
  identity: { model: string; serial: string; hardware: string; bootId: string };
  firmware: { version: string; slot: string };
  protocol: number;
  profile: { channels: number; spans: number; capabilities: string[]; maxFrameBytes: number };
  config: { state: string; version: number; pending: string[] };
  uptimeS: number;
  secureChannels: number[];
  link: DriverStats & { state: string };
}

interface InfoParts {
  hello: ApplianceClient['hello'];
  cfg: ApplianceClient['state']['cfg'];
  secureOn: number[];
  uptimeS: number;
  link: DriverStats & { state: string };
}

function toReport(port: string, p: InfoParts): InfoReport {
  const { hello, cfg } = p;
  return {
    port,
    identity: { model: hello.model, serial: hello.serial, hardware: hello.hw, bootId: hello.boot_id },
    firmware: { version: hello.fw, slot: hello.slot },
    protocol: hello.proto,
    profile: { channels: hello.channels, spans: hello.spans, capabilities: hello.caps, maxFrameBytes: hello.max_frame },
    config: { state: cfg.cfg, version: cfg.version, pending: cfg.pending },
    uptimeS: p.uptimeS,
    secureChannels: p.secureOn,
    link: p.link,
  };
}

/** Connects, says HELLO, reads identity, uptime and counters, and closes. */
export async function collectInfo(target: string | Transport, options: ClientOptions = {}): Promise<InfoReport> {
  const client = await ApplianceClient.connect(target, options);
  try {
    const ping = await client.ping();
    const { hello, cfg, secureOn } = client.state;
    return toReport(typeof target === 'string' ? target : target.target, { hello, cfg, secureOn, uptimeS: ping.uptime_s, link: client.stats() });
  } finally {
    await client.close();
  }
}

/** The same report through the daemon when one owns the port (its link statistics then), else directly. */
export async function collectInfoFor(port: string): Promise<InfoReport> {
  return withSession(port, async (s) => toReport(port, await s.call<InfoParts>('info')));
}

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${h}h ${m}m ${s % 60}s`;
}

export function formatInfo(r: InfoReport): string {
  const l = r.link;
  return [
    `appliance   ${r.identity.model}  serial ${r.identity.serial}  hardware ${r.identity.hardware}`,
    `firmware    ${r.firmware.version} (slot ${r.firmware.slot})  protocol ${r.protocol}`,
    `profile     ${r.profile.channels} channels, ${r.profile.spans} spans, capabilities ${r.profile.capabilities.join(',') || '-'}`,
    `config      version ${r.config.version}, ${r.config.state}${r.config.pending.length ? ` (staged: ${r.config.pending.join(', ')})` : ''}`,
    `uptime      ${duration(r.uptimeS)}  (boot ${r.identity.bootId})`,
    `secure      ${r.secureChannels.length} channel(s) in secure mode`,
    `link        ${r.port}: frames in ${l.framesIn} out ${l.framesOut}, CRC errors ${l.crcErrors}, NAKs sent ${l.naksSent} received ${l.naksReceived}, ` +
      `timeouts ${l.timeouts}, retries ${l.retries}, discarded ${l.discardedBytes} bytes, reconnects ${l.reconnects}, ` +
      `round trip ${l.rtt.meanMs.toFixed(1)} ms mean (${l.rtt.minMs.toFixed(1)}-${l.rtt.maxMs.toFixed(1)})`,
  ].join('\n');
}

export function register(program: Command): void {
  const cmd = program
    .command('info')
    .description('Connect to the appliance, say HELLO, and print its identity, firmware, profile, uptime and link statistics.')
    .option('--json', 'print one JSON document on stdout');
  addPortOption(cmd)
    .addHelpText('after', '\nExit status: 0 ok, 2 bad usage, 3 the appliance did not answer.')
    .action(async (opts: { port?: string; json?: boolean }) => {
      const target = resolvePort(opts);
      const report = await collectInfoFor(target);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInfo(report)}\n`);
    });
}
