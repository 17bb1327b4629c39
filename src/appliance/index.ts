// The appliance driver's public surface, for the service, the CLI and test rigs.
export { ApplianceClient, type ApplianceEvent, type ApplianceState, type ClientOptions, type Hello } from './client.ts';
export { ApplianceDriver, type DriverConfig, type DriverState, type RequestOptions } from './driver.ts';
export { CommandError, DRIVER_CODES, type FailureReason } from './driver-errors.ts';
export { DEFAULT_DRIVER_OPTIONS, resolveOptions, type DriverOptions } from './options.ts';
export { type DriverStats } from './stats.ts';
export { systemClock, ManualClock, type Clock, type TimerHandle } from './clock.ts';
export {
  applyConfig,
  applyConfigConfirmed,
  readConfig,
  differences,
  PendingConfirmation,
  TransactionError,
  TX_CODES,
  type ConfigChange,
  type TransactionResult,
  type ConfirmOutcome,
} from './config-transaction.ts';
export { makeDtmfguardProtocol } from './dtmfguard-protocol.ts';
export type { ProtocolAdapter } from './protocol-adapter.ts';
