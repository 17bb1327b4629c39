/**
 * Named wire-level examples of every command and event (docs/protocol.md §11-§12), in canonical
 * form. The catalogue test requires one for each name, so a new command cannot skip the round trip.
 */
export const COMMAND_FIXTURES: Record<string, { request: Record<string, string>; response: Record<string, string> }> = {
  HELLO: {
    request: { proto: '1' },
    response: { proto: '1', model: 'DG-2E1', serial: 'DG2E1-000123', fw: '1.4.2', slot: 'A', hw: 'rev-c', caps: 'e1,secure,loopback,fw', channels: '60', spans: '2', max_frame: '1024', boot_id: '0A1B2C3D', cfg: 'clean' },
  },
  PING: { request: {}, response: { uptime_s: '3600', boot_id: '0A1B2C3D' } },
  GET_MASK_TONE: { request: { view: 'staged' }, response: { tone: '#', view: 'staged' } },
  SET_MASK_TONE: { request: { tone: '0' }, response: { tone: '0' } },
  GET_TRIGGER: { request: {}, response: { code: '*7', view: 'running' } },
  SET_TRIGGER: { request: { code: '#99' }, response: { code: '#99' } },
  GET_SECURE: { request: { ch: '12' }, response: { ch: '12', state: 'on', since_s: '42' } },
  SET_SECURE: { request: { ch: '60', state: 'off' }, response: { ch: '60', state: 'off' } },
  GET_SECURE_SUMMARY: { request: {}, response: { channels: '60', on: '1-4,9,30-31' } },
  GET_SPAN_CONFIG: { request: { span: '1' }, response: { span: '1', type: 'e1', framing: 'crc4', line_code: 'hdb3', lbo: '0', clock: 'line', view: 'running' } },
  SET_SPAN_CONFIG: {
    request: { span: '2', framing: 'esf', line_code: 'b8zs', lbo: '5', clock: 'internal' },
    response: { span: '2', type: 't1', framing: 'esf', line_code: 'b8zs', lbo: '5', clock: 'internal', view: 'staged' },
  },
  GET_SPAN_STATUS: {
    request: { span: '1' },
    response: { span: '1', type: 'e1', state: 'down', los: 'off', lof: 'on', ais: 'off', rai: 'off', cv: '17', crc_err: '3', fas_err: '2', slips: '0', es: '5', ses: '1', loopback: 'off', counted_s: '86400' },
  },
  RESET_COUNTERS: { request: { span: '1' }, response: { span: '1' } },
  SET_LOOPBACK: { request: { span: '1', mode: 'payload' }, response: { span: '1', mode: 'payload' } },
  GET_SIP: { request: {}, response: { listen: '0.0.0.0:5004', forward: '[2001:db8::1]:6000', pt_pcmu: '0', pt_pcma: '8', pt_event: '101', view: 'running' } },
  SET_SIP: {
    request: { listen: '192.0.2.10:5004', forward: '198.51.100.7:5004', pt_pcmu: '0', pt_pcma: '8', pt_event: '96' },
    response: { listen: '192.0.2.10:5004', forward: '198.51.100.7:5004', pt_pcmu: '0', pt_pcma: '8', pt_event: '96', view: 'staged' },
  },
  GET_HEALTH: { request: {}, response: { temp_c: '41.5', v_main_mv: '12030', v_3v3_mv: '3298', v_core_mv: '1002', dsp_load_pct: '37', uptime_s: '3600', bypass: 'off' } },
  CFG_STATUS: { request: {}, response: { cfg: 'staged', version: '7', pending: 'mask_tone,span1' } },
  CFG_COMMIT: { request: {}, response: { version: '8', changed: 'mask_tone,span1' } },
  CFG_ROLLBACK: { request: {}, response: { version: '7', discarded: '' } },
  REBOOT: { request: {}, response: {} },
  FW_SLOTS: { request: {}, response: { active: 'A', next: 'A', a_state: 'valid', a_version: '1.4.2', b_state: 'empty', b_version: '' } },
  FW_BEGIN: { request: { slot: 'B', size: '262144', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }, response: { slot: 'B', next_offset: '0', chunk_max: '512' } },
  FW_CHUNK: { request: { slot: 'B', offset: '512', crc: '1A2B3C4D', data: 'AAECAwQ=' }, response: { slot: 'B', next_offset: '517' } },
  FW_STATUS: { request: {}, response: { state: 'receiving', slot: 'B', size: '262144', next_offset: '1024' } },
  FW_END: { request: { slot: 'B' }, response: { slot: 'B', version: '1.5.0' } },
  FW_ABORT: { request: {}, response: { state: 'idle' } },
  FW_ACTIVATE: { request: { slot: 'B' }, response: { slot: 'B' } },
};

export const EVENT_FIXTURES: Record<string, Record<string, string>> = {
  BOOT: { boot_id: '0A1B2C3D', fw: '1.4.2', slot: 'A', reason: 'power' },
  ALARM: { span: '2', alarm: 'ais', state: 'on' },
  SECURE: { ch: '7', state: 'on', source: 'trigger' },
  COUNTERS: { span: '1', cv: '0', crc_err: '0', fas_err: '0', slips: '1', es: '1', ses: '0' },
  HEALTH: { temp_c: '-3.25', v_main_mv: '12030', v_3v3_mv: '3298', v_core_mv: '1002', dsp_load_pct: '100', uptime_s: '0', bypass: 'on' },
  CFG: { version: '8', changed: 'sip' },
  FW: { slot: 'B', state: 'valid' },
  MASKED: { ch: '3', at_ms: '125400', dur_ms: '110', leg: 'caller' },
  DSP: { ch: '12', state: 'stalled' },
};
