/**
 * DG2xxx codes of the audio layer and the offline DSP commands (`verify`, `mask`), in one place so
 * tests assert them and a code always means the same thing.
 */
export const AUDIO_ERR = {
  cannotOpen: 'DG2001', // missing file, a directory, no permission
  empty: 'DG2002', // zero-byte file
  unknownFormat: 'DG2003', // not RIFF/WAVE and no --format given
  unsupportedContainer: 'DG2004', // recognised but not readable by this build (RF64, RIFX, captures)
  malformedWav: 'DG2005', // chunk structure broken, fmt or data missing
  unsupportedEncoding: 'DG2006', // a WAV sample format we do not decode
  unsupportedRate: 'DG2007', // anything but 8000 Hz
  unsupportedChannels: 'DG2008', // more than two channels
  truncated: 'DG2009', // the data chunk declares more bytes than the file holds
  noAudio: 'DG2010', // a header with zero samples
  rawLength: 'DG2011', // raw slin16 file with an odd byte count
  badOption: 'DG2012', // --mask-tone, --lookahead-ms, --format values
  writeFailed: 'DG2013', // the mask output cannot be written
  sameFile: 'DG2014', // mask IN and OUT are the same file
  maskEncoding: 'DG2015', // mask input in a sample format mask cannot write back unchanged
} as const;
