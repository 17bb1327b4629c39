/** `dtmfguard spans [--watch]`, `dtmfguard counters [--reset]`, `dtmfguard loopback SPAN MODE`. */
import type { Command } from 'commander';
import { DgError } from '../errors.ts';
import type { SpanStatus } from '../service/operations.ts';
import { applianceCommand, onAppliance, type ApplianceOpts } from './appliance-command.ts';
import { emit, table } from './output.ts';

function alarms(s: SpanStatus): string {
  const on = (['los', 'lof', 'ais', 'rai'] as const).filter((a) => s[a]).map((a) => a.toUpperCase());
  return on.length ? on.join(',') : '-';
}

export function spanTable(spans: SpanStatus[]): string {
  if (!spans.length) return 'this appliance has no E1/T1 spans';
  return table([
    ['span', 'type', 'state', 'alarms', 'loopback', 'CV', 'CRC', 'FAS', 'slips', 'ES', 'SES', 'counted'],
    ...spans.map((s) => [String(s.span), s.type.toUpperCase(), s.state, alarms(s), s.loopback, String(s.cv), String(s.crc_err), String(s.fas_err), String(s.slips), String(s.es), String(s.ses), `${s.counted_s} s`]),
  ]);
}

function spanNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DgError('DG4205', `bad span '${v}': give a span number (1, 2, ...)`);
  return n;
}

export function register(program: Command): void {
  applianceCommand(
    program
      .command('spans')
      .option('--watch [seconds]', 'refresh until Ctrl-C (every 2 s unless given)')
      .description('E1/T1 span status: alarms (LOS, LOF, AIS, RAI), loopback and error counters.'),
    'dtmfguard spans --watch',
  ).action(async (opts: ApplianceOpts & { watch?: boolean | string }) => {
    await onAppliance(opts, async (s) => {
      if (!opts.watch) {
        const spans = await s.call<SpanStatus[]>('spans');
        emit(opts.json, spans, () => spanTable(spans));
        return;
      }
      const every = typeof opts.watch === 'string' ? Number(opts.watch) : 2;
      if (!(every >= 0.2 && every <= 3600)) throw new DgError('DG4210', `--watch ${opts.watch}: give seconds from 0.2 to 3600`);
      let stop = false;
      const onSig = () => (stop = true);
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      try {
        while (!stop) {
          const spans = await s.call<SpanStatus[]>('spans');
          if (opts.json) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), spans })}\n`);
          else process.stdout.write(`${process.stdout.isTTY ? '\x1b[H\x1b[2J' : ''}${new Date().toISOString()}\n${spanTable(spans)}\n`);
          for (let waited = 0; waited < every * 1000 && !stop; waited += 100) await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        process.off('SIGINT', onSig);
        process.off('SIGTERM', onSig);
      }
    });
  });

  applianceCommand(
    program
      .command('counters')
      .option('--reset', 'reset the error counters (audited)')
      .option('--span <N>', 'only this span', spanNumber)
      .description('Span error counters (code violations, CRC, FAS, slips, errored and severely errored seconds).'),
    'dtmfguard counters --reset --span 1',
  ).action(async (opts: ApplianceOpts & { reset?: boolean; span?: number }) => {
    await onAppliance(opts, async (s) => {
      if (opts.reset) {
        const reset = await s.call<number[]>('counters.reset', { spans: opts.span ? [opts.span] : 'all' });
        emit(opts.json, { reset }, () => `counters reset on span ${reset.join(', ')}`);
        return;
      }
      const spans = (await s.call<SpanStatus[]>('spans')).filter((x) => !opts.span || x.span === opts.span);
      if (opts.span && !spans.length) throw new DgError('DG4205', `no span ${opts.span} on this appliance`);
      emit(opts.json, spans.map((x) => ({ span: x.span, cv: x.cv, crc_err: x.crc_err, fas_err: x.fas_err, slips: x.slips, es: x.es, ses: x.ses, counted_s: x.counted_s })), () => spanTable(spans));
    });
  });

  applianceCommand(
    program
      .command('loopback')
      .argument('<span>', 'span number', spanNumber)
      .argument('<mode>', 'local, line, payload or off')
      .description('Set a span loopback for line testing (audited). Loopbacks take the span out of service: turn them off after.'),
    'dtmfguard loopback 1 line',
  ).action(async (span: number, mode: string, opts: ApplianceOpts) => {
    if (!['local', 'line', 'payload', 'off'].includes(mode)) throw new DgError('DG4211', `bad loopback mode '${mode}': use local, line, payload or off`);
    const r = await onAppliance(opts, (s) => s.call<{ span: number; mode: string }>('loopback.set', { span, mode }));
    emit(opts.json, r, () => `span ${r.span} loopback ${r.mode}`);
  });
}
