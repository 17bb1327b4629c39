/**
 * `dtmfguard verify --report out.html`: one self-contained HTML file an auditor can open offline.
 * It holds the verdict, capture metadata and the SHA-256 of each input, a timeline per stream or
 * channel (SVG), and a spectrogram around each digit, masked or leaked (canvas, drawn by the small
 * script embedded below from the cells computed in spectrogram.ts). No external resource is loaded.
 * The JSON verdict (signed, when it was) is embedded as well, so the file carries its own evidence.
 *
 * Digits are shown one per element with their time, never as a run of digits (PCI DSS: a keyed
 * card number must not appear as one string).
 */
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from '../dsp/dtmf-keys.ts';
import { spectrogram } from './spectrogram.ts';
import type { AudioSnippet } from './snippet-recorder.ts';
import type { DigitReport, FileVerdict, Verdict } from './verdict.ts';

export interface HtmlReportOptions {
  /** Audio around digits (from the verifiers' `snippets` option). */
  snippets?: Map<DigitReport, AudioSnippet>;
  /** The JSON document as printed (signed or not), embedded verbatim. */
  json?: string;
  generatedAt?: Date;
  toolVersion?: string;
  /** How the verifier was run (command line), for the record. */
  command?: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

export function verdictHeadline(v: Verdict): string {
  const files = v.files.length === 1 ? '1 input' : `${v.files.length} inputs`;
  switch (v.result) {
    case 'leak':
      return `LEAK: ${v.leakCount} digit(s) other than the mask tone '${v.maskTone}' in ${files}`;
    case 'clean':
      return `CLEAN: no digit other than the mask tone '${v.maskTone}' in ${files}`;
    case 'incomplete':
      return `INCOMPLETE: ${v.files.filter((f) => f.error).length} of ${files} could not be verified`;
    default:
      return `LISTED: ${v.digitCount} digit(s) in ${files} (no mask tone given, nothing judged)`;
  }
}

/** Track of a digit: the stream for captures, the channel for recordings. */
function trackOf(d: DigitReport): string {
  return d.stream ?? (d.channel !== undefined ? `channel ${d.channel}` : 'audio');
}

function digitClass(d: DigitReport, v: Verdict): string {
  if (d.leak) return 'leak';
  return v.maskTone != null ? 'mask' : 'listed';
}

function timeline(f: FileVerdict, v: Verdict, track: string, digits: DigitReport[], durationMs: number, idOf: Map<DigitReport, string>): string {
  const W = 900;
  const H = 56;
  const span = Math.max(durationMs, ...digits.map((d) => d.endMs), 1);
  const x = (ms: number): number => 20 + (ms / span) * (W - 40);
  const ticks: string[] = [];
  const step = niceStep(span / 8);
  for (let t = 0; t <= span; t += step) ticks.push(`<line x1="${x(t).toFixed(1)}" y1="38" x2="${x(t).toFixed(1)}" y2="42" stroke="#666"/><text x="${x(t).toFixed(1)}" y="53" font-size="9" text-anchor="middle">${(t / 1000).toFixed(step < 1000 ? 1 : 0)}s</text>`);
  const marks = digits.map((d) => {
    const w = Math.max(2, x(d.endMs) - x(d.startMs));
    const y = d.source === 'rfc4733' ? 4 : 20;
    const id = idOf.get(d);
    const rect = `<rect class="d-${digitClass(d, v)}" x="${x(d.startMs).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="14"><title>digit ${esc(d.digit)} ${d.source}${d.detector === 'attacker' ? ' fragment' : ''} at ${sec(d.startMs)}${d.leak ? ' LEAK' : ''}</title></rect>`;
    return id ? `<a href="#${id}">${rect}</a>` : rect;
  });
  return `<svg class="timeline" role="img" aria-label="timeline of ${esc(track)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<text x="2" y="14" font-size="9">4733</text><text x="2" y="30" font-size="9">tone</text>
<line x1="20" y1="38" x2="${W - 20}" y2="38" stroke="#666"/>${ticks.join('')}${marks.join('')}</svg>`;
}

function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.length).toString('base64');
}

