/** Firmware images and the two-slot store of the simulated board. */
export {
  buildImage,
  verifyImage,
  readHeader,
  keyId,
  DEV_PUBLIC_KEY,
  DEV_PRIVATE_KEY_PATH,
  IMAGE_MAGIC,
  IMAGE_FORMAT_VERSION,
  HEADER_LENGTH,
  TRAILER_LENGTH,
  type ImageInfo,
  type VerifyResult,
  type VerifyFailure,
  type VerifyOptions,
} from './image.ts';
export {
  FirmwareSlots,
  UploadSession,
  type SlotId,
  type SlotState,
  type SlotInfo,
  type SlotResult,
  type SlotRefusal,
  type BootResult,
  type FirmwareSlotsOptions,
} from './slots.ts';
