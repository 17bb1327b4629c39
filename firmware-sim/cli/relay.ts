/**
 * `dtmfguard-sim relay`: the SIP edge data plane alone, for rigs that need no serial side. One
 * relay per caller stream; runs until SIGINT/SIGTERM (or --duration-ms), then prints its counters.
 * SIGUSR1 turns secure mode on, SIGUSR2 off, the way the board's secure-mode switch would.
 */
import type { Command } from 'commander';
import { isMaskTone } from '../../src/dsp/dtmf-keys.ts';
import { DgError } from '../../src/errors.ts';
import { formatUdpAddress } from '../relay/address.ts';
import { type RelayMaskedEvent, RtpRelay } from '../relay/rtp-relay.ts';

interface RelayCliOptions {
  listen: string;
  forward: string;
  mirror?: string;
  maskTone: string;
  lookaheadMs: string;
  jitterMs: string;
  secure?: boolean;
  streams: string;
  durationMs?: string;
  json?: boolean;
}

function wholeNumber(text: string, flag: string, unit = 'milliseconds', example = '40'): number {
  if (!/^\d+$/.test(text)) throw new DgError('DG5303', `${flag} ${JSON.stringify(text)} is not a whole number of ${unit}, e.g. ${flag} ${example}`);
  return Number(text);
}

export function register(program: Command): void {
  program
    .command('relay')
    .description('relay one caller RTP stream (G.711, RFC 4733) to the agent side, masked in secure mode, mirrored to a recorder')
    .requiredOption('--listen <addr:port>', "where the caller's RTP arrives (port 0: any free port)")
    .requiredOption('--forward <addr:port>', 'where the masked stream goes (the agent side)')
    .option('--mirror <addr:port>', 'a copy of what is forwarded (a recorder, the verifier)')
    .option('--mask-tone <key>', "the digit every keyed digit becomes: '#', '0' or '1'", '#')
    .option('--lookahead-ms <n>', 'masker lookahead, the delay the relay adds (15-200)', '40')
    .option('--jitter-ms <n>', 'how late a packet may be and still be put back in order (0-1000)', '40')
    .option('--secure', 'secure mode from the start (SIGUSR1 turns it on, SIGUSR2 off)')
    .option('--streams <n>', 'calls expected at once: their state is made at start, not as they come (0-100000)', '0')
    .option('--duration-ms <n>', 'stop after this long instead of waiting for a signal')
    .option('--json', 'JSON lines on stdout: listening, masked, stopped')
    .action(async (o: RelayCliOptions) => {
      if (!isMaskTone(o.maskTone)) throw new DgError('DG5304', `--mask-tone ${JSON.stringify(o.maskTone)} is not one of '#', '0', '1'`);
      const relay = new RtpRelay({
        listen: o.listen,
        forward: o.forward,
        mirror: o.mirror,
        maskTone: o.maskTone,
        lookaheadMs: wholeNumber(o.lookaheadMs, '--lookahead-ms'),
        jitterMs: wholeNumber(o.jitterMs, '--jitter-ms'),
        secure: o.secure ?? false,
        streams: wholeNumber(o.streams, '--streams', 'calls', '1000'),
      });
      const duration = o.durationMs === undefined ? undefined : wholeNumber(o.durationMs, '--duration-ms');
      const out = (line: string) => process.stdout.write(`${line}\n`);
      relay.on('masked', (ev: RelayMaskedEvent) => {
        // The window's place and length only: the digit itself is never known here, let alone printed.
        if (o.json) out(JSON.stringify({ event: 'masked', ...ev }));
        else out(`masked ${ev.source} ssrc=0x${ev.channel.toString(16).padStart(8, '0')} ${ev.startMs.toFixed(1)}-${ev.endMs.toFixed(1)} ms`);
      });
      relay.on('error', (err) => process.stderr.write(`DG5307: relay socket error (${err.message}); continuing\n`));
      // Installed before the listening line, so a rig that signals as soon as it reads it is heard.
      // (Node would otherwise take SIGUSR1 as "start the inspector".)
      const onUsr1 = () => relay.setSecure(true);
      const onUsr2 = () => relay.setSecure(false);
      process.on('SIGUSR1', onUsr1);
      process.on('SIGUSR2', onUsr2);
      const bound = await relay.start();
      const where = {
        listen: formatUdpAddress(bound),
        forward: o.forward,
        ...(o.mirror ? { mirror: o.mirror } : {}),
      };
      if (o.json) out(JSON.stringify({ event: 'listening', ...where, secure: relay.secure, maskTone: o.maskTone }));
      else out(`relay listening on ${where.listen}, forwarding to ${where.forward}${o.mirror ? `, mirroring to ${o.mirror}` : ''}, secure mode ${relay.secure ? 'on' : 'off'}`);

      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        if (duration !== undefined) setTimeout(done, duration);
      });
      process.off('SIGUSR1', onUsr1);
      process.off('SIGUSR2', onUsr2);
      await relay.stop();
      const stats = relay.stats();
      if (o.json) out(JSON.stringify({ event: 'stopped', stats }));
      else {
        out(
          `relay stopped: ${stats.datagramsIn} in, ${stats.forwarded} forwarded, ${stats.mirrored} mirrored, ` +
            `${stats.audioMasked} audio packets masked, ${stats.eventsRewritten} events rewritten, ` +
            `${stats.late} late, ${stats.duplicates} duplicates, ${stats.lost} lost, ${stats.malformed} malformed`,
        );
      }
    });
}