function figure(d: DigitReport, v: Verdict, id: string, snip: AudioSnippet | undefined): string {
  const cls = digitClass(d, v);
  const what = `${d.source === 'rfc4733' ? 'RFC 4733 event' : d.detector === 'attacker' ? 'in-band fragment (attacker receiver)' : 'in-band digit (Q.24 receiver)'}`;
  const status = cls === 'leak' ? 'LEAK' : cls === 'mask' ? 'mask tone' : 'listed';
  const caption = `<figcaption><b class="key">${esc(d.digit)}</b> <span class="st-${cls}">${status}</span> · ${what} · ${sec(d.startMs)} – ${sec(d.endMs)} · ${esc(trackOf(d))}${d.endSeen === false ? ' · no end packet seen' : ''}</figcaption>`;
  if (!snip || snip.samples.length === 0) return `<figure id="${id}" class="digit">${caption}<p class="nosnip">no audio in this stream around this digit</p></figure>`;
  const sg = spectrogram(snip.samples, { sampleRate: snip.sampleRate });
  const snipStartMs = (snip.startSample * 1000) / snip.sampleRate;
  const attrs = [
    `data-cols="${sg.cols}"`, `data-rows="${sg.rows}"`, `data-maxhz="${sg.maxHz}"`, `data-hopms="${sg.hopMs}"`, `data-firstms="${sg.firstMs}"`,
    `data-start="${(d.startMs - snipStartMs).toFixed(1)}"`, `data-end="${(d.endMs - snipStartMs).toFixed(1)}"`, `data-kind="${cls}"`, `data-cells="${b64(sg.cells)}"`,
  ].join(' ');
  return `<figure id="${id}" class="digit">${caption}<canvas class="spec" width="${Math.max(1, sg.cols) * 3}" height="${sg.rows * 2}" ${attrs}></canvas><div class="axis">${sec(snipStartMs)} … ${sec(snipStartMs + (snip.samples.length * 1000) / snip.sampleRate)} · 0–${sg.maxHz} Hz · dashed: the 8 DTMF frequencies</div></figure>`;
}

function statsTable(f: FileVerdict): string {
  if (!f.streams || f.streams.length === 0) return '';
  const rows = f.streams.map(
    (s) => `<tr><td>${esc(s.stream)}</td><td>${s.codec ?? '–'}</td><td>${s.foundBy}</td><td>${s.packets}</td><td>${s.lost}</td><td>${s.duplicates}</td><td>${s.reordered}</td><td>${s.late}</td><td>${s.jitterMs.toFixed(2)}</td><td>${(s.audioMs / 1000).toFixed(2)}</td><td>${s.events}</td></tr>`,
  );
  return `<table class="streams"><thead><tr><th>stream</th><th>codec</th><th>found by</th><th>packets</th><th>lost</th><th>dup</th><th>reordered</th><th>late</th><th>jitter ms</th><th>audio s</th><th>events</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Label and value as HTML (every value escaped here, once). */
function metaList(f: FileVerdict): string {
  const items: [string, string][] = [['kind', esc(f.kind)]];
  if (f.format) items.push(['format', esc(f.format)]);
  if (f.size !== undefined) items.push(['size', `${f.size} bytes`]);
  if (f.sha256) items.push(['SHA-256', `<code>${esc(f.sha256)}</code>`]);
  if (f.durationMs !== undefined) items.push(['duration', sec(f.durationMs)]);
  if (f.capture) {
    const c = f.capture;
    items.push(['capture', esc(`${c.format}, ${c.packets} records, ${c.bytes} bytes, ${c.sipMessages} SIP message(s), ${c.nonRtpDatagrams} non-RTP datagram(s)`)]);
    if (c.interface) items.push(['interface', esc(`${c.interface}${c.kernelDrops !== undefined ? `, ${c.kernelDrops} dropped by the kernel` : ''}`)]);
    const skipped = Object.entries({ ...c.skippedRecords, ...c.skippedFrames });
    if (skipped.length) items.push(['skipped', esc(skipped.map(([k, n]) => `${n} ${k}`).join(', '))]);
    if (c.partial) items.push(['DAMAGED', esc(`reading stopped at byte ${c.partial.offset}: ${c.partial.code} ${c.partial.message}`)]);
  }
  if (f.error) items.push(['NOT VERIFIED', esc(`${f.error.code}: ${f.error.message}`)]);
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function renderHtmlReport(v: Verdict, opts: HtmlReportOptions = {}): string {
  const when = (opts.generatedAt ?? new Date()).toISOString();
  const sections: string[] = [];
  let n = 0;
  for (const f of v.files) {
    const idOf = new Map<DigitReport, string>();
    for (const d of f.digits) idOf.set(d, `d${++n}`);
    const tracks = new Map<string, DigitReport[]>();
    for (const s of f.streams ?? []) tracks.set(s.stream, []);
    for (const d of f.digits) (tracks.get(trackOf(d)) ?? tracks.set(trackOf(d), []).get(trackOf(d))!).push(d);
    if (tracks.size === 0 && !f.error) tracks.set('audio', []);
    const tl = [...tracks].map(([t, ds]) => {
      const st = f.streams?.find((s) => s.stream === t);
      const dur = st ? Math.max(st.audioMs, st.spanMs) : (f.durationMs ?? 0);
      return `<div class="track"><h4>${esc(t)} · ${ds.length} digit(s)${ds.some((d) => d.leak) ? ' · <span class="st-leak">LEAK</span>' : ''}</h4>${timeline(f, v, t, ds, dur, idOf)}</div>`;
    });
    const figs = f.digits.map((d) => figure(d, v, idOf.get(d)!, opts.snippets?.get(d)));
    sections.push(`<section class="file"><h2>${esc(f.file)}</h2>${metaList(f)}${f.warnings.length ? `<ul class="warn">${f.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}${statsTable(f)}<h3>Timelines</h3>${tl.join('')}<h3>Digits (${f.digits.length}, ${f.leaks} leak(s))</h3><div class="figs">${figs.join('') || '<p>no DTMF digit found</p>'}</div></section>`);
  }
  const json = (opts.json ?? JSON.stringify(v)).replace(/</g, '\\u003c');
  const tones = [...LOW_GROUP_HZ, ...HIGH_GROUP_HZ].join(',');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dtmfguard verification report</title>
