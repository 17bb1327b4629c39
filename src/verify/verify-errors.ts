/**
 * DG21xx: the verifier's own errors (reports, signed verdicts, live capture options). The audio
 * layer's DG20xx are in src/audio/audio-errors.ts, the capture reader's DG6xxx in
 * src/capture/capture-errors.ts.
 */
export const VERIFY_ERR = {
  keyUnreadable: 'DG2101', // --sign / --key file missing or unreadable
  keyInvalid: 'DG2102', // not a PEM key, or not Ed25519
  verdictUnreadable: 'DG2103', // verify-signature: the verdict file cannot be read
  verdictNotJson: 'DG2104', // verify-signature: the file is not a JSON document
  writeFailed: 'DG2105', // --report / --out cannot be written
  noInput: 'DG2106', // neither files nor --interface
  badOption: 'DG2107', // --rtp-port, --event-pt, --duration out of range, --sign without an output
} as const;