<meta name="generator" content="dtmfguard ${esc(opts.toolVersion ?? '')}">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
#verdict{padding:.8em 1em;border-radius:6px;font-size:1.3em;font-weight:bold}
.r-leak{background:#fdd;border:2px solid #c00}.r-clean{background:#dfd;border:2px solid #080}
.r-listed{background:#eef;border:2px solid #448}.r-incomplete{background:#ffd;border:2px solid #a80}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child{text-align:left}
.d-leak{fill:#d00}.d-mask{fill:#2a2}.d-listed{fill:#46a}.st-leak{color:#c00;font-weight:bold}.st-mask{color:#080}.st-listed{color:#46a}
.figs{display:flex;flex-wrap:wrap;gap:1em}figure.digit{margin:0;border:1px solid #ccc;padding:.4em;border-radius:4px}
canvas.spec{display:block;image-rendering:pixelated;background:#000}.axis{font-size:11px;color:#555}
.key{font-size:1.2em}.warn{color:#840}code{font-size:11px;word-break:break-all}
</style></head><body>
<h1>dtmfguard verification report</h1>
<div id="verdict" class="r-${v.result}">${esc(verdictHeadline(v))}</div>
<p>Generated ${esc(when)}${opts.toolVersion ? ` by dtmfguard ${esc(opts.toolVersion)}` : ''}. Mask tone: ${v.maskTone != null ? `'${esc(v.maskTone)}'` : 'not given'}. ${v.digitCount} digit(s), ${v.leakCount} leak(s).${opts.command ? ` Command: <code>${esc(opts.command)}</code>` : ''}</p>
<p>In-band digits come from two receivers: the ITU-T Q.24 one (what a listener's equipment decodes) and a sensitive attacker's one (fragments down to 10 ms and −45 dBm0 that Q.24 ignores). RFC 4733 events are shown in the upper row of each timeline.</p>
${sections.join('\n')}
<h2>Verdict document</h2>
<p>The JSON verdict as the verifier printed it${json.includes('"signature"') ? ', with its Ed25519 signature (check it with <code>dtmfguard verify-signature</code>)' : ''}:</p>
<script type="application/json" id="verdict-json">${json}</script>
<pre id="verdict-text"></pre>
<script>
(function(){
  var pre=document.getElementById('verdict-text');
  pre.textContent=document.getElementById('verdict-json').textContent;
  var TONES=[${tones}];
  function color(v){ // dark blue → yellow → white
    var t=v/255;return[Math.round(255*Math.min(1,t*2)),Math.round(255*Math.max(0,Math.min(1,t*1.6-0.3))),Math.round(255*Math.max(0,t*2-1)*0.9+60*(1-t))];
  }
  var cs=document.querySelectorAll('canvas.spec');
  for(var k=0;k<cs.length;k++){
    var c=cs[k],d=c.dataset,cols=+d.cols,rows=+d.rows,bin=atob(d.cells),ctx=c.getContext('2d');
    var sx=c.width/Math.max(1,cols),sy=c.height/rows,img=ctx.createImageData(c.width,c.height);
    for(var x=0;x<c.width;x++){var col=Math.min(cols-1,Math.floor(x/sx));
      for(var y=0;y<c.height;y++){var row=rows-1-Math.floor(y/sy),v=bin.charCodeAt(col*rows+row),p=(y*c.width+x)*4,rgb=color(v);
        img.data[p]=rgb[0];img.data[p+1]=rgb[1];img.data[p+2]=rgb[2];img.data[p+3]=255;}}
    ctx.putImageData(img,0,0);
    ctx.setLineDash([3,3]);ctx.strokeStyle='rgba(255,255,255,0.35)';
    for(var i=0;i<TONES.length;i++){var ty=c.height*(1-TONES[i]/+d.maxhz);ctx.beginPath();ctx.moveTo(0,ty);ctx.lineTo(c.width,ty);ctx.stroke();}
    ctx.setLineDash([]);ctx.strokeStyle=d.kind==='leak'?'#f33':d.kind==='mask'?'#3f3':'#9cf';ctx.lineWidth=2;
    var x0=(+d.start-+d.firstms)/+d.hopms*sx,x1=(+d.end-+d.firstms)/+d.hopms*sx;ctx.strokeRect(x0,1,Math.max(2,x1-x0),c.height-2);
  }
})();
</script>
</body></html>
`;
}
